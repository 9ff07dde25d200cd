#!/usr/bin/env python3
"""PyTorch/Lightning reference for bench/bench-trainer.c: per-step overhead.

A tiny model (Linear(4, 1), batch 8, SGD lr 0.01, MSE) on 16 fixed batches
in memory, whose compute is negligible, so a training step's time is the
framework's overhead. Weights and data come from the same integer hash as the
C bench (murmur3's fmix32, as bench/ref/mlp.py), so the losses of both sides
can be compared. Measures, in microseconds per step (median of --repeats
runs of --steps steps, after a warm-up):

    bare_optimizer_step_us  optimizer.step() alone (grads present, no forward/backward)
    plain_loop_us           forward, mse loss, backward, step, zero_grad
    lightning_loop_us       the same model in a LightningModule driven by
                            lightning.Trainer (progress bar, logging, model
                            summary and checkpointing off, no validation):
                            steady state, timed by a callback from the
                            on_train_batch_start of step --warmup to that of
                            step --warmup + --steps (so Trainer construction
                            and fit setup are not in it), when `lightning` imports
    lightning_fit_us        the whole trainer.fit() (with Trainer construction)
                            divided by its steps, for comparison

and for validation plain_loss_first / plain_loss_last: the plain loop's loss
at step 0 and at step --check-steps - 1, from the hash weights.

Prints "key value" lines that bench-trainer.c parses, or "skip <reason>".
Lightning usually lives in a virtual environment (scripts/deps.sh
--reference makes /opt/litc-ref-venv); run this script with that python to
include it.
"""
import argparse
import statistics
import sys
import time

try:
    import numpy as np
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip cannot import torch/numpy ({e.__class__.__name__}: {e})")
    sys.exit(0)

N_BATCHES = 16
BATCH = 8
IN = 4


def fmix32(h):
    """murmur3 finaliser on a uint32 array (wraps like C's uint32_t)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def hash_uniform(seed, n, bound):
    """Uniform [-bound, bound) in float32, bit-identical to bench-trainer.c's hash_uniform."""
    with np.errstate(over="ignore"):
        s = fmix32(np.array([seed], dtype=np.uint32))[0]
        u = (fmix32(np.arange(n, dtype=np.uint32) ^ s) >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    return (np.float32(2.0) * u - np.float32(1.0)) * np.float32(bound)


def make_data():
    xs = torch.from_numpy(hash_uniform(100, N_BATCHES * BATCH * IN, 1.0)).view(N_BATCHES, BATCH, IN)
    ys = torch.from_numpy(hash_uniform(200, N_BATCHES * BATCH, 1.0)).view(N_BATCHES, BATCH, 1)
    return [(xs[i].clone(), ys[i].clone()) for i in range(N_BATCHES)]


def hash_init(lin):
    # Seeds 1 and 2, bound 1/sqrt(in): as bench-trainer.c.
    with torch.no_grad():
        bound = np.float32(1.0 / np.sqrt(IN))
        lin.weight.copy_(torch.from_numpy(hash_uniform(1, lin.weight.numel(), bound)).view_as(lin.weight))
        lin.bias.copy_(torch.from_numpy(hash_uniform(2, lin.bias.numel(), bound)))


def time_it(fn, steps, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        times.append((time.perf_counter() - t0) / steps * 1e6)
    return statistics.median(times)


def plain_losses(data, check_steps):
    model = torch.nn.Linear(IN, 1)
    hash_init(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    first = last = None
    for i in range(check_steps):
        x, y = data[i % len(data)]
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i == 0:
            first = loss.item()
        last = loss.item()
    return first, last


def bench_plain(data, steps, warmup, repeats):
    model = torch.nn.Linear(IN, 1)
    hash_init(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def run(n):
        for i in range(n):
            x, y = data[i % len(data)]
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

    run(warmup)
    plain = time_it(run, steps, repeats)

    loss = torch.nn.functional.mse_loss(model(data[0][0]), data[0][1])
    loss.backward()  # grads exist: step() does real work

    def bare(n):
        for _ in range(n):
            opt.step()

    bare(warmup)
    return plain, time_it(bare, steps, repeats)


def bench_lightning(data, steps, warmup, repeats):
    try:
        import lightning as L
    except Exception:  # noqa: BLE001
        return None
    import logging
    import warnings

    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")  # "the dataloader does not have many workers", ...

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(IN, 1)
            hash_init(self.lin)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.lin(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    class Stopwatch(L.Callback):
        # Timestamps at the start of steps `warmup` and `warmup + steps`: the
        # steps in between are whole loop iterations, setup excluded.
        def __init__(self, first, last):
            self.first, self.last, self.t0, self.t1 = first, last, None, None

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if trainer.global_step == self.first:
                self.t0 = time.perf_counter()
            elif trainer.global_step == self.last:
                self.t1 = time.perf_counter()

    def run(n_timed, n_warm):
        sw = Stopwatch(n_warm, n_warm + n_timed)
        t0 = time.perf_counter()
        trainer = L.Trainer(max_steps=n_warm + n_timed + 1, accelerator="cpu", devices=1, logger=False,
                            enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, num_sanity_val_steps=0, callbacks=[sw])
        loader = torch.utils.data.DataLoader(data, batch_size=None, shuffle=False)
        trainer.fit(Tiny(), loader)
        fit = (time.perf_counter() - t0) / (n_warm + n_timed + 1) * 1e6
        return (sw.t1 - sw.t0) / n_timed * 1e6, fit

    run(20, 20)  # imports, first-call caches
    results = [run(steps, warmup) for _ in range(repeats)]
    return (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), L.__version__)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--check-steps", type=int, default=320)
    ap.add_argument("--no-lightning", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = make_data()
    first, last = plain_losses(data, args.check_steps)
    plain, bare = bench_plain(data, args.steps, args.warmup, args.repeats)
    print(f"torch_version {torch.__version__}")
    print(f"threads {torch.get_num_threads()}")
    print(f"plain_loss_first {first:.9g}")
    print(f"plain_loss_last {last:.9g}")
    print(f"bare_optimizer_step_us {bare:.3f}")
    print(f"plain_loop_us {plain:.3f}")
    sys.stdout.flush()
    lt = None if args.no_lightning else bench_lightning(data, args.steps, args.warmup, args.repeats)
    if lt is not None:
        print(f"lightning_version {lt[2]}")
        print(f"lightning_loop_us {lt[0]:.3f}")
        print(f"lightning_fit_us {lt[1]:.3f}")


if __name__ == "__main__":
    main()
