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
    """mmdna's nn.TextEncoder: mlp defaults to 4x the width; pool "eos" reads the last real
    token, "mean" averages the real tokens, "first" reads the first."""

    def __init__(self, vocab, length, dim, depth, heads, mlp=0, pool="eos"):
        super().__init__()
        self.pool = pool
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp or 4 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        nn.init.trunc_normal_(self.tok.weight, std=0.02)
        nn.init.trunc_normal_(self.pos, std=0.02)

    def tokens(self, ids, mask=None):  # ids, mask: [B, L] (mask 1 on real tokens) -> [B, L, dim]
        x = self.tok(ids) + self.pos[:, :ids.shape[1]]
        pad = None if mask is None else mask == 0
        for blk in self.blocks:
            x = blk(x, pad)
        return self.norm(x)

    def forward(self, ids, mask=None):  # -> [B, dim]
        x = self.tokens(ids, mask)
        if mask is None:
            mask = torch.ones_like(ids)
        if self.pool == "mean":
            return masked_mean(x, mask)
        if self.pool == "first":
            return x[:, 0]
        last = mask.sum(dim=1) - 1  # [EOS]: the last real token.
        return x[torch.arange(x.shape[0], device=x.device), last]


def masked_mean(x, mask):
    """x: [B, L, D], mask: [B, L] (1 on real tokens) -> [B, D]."""
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)


def clip_loss(img, txt, scale):
    """Symmetric cross-entropy of scale * img @ txt.T (rows L2-normalised)."""
    logits = scale * img @ txt.t()
    target = torch.arange(img.shape[0], device=img.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def random_captions(batch, length, vocab, generator):
    """Random token ids and a mask of real tokens: lengths from length/2 to length."""
    ids = torch.randint(0, vocab, (batch, length), generator=generator)
    lengths = torch.randint(length // 2, length + 1, (batch, 1), generator=generator)
    mask = (torch.arange(length).unsqueeze(0) < lengths).long()
    return ids * mask, mask


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
        return clip_loss(img, txt, self.log_scale.exp().clamp(max=100))


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
