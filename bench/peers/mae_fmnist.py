#!/usr/bin/env python3
"""PyTorch peer of mmdna's mae-fmnist (experiments/mae_fmnist.go) at its own size:
mae.py's masked autoencoder on random 28x28x1 images, patches of 4 (49, 12 visible
at 75% masking), encoder 64 wide and 4 deep without a cls token (--pool gap, the
experiment's), decoder 32 x 2, raw-pixel targets (--norm_pix_loss false). AdamW with
the recipe's warmup + cosine schedule (peerlib.recipe_args).

  python3 bench/peers/mae_fmnist.py --mode bench --batch 128 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import torch

import peerargs
import peerlib
from mae import MAE


def parser():
    ap = peerlib.recipe_args(peerargs.mae_args(
        peerargs.bench_parser("PyTorch peer of mmdna's mae-fmnist", modes=("bench", "params"))))
    ap.set_defaults(image_size=28, channels=1, patch=4, dim=64, depth=4, heads=4, mlp=128, decoder_dim=32,
                    decoder_depth=2, decoder_heads=2, decoder_mlp_dim=64, norm_pix_loss="false")
    ap.add_argument("--pool", choices=["gap", "cls"], default="gap", help="gap: no cls token")
    return ap


def build(args):
    return MAE(args, pool=args.pool)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(args.batch, args.image_size, args.image_size, args.channels, generator=g).to(device)
    return lambda m: m.loss(images)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
