#!/usr/bin/env python3
"""PyTorch/Lightning reference for bench/bench-trainer.c: per-step overhead.

A tiny model (Linear(4, 1), batch 8, SGD) whose compute is negligible, so a
training step's time is the framework's overhead. Measures, in microseconds
per step (median of --repeats runs of --steps steps, after a warm-up):

    bare_optimizer_step_us  optimizer.step() alone (no forward/backward)
    plain_loop_us           forward, mse loss, backward, step, zero_grad
    lightning_loop_us       the same model in a LightningModule driven by
                            lightning.Trainer (progress bar, logging and
                            checkpointing off), when `lightning` imports

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
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip cannot import torch ({e.__class__.__name__}: {e})")
    sys.exit(0)


def make_data(n_batches, batch):
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(batch, 4, generator=g), torch.randn(batch, 1, generator=g)) for _ in range(n_batches)]


def time_it(fn, steps, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        times.append((time.perf_counter() - t0) / steps * 1e6)
    return statistics.median(times)


def bench_plain(data, steps, repeats):
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def run(n):
        for i in range(n):
            x, y = data[i % len(data)]
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

    run(50)
    plain = time_it(run, steps, repeats)

    loss = torch.nn.functional.mse_loss(model(data[0][0]), data[0][1])
    loss.backward()  # grads exist: step() does real work

    def bare(n):
        for _ in range(n):
            opt.step()

    bare(50)
    return plain, time_it(bare, steps, repeats)


def bench_lightning(data, steps, repeats):
    try:
        import lightning as L
    except Exception:  # noqa: BLE001
        return None, None
    import logging

    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.lin(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    def run(n):
        trainer = L.Trainer(max_steps=n, accelerator="cpu", devices=1, logger=False,
                            enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, num_sanity_val_steps=0)
        loader = torch.utils.data.DataLoader(data, batch_size=None, shuffle=False)
        trainer.fit(Tiny(), loader)

    run(20)
    return time_it(run, steps, repeats), L.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = make_data(16, 8)
    plain, bare = bench_plain(data, args.steps, args.repeats)
    print(f"torch_version {torch.__version__}")
    print(f"bare_optimizer_step_us {bare:.3f}")
    print(f"plain_loop_us {plain:.3f}")
    lt, lv = bench_lightning(data, args.steps, args.repeats)
    if lt is not None:
        print(f"lightning_version {lv}")
        print(f"lightning_loop_us {lt:.3f}")


if __name__ == "__main__":
    main()
