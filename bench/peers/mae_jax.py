#!/usr/bin/env python3
"""JAX twin of mae.py (same arguments): the masked autoencoder at base size on
random images, bench mode; the masking noise comes from a fixed key (which patches
are kept does not change the cost).
UNTESTED here (no JAX on the development machine)."""
import jax
import jax.numpy as jnp

import jaxpeer
import peerargs
from vit_fmnist_jax import vit_encode, vit_init, vit_tokens


def init(keys, a):
    return {
        "encoder": vit_init(keys, a.image_size, a.patch, a.channels, a.dim, a.depth, a.heads, a.mlp, 0, "cls"),
        "dec_embed": jaxpeer.dense_init(keys, a.dim, a.decoder_dim),
        "mask_token": jaxpeer.normal(keys(), (1, 1, a.decoder_dim)),
        "dec_blocks": [jaxpeer.block_init(keys, a.decoder_dim, a.decoder_heads, a.decoder_mlp_dim)
                       for _ in range(a.decoder_depth)],
        "dec_norm": jaxpeer.ln_init(a.decoder_dim),
        "pred": jaxpeer.dense_init(keys, a.decoder_dim, a.patch * a.patch * a.channels),
    }


def main():
    args = peerargs.mae_args(peerargs.bench_parser("JAX twin of mae.py")).parse_args()
    device, precision = jaxpeer.setup(args)
    keys = jaxpeer.Keys(args.seed)
    params = init(keys, args)
    grid = args.image_size // args.patch
    n = grid * grid
    k = int(n * (1 - args.mask_ratio))
    dec_pos = jnp.asarray(peerargs.sincos_2d(grid, args.decoder_dim), jnp.float32)[None]
    images = jax.random.uniform(keys(), (args.batch, args.image_size, args.image_size, args.channels), jnp.float32,
                                -1.0, 1.0)

    def loss_fn(p, images, key):
        b = images.shape[0]
        tokens = vit_tokens(p["encoder"], images, args.patch)  # [B, L, dim]
        ids_shuffle = jnp.argsort(jax.random.uniform(key, (b, n)), axis=1)
        ids_restore = jnp.argsort(ids_shuffle, axis=1)
        d = tokens.shape[2]
        kept = jnp.take_along_axis(tokens, jnp.broadcast_to(ids_shuffle[:, :k, None], (b, k, d)), axis=1)
        latent = vit_encode(p["encoder"], kept, args.heads)  # [B, 1+K, dim]
        y = jaxpeer.dense(p["dec_embed"], latent)
        cls, rest = y[:, :1], y[:, 1:]
        full = jnp.concatenate([rest, jnp.broadcast_to(p["mask_token"], (b, n - k, y.shape[2]))], axis=1)
        full = jnp.take_along_axis(full, jnp.broadcast_to(ids_restore[:, :, None], full.shape), axis=1) + dec_pos
        x = jnp.concatenate([cls, full], axis=1)
        for bp in p["dec_blocks"]:
            x = jaxpeer.block(bp, x, args.decoder_heads)
        pred = jaxpeer.dense(p["pred"], jaxpeer.layernorm(p["dec_norm"], x))[:, 1:]
        target = jaxpeer.patchify(images, args.patch)
        if args.norm_pix_loss == "true":
            mean = target.mean(-1, keepdims=True)
            var = target.var(-1, keepdims=True, ddof=1)
            target = (target - mean) / jnp.sqrt(var + 1e-6)
        removed = jnp.take_along_axis(jnp.concatenate([jnp.zeros((b, k)), jnp.ones((b, n - k))], axis=1),
                                      ids_restore, axis=1)
        per_patch = ((pred - target) ** 2).mean(-1)
        return (per_patch * removed).sum() / removed.sum()

    jaxpeer.run_bench(args, params, loss_fn, (images, keys()), device, precision)


if __name__ == "__main__":
    main()
