package main

// What a runner computes on and how fast it could go: the device's name, its peak
// FLOP/s (from a table of datasheet figures for known GPUs, else measured with a
// large matrix product on the backend itself) and, for GPUs, the memory in use.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
)

// gpuPeak is a GPU's dense (no sparsity) peak in TFLOP/s: fp32 on the CUDA cores,
// tf32 on the tensor cores. Figures from NVIDIA's datasheets.
type gpuPeak struct {
	match      []string // all of these (lower case) in nvidia-smi's name.
	name       string
	fp32, tf32 float64
}

// gpuPeaks is searched in order: the first row whose words all appear wins.
var gpuPeaks = []gpuPeak{
	{[]string{"h200", "nvl"}, "H200 NVL", 60, 417.5},
	{[]string{"h200"}, "H200 SXM", 67, 494.7},
	{[]string{"h100", "nvl"}, "H100 NVL", 60, 417.5},
	{[]string{"h100", "pcie"}, "H100 PCIe", 51.2, 378},
	{[]string{"h100"}, "H100 SXM", 67, 494.7},
	{[]string{"a100", "pcie"}, "A100 PCIe", 19.5, 156},
	{[]string{"a100"}, "A100 SXM", 19.5, 156},
	{[]string{"l40s"}, "L40S", 91.6, 183},
	{[]string{"l4"}, "L4", 30.3, 60},
}

// lookupGPUPeak returns the peak TFLOP/s of the named GPU at the precision ("tf32"
// or "fp32") and the table row's name, or ok false for an unknown GPU.
func lookupGPUPeak(gpuName, precision string) (tflops float64, row string, ok bool) {
	lower := strings.ToLower(gpuName)
	for _, p := range gpuPeaks {
		if !slices.ContainsFunc(p.match, func(w string) bool { return !strings.Contains(lower, w) }) {
			if precision == "tf32" {
				return p.tf32, p.name, true
			}
			return p.fp32, p.name, true
		}
	}
	return 0, "", false
}

// nvidiaSMI runs nvidia-smi with a query and returns its first output line, or ""
// when there is no nvidia-smi or no GPU.
func nvidiaSMI(query string) string {
	out, err := exec.Command("nvidia-smi", "--query-gpu="+query, "--format=csv,noheader,nounits").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

// gpuName is the first GPU's name as nvidia-smi reports it ("" without one).
func gpuName() string { return nvidiaSMI("name") }

// gpuMemUsedMB is the first GPU's memory in use in MiB, or -1 when unknown.
func gpuMemUsedMB() float64 {
	v, err := strconv.ParseFloat(nvidiaSMI("memory.used"), 64)
	if err != nil {
		return -1
	}
	return v
}

// cpuName describes this machine's CPU: the model name and the core count.
func cpuName() string {
	name := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				name = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", name, runtime.NumCPU())
}

// isCUDAConfig reports whether a backend configuration runs on an NVIDIA GPU.
func isCUDAConfig(config string) bool {
	lower := strings.ToLower(config)
	return strings.HasPrefix(lower, "xla") && (strings.Contains(lower, "cuda") || strings.Contains(lower, "nvidia"))
}

// xlaPrecision is the float32 matrix-product precision of an XLA CUDA backend:
// go-xla uses TF32 on CUDA unless the options say tf32=false or notf32.
func xlaPrecision(config string) string {
	lower := strings.ToLower(config)
	if strings.Contains(lower, "tf32=false") || strings.Contains(lower, "notf32") || strings.Contains(lower, "tf32=0") {
		return "fp32"
	}
	return "tf32"
}

// peakInfo is a runner's peak FLOP/s and where the figure comes from.
type peakInfo struct {
	TFLOPS float64 `json:"tflop_per_s,omitempty"`
	Source string  `json:"source,omitempty"`
}

// measureMatmul times an n×n by n×n float32 product on b (best of reps, after a
// compiling call) and returns its TFLOP/s. The product is reduced to a scalar in the
// graph, so only 4 bytes come back and the timing waits for the device.
func measureMatmul(b compute.Backend, n, reps int) (float64, error) {
	exec, err := NewExec(b, func(x, y *Node) *Node { return ReduceAllSum(MatMul(x, y)) })
	if err != nil {
		return 0, err
	}
	defer exec.Finalize()
	shape := shapes.Make(dtypes.Float32, n, n)
	x, y := tensors.FromShape(shape), tensors.FromShape(shape)
	defer x.FinalizeAll()
	defer y.FinalizeAll()
	for _, t := range []*tensors.Tensor{x, y} {
		t.MustMutableFlatData(func(flat any) {
			data := flat.([]float32)
			for i := range data {
				data[i] = float32(i%7) * 0.01
			}
		})
	}
	best := 0.0
	for i := range reps + 1 {
		t0 := time.Now()
		out, err := exec.Exec(x, y)
		if err != nil {
			return 0, err
		}
		out[0].MaterializeLocal()
		d := time.Since(t0).Seconds()
		out[0].FinalizeAll()
		if i > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	return 2 * float64(n) * float64(n) * float64(n) / best / 1e12, nil
}
