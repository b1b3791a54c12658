#!/usr/bin/env python3
"""PyTorch peer of mmdna's bench-perceiver (experiments/bench_perceiver.go): a
Perceiver classifier on random images with Fourier position features, bench mode.

As models/perceiver (lucidrains/perceiver-pytorch's layout): every pixel's values
followed by its Fourier features form the input array; a learned latent array
(num_latents x latent_dim) reads it through a pre-norm cross-attention (cross_heads
heads of cross_dim_head) and a feed-forward, then depth latent self-attention blocks;
repeated `repeats` times, repeats after the second sharing its weights; the averaged
latents go through a LayerNorm and a linear head.

  python3 bench/peers/perceiver.py --device cuda --batch 64 --steps 20

Prints one JSON object on the last line (peerlib.py). JAX twin: perceiver_jax.py.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from vit_fmnist import Block


def attention_core(q, k, v):
    """q: [B, H, Lq, D], k, v: [B, H, Lk, D]."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v


class CrossAttention(nn.Module):
    def __init__(self, q_dim, ctx_dim, heads, dim_head):
        super().__init__()
        self.heads, self.dim_head = heads, dim_head
        inner = heads * dim_head
        self.to_q, self.to_k, self.to_v = nn.Linear(q_dim, inner), nn.Linear(ctx_dim, inner), nn.Linear(ctx_dim, inner)
        self.to_out = nn.Linear(inner, q_dim)

    def forward(self, x, ctx):
        b, h, d = x.shape[0], self.heads, self.dim_head
        q = self.to_q(x).reshape(b, -1, h, d).transpose(1, 2)
        k = self.to_k(ctx).reshape(b, -1, h, d).transpose(1, 2)
        v = self.to_v(ctx).reshape(b, -1, h, d).transpose(1, 2)
        return self.to_out(attention_core(q, k, v).transpose(1, 2).reshape(b, -1, h * d))


class Layer(nn.Module):
    """One repeat: cross-attention + feed-forward, then depth latent blocks."""

    def __init__(self, a, ctx_dim):
        super().__init__()
        d = a.latent_dim
        self.norm, self.norm_ctx, self.norm_ff = nn.LayerNorm(d), nn.LayerNorm(ctx_dim), nn.LayerNorm(d)
        self.attn = CrossAttention(d, ctx_dim, a.cross_heads, a.cross_dim_head)
        self.ff = nn.Sequential(nn.Linear(d, a.mlp_dim), nn.GELU(), nn.Linear(a.mlp_dim, d))
        self.blocks = nn.ModuleList([Block(d, a.latent_heads, a.mlp_dim) for _ in range(a.depth)])

    def forward(self, lat, ctx):
        lat = lat + self.attn(self.norm(lat), self.norm_ctx(ctx))
        lat = lat + self.ff(self.norm_ff(lat))
        for blk in self.blocks:
            lat = blk(lat)
        return lat


class Perceiver(nn.Module):
    def __init__(self, a):
        super().__init__()
        s = a.image_size
        ff = torch.tensor(peerargs.fourier_features(s, s, a.max_freq, a.bands))  # [H*W, F]
        self.register_buffer("pos", ff.unsqueeze(0))
        ctx_dim = a.channels + ff.shape[1]
        self.latents = nn.Parameter(torch.randn(a.num_latents, a.latent_dim) * 0.02)
        unique = min(a.repeats, 2) if a.share_weights == "true" else a.repeats
        self.layers = nn.ModuleList([Layer(a, ctx_dim) for _ in range(unique)])
        self.order = [min(r, unique - 1) for r in range(a.repeats)]
        self.head_norm = nn.LayerNorm(a.latent_dim)
        self.head = nn.Linear(a.latent_dim, a.classes)

    def forward(self, images):  # [B, H, W, C] -> logits [B, classes]
        b, h, w, c = images.shape
        ctx = torch.cat([images.reshape(b, h * w, c), self.pos.expand(b, -1, -1)], dim=-1)
        lat = self.latents.expand(b, -1, -1)
        for r in self.order:
            lat = self.layers[r](lat, ctx)
        return self.head(self.head_norm(lat.mean(dim=1)))


def main():
    args = peerargs.perceiver_args(peerargs.bench_parser("PyTorch peer of mmdna's bench-perceiver")).parse_args()
    device, precision = peerlib.setup(args)
    model = Perceiver(args)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(args.batch, args.image_size, args.image_size, args.channels, generator=g).to(device) * 2 - 1
    labels = torch.randint(0, args.classes, (args.batch,), generator=g).to(device)
    peerlib.run_bench(args, model, lambda m: F.cross_entropy(m(images), labels), device, precision)


if __name__ == "__main__":
    main()
