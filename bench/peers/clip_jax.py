#!/usr/bin/env python3
"""JAX twin of clip.py (same arguments): CLIP ViT-B/16 dual encoder on random
image-text pairs, bench mode. UNTESTED here (no JAX on the development machine)."""
import math

import jax
import jax.numpy as jnp

import jaxpeer
import peerargs
from vit_fmnist_jax import cross_entropy, vit_apply, vit_init


def init(keys, a):
    return {
        "image": vit_init(keys, a.image_size, a.patch, a.channels, a.image_dim, a.image_depth, a.image_heads,
                          a.image_mlp, 0, "cls"),
        "text": {"tok": jaxpeer.normal(keys(), (a.vocab, a.text_dim)),
                 "pos": jaxpeer.normal(keys(), (1, a.text_len, a.text_dim)),
                 "blocks": [jaxpeer.block_init(keys, a.text_dim, a.text_heads, 4 * a.text_dim)
                            for _ in range(a.text_depth)],
                 "norm": jaxpeer.ln_init(a.text_dim)},
        "image_proj": jaxpeer.dense_init(keys, a.image_dim, a.embed_dim, bias=False),
        "text_proj": jaxpeer.dense_init(keys, a.text_dim, a.embed_dim, bias=False),
        "log_scale": jnp.asarray(math.log(1 / 0.07), jnp.float32),
    }


def encode_text(p, ids, heads):
    """ids [B, L] -> [B, dim] at the last ([EOS]) token."""
    x = p["tok"][ids] + p["pos"][:, :ids.shape[1]]
    for bp in p["blocks"]:
        x = jaxpeer.block(bp, x, heads)
    return jaxpeer.layernorm(p["norm"], x)[:, -1]


def normalize(x):
    return x / jnp.sqrt(jnp.sum(x * x, axis=-1, keepdims=True) + 1e-12)


def main():
    args = peerargs.clip_args(peerargs.bench_parser("JAX twin of clip.py")).parse_args()
    device, precision = jaxpeer.setup(args)
    keys = jaxpeer.Keys(args.seed)
    params = init(keys, args)
    images = jax.random.uniform(keys(), (args.batch, args.image_size, args.image_size, args.channels), jnp.float32,
                                -1.0, 1.0)
    ids = jax.random.randint(keys(), (args.batch, args.text_len), 0, args.vocab)

    def loss_fn(p, images, ids):
        img = normalize(jaxpeer.dense(p["image_proj"], vit_apply(p["image"], images, args.patch, args.image_heads)))
        txt = normalize(jaxpeer.dense(p["text_proj"], encode_text(p["text"], ids, args.text_heads)))
        logits = jnp.minimum(jnp.exp(p["log_scale"]), 100.0) * img @ txt.T
        target = jnp.arange(images.shape[0])
        return (cross_entropy(logits, target) + cross_entropy(logits.T, target)) / 2

    jaxpeer.run_bench(args, params, loss_fn, (images, ids), device, precision)


if __name__ == "__main__":
    main()
