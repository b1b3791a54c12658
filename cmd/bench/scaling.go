package main

// The -scaling benchmark: the experiment bench-scaling (one Perceiver layer against
// one self-attention block of the same width, experiments/task_scaling.go) at input
// lengths from 256 to 8192 tokens. The Perceiver's cross-attention costs
// num_latents x N, so its time grows linearly in N; the block's attention costs N x N,
// so its time grows quadratically.
//
//	go run ./cmd/bench -scaling -scaling-out docs/images
//
// Each point is a training step (forward, backward, AdamW update) on batch 1, timed
// by train.Bench: one compiling step, warmup steps, then the median of the timed
// steps, wall and process CPU time.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/experiments"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// scalingOptions are the -scaling flags.
type scalingOptions struct {
	enabled                      *bool
	lengths, out                 *string
	dim, latents, steps, warmupN *int
}

// addScalingFlags declares the -scaling flags on fs.
func addScalingFlags(fs *flag.FlagSet) *scalingOptions {
	return &scalingOptions{
		enabled: fs.Bool("scaling", false, "run the Perceiver vs self-attention scaling benchmark instead"),
		lengths: fs.String("scaling-lengths", "256,512,1024,2048,4096,8192", "input lengths (tokens) of the scaling benchmark"),
		out:     fs.String("scaling-out", ".", "directory for perceiver_scaling_loglog.png and perceiver_scaling_linear.png"),
		dim:     fs.Int("scaling-dim", 64, "token width of both models (one attention head of this width)"),
		latents: fs.Int("scaling-latents", 64, "the Perceiver's latent array length"),
		steps:   fs.Int("scaling-steps", 5, "timed steps per point"),
		warmupN: fs.Int("scaling-warmup", 2, "untimed steps per point after the compiling one"),
	}
}

// scalingRow is one measurement of the scaling benchmark.
type scalingRow struct {
	Model    string  `json:"model"` // "perceiver" or "self-attention".
	Tokens   int     `json:"tokens"`
	StepMS   float64 `json:"step_ms_median"`
	CPUMS    float64 `json:"cpu_ms_median"`
	CompileS float64 `json:"compile_s"`
	PeakMB   float64 `json:"peak_heap_mb"`
}

// run measures every length for both models, prints a markdown table with the
// growth per doubling and the log-log slope, and writes the two plots.
func (o *scalingOptions) run(stdout io.Writer, backends, jsonOut string) error {
	names := split(backends)
	if len(names) != 1 {
		return fmt.Errorf("-backends %q: -scaling runs on one backend", backends)
	}
	var lengths []int
	for _, f := range split(*o.lengths) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("-scaling-lengths %s: want positive integers", *o.lengths)
		}
		lengths = append(lengths, n)
	}
	if len(lengths) < 2 || *o.dim < 1 || *o.latents < 1 || *o.steps < 1 || *o.warmupN < 0 {
		return errors.New("-scaling: want at least two lengths, positive -scaling-dim, -scaling-latents and -scaling-steps")
	}
	b, err := backend.New(names[0])
	if err != nil {
		return err
	}
	exp, err := experiments.Get("bench-scaling")
	if err != nil {
		return err
	}
	var rows []scalingRow
	for _, name := range experiments.ScalingModels {
		for _, n := range lengths {
			p, err := exp.Resolve([]string{fmt.Sprintf("model=%s;tokens=%d;dim=%d;latents=%d", name, n, *o.dim, *o.latents)})
			if err != nil {
				return fmt.Errorf("-scaling: %w", err)
			}
			task, err := buildTask(exp, p, b)
			if err != nil {
				return fmt.Errorf("-scaling: %w", err)
			}
			res, err := train.Bench(task, experiments.TrainConfig(p), b, *o.warmupN, *o.steps)
			if err != nil {
				return fmt.Errorf("-scaling: %s at %d tokens: %w", name, n, err)
			}
			row := scalingRow{Model: name, Tokens: n, StepMS: 1000 * res.MedianS, CPUMS: 1000 * res.CPUS,
				CompileS: res.CompileS, PeakMB: res.PeakHeapMB}
			fmt.Fprintf(os.Stderr, "bench: scaling %s %d tokens: %.1f ms/step (cpu %.1f ms)\n", name, n, row.StepMS, row.CPUMS)
			rows = append(rows, row)
		}
	}
	printScaling(stdout, rows, lengths)
	if err := plotScaling(*o.out, rows, lengths); err != nil {
		return err
	}
	if jsonOut != "" {
		data, _ := json.MarshalIndent(rows, "", "  ")
		if err := train.WriteFileAtomic(jsonOut, append(data, '\n')); err != nil {
			return fmt.Errorf("-json %s: %w", jsonOut, err)
		}
	}
	return nil
}

// find returns the row of model at n tokens.
func find(rows []scalingRow, model string, n int) scalingRow {
	for _, r := range rows {
		if r.Model == model && r.Tokens == n {
			return r
		}
	}
	return scalingRow{}
}

// slope is the least-squares slope of log2(time) against log2(tokens) over the last
// three lengths (where the per-step overhead no longer dominates): 1 for linear
// growth, 2 for quadratic. time reads wall or CPU milliseconds from a row.
func slope(rows []scalingRow, model string, lengths []int, time func(scalingRow) float64) float64 {
	pts := lengths[max(0, len(lengths)-3):]
	var sx, sy, sxx, sxy float64
	for _, n := range pts {
		x, y := math.Log2(float64(n)), math.Log2(time(find(rows, model, n)))
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(pts))
	return (k*sxy - sx*sy) / (k*sxx - sx*sx)
}

func wallMS(r scalingRow) float64 { return r.StepMS }
func cpuMS(r scalingRow) float64  { return r.CPUMS }

func printScaling(w io.Writer, rows []scalingRow, lengths []int) {
	fmt.Fprintln(w, "| tokens | Perceiver ms (cpu ms) | x prev | self-attention ms (cpu ms) | x prev | self-attn / Perceiver |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	for i, n := range lengths {
		p, s := find(rows, "perceiver", n), find(rows, "self-attention", n)
		grow := func(model string, cur scalingRow) string {
			if i == 0 {
				return ""
			}
			return fmt.Sprintf("%.2f", cur.StepMS/find(rows, model, lengths[i-1]).StepMS)
		}
		fmt.Fprintf(w, "| %d | %.1f (%.1f) | %s | %.1f (%.1f) | %s | %.1f |\n", n, p.StepMS, p.CPUMS, grow("perceiver", p),
			s.StepMS, s.CPUMS, grow("self-attention", s), s.StepMS/p.StepMS)
	}
	fmt.Fprintf(w, "\nlog-log slope over the last three lengths (1 = linear, 2 = quadratic): "+
		"Perceiver %.2f wall, %.2f CPU; self-attention %.2f wall, %.2f CPU\n",
		slope(rows, "perceiver", lengths, wallMS), slope(rows, "perceiver", lengths, cpuMS),
		slope(rows, "self-attention", lengths, wallMS), slope(rows, "self-attention", lengths, cpuMS))
}

// plotScaling writes perceiver_scaling_loglog.png (log2 CPU time against log2
// tokens, with slope-1 and slope-2 guides through the first Perceiver and
// self-attention points; CPU time, since on a shared machine it is steadier than
// wall time) and perceiver_scaling_linear.png (wall seconds against tokens) to dir.
func plotScaling(dir string, rows []scalingRow, lengths []int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-scaling-out %s: %w", dir, err)
	}
	series := func(model string, f func(n int, r scalingRow) (float64, float64)) viz.Series {
		s := viz.Series{Name: model}
		for _, n := range lengths {
			x, y := f(n, find(rows, model, n))
			s.X, s.Y = append(s.X, x), append(s.Y, y)
		}
		return s
	}
	logs := func(n int, r scalingRow) (float64, float64) { return math.Log2(float64(n)), math.Log2(r.CPUMS) }
	guide := func(name, model string, k float64) viz.Series {
		g := viz.Series{Name: name}
		x0, y0 := logs(lengths[0], find(rows, model, lengths[0]))
		for _, n := range lengths {
			x := math.Log2(float64(n))
			g.X, g.Y = append(g.X, x), append(g.Y, y0+k*(x-x0))
		}
		return g
	}
	if err := viz.LineChart(filepath.Join(dir, "perceiver_scaling_loglog.png"),
		"training step vs input length (log-log)", "log2 tokens", "log2 CPU ms per step",
		series("perceiver", logs), series("self-attention", logs),
		guide("slope 1 (linear)", "perceiver", 1), guide("slope 2 (quadratic)", "self-attention", 2)); err != nil {
		return err
	}
	lin := func(n int, r scalingRow) (float64, float64) { return float64(n), r.StepMS / 1000 }
	return viz.LineChart(filepath.Join(dir, "perceiver_scaling_linear.png"),
		"training step vs input length", "tokens", "wall seconds per step",
		series("perceiver", lin), series("self-attention", lin))
}
