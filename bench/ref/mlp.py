#!/usr/bin/env python3
"""PyTorch reference for bench/bench-mlp.c.

An MLP 784-512-256-10 (ReLU), batch 128, cross-entropy, SGD(lr=0.01,
momentum=0.9), float32, trained with the standard PyTorch loop on 16 fixed
synthetic batches cycled. Weights and data come from the same integer hash as
the C bench (murmur3's fmix32), so both start from identical numbers and their
losses can be compared.

Prints "key value" lines that bench-mlp.c parses:
    torch_version, threads, first_loss, warmup_loss, steps, seconds,
    steps_per_s, peak_rss_kb
or one line "skip <reason>" (exit 0) when torch cannot be imported.
"""
import argparse
import resource
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip cannot import torch/numpy ({e.__class__.__name__}: {e})")
    sys.exit(0)

SIZES = (784, 512, 256, 10)
BATCH = 128
N_BATCHES = 16


def fmix32(h):
    """murmur3 finaliser on a uint32 array (wraps like C's uint32_t)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def hash_u32(seed, n):
    """h(seed, i) = fmix32(fmix32(seed) ^ i), i < n (bench-mlp.c: hash_u32)."""
    s = fmix32(np.array([seed], dtype=np.uint32))[0]
    return fmix32(np.arange(n, dtype=np.uint32) ^ s)


def hash_uniform(seed, n, bound):
    """Uniform [-bound, bound) in float32 arithmetic, bit-identical to the C bench."""
    u = (hash_u32(seed, n) >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    return (np.float32(2.0) * u - np.float32(1.0)) * np.float32(bound)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="timed training steps")
    ap.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    with np.errstate(over="ignore"):
        model = nn.Sequential(
            nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(),
            nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
            nn.Linear(SIZES[2], SIZES[3]))
        with torch.no_grad():
            for layer, lin in enumerate(m for m in model if isinstance(m, nn.Linear)):
                bound = np.float32(1.0 / np.sqrt(lin.in_features))
                w = hash_uniform(1 + 2 * layer, lin.weight.numel(), bound)
                b = hash_uniform(2 + 2 * layer, lin.bias.numel(), bound)
                lin.weight.copy_(torch.from_numpy(w).view_as(lin.weight))
                lin.bias.copy_(torch.from_numpy(b))
        xs = torch.from_numpy(hash_uniform(100, N_BATCHES * BATCH * SIZES[0], 1.0)).view(N_BATCHES, BATCH, SIZES[0])
        ys = torch.from_numpy((hash_u32(200, N_BATCHES * BATCH) % np.uint32(SIZES[-1])).astype(np.int64))
        ys = ys.view(N_BATCHES, BATCH)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(i):
        loss = F.cross_entropy(model(xs[i % N_BATCHES]), ys[i % N_BATCHES])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    first = step(0).item()
    loss = None
    for i in range(1, a.warmup):
        loss = step(i)
    warm = loss.item() if loss is not None else first

    t0 = time.perf_counter()
    for i in range(a.warmup, a.warmup + a.steps):
        loss = step(i)
    dt = time.perf_counter() - t0
    final = loss.item()

    print(f"torch_version {torch.__version__}")
    print(f"threads {torch.get_num_threads()}")
    print(f"first_loss {first:.9g}")
    print(f"warmup_loss {warm:.9g}")
    print(f"final_loss {final:.9g}")
    print(f"steps {a.steps}")
    print(f"seconds {dt:.6f}")
    print(f"steps_per_s {a.steps / dt:.4f}")
    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
