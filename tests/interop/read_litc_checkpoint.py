#!/usr/bin/env python3
"""Read a litc checkpoint from PyTorch and check it against what the C side
wrote next to it (expected.json: {tensor name: [shape, values...]} and
{"epoch": n, "global_step": n}). Exit 0 when everything matches, 1 with a
message when not, 77 when PyTorch is not installed (CTest: skipped)."""
import json
import sys

try:
    import torch  # noqa: F401
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip: cannot import torch ({e})")
    sys.exit(77)

import safetensors_min


def main(ckpt, expected_path):
    tensors, meta = safetensors_min.load(ckpt)
    with open(expected_path) as f:
        expected = json.load(f)
    if meta.get("format") != "litc-checkpoint":
        print(f"format is {meta.get('format')!r}")
        return 1
    for key in ("epoch", "global_step"):
        got = json.loads(meta[key])
        if got != expected[key]:
            print(f"{key}: checkpoint says {got}, expected {expected[key]}")
            return 1
    loops = json.loads(meta["loops"])
    if loops["fit_loop"]["epoch"] != expected["epoch"]:
        print("loops.fit_loop.epoch differs")
        return 1
    for name, (shape, values) in expected["tensors"].items():
        t = tensors.get(name)
        if t is None:
            print(f"missing tensor {name}")
            return 1
        if list(t.shape) != shape:
            print(f"{name}: shape {list(t.shape)}, expected {shape}")
            return 1
        want = torch.tensor(values, dtype=t.dtype).reshape(shape)
        if not torch.equal(t, want):
            print(f"{name}: values differ: {t.flatten()[:4]} vs {want.flatten()[:4]}")
            return 1
    print(f"ok: {len(expected['tensors'])} tensors and the loop state read by torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
