// Command bench measures training speed: the training step of named experiments on
// one or more backends, side by side with their peers (bench/peers/: PyTorch on the
// CPU and on CUDA, JAX on its device) in the same run. For every row it reports the
// step time (median, after a compiling step and warm-up steps; compile time apart),
// images/s, the FLOPs of a step counted from the model's graph (flops.go), the
// achieved TFLOP/s and their share of the device's peak (MFU; device.go), and peak
// memory. It prints a markdown table and can write it (-md) and the rows as JSON
// (-json).
//
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 64,128
//	go run ./cmd/bench -exp bench-vit -set smoke=true -steps 5     # synthetic data, any size
//	bin/bench -exp bench-vit -backends xla:cuda -peer-devices cuda -json vit.json   # a GPU, see docs/gpu.md
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 128 -peers=false -cpuprofile cpu.prof
//	go run ./cmd/bench -scaling -scaling-out docs/images   # Perceiver vs self-attention (scaling.go)
//
// This machine is shared and noisy: compare rows of one run.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mmdna/mmdna/train"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	exps := fs.String("exp", "vit-fmnist-ref", "comma-separated experiments")
	backends := fs.String("backends", "go", "comma-separated backends (go, xla:cuda, xla:cpu, xla:/path/plugin.so)")
	batches := fs.String("batch", "", "comma-separated batch sizes (default: each experiment's batch_size)")
	sets := fs.String("set", "", "parameters for every experiment, 'k=v;k2=v2'")
	steps := fs.Int("steps", 20, "timed steps")
	warmup := fs.Int("warmup", 3, "untimed steps after the compiling one")
	peers := fs.Bool("peers", true, "also run the experiments' peers (PyTorch, JAX)")
	python := fs.String("python", "/usr/bin/python3", "python for the peers")
	peerDir := fs.String("peer-dir", "", "directory of the peer scripts (default: the experiments' bench/peers/...)")
	peerDevices := fs.String("peer-devices", "auto", "PyTorch peer devices: cpu, cuda, or auto (cpu, and cuda when torch sees a GPU)")
	jax := fs.String("jax", "auto", "JAX peers (NAME_jax.py): auto (when the python has jax), on or off")
	threads := fs.Int("threads", 2, "threads for the CPU peers")
	peakN := fs.Int("peak-n", 0, "side of the matmul that measures a backend's peak (0: 1024 on CPU, 8192 on GPU; -1: do not measure)")
	jsonOut := fs.String("json", "", "also write the rows as JSON to this file")
	mdOut := fs.String("md", "", "also write the markdown table to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (from the first mmdna row to the end of the run) to this file")
	scaling := addScalingFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *scaling.enabled {
		return scaling.run(stdout, *backends, *jsonOut)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; flags only (see -h)", fs.Arg(0))
	}
	if *steps < 1 || *warmup < 0 {
		return fmt.Errorf("-steps %d -warmup %d: want at least 1 timed step and no negative warm-up", *steps, *warmup)
	}
	s := &session{backends: split(*backends), sets: *sets, steps: *steps, warmup: *warmup, peakN: *peakN,
		cpuProfile: *cpuProfile, peers: *peers,
		peer: peerOptions{python: *python, dir: *peerDir, devices: *peerDevices, jax: *jax, threads: *threads, peakN: *peakN}}
	if len(s.backends) == 0 && !s.peers {
		return fmt.Errorf("-backends is empty and -peers=false: nothing to run")
	}
	rows, err := s.runAll(split(*exps), *batches)
	if err != nil {
		return err
	}
	var md strings.Builder
	printTable(&md, rows)
	fmt.Fprint(stdout, md.String())
	if *mdOut != "" {
		if err := train.WriteFileAtomic(*mdOut, []byte(md.String())); err != nil {
			return fmt.Errorf("-md %s: %w", *mdOut, err)
		}
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(rows, "", "  ")
		if err := train.WriteFileAtomic(*jsonOut, append(data, '\n')); err != nil {
			return fmt.Errorf("-json %s: %w", *jsonOut, err)
		}
	}
	return nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
