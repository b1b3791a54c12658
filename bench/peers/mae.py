#!/usr/bin/env python3
"""PyTorch peer of mmdna's bench-mae (experiments/bench_mae.go): the masked
autoencoder at base size (ViT-B/16 encoder at 224, decoder 512 wide and 8 deep, 75%
of the patches removed, per-patch normalised targets) on random images, bench mode.

As facebookresearch/mae's models_mae.py and models/mae: embed every patch with its
learned position, keep a random 25% (argsort of uniform noise), prepend the cls
token, encode; project to the decoder width, append mask tokens, unshuffle, add the
fixed 2-D sine-cosine positions, decode, predict every patch's pixels; mean squared
error over the removed patches.

  python3 bench/peers/mae.py --device cuda --batch 128 --steps 20

Prints one JSON object on the last line (peerlib.py). JAX twin: mae_jax.py.
"""
import torch
import torch.nn as nn

import peerargs
import peerlib
from vit_fmnist import Block, ViT


class MAE(nn.Module):
    def __init__(self, a, pool="cls"):
        """pool "cls": a cls token goes through the encoder and the decoder (the paper);
        "gap": none (mmdna's mae-fmnist, whose probe averages the tokens)."""
        super().__init__()
        self.a = a
        self.patches = (a.image_size // a.patch) ** 2
        self.keep = int(self.patches * (1 - a.mask_ratio))
        self.encoder = ViT(image=a.image_size, patch=a.patch, channels=a.channels, dim=a.dim, depth=a.depth,
                           heads=a.heads, mlp=a.mlp, classes=0, pool=pool)
        self.dec_embed = nn.Linear(a.dim, a.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, a.decoder_dim))
        grid = a.image_size // a.patch
        self.register_buffer("dec_pos", torch.tensor(peerargs.sincos_2d(grid, a.decoder_dim)).unsqueeze(0))
        self.dec_blocks = nn.ModuleList([Block(a.decoder_dim, a.decoder_heads, a.decoder_mlp_dim)
                                         for _ in range(a.decoder_depth)])
        self.dec_norm = nn.LayerNorm(a.decoder_dim, eps=1e-6)
        self.pred = nn.Linear(a.decoder_dim, a.patch * a.patch * a.channels)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def loss(self, images):
        b, n, k = images.shape[0], self.patches, self.keep
        tokens = self.encoder.tokens(images)  # [B, L, dim]
        noise = torch.rand(b, n, device=images.device)
        ids_shuffle = noise.argsort(dim=1)
        ids_restore = ids_shuffle.argsort(dim=1)
        kept = torch.gather(tokens, 1, ids_shuffle[:, :k, None].expand(-1, -1, tokens.shape[-1]))
        latent = self.encoder.encode(kept)  # [B, (1+)K, dim]
        y = self.dec_embed(latent)
        skip = 1 if self.encoder.cls is not None else 0
        cls, rest = y[:, :skip], y[:, skip:]
        full = torch.cat([rest, self.mask_token.expand(b, n - k, -1)], dim=1)
        full = torch.gather(full, 1, ids_restore[:, :, None].expand(-1, -1, full.shape[-1])) + self.dec_pos
        x = torch.cat([cls, full], dim=1)
        for blk in self.dec_blocks:
            x = blk(x)
        pred = self.pred(self.dec_norm(x))[:, skip:]  # [B, L, p*p*C]
        target = peerlib.patchify(images, self.a.patch)
        if self.a.norm_pix_loss == "true":
            mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
            target = (target - mean) / (var + 1e-6).sqrt()
        mask = torch.ones(b, n, device=images.device)
        mask[:, :k] = 0
        mask = torch.gather(mask, 1, ids_restore)  # 1 where removed.
        per_patch = ((pred - target) ** 2).mean(-1)
        return (per_patch * mask).sum() / mask.sum()


def main():
    args = peerargs.mae_args(peerargs.bench_parser("PyTorch peer of mmdna's bench-mae")).parse_args()
    device, precision = peerlib.setup(args)
    model = MAE(args)
    g = torch.Generator().manual_seed(0)
    images = torch.rand(args.batch, args.image_size, args.image_size, args.channels, generator=g).to(device) * 2 - 1
    peerlib.run_bench(args, model, lambda m: m.loss(images), device, precision)


if __name__ == "__main__":
    main()
