// Command bench measures training speed: the training step of named experiments on
// one or more backends, side by side with their PyTorch peers (bench/peers/) in the
// same run, and prints a markdown table with the ratios.
//
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 64,128
//	go run ./cmd/bench -exp vit-fmnist-ref -backends go,xla:cuda -json bench.json
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 128 -peers=false -cpuprofile cpu.prof
//
// Steps are timed one by one after a compiling step and warm-up steps; the table
// reports the median. This machine is shared and noisy: compare rows of one run.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
)

// Row is one measurement: an experiment at a batch size on a backend or a peer.
type Row struct {
	Experiment string             `json:"experiment"`
	Runner     string             `json:"runner"` // "mmdna/go", "mmdna/xla:cuda", "pytorch", ...
	Batch      int                `json:"batch"`
	CompileS   float64            `json:"compile_s,omitempty"`
	StepMS     float64            `json:"step_ms_median"`
	CPUMS      float64            `json:"cpu_ms_median,omitempty"`
	ImgPerS    float64            `json:"img_per_s"`
	PeakHeapMB float64            `json:"peak_heap_mb,omitempty"`
	Extra      map[string]any     `json:"extra,omitempty"`
	Result     *train.BenchResult `json:"-"`
}

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
	peers := fs.Bool("peers", true, "also run the experiments' PyTorch peers")
	python := fs.String("python", "/usr/bin/python3", "python for the peers")
	threads := fs.Int("threads", 2, "threads for the peers")
	jsonOut := fs.String("json", "", "also write the rows as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the mmdna steps to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rows []Row
	for _, name := range split(*exps) {
		exp, err := experiments.Get(name)
		if err != nil {
			return err
		}
		bs, err := batchSizes(exp, *sets, *batches)
		if err != nil {
			return err
		}
		for _, batch := range bs {
			setList := []string{*sets, "batch_size=" + strconv.Itoa(batch)}
			for _, bname := range split(*backends) {
				row, err := benchOne(exp, bname, setList, *steps, *warmup, *cpuProfile)
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "bench: %s batch %d on %s: %.1f ms/step\n", name, batch, bname, row.StepMS)
				rows = append(rows, row)
			}
			if *peers && exp.Peer != nil {
				row, err := peerOne(exp, setList, *python, *threads, *steps, *warmup)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: peer of %s: %v\n", name, err)
					continue
				}
				rows = append(rows, row)
			}
		}
	}
	printTable(stdout, rows)
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

func batchSizes(exp *experiments.Experiment, sets, batches string) ([]int, error) {
	if batches == "" {
		p, err := exp.Resolve([]string{sets})
		if err != nil {
			return nil, err
		}
		return []int{p.Int("batch_size")}, nil
	}
	var out []int
	for _, f := range split(batches) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-batch %s: want positive integers", batches)
		}
		out = append(out, n)
	}
	return out, nil
}

func benchOne(exp *experiments.Experiment, bname string, sets []string, steps, warmup int, cpuProfile string) (Row, error) {
	b, err := backend.New(bname)
	if err != nil {
		return Row{}, err
	}
	p, err := exp.Resolve(sets)
	if err != nil {
		return Row{}, err
	}
	dir, err := os.MkdirTemp("", "mmdna-bench-")
	if err != nil {
		return Row{}, err
	}
	defer os.RemoveAll(dir)
	task, err := exp.Build(&experiments.Env{P: p, Dir: dir, Backend: b, Log: func(string, ...any) {}})
	if err != nil {
		return Row{}, err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return Row{}, fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return Row{}, err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := train.Bench(task, experiments.TrainConfig(p), b, warmup, steps)
	if err != nil {
		return Row{}, err
	}
	return Row{Experiment: exp.Name, Runner: "mmdna/" + bname, Batch: res.Batch, CompileS: res.CompileS,
		StepMS: res.MedianS * 1000, CPUMS: res.CPUS * 1000, ImgPerS: res.ImgPerS, PeakHeapMB: res.PeakHeapMB, Result: res}, nil
}

func peerOne(exp *experiments.Experiment, sets []string, python string, threads, steps, warmup int) (Row, error) {
	p, err := exp.Resolve(sets)
	if err != nil {
		return Row{}, err
	}
	base := exp.Peer(p)
	if base == nil {
		return Row{}, errors.New("no peer for these parameters")
	}
	args := append(base, "--mode", "bench", "--batch", strconv.Itoa(p.Int("batch_size")),
		"--steps", strconv.Itoa(steps), "--warmup-steps", strconv.Itoa(warmup), "--threads", strconv.Itoa(threads))
	var out, errOut bytes.Buffer
	cmd := exec.Command(python, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return Row{}, fmt.Errorf("%s %s: %v: %s", python, strings.Join(args, " "), err, lastLine(errOut.String()))
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(lastLine(out.String())), &res); err != nil {
		return Row{}, fmt.Errorf("%s: no JSON result on the last line: %q", args[0], lastLine(out.String()))
	}
	imgPerS, _ := res["img_per_s"].(float64)
	stepS, _ := res["step_s_median"].(float64)
	if imgPerS <= 0 {
		return Row{}, errors.New("peer reported no img_per_s")
	}
	name, _ := res["peer"].(string)
	return Row{Experiment: exp.Name, Runner: name, Batch: p.Int("batch_size"), StepMS: stepS * 1000, ImgPerS: imgPerS, Extra: res}, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// printTable prints the rows with, for each mmdna row, its speed ratio to the
// peer measured at the same experiment and batch size.
func printTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| experiment | runner | batch | compile s | step ms (median) | cpu ms/step | img/s | vs peer |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		ratio := ""
		if strings.HasPrefix(r.Runner, "mmdna/") {
			for _, q := range rows {
				if q.Experiment == r.Experiment && q.Batch == r.Batch && !strings.HasPrefix(q.Runner, "mmdna/") {
					ratio = fmt.Sprintf("%.2fx %s", r.ImgPerS/q.ImgPerS, q.Runner)
				}
			}
		}
		compile := ""
		if r.CompileS > 0 {
			compile = fmt.Sprintf("%.2f", r.CompileS)
		}
		cpu := ""
		if r.CPUMS > 0 {
			cpu = fmt.Sprintf("%.0f", r.CPUMS)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %.1f | %s | %.0f | %s |\n", r.Experiment, r.Runner, r.Batch, compile, r.StepMS, cpu, r.ImgPerS, ratio)
	}
}
