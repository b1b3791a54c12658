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
//	go run ./cmd/bench -exp all -steps 5       # every family at its experiment's size (suite.go)
//	go run ./cmd/bench -exp bench-vit -set smoke=true -steps 5     # synthetic data, any size
//	bin/bench -exp bench-vit -backends xla:cuda -peer-devices cuda -json vit.json   # a GPU, see docs/gpu.md
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 128 -peers=false -cpuprofile cpu.prof
//	go run ./cmd/bench -scaling -scaling-out docs/images   # Perceiver vs self-attention (scaling.go)
//
// A flag value it cannot use (-jax bogus, -peer-devices cuda where torch sees no GPU,
// a flag the chosen mode ignores) is a one-line error and exit status 2 before anything
// runs; a peer that fails while running is reported on stderr and left out of the
// table. This machine is shared and noisy: compare rows of one run.
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
	exps := fs.String("exp", "vit-fmnist-ref",
		"comma-separated experiments; all: every family's experiment at its own size beside its peer, in one table")
	backends := fs.String("backends", "go", "comma-separated backends (go, xla:cuda, xla:cpu, xla:/path/plugin.so)")
	batches := fs.String("batch", "", "comma-separated batch sizes (default: each experiment's batch_size)")
	sets := fs.String("set", "", "parameters for every experiment, 'k=v;k2=v2'")
	steps := fs.Int("steps", 20, "timed steps")
	warmup := fs.Int("warmup", 3, "untimed steps after the compiling one")
	peers := fs.Bool("peers", true, "also run the experiments' peers (PyTorch, JAX)")
	python := fs.String("python", "/usr/bin/python3", "python for the peers")
	peerDir := fs.String("peer-dir", "", "directory of the peer scripts (default: the experiments' bench/peers/...)")
	peerDevices := fs.String("peer-devices", "auto", "PyTorch peer devices: cpu, cuda, cpu,cuda, none (JAX's peer only), or auto (cpu, and cuda when torch sees a GPU)")
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
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; flags only (see -h)", fs.Arg(0))
	}
	if err := checkFlagSet(fs, *scaling.enabled); err != nil {
		return err
	}
	if *scaling.enabled {
		return scaling.run(stdout, *backends, *jsonOut)
	}
	if err := checkPeerFlags(*peerDevices, *jax); err != nil {
		return err
	}
	pythonSet := false
	fs.Visit(func(f *flag.Flag) { pythonSet = pythonSet || f.Name == "python" })
	if *steps < 1 || *warmup < 0 {
		return fmt.Errorf("-steps %d -warmup %d: want at least 1 timed step and no negative warm-up", *steps, *warmup)
	}
	s := &session{backends: split(*backends), sets: *sets, steps: *steps, warmup: *warmup, peakN: *peakN,
		cpuProfile: *cpuProfile, peers: *peers,
		peer: peerOptions{python: *python, pythonSet: pythonSet, dir: *peerDir, devices: *peerDevices, jax: *jax,
			threads: *threads, peakN: *peakN}}
	if len(s.backends) == 0 && !s.peers {
		return fmt.Errorf("-backends is empty and -peers=false: nothing to run")
	}
	cases, suite := benchCases(split(*exps))
	rows, err := s.runAll(cases, *batches)
	if err != nil {
		return err
	}
	var md strings.Builder
	if suite {
		printSuiteTable(&md, rows)
	} else {
		printTable(&md, rows)
	}
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

// scalingFlags are the flags -scaling uses besides its own -scaling-* ones.
var scalingFlags = map[string]bool{"scaling": true, "backends": true, "json": true}

// checkFlagSet refuses the flags the chosen mode ignores: with -scaling, those of the
// experiment benchmark; without it, the -scaling-* ones. A flag that would change
// nothing is an error, not a silent default.
func checkFlagSet(fs *flag.FlagSet, scaling bool) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch own := strings.HasPrefix(f.Name, "scaling-"); {
		case err != nil:
		case scaling && !own && !scalingFlags[f.Name]:
			err = fmt.Errorf("-%s: not used by -scaling (it takes -backends, -json and the -scaling-* flags)", f.Name)
		case !scaling && own:
			err = fmt.Errorf("-%s: used only with -scaling", f.Name)
		}
	})
	return err
}

// checkPeerFlags checks the values of -peer-devices and -jax before anything runs.
func checkPeerFlags(devices, jax string) error {
	if devices != "auto" && devices != "none" {
		list := split(devices)
		if len(list) == 0 {
			return fmt.Errorf("-peer-devices %q: want cpu, cuda, both (cpu,cuda), none or auto", devices)
		}
		for _, d := range list {
			if d != "cpu" && d != "cuda" {
				return fmt.Errorf("-peer-devices %s: %q is not a device; want cpu, cuda, both (cpu,cuda), none or auto", devices, d)
			}
		}
	}
	if jax != "auto" && jax != "on" && jax != "off" {
		return fmt.Errorf("-jax %s: want auto, on or off", jax)
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
