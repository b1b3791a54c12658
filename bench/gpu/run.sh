#!/usr/bin/env bash
# bench/gpu/run.sh: mmdna's GPU benchmark on a machine with no Go and no network.
#
# It takes the XLA binaries built elsewhere (`make build-xla`, then copy bin/), loads
# JAX's CUDA PJRT plugin from the site-packages of a python that has jax (in place:
# its RPATH finds the nvidia libraries in ../nvidia, JAX's layout), records
# nvidia-smi, and runs cmd/bench on each benchmark experiment (ViT-B/16 at 224, CLIP
# and MAE at base size, the Perceiver) with its PyTorch (CUDA) and JAX peers, one
# process per experiment. Everything lands in one folder: results.md, results.json,
# one EXP.json/EXP.md per experiment, logs/, nvidia-smi.txt, env.txt.
# See docs/gpu.md.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/gpu/run.sh [--bin DIR] [--out DIR] [--python PY] [--plugin FILE] [--exp LIST] [--quick] [--dry-run] [--help]

  --bin DIR      the XLA build's binaries: bench and train (default: bin/ at the repository root)
  --out DIR      results folder (default: gpu-results-YYYYmmdd-HHMMSS)
  --python PY    the python that has jax (and torch) for the plugin and the peers
                 (default: $PYTHON, else the first of python3, python that has JAX's CUDA plugin)
  --plugin FILE  the CUDA PJRT plugin to load (default: asked from that python:
                 jax_plugins/xla_cuda13/xla_cuda_plugin.so, or xla_cuda12)
  --exp LIST     comma-separated experiments (default: bench-vit,bench-clip,bench-mae,bench-perceiver)
  --quick        batch 32, 5 timed steps: a check that finishes in a few minutes
  --dry-run      print the commands instead of running them (the binary, python and
                 plugin are still looked up)
  --help         this text
EOF
}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="$repo/bin"
out="gpu-results-$(date +%Y%m%d-%H%M%S)"
python="${PYTHON:-}"
plugin=""
explist="bench-vit,bench-clip,bench-mae,bench-perceiver"
quick=0
dry=0
while [ $# -gt 0 ]; do
	case "$1" in
	--help | -h)
		usage
		exit 0
		;;
	--bin | --out | --python | --plugin | --exp)
		[ $# -ge 2 ] && [ -n "$2" ] && [ "${2#--}" = "$2" ] || die "$1 needs a value"
		case "$1" in
		--bin) bin="$2" ;;
		--out) out="$2" ;;
		--python) python="$2" ;;
		--plugin) plugin="$2" ;;
		--exp) explist="$2" ;;
		esac
		shift 2
		;;
	--quick)
		quick=1
		shift
		;;
	--dry-run)
		dry=1
		shift
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done

# The binaries: built with `make build-xla` (cgo, the xla tag).
[ -d "$bin" ] || die "--bin $bin: no such directory (build with make build-xla and copy bin/)"
bin="$(cd "$bin" && pwd)"
for b in bench train; do
	[ -x "$bin/$b" ] || die "--bin $bin: no executable $b (build with make build-xla and copy bin/)"
done
grep -aq "go-xla/compute/xla" "$bin/bench" || die "--bin $bin: bench was built without XLA (use make build-xla)"

# pluginOf PY: the path of JAX's CUDA plugin in PY's site-packages, or nothing.
plugin_of() {
	"$1" - 2>/dev/null <<'EOF' || true
import importlib.util, os
for name in ("jax_plugins.xla_cuda13", "jax_plugins.xla_cuda12"):
    try:
        spec = importlib.util.find_spec(name)
    except Exception:
        spec = None
    if spec and spec.submodule_search_locations:
        path = os.path.join(list(spec.submodule_search_locations)[0], "xla_cuda_plugin.so")
        if os.path.isfile(path):
            print(os.path.realpath(path))
            break
EOF
}

if [ -n "$python" ]; then
	command -v "$python" >/dev/null || die "--python $python: not found"
	found="$(plugin_of "$python")"
else
	for p in python3 python; do
		command -v "$p" >/dev/null || continue
		found="$(plugin_of "$p")"
		if [ -n "$found" ]; then
			python="$p"
			break
		fi
	done
	[ -n "$python" ] || die "no python with JAX's CUDA plugin (jax_plugins/xla_cuda13 or xla_cuda12) in PATH; give --python or --plugin"
fi
python="$(command -v "$python")"
if [ -z "$plugin" ]; then
	plugin="$found"
	[ -n "$plugin" ] || die "--python $python: no JAX CUDA plugin (jax_plugins/xla_cuda13/xla_cuda_plugin.so or xla_cuda12) in its site-packages; give --plugin"
fi
[ -f "$plugin" ] || die "--plugin $plugin: no such file"
plugin="$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")"

# go-xla finds JAX's plugin under JAX's file name in PJRT_PLUGIN_LIBRARY_PATH (see
# backend/xla.go) and loads it by absolute path, so -backends xla:cuda names it; the
# plugin's RPATH finds the nvidia libraries of the pip packages (JAX's layout). Should
# that fail, the fallback puts their lib directories on LD_LIBRARY_PATH and points
# XLA's CUDA data directory (ptxas, libdevice) at the package that has libdevice.
export PJRT_PLUGIN_LIBRARY_PATH="$(dirname "$plugin")"
export MMDNA_XLA_LOG=1 GOPJRT_CUDA_CHECKS=0 PYTHONDONTWRITEBYTECODE=1
site="$(dirname "$(dirname "$(dirname "$plugin")")")" # site-packages/jax_plugins/xla_cudaNN/x.so
fallback_ld="$(find "$site/nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | paste -sd: - || true)"
if [ -n "$fallback_ld" ]; then
	fallback_ld="${fallback_ld}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
fallback_xla=""
libdevice="$(find "$site/nvidia" -name 'libdevice*.bc' 2>/dev/null | head -1 || true)"
if [ -z "${XLA_FLAGS:-}" ] && [ -n "$libdevice" ]; then
	fallback_xla="--xla_gpu_cuda_data_dir=$(dirname "$(dirname "$(dirname "$libdevice")")")"
fi

steps=20
warmup=3
batch=()
if [ "$quick" = 1 ]; then
	steps=5
	warmup=1
	batch=(-batch 32)
fi
IFS=, read -r -a exps <<<"$explist"
known="$("$bin/train" -list 2>/dev/null | awk '{print $1}' || true)"

# run LOG CMD...: run a command with its output in LOG, or print it with --dry-run.
run() {
	local log="$1"
	shift
	if [ "$dry" = 1 ]; then
		printf '%q ' "$@"
		echo ">$log 2>&1"
		return 0
	fi
	"$@" >"$log" 2>&1
}

echo "run.sh: bench $bin/bench, python $python, plugin $plugin"
if [ "$dry" = 1 ]; then
	echo "export PJRT_PLUGIN_LIBRARY_PATH=$(printf '%q' "$PJRT_PLUGIN_LIBRARY_PATH") MMDNA_XLA_LOG=1 GOPJRT_CUDA_CHECKS=0"
	echo "# if the XLA check fails: export LD_LIBRARY_PATH=$(printf '%q' "$fallback_ld") XLA_FLAGS=$(printf '%q' "$fallback_xla")"
else
	mkdir -p "$out/logs"
	{
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "bin: $bin"
		echo "python: $python"
		echo "plugin: $plugin"
		echo "PJRT_PLUGIN_LIBRARY_PATH=$PJRT_PLUGIN_LIBRARY_PATH"
		echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
		echo "XLA_FLAGS=${XLA_FLAGS:-}"
		echo "fallback: LD_LIBRARY_PATH=$fallback_ld XLA_FLAGS=$fallback_xla"
		"$python" -c 'import jax; print("jax", jax.__version__, jax.devices())' 2>&1 || true
		"$python" -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1 || true
	} >"$out/env.txt"
fi
run "$out/nvidia-smi.txt" nvidia-smi || echo "run.sh: nvidia-smi failed (see $out/nvidia-smi.txt)"

# A first, tiny step on XLA; then with the fallback environment; if the plugin still
# does not work, the peers run alone.
xla_check() {
	run "$out/logs/$1" "$bin/bench" -exp bench-vit -set smoke=true -backends xla:cuda -peers=false -steps 2 -warmup 1
}
backends=xla:cuda
if ! xla_check xla-check.log; then
	echo "run.sh: the XLA check failed: $(tail -1 "$out/logs/xla-check.log"); retrying with the nvidia libraries on LD_LIBRARY_PATH"
	[ -z "$fallback_ld" ] || export LD_LIBRARY_PATH="$fallback_ld"
	[ -z "$fallback_xla" ] || export XLA_FLAGS="$fallback_xla"
	echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} XLA_FLAGS=${XLA_FLAGS:-} (fallback)" >>"$out/env.txt"
	if ! xla_check xla-check-fallback.log; then
		echo "run.sh: the XLA backend failed, running the peers only: $(tail -1 "$out/logs/xla-check-fallback.log")"
		backends=""
	fi
fi

# The PyTorch peer runs on CUDA when this python's torch sees the GPU; without it only
# the JAX peer runs (bench refuses -peer-devices cuda where torch has no GPU).
torch_devices=none
if "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
	torch_devices=cuda
fi

done_exps=()
for e in "${exps[@]}"; do
	if ! grep -qx -- "$e" <<<"$known"; then
		echo "run.sh: skipping $e: $bin/train does not list it"
		continue
	fi
	echo "run.sh: $e"
	if run "$out/logs/$e.log" "$bin/bench" -exp "$e" -backends "$backends" -peer-devices "$torch_devices" -python "$python" \
		-peer-dir "$repo/bench/peers" -steps "$steps" -warmup "$warmup" ${batch[@]+"${batch[@]}"} \
		-json "$out/$e.json" -md "$out/$e.md"; then
		done_exps+=("$e")
	else
		echo "run.sh: $e failed: $(tail -1 "$out/logs/$e.log")"
	fi
done
[ "$dry" = 0 ] || exit 0
[ "${#done_exps[@]}" -gt 0 ] || die "no experiment ran (logs in $out/logs)"

{
	echo "# mmdna GPU benchmark, $(date -u +%Y-%m-%d)"
	echo
	echo "Device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo unknown)."
	echo "Binary: $bin/bench; plugin: $plugin; python: $python; $steps timed steps after $warmup warm-up steps."
	echo
	for e in "${done_exps[@]}"; do
		echo "## $e"
		echo
		cat "$out/$e.md"
		echo
	done
} >"$out/results.md"
"$python" - "$out" "${done_exps[@]}" <<'EOF'
import json, os, sys
out, rows = sys.argv[1], []
for e in sys.argv[2:]:
    with open(os.path.join(out, e + ".json")) as f:
        rows += json.load(f) or []
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(rows, f, indent=2)
EOF
cat "$out/results.md"
echo "run.sh: results in $out/results.md and $out/results.json"
