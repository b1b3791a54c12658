#!/usr/bin/env python3
"""PyTorch peer of mmdna's caption-shapes (experiments/caption_shapes.go,
task_caption.go, models/caption) at its own size: a hybrid ViT encoder and a
transformer decoder with cross-attention to the image tokens, trained with teacher
forcing on a random batch of 64x64x3 images and shapes-world-sized captions.

Encoder: vilt_shapes.HybridEmbed (the --stem stages, a patch embedding of
patch / 2^stages, learned positions; no class token), vit_fmnist.py's pre-LN blocks
(--enc_* sizes) and a final LayerNorm; the image tokens are all of its outputs.
Decoder (models/caption decodeFull): word + learned position embeddings, dropout;
per block a pre-LN causal self-attention (dropout after it), a pre-LN cross-attention
(LayerNorms on the words and on the image tokens, dropout after it) and a pre-LN
MLP (exact GELU, dropout after the GELU and after the second Linear); a final
LayerNorm; logits through the word embeddings transposed (tied) plus a bias. Dropout
(--dropout) is the decoder's only; no dropout on attention probabilities.

Loss: the cross-entropy of the logits at positions 0..L-2 against the ids at 1..L-1,
[PAD] targets ignored (--label_smoothing as PyTorch's), plus --words_loss times the
auxiliary bag-of-words loss (caption.WordsLoss): a Linear on the mean image token
predicts which words the caption holds, sigmoid cross-entropy summed over the words
but [PAD], [BOS] and [EOS], averaged over the batch. AdamW with the recipe's warmup +
cosine schedule and clipping (peerlib.recipe_args). mmdna splits the batch into
branches of one graph (the `branches` parameter); the function is the same.

  python3 bench/peers/caption_shapes.py --mode bench --batch 16 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from clip import random_captions
from vilt_shapes import HybridEmbed, stem_widths
from vit_fmnist import Block

PAD, BOS, EOS = 0, 1, 2  # datasets/text's special ids.


class DecoderBlock(nn.Module):
    def __init__(self, dim, ctx_dim, heads, mlp, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm, self.norm_context = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(ctx_dim, eps=1e-6)
        self.cross_attn = nn.MultiheadAttention(dim, heads, kdim=ctx_dim, vdim=ctx_dim, batch_first=True)
        self.norm_ff = nn.LayerNorm(dim, eps=1e-6)
        self.ff = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp, dim),
                                nn.Dropout(dropout))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, ctx, causal):  # causal: [L, L] bool, True where a position may not look.
        h = self.ln_1(x)
        x = x + self.dropout(self.self_attn(h, h, h, attn_mask=causal, need_weights=False)[0])
        c = self.norm_context(ctx)
        x = x + self.dropout(self.cross_attn(self.norm(x), c, c, need_weights=False)[0])
        return x + self.ff(self.norm_ff(x))


class Captioner(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed = HybridEmbed(a.image_size, a.channels, a.patch, stem_widths(a.stem), a.enc_dim)
        self.enc_blocks = nn.ModuleList([Block(a.enc_dim, a.enc_heads, a.enc_mlp) for _ in range(a.enc_depth)])
        self.enc_norm = nn.LayerNorm(a.enc_dim, eps=1e-6)
        self.word = nn.Embedding(a.vocab, a.dim)
        self.pos = nn.Parameter(torch.zeros(1, a.max_len, a.dim))
        for t in (self.word.weight, self.pos):  # N(0, 1), nn.Embedding's default, would swamp the tied logits.
            nn.init.trunc_normal_(t, std=0.02)
        self.dropout = nn.Dropout(a.dropout)
        self.blocks = nn.ModuleList([DecoderBlock(a.dim, a.enc_dim, a.heads, a.mlp, a.dropout)
                                     for _ in range(a.depth)])
        self.norm = nn.LayerNorm(a.dim, eps=1e-6)
        self.out_bias = nn.Parameter(torch.zeros(a.vocab))
        self.words = nn.Linear(a.enc_dim, a.vocab) if a.words_loss > 0 else None  # mmdna builds it only if used.
        self.words_weight, self.smoothing = a.words_loss, a.label_smoothing
        keep = torch.ones(a.vocab)
        keep[[PAD, BOS, EOS]] = 0
        self.register_buffer("words_keep", keep, persistent=False)

    def encode(self, images):  # [B, C, H, W] -> image tokens [B, n, enc_dim]
        x = self.embed(images)
        for blk in self.enc_blocks:
            x = blk(x)
        return self.enc_norm(x)

    def loss(self, images, ids):
        enc = self.encode(images)
        length, vocab = ids.shape[1], self.out_bias.shape[0]
        x = self.dropout(self.word(ids) + self.pos[:, :length])
        causal = torch.triu(torch.ones(length, length, dtype=torch.bool, device=ids.device), diagonal=1)
        for blk in self.blocks:
            x = blk(x, enc, causal)
        logits = F.linear(self.norm(x), self.word.weight, self.out_bias)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1), ignore_index=PAD,
                               label_smoothing=self.smoothing)
        if self.words is None:
            return loss
        words = self.words(enc.mean(dim=1))  # [B, vocab]
        target = torch.zeros_like(words).scatter_(1, ids, 1.0)
        bce = F.binary_cross_entropy_with_logits(words, target, reduction="none")
        return loss + self.words_weight * (bce * self.words_keep).sum(dim=-1).mean()


def captions(batch, length, vocab, generator):
    """[BOS] random words [EOS] [PAD]..., lengths from length/2 to length."""
    ids, mask = random_captions(batch, length, vocab - 3, generator)
    ids = (ids + 3) * mask
    ids[:, 0] = BOS
    ids[torch.arange(batch), mask.sum(dim=1) - 1] = EOS
    return ids


def parser():
    ap = peerlib.recipe_args(peerargs.bench_parser("PyTorch peer of mmdna's caption-shapes",
                                                   modes=("bench", "params")))
    for k, v in [("image_size", 64), ("channels", 3), ("patch", 8), ("enc_dim", 64), ("enc_depth", 4),
                 ("enc_heads", 4), ("enc_mlp", 256), ("dim", 128), ("depth", 2), ("heads", 4), ("mlp", 512),
                 ("vocab", 61), ("max_len", 26)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--stem", default="32,64,128", help="encoder: convolutional stem widths; empty: none")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--label_smoothing", type=float, default=0.0)
    ap.add_argument("--words_loss", type=float, default=0.1, help="weight of the bag-of-words loss (0: no head)")
    ap.set_defaults(lr=1.5e-3, wd=0.05)
    return ap


def build(args):
    return Captioner(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    b, s = args.batch, args.image_size
    images = (torch.rand(b, args.channels, s, s, generator=g) * 2 - 1).to(device)  # NCHW for the convolutions.
    ids = captions(b, args.max_len, args.vocab, g).to(device)
    return lambda m: m.loss(images, ids)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
