#!/usr/bin/env python3
"""examples/gpt-shakespeare/ref_torch.py — the same model and recipe in
PyTorch (nanoGPT's model.py shape: untied head, bias-free, exact GELU, no
dropout), to time a training step side by side with ./build/gpt-shakespeare:

    python3 examples/gpt-shakespeare/ref_torch.py [--steps 200] [--threads 2]

Prints the mean milliseconds per step (AdamW with weight-decay groups,
gradient clipping 1.0, batch 12, context 64) after 10 warm-up steps.
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, E, H):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(E), nn.LayerNorm(E)
        self.qkv, self.proj, self.H = nn.Linear(E, 3 * E, bias=False), nn.Linear(E, E, bias=False), H
        self.mlp = nn.Sequential(nn.Linear(E, 4 * E, bias=False), nn.GELU(), nn.Linear(4 * E, E, bias=False))

    def attn(self, x):
        B, T, E = x.shape
        q, k, v = self.qkv(x).split(E, dim=2)
        q, k, v = (t.view(B, T, self.H, E // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(E // self.H)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, T, E))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, V, T=64, L=4, H=4, E=128):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, E), nn.Embedding(T, E)
        self.blocks = nn.ModuleList(Block(E, H) for _ in range(L))
        self.ln_f, self.head = nn.LayerNorm(E), nn.Linear(E, V, bias=False)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln_f(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../data/shakespeare.txt"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    text = open(a.data, "rb").read()
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text[:200000]], dtype=torch.long)
    model = GPT(len(chars))
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99))
    times = []
    for step in range(a.steps + 10):
        ix = torch.randint(len(data) - 65, (12,))
        x = torch.stack([data[i:i + 64] for i in ix])
        y = torch.stack([data[i + 1:i + 65] for i in ix])
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).view(-1, len(chars)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= 10:
            times.append(time.perf_counter() - t0)
    print("pytorch %s: %.2f ms/step (mean of %d steps, %d threads), loss %.3f" %
          (torch.__version__, 1e3 * sum(times) / len(times), len(times), a.threads, loss.item()))


if __name__ == "__main__":
    main()
