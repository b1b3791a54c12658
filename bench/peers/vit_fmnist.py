#!/usr/bin/env python3
"""PyTorch peer of mmdna's ViT, written as a PyTorch user would write it: the recipe of
vit-fmnist-ref (train mode) and, with --image/--channels/--patch/--classes/--pool, the
ViT of bench-vit (e.g. ViT-B/16 at 224, bench mode on random images), for side-by-side
speed and accuracy with the same architecture and hyperparameters.

Architecture (as models/vit): patch x patch patches -> linear embedding, learnable
positional embedding, a cls token with --pool cls, pre-LN blocks (LayerNorm eps 1e-6,
nn.MultiheadAttention, MLP with exact GELU), final LayerNorm, cls token or global
average pooling, linear head. Initialisation: PyTorch's defaults (nn.Linear's,
nn.MultiheadAttention's, nn.LayerNorm's), the cls token and the positions zeros as
the chapter's code creates them; mmdna initialises its own way (models/vit), so the
side-by-side compares what each framework's user gets.
Training (train mode): the chapter's recipe by default: torch.optim.AdamW(lr=1e-4),
PyTorch's defaults otherwise (betas 0.9/0.999, eps 1e-8, weight decay 0.01 on all
parameters), batch 32, constant learning rate, no gradient clipping, cls token;
--schedule cosine --warmup N --clip 1.0 --pool gap gives vit-fmnist-ref-gap's recipe.

  /usr/bin/python3 bench/peers/vit_fmnist.py --mode train --epochs 1
  /usr/bin/python3 bench/peers/vit_fmnist.py --mode bench --batch 128 --steps 20
  python3 bench/peers/vit_fmnist.py --device cuda --image 224 --channels 3 --patch 16 \
      --dim 768 --depth 12 --heads 12 --mlp 3072 --classes 1000 --pool cls --batch 128

Prints one JSON object on the last line of stdout (see peerlib.py). Its JAX twin is
vit_fmnist_jax.py.
"""
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

import peerargs
import peerlib

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

    def forward(self, x, pad=None):  # pad: [B, L] bool, True at padding (keys ignored), or None.
        h = self.ln1(x)
        x = x + self.attn(h, h, h, key_padding_mask=pad, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    """classes=0 builds no head: forward returns the pooled features [B, dim]."""

    def __init__(self, image=28, patch=4, channels=1, dim=64, depth=4, heads=4, mlp=128, classes=10, pool="cls"):
        super().__init__()
        self.patch, self.pool = patch, pool
        n = (image // patch) ** 2  # positions of the patches; the cls token has none (as models/vit).
        self.embed = nn.Linear(patch * patch * channels, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim)) if pool == "cls" else None
        self.pos = nn.Parameter(torch.zeros(1, n, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes) if classes > 0 else None

    def tokens(self, x):  # x: [B, H, W, C] -> [B, n, dim], positions added, no cls.
        return self.embed(peerlib.patchify(x, self.patch)) + self.pos

    def encode(self, x):  # tokens [B, n, dim] -> encoded [B, n(+1), dim], cls first with pool cls.
        if self.cls is not None:
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def forward(self, x):  # x: [B, H, W, C]
        x = self.encode(self.tokens(x))
        x = x[:, 0] if self.pool == "cls" else x.mean(dim=1)
        return x if self.head is None else self.head(x)


def lr_at(step, lr, warmup, total):
    """--schedule cosine: linear warmup, then cosine to 0 (mmdna's train.Schedule)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * 0.5 * (1 + math.cos(math.pi * frac))


def make(args):
    torch.manual_seed(args.seed)
    model = build(args)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    return model, opt


def step_fn(model, opt, x, y, args, lr):
    if args.schedule == "cosine":
        for g in opt.param_groups:
            g["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    if args.clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    opt.step()
    return loss


def parser():
    return peerargs.vit_args(peerargs.bench_parser("PyTorch peer of mmdna's ViT", modes=("bench", "train", "params")))


def build(args):
    return ViT(image=args.image, patch=args.patch, channels=args.channels, dim=args.dim, depth=args.depth,
               heads=args.heads, mlp=args.mlp, classes=args.classes, pool=args.pool)


def main():
    args = parser().parse_args()
    if args.mode == "params":
        print(json.dumps({"params": peerlib.count_params(build(args))}))
        return
    if args.mode == "bench":
        device, precision = peerlib.setup(args)
        model = build(args)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(args.batch, args.image, args.image, args.channels, generator=g).to(device)
        y = torch.randint(0, args.classes, (args.batch,), generator=g).to(device)
        peerlib.run_bench(args, model, lambda m: F.cross_entropy(m(x), y), device, precision)
        return

    torch.set_num_threads(args.threads)
    model, opt = make(args)
    model.train()
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
            loss = step_fn(model, opt, xtr[idx], ytr[idx], args, lr_at(step, args.lr, args.warmup, total))
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
                      "steps": total, "pool": args.pool, "lr": args.lr, "wd": args.wd, "schedule": args.schedule,
                      "clip": args.clip, "test_accuracy": correct / len(xte), "wall_s": time.perf_counter() - t0,
                      "train_img_per_s": total * args.batch / t_train}))


if __name__ == "__main__":
    main()
