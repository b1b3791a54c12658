#!/usr/bin/env python3
"""PyTorch peer of mmdna's vilt-shapes (experiments/vilt_shapes.go, task_vilt.go,
models/vilt) at its own size: ViLT's single-stream transformer over a question's or
caption's words and an image's patches, with its three heads computed in one step as
mmdna's single graph does, on a random batch of 64x64x3 images and shapes-world-sized
texts.

Text tokens: word + position + type 0 embeddings, then a LayerNorm (BERT's, eps 1e-12).
Image tokens (HybridEmbed, vit.Embed with vit.Config.Stem): the --stem stages
(clip_shapes.ConvTower's: 2x2 convolutions of stride 2, GELU, LayerNorm over the
channels), a patch embedding of patch / 2^stages (a strided convolution), learned
positions; a class token in front (no position), type 1 on all. Encoder:
nn.TransformerEncoder of pre-LN layers (norm_first, exact GELU, eps 1e-6, --mlp_dim)
with a final LayerNorm; padded words are masked as keys, image tokens never. Pooler:
tanh(Linear) on the first token. Heads: ITM Linear(2); MLM Linear, GELU, LayerNorm,
then the word embeddings transposed (tied) plus a bias; VQA Linear(2*dim),
LayerNorm(eps 1e-5), GELU, Linear(--answers).

Loss, as mmdna's single graph: ITM + VQA + --mlm_weight * MLM, each the mean
cross-entropy over the labels that are not -1 (0 when all are, vilt.MaskedCrossEntropy).
mmdna's batches label either ITM and MLM (pre-training) or VQA (fine-tuning); the
random batch labels all three, which computes the same step. AdamW with the recipe's
warmup + cosine schedule and clipping (peerlib.recipe_args). --dropout (0 in the
experiment) applies where mmdna's does: on the embeddings, after attention and in the
MLPs, not on attention probabilities.

  python3 bench/peers/vilt_shapes.py --mode bench --batch 32 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import peerargs
import peerlib
from clip import random_captions
from clip_shapes import ConvTower


def stem_widths(spec):
    """"32,64,128" -> [32, 64, 128]; "" -> [] (a linear patch embedding)."""
    return [int(c) for c in spec.split(",") if c.strip()]


class HybridEmbed(nn.Module):
    """images [B, C, H, W] -> patch tokens with positions [B, (H/patch)^2, dim]: the
    optional convolutional stem, then patches of patch / 2^len(stem) of its feature map."""

    def __init__(self, image, channels, patch, stem, dim):
        super().__init__()
        self.stem = ConvTower(channels, stem) if stem else None
        inner = patch >> len(stem)
        self.proj = nn.Conv2d(stem[-1] if stem else channels, dim, kernel_size=inner, stride=inner)
        self.pos = nn.Parameter(torch.zeros(1, (image // patch) ** 2, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)

    def forward(self, images):
        x = images if self.stem is None else self.stem.features(images)
        return self.proj(x).flatten(2).transpose(1, 2) + self.pos


class ViLT(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.word = nn.Embedding(a.vocab, a.dim)
        self.text_pos = nn.Embedding(a.max_len, a.dim)
        self.types = nn.Embedding(2, a.dim)
        for t in (self.word.weight, self.text_pos.weight, self.types.weight):  # as clip.TextEncoder (tied MLM).
            nn.init.trunc_normal_(t, std=0.02)
        self.text_ln = nn.LayerNorm(a.dim, eps=1e-12)
        self.image = HybridEmbed(a.image_size, a.channels, a.patch, stem_widths(a.stem), a.dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, a.dim))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.dropout = nn.Dropout(a.dropout)
        layer = nn.TransformerEncoderLayer(a.dim, a.heads, a.mlp_dim, a.dropout, activation="gelu",
                                           layer_norm_eps=1e-6, batch_first=True, norm_first=True)
        layer.self_attn.dropout = 0.0  # torch's layer would drop attention probabilities too; mmdna's does not.
        self.encoder = nn.TransformerEncoder(layer, a.depth, norm=nn.LayerNorm(a.dim, eps=1e-6),
                                             enable_nested_tensor=False)
        self.pooler = nn.Linear(a.dim, a.dim)
        self.itm = nn.Linear(a.dim, 2)
        self.mlm = nn.Sequential(nn.Linear(a.dim, a.dim), nn.GELU(), nn.LayerNorm(a.dim, eps=1e-6))
        self.mlm_bias = nn.Parameter(torch.zeros(a.vocab))
        self.vqa = nn.Sequential(nn.Linear(a.dim, 2 * a.dim), nn.LayerNorm(2 * a.dim, eps=1e-5), nn.GELU(),
                                 nn.Linear(2 * a.dim, a.answers))
        # The image-only bag-of-words head on the patch embeddings (--words_loss > 0).
        self.words = (nn.Sequential(nn.Linear(a.dim, a.dim), nn.GELU(), nn.Linear(a.dim, a.vocab))
                      if a.words_loss > 0 else None)
        # The relations that hold between a relation question's two objects, off the
        # pooled token (--relation_loss > 0).
        self.relation = nn.Linear(a.dim, 4) if a.relation_loss > 0 else None
        # The grid cell of the object each noun names, off the text tokens (--ground_loss > 0).
        self.ground = nn.Linear(a.dim, 9) if a.ground_loss > 0 else None

    def forward(self, images, ids, mask):
        """-> ITM [B, 2], MLM [B, L, vocab], VQA [B, answers]; words [B, vocab], ground [B, L, 9], relation [B, 4] or None."""
        length = ids.shape[1]
        text = self.text_ln(self.word(ids) + self.text_pos.weight[:length] + self.types.weight[0])
        patches = self.image(images)
        words = None if self.words is None else self.words(patches).amax(dim=1)
        img = torch.cat([self.cls.expand(patches.shape[0], -1, -1), patches], dim=1) + self.types.weight[1]
        pad = torch.cat([mask == 0, torch.zeros(img.shape[:2], dtype=torch.bool, device=img.device)], dim=1)
        x = self.encoder(self.dropout(torch.cat([text, img], dim=1)), src_key_padding_mask=pad)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        mlm = F.linear(self.mlm(x[:, :length]), self.word.weight, self.mlm_bias)
        relation = None if self.relation is None else self.relation(pooled)
        ground = None if self.ground is None else self.ground(x[:, :length])
        return self.itm(pooled), mlm, self.vqa(pooled), words, ground, relation


def masked_ce(logits, labels):
    """Mean cross-entropy over the labels that are not -1; 0 when every label is -1."""
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-1,
                            reduction="sum")
    return total / (labels >= 0).sum().clamp(min=1)


def parser():
    ap = peerlib.recipe_args(peerargs.bench_parser("PyTorch peer of mmdna's vilt-shapes", modes=("bench", "params")))
    for k, v in [("image_size", 64), ("channels", 3), ("patch", 16), ("dim", 128), ("depth", 4), ("heads", 4),
                 ("mlp_dim", 256), ("vocab", 76), ("max_len", 16), ("answers", 32)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--stem", default="32,64,128", help="convolutional stem widths; empty: a linear patch embedding")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--mlm_weight", type=float, default=1.0)
    ap.add_argument("--mask_prob", type=float, default=0.15, help="share of the real words with an MLM label")
    ap.add_argument("--words_loss", type=float, default=0.0, help="weight of the bag-of-words loss on the patches; 0: no head")
    ap.add_argument("--ground_loss", type=float, default=0.0, help="weight of the noun grounding loss on the text tokens; 0: no head")
    ap.add_argument("--relation_loss", type=float, default=0.0, help="weight of the relation loss on the pooled token; 0: no head")
    return ap


def build(args):
    return ViLT(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    b, s = args.batch, args.image_size
    images = (torch.rand(b, args.channels, s, s, generator=g) * 2 - 1).to(device)  # NCHW for the convolutions.
    ids, mask = random_captions(b, args.max_len, args.vocab, g)
    masked = (torch.rand(ids.shape, generator=g) < args.mask_prob) & (mask == 1)
    mlm = torch.where(masked, ids, torch.full_like(ids, -1)).to(device)
    itm = torch.randint(0, 2, (b,), generator=g).to(device)
    answers = torch.randint(0, args.answers, (b,), generator=g).to(device)
    bag = (torch.rand(b, args.vocab, generator=g) < 0.05).float().to(device)
    # A fifth of the rows are relation questions, as in the shapes world's questions.
    rel_rows = (torch.rand(b, generator=g) < 0.2).to(device)
    holding = (torch.rand(b, 4, generator=g) < 0.4).float().to(device)
    # About two nouns per question name an object; their cells are the grounding labels.
    nouns = (torch.rand(ids.shape, generator=g) < 2 / args.max_len) & (mask == 1)
    cells = torch.where(nouns, torch.randint(0, 9, ids.shape, generator=g), torch.full_like(ids, -1)).to(device)
    ids, mask = ids.to(device), mask.to(device)

    def loss(m):
        itm_logits, mlm_logits, vqa_logits, words, ground, relation = m(images, ids, mask)
        total = (masked_ce(itm_logits, itm) + masked_ce(vqa_logits, answers)
                 + args.mlm_weight * masked_ce(mlm_logits, mlm))
        if words is not None:
            bce = F.binary_cross_entropy_with_logits(words, bag, reduction="none").sum(-1).mean()
            total = total + args.words_loss * bce
        if ground is not None:
            total = total + args.ground_loss * masked_ce(ground, cells)
        if relation is not None:
            bce = F.binary_cross_entropy_with_logits(relation[rel_rows], holding[rel_rows], reduction="none")
            total = total + args.relation_loss * bce.sum(-1).mean()
        return total
    return loss


if __name__ == "__main__":
    peerlib.main(parser, build, data)
