#!/usr/bin/env python3
"""PyTorch peer of mmdna's perceiver-fmnist (experiments/perceiver_fmnist.go) at its
own size: perceiver.py's classifier on random 28x28x1 images, each of the 784 pixels
with 6 Fourier bands per axis up to 14 cycles (27 input channels); 32 latents of 64,
one cross-attention of one 32-wide head, then 3 latent blocks of 4 heads, MLPs of
128, no repeat; 10 classes. AdamW with the recipe's warmup + cosine schedule
(peerlib.recipe_args). mmdna's step splits the batch into branches (same function);
the peer runs it whole.

  python3 bench/peers/perceiver_fmnist.py --mode bench --batch 128 --steps 5

Prints one JSON object on the last line (peerlib.py); --mode params prints the
parameter count.
"""
import torch
import torch.nn.functional as F

import peerargs
import peerlib
from perceiver import Perceiver


def parser():
    ap = peerlib.recipe_args(peerargs.perceiver_args(
        peerargs.bench_parser("PyTorch peer of mmdna's perceiver-fmnist", modes=("bench", "params"))))
    ap.set_defaults(image_size=28, channels=1, classes=10, num_latents=32, latent_dim=64, latent_heads=4,
                    cross_heads=1, cross_dim_head=32, mlp_dim=128, depth=3, repeats=1, bands=6, max_freq=14.0)
    return ap


def build(args):
    return Perceiver(args)


def data(args, device):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(args.batch, args.image_size, args.image_size, args.channels, generator=g).to(device)
    labels = torch.randint(0, args.classes, (args.batch,), generator=g).to(device)
    return lambda m: F.cross_entropy(m(images), labels)


if __name__ == "__main__":
    peerlib.main(parser, build, data)
