package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/mmdna/mmdna/experiments"
)

// TestCountFLOPsHandMade counts a batched product, a matmul and a convolution.
func TestCountFLOPsHandMade(t *testing.T) {
	b, err := goBackend()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(b, "test")
	defer g.Finalize()
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	// [2,3,4]·[2,4,5] batched on axis 0: 2·(2·3·5 outputs)·4 = 240.
	bmm := DotGeneral(Parameter(g, "a", f32(2, 3, 4)), []int{2}, []int{0}, Parameter(g, "b", f32(2, 4, 5)), []int{1}, []int{0})
	// [3,4]·[4,5]: 2·15·4 = 120.
	mm := MatMul(Parameter(g, "c", f32(3, 4)), Parameter(g, "d", f32(4, 5)))
	// 5x5x2 image, 3x3x2x4 kernel, no padding: 3·3·4 outputs of 3·3·2 products each: 2·36·18 = 1296.
	conv := Convolve(Parameter(g, "x", f32(1, 5, 5, 2)), Parameter(g, "k", f32(3, 3, 2, 4))).NoPadding().Done()
	// A sum of the three: the element-wise ops add nothing, shared inputs count once.
	out := Add(ReduceAllSum(bmm), Add(ReduceAllSum(mm), ReduceAllSum(conv)))
	f, err := CountFLOPs(out, mm)
	if err != nil {
		t.Fatal(err)
	}
	if want := 240.0 + 120 + 1296; f.Forward != want {
		t.Errorf("forward FLOPs = %g, want %g (by op %v)", f.Forward, want, f.ByOp)
	}
	if f.ByOp["ConvGeneral"] != 1296 {
		t.Errorf("ConvGeneral FLOPs = %g, want 1296 (by op %v)", f.ByOp["ConvGeneral"], f.ByOp)
	}
	if f.Train() != 3*f.Forward {
		t.Errorf("Train() = %g, want 3x forward", f.Train())
	}
}

// TestViTFLOPs checks the graph count of bench-vit's smoke ViT against the ViT's
// products written out: mu/4 at 32x32x3 (dim 16, 2 blocks, 2 heads, MLP 32, 64
// patches of 48 values, cls token: 65 tokens), 10 classes, batch 8.
func TestViTFLOPs(t *testing.T) {
	exp, err := experiments.Get("bench-vit")
	if err != nil {
		t.Fatal(err)
	}
	f, err := experimentFLOPs(exp, []string{"smoke=true"})
	if err != nil {
		t.Fatal(err)
	}
	const B, P, T, D, H, M, C, L = 8.0, 64.0, 65.0, 16.0, 2.0, 32.0, 10.0, 2.0
	embed := 2 * B * P * 48 * D
	block := 3*2*B*T*D*D + // q, k, v
		2*2*B*H*T*T*(D/H) + // q·kᵀ and p·v
		2*B*T*D*D + // output projection
		2*2*B*T*D*M // MLP
	head := 2 * B * D * C
	if want := embed + L*block + head; f.Forward != want {
		t.Errorf("bench-vit smoke forward FLOPs = %g, want %g (by op %v)", f.Forward, want, f.ByOp)
	}
}

func TestGPUPeakTable(t *testing.T) {
	for _, c := range []struct {
		name, precision string
		want            float64
		row             string
	}{
		{"NVIDIA H100 80GB HBM3", "tf32", 494.7, "H100 SXM"},
		{"NVIDIA H100 80GB HBM3", "fp32", 67, "H100 SXM"},
		{"NVIDIA H100 PCIe", "tf32", 378, "H100 PCIe"},
		{"NVIDIA H100 NVL", "fp32", 60, "H100 NVL"},
		{"NVIDIA H200", "tf32", 494.7, "H200 SXM"},
		{"NVIDIA H200 NVL", "tf32", 417.5, "H200 NVL"},
		{"NVIDIA A100-SXM4-80GB", "tf32", 156, "A100 SXM"},
	} {
		got, row, ok := lookupGPUPeak(c.name, c.precision)
		if !ok || got != c.want || row != c.row {
			t.Errorf("lookupGPUPeak(%q, %s) = %g, %q, %v; want %g, %q", c.name, c.precision, got, row, ok, c.want, c.row)
		}
	}
	if _, _, ok := lookupGPUPeak("Tesla K80", "fp32"); ok {
		t.Error("an unknown GPU has a table peak")
	}
	for config, want := range map[string]string{"xla:cuda": "tf32", "xla:cuda,tf32=false": "fp32",
		"xla:/x/xla_cuda_plugin.so,notf32": "fp32"} {
		if got := xlaPrecision(config); got != want {
			t.Errorf("xlaPrecision(%q) = %s, want %s", config, got, want)
		}
	}
	for config, want := range map[string]bool{"xla:cuda": true, "xla:/a/jax_plugins/xla_cuda13/xla_cuda_plugin.so": true,
		"go": false, "xla:cpu": false} {
		if got := isCUDAConfig(config); got != want {
			t.Errorf("isCUDAConfig(%q) = %v, want %v", config, got, want)
		}
	}
}

func readRows(t *testing.T, path string) []Row {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestRunGoBackend runs the go backend path end to end at the smoke size.
func TestRunGoBackend(t *testing.T) {
	dir := t.TempDir()
	jsonPath, mdPath := filepath.Join(dir, "rows.json"), filepath.Join(dir, "table.md")
	var out strings.Builder
	err := run([]string{"-exp", "bench-vit", "-set", "smoke=true", "-steps", "2", "-warmup", "1", "-peers=false",
		"-peak-n", "128", "-json", jsonPath, "-md", mdPath}, &out)
	if err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, jsonPath)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.Runner != "mmdna/go" || r.Batch != 8 || r.ImgPerS <= 0 || r.StepMS <= 0 || r.MemMB <= 0 {
		t.Errorf("row %+v: want mmdna/go, batch 8, positive speed and memory", r)
	}
	if math.Abs(r.TrainGFLOP-0.028125696) > 1e-9 {
		t.Errorf("train GFLOP/step = %g, want 3 x 9375232 FLOPs", r.TrainGFLOP)
	}
	if r.Peak.TFLOPS <= 0 || !strings.Contains(r.Peak.Source, "measured: go backend, 128³") {
		t.Errorf("peak %+v: want the measured matmul of the go backend", r.Peak)
	}
	if want := r.TFLOPS / r.Peak.TFLOPS; math.Abs(r.MFU-want) > 1e-12 {
		t.Errorf("MFU = %g, want TFLOP/s / peak = %g", r.MFU, want)
	}
	md, _ := os.ReadFile(mdPath)
	if string(md) != out.String() || !strings.Contains(out.String(), "| bench-vit | mmdna/go | 8 |") {
		t.Errorf("markdown on stdout and in -md differ or lack the row:\n%s", out.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-steps", "0"}, "-steps 0"},
		{[]string{"-exp", "nosuch"}, "unknown experiment"},
		{[]string{"-exp", "bench-vit", "extra"}, `unexpected argument "extra"`},
		{[]string{"-backends", "", "-peers=false"}, "nothing to run"},
		{[]string{"-exp", "bench-vit", "-batch", "x"}, "-batch x"},
		{[]string{"-exp", "bench-vit", "-set", "smoke=true", "-backends", "nosuch", "-peers=false"}, "unknown backend"},
	} {
		err := run(c.args, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("run(%q) = %v, want one line containing %q", c.args, err, c.want)
		}
	}
}

// TestBenchExperimentsSmoke runs the four synthetic benchmark experiments on the go
// backend at their smoke sizes: each builds, trains and has a FLOP count.
func TestBenchExperimentsSmoke(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "rows.json")
	err := run([]string{"-exp", "bench-vit,bench-clip,bench-mae,bench-perceiver", "-set", "smoke=true", "-steps", "1",
		"-warmup", "0", "-peers=false", "-peak-n", "-1", "-json", jsonPath}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, jsonPath)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r.TrainGFLOP <= 0 || r.ImgPerS <= 0 || r.Peak.TFLOPS != 0 || r.MFU != 0 {
			t.Errorf("%s: %+v: want FLOPs and speed, no peak (-peak-n -1)", r.Experiment, r)
		}
	}
}

// TestTorchPeersSmoke runs the real PyTorch peers (/usr/bin/python3 with torch) of
// the four benchmark experiments at their smoke sizes next to the go backend.
func TestTorchPeersSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("imports torch four times: about a minute on 2 cores")
	}
	if exec.Command("/usr/bin/python3", "-c", "import torch").Run() != nil {
		t.Skip("no torch in /usr/bin/python3 (make peers)")
	}
	jsonPath := filepath.Join(t.TempDir(), "rows.json")
	err := run([]string{"-exp", "bench-vit,bench-clip,bench-mae,bench-perceiver", "-set", "smoke=true", "-steps", "2",
		"-warmup", "0", "-peak-n", "-1", "-jax", "off", "-peer-devices", "cpu", "-peer-dir", "../../bench/peers",
		"-json", jsonPath}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	var runners []string
	for _, r := range readRows(t, jsonPath) {
		runners = append(runners, r.Experiment+":"+r.Runner)
	}
	want := "bench-vit:pytorch/cpu,bench-vit:mmdna/go,bench-clip:pytorch/cpu,bench-clip:mmdna/go," +
		"bench-mae:pytorch/cpu,bench-mae:mmdna/go,bench-perceiver:pytorch/cpu,bench-perceiver:mmdna/go"
	if got := strings.Join(runners, ","); got != want {
		t.Errorf("rows %s\nwant %s", got, want)
	}
}
