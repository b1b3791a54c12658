#!/usr/bin/env python3
"""PyTorch peer of mmdna's ViT reference config (experiments vit-fmnist-ref), for
side-by-side speed and accuracy with the same architecture and hyperparameters.

Architecture (as models/vit with preset "Ti/4"-ref, pool=gap): 4x4 patches of a
28x28x1 image -> 49 tokens, learnable positional embedding (trunc normal 0.02),
pre-LN blocks (LayerNorm eps 1e-6, MHA with fused qkv, MLP with exact GELU),
final LayerNorm, global average pooling, zero-initialised head.
Training: AdamW (betas 0.9/0.999, eps 1e-8, weight decay on all parameters as
torch's default), linear warmup + cosine to 0, global-norm clipping at 1.0.

  /usr/bin/python3 bench/peers/vit_fmnist.py --mode bench --batch 128 --steps 20
  /usr/bin/python3 bench/peers/vit_fmnist.py --mode train --epochs 1

Prints one JSON object on the last line of stdout.
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860405969804586, 0.3530242445535156  # datasets/fmnist Mean/Std


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (x.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x).unsqueeze(-1), torch.from_numpy(y.astype(np.int64))  # [N,28,28,1] NHWC as mmdna


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self, image=28, patch=4, channels=1, dim=64, depth=4, heads=4, mlp=128, classes=10):
        super().__init__()
        self.patch = patch
        n = (image // patch) ** 2
        self.embed = nn.Linear(patch * patch * channels, dim)
        self.pos = nn.Parameter(torch.zeros(1, n, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.zeros_(self.head.weight)

    def forward(self, x):  # x: [B, H, W, C]
        b, h, w, c = x.shape
        p = self.patch
        x = x.reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5).reshape(b, (h // p) * (w // p), p * p * c)
        x = self.embed(x) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(dim=1))


def lr_at(step, lr, warmup, total):
    if step < warmup:
        return lr * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * 0.5 * (1 + math.cos(math.pi * frac))


def make(args):
    torch.manual_seed(args.seed)
    model = ViT(dim=args.dim, depth=args.depth, heads=args.heads, mlp=args.mlp)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.wd)
    return model, opt


def step_fn(model, opt, x, y, lr):
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["bench", "train"], default="bench")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20, help="timed steps (bench)")
    ap.add_argument("--warmup-steps", type=int, default=3, help="untimed steps before timing (bench)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=100, help="lr warmup steps (train)")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, opt = make(args)
    model.train()

    if args.mode == "bench":
        g = torch.Generator().manual_seed(0)
        x = torch.randn(args.batch, 28, 28, 1, generator=g)
        y = torch.randint(0, 10, (args.batch,), generator=g)
        for i in range(args.warmup_steps):
            step_fn(model, opt, x, y, args.lr)
        times = []
        for i in range(args.steps):
            t0 = time.perf_counter()
            step_fn(model, opt, x, y, args.lr)
            times.append(time.perf_counter() - t0)
        times.sort()
        med = times[len(times) // 2]
        print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads, "batch": args.batch,
                          "step_s_median": med, "step_s_mean": sum(times) / len(times), "img_per_s": args.batch / med}))
        return

    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    steps_per_epoch = len(xtr) // args.batch
    total = steps_per_epoch * args.epochs
    rng = np.random.default_rng(args.seed)
    step, t0, t_train = 0, time.perf_counter(), 0.0
    for epoch in range(args.epochs):
        perm = torch.from_numpy(rng.permutation(len(xtr)))
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            ts = time.perf_counter()
            loss = step_fn(model, opt, xtr[idx], ytr[idx], lr_at(step, args.lr, args.warmup, total))
            t_train += time.perf_counter() - ts
            step += 1
            if step % 100 == 0:
                print(f"step {step}/{total} loss {loss.item():.4f}", flush=True)
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(xte), 1000):
            correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads, "batch": args.batch,
                      "steps": total, "test_accuracy": correct / len(xte), "wall_s": time.perf_counter() - t0,
                      "train_img_per_s": total * args.batch / t_train}))


if __name__ == "__main__":
    main()
