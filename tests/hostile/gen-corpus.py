#!/usr/bin/env python3
"""tests/hostile/gen-corpus.py — write the committed corpus of hostile
checkpoints (tests/hostile/ckpt/*.ckpt) and its manifest (ckpt/cases.json)
from base.ckpt. Each case is base.ckpt edited as an attacker would, then
re-signed (the checksum is public), unless the case is about the checksum.

    python3 tests/hostile/gen-corpus.py            # rewrite ckpt/ from base.ckpt
    python3 tests/hostile/gen-corpus.py --base LITC  # first remake base.ckpt with the litc binary LITC

Paths inside checkpoints are written as @SANDBOX@/...; run-corpus.py puts its
scratch folder there (and re-signs) before use. Expectations per case:
  info: the exit codes `litc info ckpt FILE` may end with
  fit:  the exit codes `litc fit --config base.yaml --ckpt_path FILE` may end with
  says: text (case-insensitive) the fit's output must contain when it fails
Exit codes (tools/litc.c): 0 ok, 2 config, 3 data/checkpoint/I/O.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from litcckpt import Checkpoint  # noqa: E402

INT64_MAX = 2**63 - 1
MC_KEY = None  # the ModelCheckpoint state key, read from base.ckpt


def make_base(litc):
    """Run base.yaml for one epoch in a scratch folder; keep its last.ckpt
    with the folder's path replaced by @SANDBOX@/run."""
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        os.mkdir(run)
        shutil.copy(os.path.join(HERE, "base.yaml"), run)
        subprocess.run([litc, "fit", "--config", "base.yaml", "--trainer.max_epochs=1"], cwd=run, check=True,
                       stdout=subprocess.DEVNULL)
        ck = Checkpoint.read(os.path.join(run, "ckpts", "last.ckpt"))
        real = os.path.realpath(tmp)
        for k, v in ck.meta.items():
            ck.meta[k] = v.replace(real, "@SANDBOX@")
        ck.write(os.path.join(HERE, "base.ckpt"))


def mc_state(ck):
    cbs = ck.get("callbacks")
    key = next(k for k in cbs if k.startswith("ModelCheckpoint"))
    return cbs, key


def edit_mc(**fields):
    def edit(ck):
        cbs, key = mc_state(ck)
        cbs[key].update(fields)
        ck.set("callbacks", cbs)
    return edit


def edit_loop(**fields):
    def edit(ck):
        loops = ck.get("loops")
        loops["fit_loop"].update(fields)
        ck.set("loops", loops)
    return edit


def edit_meta(key, value):
    def edit(ck):
        ck.set(key, value)
    return edit


def edit_group(**fields):
    def edit(ck):
        g = ck.get("optimizer_param_groups")
        g["0"]["0"].update(fields)
        ck.set("optimizer_param_groups", g)
    return edit


def edit_sched(**fields):
    def edit(ck):
        s = ck.get("lr_schedulers")
        s["0"]["state"].update(fields)
        ck.set("lr_schedulers", s)
    return edit


def fill_tensor(name, value, index=None):
    """Set every element (or one) of an F32 tensor to value."""
    def edit(ck):
        dtype, shape, raw = ck.tensors[name]
        n = len(raw) // 4
        vals = list(struct.unpack("<%df" % n, raw))
        for i in range(n) if index is None else [index]:
            vals[i] = value
        ck.tensors[name][2] = struct.pack("<%df" % n, *vals)
    return edit


def add_tensor(name, dtype, shape, raw):
    def edit(ck):
        ck.tensors[name] = [dtype, shape, raw]
    return edit


def drop_meta(*keys):
    def edit(ck):
        for k in keys:
            ck.meta.pop(k, None)
    return edit


def rename_meta(old, new):
    def edit(ck):
        ck.meta[new] = ck.meta.pop(old)
    return edit


W0 = "state_dict.mlp.layers.0.weight"
B0 = "state_dict.mlp.layers.0.bias"
SQ0 = "optimizer_states.0.exp_avg_sq.mlp.layers.0.weight"
M0 = "optimizer_states.0.exp_avg.mlp.layers.0.weight"
OUT = "@SANDBOX@/outside/victim.txt"
RUN = "@SANDBOX@/run/ckpts"
NAN, INF = float("nan"), float("inf")

REFUSED = {"info": [0, 3], "fit": [2, 3]}   # a well-formed file whose values a run cannot take
CORRUPT = {"info": [2, 3], "fit": [2, 3]}      # the loader itself refuses the file
RUNS = {"info": [0], "fit": [0]}         # a correct run (hostile parts ignored with a warning)

# name -> (edit, expectation, words the fit's message must contain)
CASES = {
    # 1. paths outside the callback's directory: never removed or overwritten
    "path-dotdot-last": (edit_mc(last_model_path=RUN + "/../../outside/victim.txt"), RUNS, ""),
    "path-dotdot-best": (edit_mc(best_model_path=RUN + "/../../outside/victim.txt", best_model_score=-1.0,
                                 best_k_models={RUN + "/../../outside/victim.txt": -1.0},
                                 kth_best_model_path=RUN + "/../../outside/victim.txt", kth_value=-1.0), RUNS, ""),
    "path-absolute-outside": (edit_mc(last_model_path=OUT, best_model_path=OUT, best_model_score=-1.0,
                                      best_k_models={OUT: -1.0}, kth_best_model_path=OUT, kth_value=-1.0), RUNS, ""),
    "path-relative": (edit_mc(last_model_path="../outside/victim.txt",
                              best_k_models={"../outside/victim.txt": -1.0}, best_model_score=-1.0,
                              kth_value=-1.0), RUNS, ""),
    "path-symlinked-dir": (edit_mc(last_model_path=RUN + "/linkdir/victim.txt",
                                   best_k_models={RUN + "/linkdir/victim.txt": -1.0}, best_model_score=-1.0,
                                   kth_best_model_path=RUN + "/linkdir/victim.txt", kth_value=-1.0), RUNS, ""),
    "path-symlink-file": (edit_mc(last_model_path=RUN + "/link-out.ckpt",
                                  best_k_models={RUN + "/link-out.ckpt": -1.0}, best_model_score=-1.0,
                                  kth_best_model_path=RUN + "/link-out.ckpt", kth_value=-1.0), RUNS, ""),
    "path-dirpath-outside": (edit_mc(dirpath="@SANDBOX@/outside", last_model_path=OUT,
                                     best_k_models={OUT: -1.0}, best_model_score=-1.0), RUNS, ""),
    "path-nul-and-newline": (edit_mc(last_model_path=RUN + "/a\nb\u0001.ckpt"), RUNS, ""),
    # 2 + 5. counters at and past the range the loops can count in
    # (the top-level epoch and global_step are informational, as in Lightning: the loops' own count)
    "int-epoch-max": (edit_meta("epoch", INT64_MAX), RUNS, ""),
    "int-epoch-negative": (edit_meta("epoch", -5), RUNS, ""),
    "int-global-step-max": (edit_meta("global_step", INT64_MAX), RUNS, ""),
    "int-global-step-float": (edit_meta("global_step", 1e300), RUNS, ""),
    "int-batches-that-stepped-2p53": (edit_loop(batches_that_stepped=2**53), REFUSED, "batches_that_stepped"),
    "int-batches-that-stepped-max": (edit_loop(batches_that_stepped=INT64_MAX), REFUSED, "batches_that_stepped"),
    "int-loop-epoch-max": (edit_loop(epoch=INT64_MAX, global_step=INT64_MAX), REFUSED, "epoch"),
    "int-loop-batch-negative": (edit_loop(batch=-7), REFUSED, "batch"),
    "int-num-training-batches-huge": (edit_loop(num_training_batches=INT64_MAX), REFUSED, "training batches"),
    "int-accumulate-zero": (edit_loop(accumulate_grad_batches=0), REFUSED, "accumulate_grad_batches"),
    "int-sched-last-epoch-huge": (edit_sched(last_epoch=1e300, _step_count=1e300), REFUSED, "last_epoch"),
    "int-sched-step-count-nan": (edit_sched(_step_count="nan"), REFUSED, "_step_count"),
    "int-results-count-huge": (edit_meta("results", {"train_count": INT64_MAX, "callback_metrics_count": 2**40}),
                               REFUSED, "results"),
    "int-optimizers-huge": (edit_meta("optimizers", 2**40), REFUSED, "optimizers"),
    "int-lr-scheduler-count-huge": (edit_meta("lr_scheduler_count", 2**31), REFUSED, "lr schedulers"),
    "int-rng-garbage": (edit_meta("rng", {"global": {"seed": "-1e999", "counter": "x"}}), REFUSED, "rng"),
    # 3. non-finite weights and optimizer state: refused, naming the tensor
    "nonfinite-weights-nan": (fill_tensor(W0, NAN), REFUSED, "mlp.layers.0.weight"),
    "nonfinite-weight-inf": (fill_tensor(B0, INF, 3), REFUSED, "mlp.layers.0.bias"),
    "nonfinite-adam-nan": (fill_tensor(SQ0, NAN, 0), REFUSED, "exp_avg_sq"),
    "nonfinite-adam-neg-inf": (fill_tensor(M0, -INF), REFUSED, "exp_avg"),
    "nonfinite-lr-nan": (edit_group(lr="nan"), REFUSED, "lr"),
    "nonfinite-sched-base-lr": (edit_sched(base_lrs={"0": "nan"}), REFUSED, "base_lrs"),
    # hyperparameters the optimizer's constructor would refuse
    "float-betas-out-of-range": (edit_group(betas={"0": 0.9, "1": 1.5}), REFUSED, "betas"),
    "float-eps-negative": (edit_group(eps=-1.0), REFUSED, "eps"),
    "float-weight-decay-nan": (edit_group(weight_decay="nan"), REFUSED, "weight_decay"),
    # unexpected and mismatched tensors
    "tensor-unexpected-weight": (add_tensor("state_dict.evil", "F32", [2], b"\0" * 8), REFUSED, "evil"),
    "tensor-wrong-shape": (add_tensor(W0, "F32", [1, 4], b"\0" * 16), REFUSED, "mlp.layers.0.weight"),
    # (copied with a cast, as PyTorch's load_state_dict does)
    "tensor-wrong-dtype": (add_tensor(B0, "I32", [16], b"\0" * 64), RUNS, ""),
    "tensor-grads-unexpected": (add_tensor("grads.mlp.layers.0.bias", "F32", [16], b"\0" * 64), RUNS, ""),
    "tensor-grads-wrong-shape": (add_tensor("grads.mlp.layers.0.bias", "F32", [3], b"\0" * 12), REFUSED, "grads"),
    "tensor-optimizer-unknown": (add_tensor("optimizer_states.0.exp_avg.nope", "F32", [1], b"\0" * 4), REFUSED,
                                 "nope"),
    # 11. the checksum cannot be bypassed by looking less like a litc file
    "checksum-format-bitflip": (rename_meta("format", "formas"), CORRUPT, "checksum"),
    "checksum-removed": (drop_meta("checksum"), CORRUPT, "checksum"),
    "checksum-format-keys-removed": (drop_meta("format", "format_version", "litc_version"), CORRUPT, "checksum"),
    "checksum-wrong": (None, CORRUPT, "checksum"),
    # JSON the metadata parser must survive
    "json-deep-nesting": (edit_meta("hyper_parameters", None), REFUSED, "hyper_parameters"),
    "json-bad-callbacks": (edit_meta("callbacks", [1, 2, 3]), REFUSED, "callbacks"),
    "version-future": (edit_meta("format_version", 99), CORRUPT, "version"),
}


def special(name, ck):
    """Cases whose bytes are not a plain edit-and-sign of base.ckpt."""
    if name == "checksum-wrong":
        ck.sign()
        ck.meta["epoch"] = "1"  # changed after signing
        return ck.encode(sign=False)
    if name == "json-deep-nesting":
        ck.meta["hyper_parameters"] = "[" * 100000 + "]" * 100000
        return ck.encode()
    if name.startswith("checksum-") and name != "checksum-format-bitflip":
        return ck.encode(sign=False)
    return ck.encode()


def huge_cases():
    """Files whose header declares sizes far beyond the file (no data on disk)."""
    ck = Checkpoint.read(os.path.join(HERE, "base.ckpt"))

    def declared(shape):
        def edit(h):
            h[W0]["shape"] = shape
        return edit

    def offsets(a, b):
        def edit(h):
            h[W0]["data_offsets"] = [a, b]
        return edit
    out = {
        "huge-shape-2p40": ck.encode(header_edit=declared([2**40, 64])),
        "huge-shape-overflow": ck.encode(header_edit=declared([2**32, 2**32, 2**32])),
        "huge-offsets": ck.encode(header_edit=offsets(0, 2**62)),
    }
    blob = ck.encode()
    out["huge-header-length"] = struct.pack("<Q", 2**62) + blob[8:]
    out["truncated-data"] = blob[:len(blob) - 100]
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--base":
        make_base(sys.argv[2])
    out_dir = os.path.join(HERE, "ckpt")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.mkdir(out_dir)
    manifest = {}
    for name, (edit, expect, says) in CASES.items():
        ck = Checkpoint.read(os.path.join(HERE, "base.ckpt"))
        if edit:
            edit(ck)
        with open(os.path.join(out_dir, name + ".ckpt"), "wb") as f:
            f.write(special(name, ck))
        manifest[name] = dict(expect, says=says)
    for name, blob in huge_cases().items():
        with open(os.path.join(out_dir, name + ".ckpt"), "wb") as f:
            f.write(blob)
        manifest[name] = dict(CORRUPT, says="")
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d hostile checkpoints to %s" % (len(manifest), out_dir))


if __name__ == "__main__":
    main()
