#!/usr/bin/env python3
"""PyTorch reference for bench/bench-gemm.c.

Times torch.matmul on the shapes bench-gemm passes ("MxNxK:AB" with A, B in
{N, T}: T multiplies by a transposed view, as x @ w.t() in nn.Linear) with
torch.set_num_threads matching litc, best of three runs of >= --min-time
seconds each.

Prints "torch_version <v>", then one "gflops <index> <value>" line per shape,
or one line "skip <reason>" (exit 0) when torch cannot be imported.
"""
import argparse
import sys
import time

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip cannot import torch ({e.__class__.__name__}: {e})")
    sys.exit(0)


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        dims, flags = item.split(":")
        m, n, k = (int(v) for v in dims.split("x"))
        shapes.append((m, n, k, flags[0] == "T", flags[1] == "T"))
    return shapes


def gflops(m, n, k, ta, tb, min_time):
    g = torch.Generator().manual_seed(0)
    a = torch.rand((k, m) if ta else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if tb else (k, n), generator=g) * 2 - 1
    a = a.t() if ta else a
    b = b.t() if tb else b
    with torch.no_grad():
        for _ in range(2):
            torch.matmul(a, b)
        best = 0.0
        for _ in range(3):
            reps, t0 = 0, time.perf_counter()
            while True:
                torch.matmul(a, b)
                reps += 1
                dt = time.perf_counter() - t0
                if dt >= min_time:
                    break
            best = max(best, 2.0 * m * n * k * reps / dt / 1e9)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per timed run")
    ap.add_argument("--shapes", required=True, help="comma-separated MxNxK:AB list")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch_version {torch.__version__}", flush=True)
    for i, (m, n, k, ta, tb) in enumerate(parse_shapes(a.shapes)):
        print(f"gflops {i} {gflops(m, n, k, ta, tb, a.min_time):.3f}", flush=True)


if __name__ == "__main__":
    main()
