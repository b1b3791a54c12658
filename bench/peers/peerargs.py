"""Command-line arguments of mmdna's peers, shared by the PyTorch scripts (NAME.py)
and their JAX twins (NAME_jax.py) so that cmd/bench can call either with the same
arguments. No framework is imported here."""
import argparse


def bench_parser(description, modes=("bench",)):
    """The arguments every peer accepts; cmd/bench appends --mode bench --batch N
    --steps S --warmup-steps W --threads T --device D [--peak-n N]."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--mode", choices=list(modes), default="bench")
    ap.add_argument("--device", choices=["cpu", "cuda", "gpu"], default="cpu",
                    help="cpu, or the GPU (PyTorch calls it cuda, JAX gpu; both accepted)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (PyTorch)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20, help="timed steps")
    ap.add_argument("--warmup-steps", type=int, default=3, help="untimed steps after the first (compiling) one")
    ap.add_argument("--tf32", choices=["on", "off"], default="on",
                    help="TF32 tensor cores for float32 products on the GPU (go-xla's default on CUDA)")
    ap.add_argument("--peak-n", type=int, default=0, help="also time an N x N matmul (CPU peak); 0: no")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--clip", type=float, default=1.0, help="clip the global gradient norm to this (0: no clipping)")
    ap.add_argument("--seed", type=int, default=1)
    return ap


def vit_args(ap):
    """vit_fmnist.py: vit-fmnist-ref's recipe by default (the chapter's: AdamW lr 1e-4 with
    PyTorch's weight decay 0.01, batch 32, constant lr, no clipping, cls token), any ViT
    with the sizes."""
    ap.set_defaults(lr=1e-4, wd=0.01, batch=32, clip=0.0)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                    help="train: constant lr, or linear warmup + cosine to 0")
    ap.add_argument("--warmup", type=int, default=0, help="lr warmup steps of --schedule cosine (train)")
    ap.add_argument("--image", type=int, default=28, help="image side (bench: random images)")
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--pool", choices=["gap", "cls"], default="cls")
    return ap


def clip_args(ap):
    """clip.py: CLIP ViT-B/16 by default (experiments/bench_*.go, bench-clip)."""
    for k, v in [("image_size", 224), ("channels", 3), ("patch", 16), ("image_dim", 768), ("image_depth", 12),
                 ("image_heads", 12), ("image_mlp", 3072), ("text_dim", 512), ("text_depth", 12), ("text_heads", 8),
                 ("text_len", 77), ("vocab", 49408), ("embed_dim", 512)]:
        ap.add_argument("--" + k, type=int, default=v)
    return ap


def mae_args(ap):
    """mae.py: MAE base by default (bench-mae)."""
    for k, v in [("image_size", 224), ("channels", 3), ("patch", 16), ("dim", 768), ("depth", 12), ("heads", 12),
                 ("mlp", 3072), ("decoder_dim", 512), ("decoder_depth", 8), ("decoder_heads", 16),
                 ("decoder_mlp_dim", 2048)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--mask_ratio", type=float, default=0.75)
    ap.add_argument("--norm_pix_loss", choices=["true", "false"], default="true")
    return ap


def perceiver_args(ap):
    """perceiver.py: the bench-perceiver size by default."""
    for k, v in [("image_size", 64), ("channels", 3), ("classes", 1000), ("num_latents", 256), ("latent_dim", 512),
                 ("latent_heads", 8), ("cross_heads", 1), ("cross_dim_head", 64), ("mlp_dim", 2048), ("depth", 6),
                 ("repeats", 2), ("bands", 16)]:
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--share_weights", choices=["true", "false"], default="true")
    ap.add_argument("--max_freq", type=float, default=32.0)
    return ap


def fourier_features(h, w, max_freq, bands):
    """models/perceiver.FourierFeatures over an h x w grid as nested lists
    [h*w][2*(2*bands+1)]: per axis sin(pi f x), cos(pi f x) for bands f from 1 to
    max_freq/2, then x, with x in [-1, 1]."""
    import math
    freqs = [1 + (max_freq / 2 - 1) * k / (bands - 1) if bands > 1 else 1.0 for k in range(bands)]
    out = []
    for i in range(h):
        for j in range(w):
            row = []
            for idx, d in ((i, h), (j, w)):
                x = -1 + 2 * idx / (d - 1) if d > 1 else -1.0
                row += [math.sin(math.pi * f * x) for f in freqs] + [math.cos(math.pi * f * x) for f in freqs] + [x]
            out.append(row)
    return out


def sincos_2d(grid, dim):
    """A fixed 2-D sine-cosine table [grid*grid][dim] (MAE's decoder positions)."""
    import math
    quarter = dim // 4
    omega = [1.0 / 10000 ** (k / quarter) for k in range(quarter)]
    out = []
    for i in range(grid):
        for j in range(grid):
            row = []
            for pos in (j, i):
                row += [math.sin(pos * o) for o in omega] + [math.cos(pos * o) for o in omega]
            out.append(row)
    return out
