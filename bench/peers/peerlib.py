"""Shared parts of mmdna's PyTorch peers: the benchmark arguments, device and
precision setup, the timing loop and its JSON result, AdamW with global-norm
clipping as mmdna's train package does it (betas 0.9/0.999, eps 1e-8, weight decay
--wd on all parameters, clipping at --clip; the experiments pass their own values).

A peer script adds its model's arguments (peerargs.py) to `bench_parser()`, builds
its model and a loss function of random data, and calls `run_bench(...)`, which
prints one JSON object on the last line of stdout:

  peer, torch, device ("cpu"/"cuda"), device_name, precision ("fp32"/"tf32"),
  threads, batch, params, compile_s (the first step), step_s_median, step_s_mean,
  img_per_s, peak_mem_mb, mem_what (peak_rss_mb), and matmul_tflops with --peak-n N (CPU).

The peers of the real experiments (clip_shapes.py, mae_fmnist.py, ...) add the
recipe's schedule and weight-decay groups (`recipe_args`) and hand `main` three
functions: `parser()`, `build(args)` (the model) and `data(args, device)` (a loss
function of the model on a random batch); `--mode params` then prints the model's
parameter count instead of timing it (params.py counts several in one process).

Works with torch 1.13 (Debian, CPU) and torch 2.x (CUDA).
"""
import json
import math
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


def recipe_args(ap):
    """The learning-rate schedule and weight-decay groups of an experiment's recipe
    (mmdna's train.Schedule and Experiment.NoDecayRank1)."""
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                    help="constant lr, or linear warmup + half cosine down to --min_lr at --total_steps")
    ap.add_argument("--warmup", type=int, default=0, help="lr warmup steps of --schedule cosine")
    ap.add_argument("--total_steps", type=int, default=0, help="the experiment's training steps (cosine's end)")
    ap.add_argument("--min_lr", type=float, default=0.0)
    ap.add_argument("--no_decay", choices=["none", "1d"], default="none",
                    help="1d: no weight decay on biases, norm gains and scalars (open_clip's groups)")
    return ap


def make_optimizer(model, args):
    params = model.parameters()
    if getattr(args, "no_decay", "none") == "1d":
        decay = [p for p in model.parameters() if p.ndim >= 2]
        rest = [p for p in model.parameters() if p.ndim < 2]
        params = [{"params": decay}, {"params": rest, "weight_decay": 0.0}]
    return torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.wd)


def make_scheduler(opt, args):
    """LambdaLR for --schedule cosine with --total_steps; None for a constant rate."""
    if getattr(args, "schedule", "constant") != "cosine" or getattr(args, "total_steps", 0) <= 0:
        return None
    warmup, total, floor = args.warmup, args.total_steps, args.min_lr / args.lr

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        frac = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))
    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def train_step(model, opt, loss_fn, clip, sched=None):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    if sched is not None:
        sched.step()
    return loss


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def main(parser, build, data):
    """Runs a peer: parses its arguments, builds its model and, with --mode params,
    prints {"params": N}; otherwise times its training steps on data(args, device)."""
    args = parser().parse_args()
    if args.mode == "params":
        torch.set_num_threads(args.threads)
        print(json.dumps({"params": count_params(build(args))}), flush=True)
        return
    device, precision = setup(args)
    model = build(args)
    run_bench(args, model, data(args, device), device, precision)


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
    sched = make_scheduler(opt, args)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    train_step(model, opt, loss_fn, args.clip, sched)
    _sync(device)
    compile_s = time.perf_counter() - t0
    for _ in range(args.warmup_steps):
        train_step(model, opt, loss_fn, args.clip, sched)
    times = []
    for _ in range(args.steps):
        _sync(device)
        t0 = time.perf_counter()
        loss = train_step(model, opt, loss_fn, args.clip, sched)
        _sync(device)
        times.append(time.perf_counter() - t0)
    # JSON has no NaN: a non-finite last loss (random data can overflow a step) is null,
    # so that the timing still reaches cmd/bench.
    loss = float(loss.item())
    loss = loss if math.isfinite(loss) else None
    times.sort()
    med = times[len(times) // 2]
    res = {"peer": "pytorch", "torch": torch.__version__, "device": device.type, "precision": precision,
           "threads": args.threads, "batch": args.batch, "params": count_params(model), "compile_s": compile_s,
           "step_s_median": med, "step_s_mean": sum(times) / len(times), "img_per_s": args.batch / med, "loss": loss}
    if device.type == "cuda":
        res["device_name"] = torch.cuda.get_device_name(0)
        res["peak_mem_mb"] = torch.cuda.max_memory_reserved() / 2 ** 20
        res["peak_allocated_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
        res["mem_what"] = "torch.cuda.max_memory_reserved (caching allocator)"
    else:
        res["device_name"] = cpu_name()
        res["peak_mem_mb"], res["mem_what"] = peak_rss_mb()
        res["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.peak_n > 0:
            res["matmul_tflops"] = matmul_tflops(args.peak_n, device)
    print(json.dumps(res), flush=True)


def peak_rss_mb():
    """The process's peak resident memory in MiB and what it is: VmHWM, the high-water
    mark of this process's own memory since its exec. ru_maxrss (the fallback, also
    reported as ru_maxrss_mb) keeps across exec the peak of the process that started
    it: a peer run by cmd/bench would report the Go process's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024, "process peak RSS (VmHWM)"
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "process max RSS (ru_maxrss)"


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
