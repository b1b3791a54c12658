#!/usr/bin/env python3
"""PyTorch peer of mmdna's bench-clip (experiments/bench_clip.go): CLIP's dual
encoder at ViT-B/16 size on random image-text pairs, bench mode only.

Image tower: the ViT of vit_fmnist.py with a cls token and no head; text tower:
token + learned positional embeddings, pre-LN blocks (MLP 4x), final LayerNorm, read
at the [EOS] (last) token as nn.TextEncoder does (no causal mask); bias-free
projections, L2 normalisation, learned logit scale (init log(1/0.07), clamped at
100), symmetric cross-entropy.

  python3 bench/peers/clip.py --device cuda --batch 128 --steps 20

Prints one JSON object on the last line (peerlib.py). JAX twin: clip_jax.py.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from vit_fmnist import Block, ViT


class TextEncoder(nn.Module):
    def __init__(self, vocab, length, dim, depth, heads):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, 4 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        nn.init.trunc_normal_(self.tok.weight, std=0.02)
        nn.init.trunc_normal_(self.pos, std=0.02)

    def forward(self, ids):  # ids: [B, L] -> [B, dim] at the last ([EOS]) token.
        x = self.tok(ids) + self.pos[:, :ids.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, -1]


class CLIP(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.image = ViT(image=a.image_size, patch=a.patch, channels=a.channels, dim=a.image_dim, depth=a.image_depth,
                         heads=a.image_heads, mlp=a.image_mlp, classes=0, pool="cls")
        self.text = TextEncoder(a.vocab, a.text_len, a.text_dim, a.text_depth, a.text_heads)
        self.image_proj = nn.Linear(a.image_dim, a.embed_dim, bias=False)
        self.text_proj = nn.Linear(a.text_dim, a.embed_dim, bias=False)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def loss(self, images, ids):
        img = F.normalize(self.image_proj(self.image(images)), dim=-1)
        txt = F.normalize(self.text_proj(self.text(ids)), dim=-1)
        logits = self.log_scale.exp().clamp(max=100) * img @ txt.t()
        target = torch.arange(images.shape[0], device=images.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def main():
    args = peerargs.clip_args(peerargs.bench_parser("PyTorch peer of mmdna's bench-clip")).parse_args()
    device, precision = peerlib.setup(args)
    model = CLIP(args)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(args.batch, args.image_size, args.image_size, args.channels, generator=g).to(device) * 2 - 1
    ids = torch.randint(0, args.vocab, (args.batch, args.text_len), generator=g).to(device)
    peerlib.run_bench(args, model, lambda m: m.loss(images, ids), device, precision)


if __name__ == "__main__":
    main()
