#!/usr/bin/env python3
"""JAX twin of perceiver.py (same arguments): the Perceiver classifier on random
images with Fourier features, bench mode. UNTESTED here (no JAX on the development
machine)."""
import jax
import jax.numpy as jnp

import jaxpeer
import peerargs
from vit_fmnist_jax import cross_entropy


def layer_init(keys, a, ctx_dim):
    d = a.latent_dim
    return {"norm": jaxpeer.ln_init(d), "norm_ctx": jaxpeer.ln_init(ctx_dim), "norm_ff": jaxpeer.ln_init(d),
            "attn": jaxpeer.mha_init(keys, d, ctx_dim, a.cross_heads, a.cross_dim_head, d),
            "ff1": jaxpeer.dense_init(keys, d, a.mlp_dim), "ff2": jaxpeer.dense_init(keys, a.mlp_dim, d),
            "blocks": [jaxpeer.block_init(keys, d, a.latent_heads, a.mlp_dim) for _ in range(a.depth)]}


def layer(p, lat, ctx, a):
    lat = lat + jaxpeer.mha(p["attn"], jaxpeer.layernorm(p["norm"], lat), jaxpeer.layernorm(p["norm_ctx"], ctx),
                            a.cross_heads)
    lat = lat + jaxpeer.dense(p["ff2"], jaxpeer.gelu(jaxpeer.dense(p["ff1"], jaxpeer.layernorm(p["norm_ff"], lat))))
    for bp in p["blocks"]:
        lat = jaxpeer.block(bp, lat, a.latent_heads)
    return lat


def main():
    args = peerargs.perceiver_args(peerargs.bench_parser("JAX twin of perceiver.py")).parse_args()
    device, precision = jaxpeer.setup(args)
    keys = jaxpeer.Keys(args.seed)
    s = args.image_size
    pos = jnp.asarray(peerargs.fourier_features(s, s, args.max_freq, args.bands), jnp.float32)[None]
    ctx_dim = args.channels + pos.shape[2]
    unique = min(args.repeats, 2) if args.share_weights == "true" else args.repeats
    order = [min(r, unique - 1) for r in range(args.repeats)]
    params = {"latents": jaxpeer.normal(keys(), (args.num_latents, args.latent_dim)),
              "layers": [layer_init(keys, args, ctx_dim) for _ in range(unique)],
              "head_norm": jaxpeer.ln_init(args.latent_dim),
              "head": jaxpeer.dense_init(keys, args.latent_dim, args.classes)}
    images = jax.random.uniform(keys(), (args.batch, s, s, args.channels), jnp.float32, -1.0, 1.0)
    labels = jax.random.randint(keys(), (args.batch,), 0, args.classes)

    def loss_fn(p, images, labels):
        b = images.shape[0]
        ctx = jnp.concatenate([images.reshape(b, s * s, args.channels), jnp.broadcast_to(pos, (b,) + pos.shape[1:])],
                              axis=-1)
        lat = jnp.broadcast_to(p["latents"][None], (b,) + p["latents"].shape)
        for r in order:
            lat = layer(p["layers"][r], lat, ctx, args)
        logits = jaxpeer.dense(p["head"], jaxpeer.layernorm(p["head_norm"], lat.mean(axis=1)))
        return cross_entropy(logits, labels)

    jaxpeer.run_bench(args, params, loss_fn, (images, labels), device, precision)


if __name__ == "__main__":
    main()
