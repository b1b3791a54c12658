#!/usr/bin/env python3
"""PyTorch peer of mmdna's fusion-shapes (experiments/fusion_shapes.go, models/fusion)
at its own size: does this caption describe this image? Random 32x32x3 images and
shapes-world-sized captions, a 0/1 label per pair, binary cross-entropy.

The towers are the same for every strategy: vit_fmnist.py's ViT (patch 8, 64 x 3,
average pooling, MLP 2x) and clip.py's TextEncoder (64 x 2, MLP 2x, mean of the
real tokens, padding masked). Only where the modalities meet changes (--fusion):

  early   the pooled features concatenated, then a classifier: LayerNorm, Linear
          (--hidden), GELU, Linear; --hidden 0 is a single Linear (the chapter's).
  late    each tower predicts --concepts sigmoid scores p and q; Linear over
          [p*q, p, q].
  hybrid  --cross_depth pre-LN cross-attention blocks (text queries, image keys and
          values, --cross_heads heads, MLP 2x), the attended text averaged over its
          real tokens, concatenated with both pooled features, then the classifier.

A new strategy (gated, bilinear, ...) is one nn.Module taking (image_tokens,
image_pooled, text_tokens, text_pooled, mask) to logits, added to STRATEGIES.

  python3 bench/peers/fusion_shapes.py --fusion hybrid --vocab 61 --mode bench --batch 64 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from clip import TextEncoder, masked_mean, random_captions
from vit_fmnist import ViT


def classifier(width, hidden, outputs=1):
    if hidden == 0:
        return nn.Linear(width, outputs)
    return nn.Sequential(nn.LayerNorm(width, eps=1e-6), nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, outputs))


class Early(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.classifier = classifier(a.img_dim + a.txt_dim, a.hidden)

    def forward(self, img_tokens, img, txt_tokens, txt, mask):
        return self.classifier(torch.cat([img, txt], dim=-1))


class Late(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.image_concepts = nn.Linear(a.img_dim, a.concepts)
        self.text_concepts = nn.Linear(a.txt_dim, a.concepts)
        self.combine = nn.Linear(3 * a.concepts, 1)

    def forward(self, img_tokens, img, txt_tokens, txt, mask):
        p, q = torch.sigmoid(self.image_concepts(img)), torch.sigmoid(self.text_concepts(txt))
        return self.combine(torch.cat([p * q, p, q], dim=-1))


class CrossBlock(nn.Module):
    """x = q + MHA(LN(q), LN(ctx)); x = x + MLP(LN(x))."""

    def __init__(self, dim, ctx_dim, heads, mlp):
        super().__init__()
        self.norm, self.norm_context, self.norm_ff = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(ctx_dim, eps=1e-6), \
            nn.LayerNorm(dim, eps=1e-6)
        self.attn = nn.MultiheadAttention(dim, heads, kdim=ctx_dim, vdim=ctx_dim, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x, ctx):
        c = self.norm_context(ctx)
        x = x + self.attn(self.norm(x), c, c, need_weights=False)[0]
        return x + self.ff(self.norm_ff(x))


class Hybrid(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.cross = nn.ModuleList([CrossBlock(a.txt_dim, a.img_dim, a.cross_heads, 2 * a.txt_dim)
                                    for _ in range(a.cross_depth)])
        self.classifier = classifier(2 * a.txt_dim + a.img_dim, a.hidden)

    def forward(self, img_tokens, img, txt_tokens, txt, mask):
        t = txt_tokens
        for blk in self.cross:
            t = blk(t, img_tokens)
        return self.classifier(torch.cat([masked_mean(t, mask), img, txt], dim=-1))


class Gated(nn.Module):
    """Gated multimodal unit (Arevalo et al. 2017): h = z*tanh(Wv v) + (1-z)*tanh(Wt t), z = sigmoid(Wz [v; t])."""

    def __init__(self, a):
        super().__init__()
        self.image, self.text = nn.Linear(a.img_dim, a.gate_dim), nn.Linear(a.txt_dim, a.gate_dim)
        self.gate = nn.Linear(a.img_dim + a.txt_dim, a.gate_dim)
        self.classifier = classifier(a.gate_dim, a.hidden)

    def forward(self, img_tokens, img, txt_tokens, txt, mask):
        z = torch.sigmoid(self.gate(torch.cat([img, txt], dim=-1)))
        return self.classifier(z * torch.tanh(self.image(img)) + (1 - z) * torch.tanh(self.text(txt)))


class Bilinear(nn.Module):
    """MLB low-rank bilinear pooling (Kim et al. 2017): tanh(U v) * tanh(V t), then the classifier."""

    def __init__(self, a):
        super().__init__()
        self.image, self.text = nn.Linear(a.img_dim, a.rank), nn.Linear(a.txt_dim, a.rank)
        self.classifier = classifier(a.rank, a.hidden)

    def forward(self, img_tokens, img, txt_tokens, txt, mask):
        return self.classifier(torch.tanh(self.image(img)) * torch.tanh(self.text(txt)))


# The fusion strategies by name, as models/fusion's Kinds.
STRATEGIES = {"early": Early, "late": Late, "hybrid": Hybrid, "gated": Gated, "bilinear": Bilinear}


class Fusion(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.image = ViT(image=a.image_size, patch=a.patch, channels=a.channels, dim=a.img_dim, depth=a.img_depth,
                         heads=max(1, a.img_dim // 16), mlp=2 * a.img_dim, classes=0, pool="gap")
        self.text = TextEncoder(a.vocab, a.text_len, a.txt_dim, a.txt_depth, max(1, a.txt_dim // 16), 2 * a.txt_dim,
                                pool="mean")
        self.fusion = STRATEGIES[a.fusion](a)

    def forward(self, images, ids, mask):  # -> logits [B, 1]
        img_tokens = self.image.encode(self.image.tokens(images))
        txt_tokens = self.text.tokens(ids, mask)
        return self.fusion(img_tokens, img_tokens.mean(dim=1), txt_tokens, masked_mean(txt_tokens, mask), mask)


def parser():
    ap = peerlib.recipe_args(peerargs.bench_parser("PyTorch peer of mmdna's fusion-shapes", modes=("bench", "params")))
    ap.add_argument("--fusion", choices=sorted(STRATEGIES), default="hybrid")
    for k, v in [("image_size", 32), ("channels", 3), ("patch", 8), ("img_dim", 64), ("img_depth", 3),
                 ("txt_dim", 64), ("txt_depth", 2), ("text_len", 16), ("vocab", 61), ("hidden", 128),
                 ("concepts", 64), ("cross_depth", 1), ("cross_heads", 4), ("gate_dim", 128), ("rank", 128)]:
        ap.add_argument("--" + k, type=int, default=v)
    return ap


def build(args):
    return Fusion(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(args.batch, args.image_size, args.image_size, args.channels, generator=g) * 2 - 1).to(device)
    ids, mask = random_captions(args.batch, args.text_len, args.vocab, g)
    ids, mask = ids.to(device), mask.to(device)
    labels = torch.randint(0, 2, (args.batch, 1), generator=g).float().to(device)
    return lambda m: F.binary_cross_entropy_with_logits(m(images, ids, mask), labels)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
