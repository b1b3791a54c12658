#!/usr/bin/env python3
"""PyTorch peer of mmdna's clip-shapes (experiments/clip_shapes.go) at its own size:
CLIP's dual encoder on random 32x32x3 images and shapes-world-sized captions.

Image tower (--tower conv, the experiment's default): --conv stages, each a 2x2
convolution of stride 2, GELU and a LayerNorm over the channels, then the mean over
the remaining pixels (models/clip ConvEncoder); --tower vit is the ViT of
vit_fmnist.py with average pooling. Text tower: clip.py's TextEncoder read by --pool
(mean of the real tokens by default) with padding masked. Projections into the shared
space (bias-free unless --proj_bias; --proj_ln adds a LayerNorm), L2 normalisation,
a learned logit scale (init log(1/0.07), clamped at --max_logit_scale), symmetric
cross-entropy. AdamW with open_clip's groups (--no_decay 1d) and the warmup + cosine
schedule of the recipe (peerlib.recipe_args).

  python3 bench/peers/clip_shapes.py --vocab 61 --mode bench --batch 128 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from clip import TextEncoder, clip_loss, random_captions
from vit_fmnist import ViT


class ConvTower(nn.Module):
    """images [B, C, H, W] -> [B, channels[-1]]; features() is the stages before the mean
    (the hybrid ViTs' stem, vilt_shapes.HybridEmbed)."""

    def __init__(self, in_channels, channels):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for ch in channels:
            self.convs.append(nn.Conv2d(in_channels, ch, kernel_size=2, stride=2))
            self.norms.append(nn.LayerNorm(ch, eps=1e-6))
            in_channels = ch

    def features(self, x):  # [B, C, H, W] -> [B, channels[-1], H/2^stages, W/2^stages] (nn.ConvStages)
        for conv, norm in zip(self.convs, self.norms):
            x = norm(F.gelu(conv(x)).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # LayerNorm over the channels.
        return x

    def forward(self, x):
        return self.features(x).mean(dim=(2, 3))


class CLIP(nn.Module):
    def __init__(self, a):
        super().__init__()
        if a.tower == "conv":
            self.image = ConvTower(a.channels, [int(c) for c in a.conv.split(",")])
            width = int(a.conv.split(",")[-1])
        else:
            self.image = ViT(image=a.image_size, patch=a.patch, channels=a.channels, dim=a.image_dim,
                             depth=a.image_depth, heads=a.image_heads, mlp=a.image_mlp, classes=0, pool="gap")
            width = a.image_dim
        self.text = TextEncoder(a.vocab, a.text_len, a.text_dim, a.text_depth, a.text_heads, a.text_mlp, a.pool)
        self.image_proj = self.projection(width, a)
        self.text_proj = self.projection(a.text_dim, a)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.max_scale = a.max_logit_scale

    @staticmethod
    def projection(width, a):
        proj = nn.Linear(width, a.embed_dim, bias=a.proj_bias == "true")
        return nn.Sequential(proj, nn.LayerNorm(a.embed_dim)) if a.proj_ln == "true" else proj

    def loss(self, images, ids, mask):
        img = F.normalize(self.image_proj(self.image(images)), dim=-1)
        txt = F.normalize(self.text_proj(self.text(ids, mask)), dim=-1)
        return clip_loss(img, txt, self.log_scale.exp().clamp(max=self.max_scale))


def parser():
    ap = peerlib.recipe_args(peerargs.bench_parser("PyTorch peer of mmdna's clip-shapes", modes=("bench", "params")))
    for k, v in [("image_size", 32), ("channels", 3), ("patch", 4), ("image_dim", 64), ("image_depth", 4),
                 ("image_heads", 4), ("image_mlp", 128), ("text_dim", 64), ("text_depth", 2), ("text_heads", 4),
                 ("text_mlp", 128), ("text_len", 16), ("vocab", 61), ("embed_dim", 64)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--tower", choices=["conv", "vit"], default="conv")
    ap.add_argument("--conv", default="32,64,128,128", help="conv tower: channels of each stage")
    ap.add_argument("--pool", choices=["mean", "eos", "first"], default="mean")
    ap.add_argument("--proj_bias", choices=["true", "false"], default="false")
    ap.add_argument("--proj_ln", choices=["true", "false"], default="false")
    ap.add_argument("--max_logit_scale", type=float, default=100.0)
    return ap


def build(args):
    return CLIP(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    s, c = args.image_size, args.channels
    shape = (args.batch, c, s, s) if args.tower == "conv" else (args.batch, s, s, c)  # NCHW for convolutions.
    images = (torch.rand(*shape, generator=g) * 2 - 1).to(device)
    ids, mask = random_captions(args.batch, args.text_len, args.vocab, g)
    ids, mask = ids.to(device), mask.to(device)
    return lambda m: m.loss(images, ids, mask)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
