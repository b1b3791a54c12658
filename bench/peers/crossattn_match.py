#!/usr/bin/env python3
"""PyTorch peer of mmdna's crossattn-match (experiments/crossattn.go, models/crossattn)
at its own size: the chapter's image-text matching model with its cross-attention
version v9 (the experiment's default), on random 32x32x3 images and
shapes-world-sized captions.

Encoders: vit_fmnist.py's ViT (patch 8, 64 x 2, 4 heads, MLP 2x, average pooling) and
clip.py's TextEncoder (64 x 2, 4 heads, MLP 4x, read at the [EOS] token, padding
masked); Linear projections to --proj_dim; with --tokens pooled (the chapter's) one
token per modality, with --tokens tokens every patch and word. v9, as the chapter
writes it: a shared pre-LayerNorm, to_q/to_k/to_v/to_out shared by both directions
(image->text with padded words masked, text->image), dropout on the weights and
after to_out, then a gated FFN (gelu(ff_gate) * gelu(ff_value) -> ff_out, dropouts)
behind its own LayerNorm with a residual around it. Outputs are averaged, L2
normalised and scored with a learned logit scale (init 1/0.07); symmetric
cross-entropy. AdamW with the recipe's warmup + cosine schedule, no clipping.

  python3 bench/peers/crossattn_match.py --vocab 61 --mode bench --batch 32 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from clip import TextEncoder, clip_loss, masked_mean, random_captions
from vit_fmnist import ViT


class V9(nn.Module):
    def __init__(self, dim, heads, dropout, ff_dim):
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.LayerNorm(dim)
        self.to_q, self.to_k, self.to_v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.to_out = nn.Linear(dim, dim)
        self.ff_norm = nn.LayerNorm(dim)
        self.ff_gate, self.ff_value = nn.Linear(dim, ff_dim), nn.Linear(dim, ff_dim)
        self.ff_out = nn.Linear(ff_dim, dim)
        self.dropout = nn.Dropout(dropout)

    def split(self, x):  # [B, N, D] -> [B, H, N, D/H]
        b, n, d = x.shape
        return x.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

    def attend(self, x, y, pad=None):  # queries from x, keys and values from y; pad: [B, Ny] True at padding.
        q, k, v = self.split(self.to_q(x)), self.split(self.to_k(y)), self.split(self.to_v(y))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if pad is not None:
            scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        out = self.dropout(scores.softmax(dim=-1)) @ v
        return self.dropout(self.to_out(out.transpose(1, 2).reshape(x.shape)))

    def ffn(self, x):
        h = self.ff_norm(x)
        gated = self.dropout(F.gelu(self.ff_gate(h))) * self.dropout(F.gelu(self.ff_value(h)))
        return self.dropout(self.ff_out(gated)) + x

    def forward(self, img, txt, pad=None):
        i, t = self.attn_norm(img), self.attn_norm(txt)
        return self.ffn(self.attend(i, t, pad)), self.ffn(self.attend(t, i))


class Matching(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.tokens = a.tokens
        self.image_encoder = ViT(image=a.image_size, patch=a.patch, channels=a.channels, dim=a.img_dim,
                                 depth=a.img_depth, heads=a.img_heads, mlp=2 * a.img_dim, classes=0, pool="gap")
        self.text_encoder = TextEncoder(a.vocab, a.text_len, a.txt_dim, a.txt_depth, a.txt_heads, pool="eos")
        self.image_proj, self.text_proj = nn.Linear(a.img_dim, a.proj_dim), nn.Linear(a.txt_dim, a.proj_dim)
        self.cross_attention = V9(a.proj_dim, a.attn_heads, a.attn_dropout, 4 * a.proj_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def loss(self, images, ids, mask):
        if self.tokens == "pooled":
            img = self.image_proj(self.image_encoder(images)).unsqueeze(1)  # [B, 1, proj]
            txt = self.text_proj(self.text_encoder(ids, mask)).unsqueeze(1)
            img, txt = self.cross_attention(img, txt)
            img, txt = img[:, 0], txt[:, 0]
        else:
            img = self.image_proj(self.image_encoder.encode(self.image_encoder.tokens(images)))
            txt = self.text_proj(self.text_encoder.tokens(ids, mask))
            img, txt = self.cross_attention(img, txt, mask == 0)
            img, txt = img.mean(dim=1), masked_mean(txt, mask)
        return clip_loss(F.normalize(img, dim=-1), F.normalize(txt, dim=-1), self.logit_scale.exp())


def parser():
    ap = peerlib.recipe_args(peerargs.bench_parser("PyTorch peer of mmdna's crossattn-match",
                                                   modes=("bench", "params")))
    for k, v in [("image_size", 32), ("channels", 3), ("patch", 8), ("img_dim", 64), ("img_depth", 2),
                 ("img_heads", 4), ("txt_dim", 64), ("txt_depth", 2), ("txt_heads", 4), ("text_len", 16),
                 ("vocab", 61), ("proj_dim", 256), ("attn_heads", 8)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--attn_dropout", type=float, default=0.1)
    ap.add_argument("--tokens", choices=["pooled", "tokens"], default="pooled")
    ap.set_defaults(lr=3e-4, wd=0.01, clip=0.0)
    return ap


def build(args):
    return Matching(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(args.batch, args.image_size, args.image_size, args.channels, generator=g) * 2 - 1).to(device)
    ids, mask = random_captions(args.batch, args.text_len, args.vocab, g)
    ids, mask = ids.to(device), mask.to(device)
    return lambda m: m.loss(images, ids, mask)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
