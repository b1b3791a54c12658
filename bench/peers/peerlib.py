"""Shared parts of mmdna's PyTorch peers: the benchmark arguments, device and
precision setup, the timing loop and its JSON result, AdamW with global-norm
clipping as mmdna's train package does it (betas 0.9/0.999, eps 1e-8, weight decay
--wd on all parameters, clipping at --clip; the experiments pass their own values).

A peer script adds its model's arguments (peerargs.py) to `bench_parser()`, builds
its model and a loss function of random data, and calls `run_bench(...)`, which
prints one JSON object on the last line of stdout:

  peer, torch, device ("cpu"/"cuda"), device_name, precision ("fp32"/"tf32"),
  threads, batch, compile_s (the first step), step_s_median, step_s_mean,
  img_per_s, peak_mem_mb, mem_what, and matmul_tflops with --peak-n N (CPU).

Works with torch 1.13 (Debian, CPU) and torch 2.x (CUDA).
"""
import json
import platform
import resource
import time

import torch

from peerargs import bench_parser  # noqa: F401 (re-exported for the scripts)


def setup(args):
    """Threads, seed, precision; returns the torch device and the precision name."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.device in ("cuda", "gpu"):
        if not torch.cuda.is_available():
            raise SystemExit("peer: --device cuda but torch %s sees no CUDA device" % torch.__version__)
        on = args.tf32 == "on"
        torch.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on
        return torch.device("cuda"), "tf32" if on else "fp32"
    return torch.device("cpu"), "fp32"


def make_optimizer(model, args):
    return torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.wd)


def train_step(model, opt, loss_fn, clip):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_tflops(n, device, reps=5):
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    best = None
    for i in range(reps + 1):
        _sync(device)
        t0 = time.perf_counter()
        torch.matmul(a, b)
        _sync(device)
        d = time.perf_counter() - t0
        if i > 0 and (best is None or d < best):
            best = d
    return 2.0 * n ** 3 / best / 1e12


def run_bench(args, model, loss_fn, device, precision):
    """Times training steps of model on loss_fn(model) and prints the JSON result."""
    model.to(device).train()
    opt = make_optimizer(model, args)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    train_step(model, opt, loss_fn, args.clip)
    _sync(device)
    compile_s = time.perf_counter() - t0
    for _ in range(args.warmup_steps):
        train_step(model, opt, loss_fn, args.clip)
    times = []
    for _ in range(args.steps):
        _sync(device)
        t0 = time.perf_counter()
        loss = train_step(model, opt, loss_fn, args.clip)
        _sync(device)
        times.append(time.perf_counter() - t0)
    loss = float(loss.item())
    times.sort()
    med = times[len(times) // 2]
    res = {"peer": "pytorch", "torch": torch.__version__, "device": device.type, "precision": precision,
           "threads": args.threads, "batch": args.batch, "compile_s": compile_s, "step_s_median": med,
           "step_s_mean": sum(times) / len(times), "img_per_s": args.batch / med, "loss": loss}
    if device.type == "cuda":
        res["device_name"] = torch.cuda.get_device_name(0)
        res["peak_mem_mb"] = torch.cuda.max_memory_reserved() / 2 ** 20
        res["peak_allocated_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
        res["mem_what"] = "torch.cuda.max_memory_reserved (caching allocator)"
    else:
        res["device_name"] = cpu_name()
        res["peak_mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        res["mem_what"] = "process max RSS"
        if args.peak_n > 0:
            res["matmul_tflops"] = matmul_tflops(args.peak_n, device)
    print(json.dumps(res), flush=True)


def cpu_name():
    """The CPU's model name (/proc/cpuinfo) and thread count."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d threads" % (name, torch.get_num_threads())


def patchify(x, p):
    """[B, H, W, C] -> [B, (H/p)*(W/p), p*p*C], patches row-major, pixels (row, col, channel)."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, (h // p) * (w // p), p * p * c)
