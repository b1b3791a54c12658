"""Shared parts of mmdna's JAX peers (NAME_jax.py, the twins of the PyTorch NAME.py
with the same arguments): device and precision setup, parameters as nested dicts,
the layers (dense, LayerNorm, exact GELU, multi-head attention, pre-LN transformer
block), AdamW with global-norm clipping written by hand (optax may be missing), the
jitted training step and the timing loop with its JSON result (the fields of
peerlib.py, with "peer": "jax").

Only jax and jax.numpy's stable API: jax.jit, jax.value_and_grad, jax.tree_util,
jax.random, jax.nn. UNTESTED on the machine this was written on (it has no JAX); it
targets the JAX 0.11 of the GPU machines.
"""
import json
import math
import platform
import time

import jax
import jax.numpy as jnp

from peerargs import bench_parser  # noqa: F401 (re-exported for the scripts)


def setup(args):
    """Platform and matmul precision; returns the device kind ("cpu"/"gpu") and the
    precision name. Must run before any computation."""
    if args.device == "cpu":
        jax.config.update("jax_platforms", "cpu")
    gpu = args.device in ("cuda", "gpu")
    precision = "tf32" if gpu and args.tf32 == "on" else "fp32"
    jax.config.update("jax_default_matmul_precision", "tensorfloat32" if precision == "tf32" else "float32")
    backend = jax.default_backend()
    if gpu and backend not in ("gpu", "cuda"):
        raise SystemExit("peer: --device %s but jax %s runs on %s" % (args.device, jax.__version__, backend))
    return ("gpu" if gpu else "cpu"), precision


class Keys:
    """A stream of PRNG keys."""

    def __init__(self, seed):
        self.key = jax.random.PRNGKey(seed)  # legacy uint32 keys: every JAX version has them.

    def __call__(self):
        self.key, k = jax.random.split(self.key)
        return k


def normal(key, shape, std=0.02):
    return jax.random.truncated_normal(key, -2.0, 2.0, shape, jnp.float32) * std


def dense_init(keys, n_in, n_out, bias=True, std=0.02):
    p = {"w": normal(keys(), (n_in, n_out), std)}
    if bias:
        p["b"] = jnp.zeros((n_out,), jnp.float32)
    return p


def dense(p, x):
    y = x @ p["w"]
    return y + p["b"] if "b" in p else y


def ln_init(dim):
    return {"g": jnp.ones((dim,), jnp.float32), "b": jnp.zeros((dim,), jnp.float32)}


def layernorm(p, x, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * p["g"] + p["b"]


def gelu(x):
    return jax.nn.gelu(x, approximate=False)


def attention_core(q, k, v):
    """q: [B, Lq, H, D], k, v: [B, Lk, H, D] -> [B, Lq, H, D], scaled by 1/sqrt(D)."""
    if hasattr(jax.nn, "dot_product_attention"):
        return jax.nn.dot_product_attention(q, k, v)
    s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(q.shape[-1])
    return jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(s, axis=-1), v)


def mha_init(keys, q_dim, ctx_dim, heads, dim_head, out_dim):
    inner = heads * dim_head
    return {"q": dense_init(keys, q_dim, inner), "k": dense_init(keys, ctx_dim, inner),
            "v": dense_init(keys, ctx_dim, inner), "o": dense_init(keys, inner, out_dim)}


def mha(p, x, ctx, heads):
    """x: [B, Lq, q_dim], ctx: [B, Lk, ctx_dim] -> [B, Lq, out_dim]."""
    b, lq, lk = x.shape[0], x.shape[1], ctx.shape[1]
    d = p["q"]["w"].shape[1] // heads
    q = dense(p["q"], x).reshape(b, lq, heads, d)
    k = dense(p["k"], ctx).reshape(b, lk, heads, d)
    v = dense(p["v"], ctx).reshape(b, lk, heads, d)
    return dense(p["o"], attention_core(q, k, v).reshape(b, lq, heads * d))


def block_init(keys, dim, heads, mlp):
    return {"ln1": ln_init(dim), "attn": mha_init(keys, dim, dim, heads, dim // heads, dim), "ln2": ln_init(dim),
            "fc1": dense_init(keys, dim, mlp), "fc2": dense_init(keys, mlp, dim)}


def block(p, x, heads):
    """Pre-LN transformer block (nn.Block): x + attn(ln(x)), then x + mlp(ln(x))."""
    h = layernorm(p["ln1"], x)
    x = x + mha(p["attn"], h, h, heads)
    return x + dense(p["fc2"], gelu(dense(p["fc1"], layernorm(p["ln2"], x))))


def patchify(x, p):
    """[B, H, W, C] -> [B, (H/p)*(W/p), p*p*C], as peerlib.patchify."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // p, p, w // p, p, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


def adamw_init(params):
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return {"m": zeros, "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": jnp.zeros((), jnp.float32)}


def adamw_update(params, grads, state, lr, wd, b1=0.9, b2=0.999, eps=1e-8, clip=1.0):
    """torch.optim.AdamW after clip_grad_norm_(clip), as mmdna's train.AdamW."""
    leaves = jax.tree_util.tree_leaves(grads)
    if clip > 0:  # 0: no clipping (decided when the step is traced).
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in leaves))
        scale = jnp.minimum(1.0, clip / (norm + 1e-6))
        grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
    t = state["t"] + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    params = jax.tree_util.tree_map(
        lambda p, m, v: p * (1 - lr * wd) - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
    return params, {"m": m, "v": v, "t": t}


def make_step(loss_fn, args):
    """The jitted training step: (params, opt, *batch) -> (params, opt, loss)."""
    def step(params, opt, *batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        params, opt = adamw_update(params, grads, opt, args.lr, args.wd, clip=args.clip)
        return params, opt, loss
    return jax.jit(step, donate_argnums=(0, 1))


def matmul_tflops(n, reps=5):
    f = jax.jit(lambda a, b: a @ b)
    a = jnp.ones((n, n), jnp.float32)
    best = None
    for i in range(reps + 1):
        t0 = time.perf_counter()
        f(a, a).block_until_ready()
        d = time.perf_counter() - t0
        if i > 0 and (best is None or d < best):
            best = d
    return 2.0 * n ** 3 / best / 1e12


def run_bench(args, params, loss_fn, batch, device, precision):
    """Times jitted training steps of loss_fn(params, *batch) and prints the JSON
    result."""
    step = make_step(loss_fn, args)
    opt = adamw_init(params)
    t0 = time.perf_counter()
    params, opt, loss = step(params, opt, *batch)
    loss.block_until_ready()
    compile_s = time.perf_counter() - t0
    for _ in range(args.warmup_steps):
        params, opt, loss = step(params, opt, *batch)
    loss.block_until_ready()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        params, opt, loss = step(params, opt, *batch)
        loss.block_until_ready()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    dev = jax.devices()[0]
    res = {"peer": "jax", "jax": jax.__version__, "device": device, "device_name": dev.device_kind,
           "precision": precision, "batch": args.batch, "compile_s": compile_s, "step_s_median": med,
           "step_s_mean": sum(times) / len(times), "img_per_s": args.batch / med, "loss": float(loss)}
    stats = dev.memory_stats() if hasattr(dev, "memory_stats") else None
    if stats and "peak_bytes_in_use" in stats:
        res["peak_mem_mb"] = stats["peak_bytes_in_use"] / 2 ** 20
        res["mem_what"] = "jax device memory_stats peak_bytes_in_use"
    else:
        import resource
        res["peak_mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        res["mem_what"] = "process max RSS"
    if device == "cpu":
        res["device_name"] = platform.processor() or platform.machine()
        if args.peak_n > 0:
            res["matmul_tflops"] = matmul_tflops(args.peak_n)
    print(json.dumps(res), flush=True)
