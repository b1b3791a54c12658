#!/usr/bin/env python3
"""JAX twin of vit_fmnist.py (same arguments, bench mode only): mmdna's ViT (patch
embedding, learned positions, optional cls token, pre-LN blocks, final LayerNorm, cls
or average pooling, zero-initialised head) trained with AdamW on random images.

  python3 bench/peers/vit_fmnist_jax.py --device gpu --image 224 --channels 3 --patch 16 \\
      --dim 768 --depth 12 --heads 12 --mlp 3072 --classes 1000 --pool cls --batch 128

UNTESTED here (no JAX on the development machine); see jaxpeer.py.
"""
import jax
import jax.numpy as jnp

import jaxpeer
import peerargs


def vit_init(keys, image, patch, channels, dim, depth, heads, mlp, classes, pool):
    p = {"embed": jaxpeer.dense_init(keys, patch * patch * channels, dim),
         "pos": jaxpeer.normal(keys(), (1, (image // patch) ** 2, dim)),
         "blocks": [jaxpeer.block_init(keys, dim, heads, mlp) for _ in range(depth)],
         "norm": jaxpeer.ln_init(dim)}
    if pool == "cls":
        p["cls"] = jnp.zeros((1, 1, dim), jnp.float32)
    if classes > 0:
        p["head"] = {"w": jnp.zeros((dim, classes), jnp.float32), "b": jnp.zeros((classes,), jnp.float32)}
    return p


def vit_tokens(p, x, patch):
    """images [B, H, W, C] -> patch tokens with positions [B, n, dim]."""
    return jaxpeer.dense(p["embed"], jaxpeer.patchify(x, patch)) + p["pos"]


def vit_encode(p, x, heads):
    """tokens [B, n, dim] -> encoded [B, n(+1), dim], the cls token first if any."""
    if "cls" in p:
        x = jnp.concatenate([jnp.broadcast_to(p["cls"], (x.shape[0], 1, x.shape[2])), x], axis=1)
    for bp in p["blocks"]:
        x = jaxpeer.block(bp, x, heads)
    return jaxpeer.layernorm(p["norm"], x)


def vit_apply(p, x, patch, heads):
    """images -> logits [B, classes], or pooled features [B, dim] without a head."""
    x = vit_encode(p, vit_tokens(p, x, patch), heads)
    x = x[:, 0] if "cls" in p else x.mean(axis=1)
    return jaxpeer.dense(p["head"], x) if "head" in p else x


def cross_entropy(logits, labels):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(logp, labels[:, None], axis=-1).mean()


def main():
    ap = peerargs.vit_args(peerargs.bench_parser("JAX twin of vit_fmnist.py", modes=("bench", "train")))
    args = ap.parse_args()
    if args.mode != "bench":
        raise SystemExit("vit_fmnist_jax.py: only --mode bench (the training comparison is vit_fmnist.py's)")
    device, precision = jaxpeer.setup(args)
    keys = jaxpeer.Keys(args.seed)
    params = vit_init(keys, args.image, args.patch, args.channels, args.dim, args.depth, args.heads, args.mlp,
                      args.classes, args.pool)
    x = jax.random.normal(keys(), (args.batch, args.image, args.image, args.channels), jnp.float32)
    y = jax.random.randint(keys(), (args.batch,), 0, args.classes)

    def loss_fn(params, x, y):
        return cross_entropy(vit_apply(params, x, args.patch, args.heads), y)

    jaxpeer.run_bench(args, params, loss_fn, (x, y), device, precision)


if __name__ == "__main__":
    main()
