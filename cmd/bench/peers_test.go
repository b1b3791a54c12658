package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakePython answers the probe (torch without CUDA, jax on the CPU) and prints a
// fixed result per framework; it logs its arguments to $FAKE_PY_LOG and fails when
// $FAKE_PY_FAIL is set.
const fakePython = `#!/bin/bash
echo "$@" >> "$FAKE_PY_LOG"
if [ "$1" = "-c" ]; then echo '{"torch":"9.9","torch_cuda":false,"jax":"0.11","jax_backend":"cpu"}'; exit 0; fi
if [ -n "$FAKE_PY_FAIL" ]; then echo "Traceback: boom" >&2; exit 1; fi
case "$1" in
  *_jax.py) echo "compiling..."; echo '{"peer":"jax","device":"cpu","precision":"fp32","step_s_median":0.5,"img_per_s":16,"compile_s":2,"peak_mem_mb":100,"mem_what":"rss","matmul_tflops":0.05}';;
  *) echo '{"peer":"pytorch","device":"cpu","precision":"fp32","step_s_median":0.25,"img_per_s":32,"peak_mem_mb":200,"mem_what":"rss","matmul_tflops":0.1}';;
esac
`

// peerFixture writes the fake python and a peer directory holding the ViT peer and
// its JAX twin (their content is never read: the fake python runs them).
func peerFixture(t *testing.T) (python, peerDir, log string) {
	t.Helper()
	dir := t.TempDir()
	python, peerDir, log = filepath.Join(dir, "python"), filepath.Join(dir, "peers"), filepath.Join(dir, "args.log")
	if err := os.WriteFile(python, []byte(fakePython), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(peerDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"vit_fmnist.py", "vit_fmnist_jax.py"} {
		if err := os.WriteFile(filepath.Join(peerDir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("FAKE_PY_LOG", log)
	return python, peerDir, log
}

func TestPeersSideBySide(t *testing.T) {
	python, peerDir, log := peerFixture(t)
	jsonPath := filepath.Join(t.TempDir(), "rows.json")
	var out strings.Builder
	err := run([]string{"-exp", "bench-vit", "-set", "smoke=true", "-steps", "2", "-warmup", "0", "-python", python,
		"-peer-dir", peerDir, "-peak-n", "64", "-json", jsonPath}, &out)
	if err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, jsonPath)
	runners := make([]string, len(rows))
	for i, r := range rows {
		runners[i] = r.Runner
	}
	if strings.Join(runners, ",") != "pytorch/cpu,jax/cpu,mmdna/go" {
		t.Fatalf("runners %v, want pytorch/cpu, jax/cpu, mmdna/go", runners)
	}
	torch := rows[0]
	wantTFLOPS := 0.028125696e9 / 0.25 / 1e12
	if torch.ImgPerS != 32 || torch.StepMS != 250 || math.Abs(torch.TFLOPS-wantTFLOPS) > 1e-15 ||
		torch.Peak.TFLOPS != 0.1 || math.Abs(torch.MFU-wantTFLOPS/0.1) > 1e-12 || torch.MemMB != 200 {
		t.Errorf("pytorch row %+v: want 32 img/s, 250 ms, %g TFLOP/s of a 0.1 peak, 200 MB", torch, wantTFLOPS)
	}
	if rows[1].CompileS != 2 || rows[1].Peak.TFLOPS != 0.05 {
		t.Errorf("jax row %+v: want compile 2 s and a 0.05 peak", rows[1])
	}
	args, _ := os.ReadFile(log)
	for _, want := range []string{peerDir + "/vit_fmnist.py --image 32 --channels 3 --patch 4 --dim 16",
		peerDir + "/vit_fmnist_jax.py --image 32", "--mode bench --batch 8 --steps 2 --warmup-steps 0",
		"--device cpu --peak-n 64"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("peer command lines lack %q:\n%s", want, args)
		}
	}
	goRow := "| bench-vit | mmdna/go | 8 |"
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, goRow) && !(strings.Contains(line, "x pytorch/cpu, ") && strings.HasSuffix(line, "x jax/cpu |")) {
			t.Errorf("mmdna row without both ratios: %s", line)
		}
	}
}

func TestPeerChoices(t *testing.T) {
	python, peerDir, log := peerFixture(t)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-jax", "off"}, "pytorch/cpu"},
		{[]string{"-peer-devices", "cpu", "-jax", "off"}, "pytorch/cpu"},
		{[]string{"-jax", "on", "-peer-devices", "cpu"}, "pytorch/cpu,jax/cpu"},
		{[]string{"-peer-devices", "none"}, "jax/cpu"},
	} {
		jsonPath := filepath.Join(t.TempDir(), "rows.json")
		args := append([]string{"-exp", "bench-vit", "-set", "smoke=true", "-steps", "1", "-warmup", "0", "-backends", "",
			"-python", python, "-peer-dir", peerDir, "-json", jsonPath}, c.flags...)
		if err := run(args, &strings.Builder{}); err != nil {
			t.Fatalf("%v: %v", c.flags, err)
		}
		var runners []string
		for _, r := range readRows(t, jsonPath) {
			runners = append(runners, r.Runner)
		}
		if strings.Join(runners, ",") != c.want {
			t.Errorf("%v: runners %v, want %q", c.flags, runners, c.want)
		}
	}
	if args, _ := os.ReadFile(log); !strings.Contains(string(args), "--device cpu --peak-n 1024") {
		t.Errorf("CPU peers without -peak-n: want --peak-n 1024 (as the go backend's):\n%s", args)
	}
	// A failing peer is reported and skipped.
	t.Setenv("FAKE_PY_FAIL", "1")
	jsonPath := filepath.Join(t.TempDir(), "rows.json")
	if err := run([]string{"-exp", "bench-vit", "-set", "smoke=true", "-steps", "1", "-backends", "", "-python", python,
		"-peer-dir", peerDir, "-json", jsonPath}, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	if rows := readRows(t, jsonPath); len(rows) != 0 {
		t.Errorf("failing peers gave rows %+v", rows)
	}
}

// TestBadPeerFlags: a bad value of a peer flag, or a device or framework the python
// lacks, is a one-line error before anything runs, not a warning and a table without
// the peers.
func TestBadPeerFlags(t *testing.T) {
	python, peerDir, _ := peerFixture(t)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-jax", "bogus"}, "-jax bogus"},
		{[]string{"-peer-devices", "gpu"}, `"gpu" is not a device`},
		{[]string{"-peer-devices", ","}, "-peer-devices"},
		{[]string{"-peer-devices", "cuda"}, "sees no CUDA device"}, // the fake torch has no GPU.
		{[]string{"-python", filepath.Join(t.TempDir(), "none")}, "-python"},
	} {
		jsonPath := filepath.Join(t.TempDir(), "rows.json")
		args := append([]string{"-exp", "bench-vit", "-set", "smoke=true", "-steps", "1", "-warmup", "0", "-python", python,
			"-peer-dir", peerDir, "-json", jsonPath}, c.flags...)
		err := run(args, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line containing %q", c.flags, err, c.want)
		}
		if _, err := os.Stat(jsonPath); err == nil {
			t.Errorf("%v: rows written despite the error", c.flags)
		}
	}
}

// TestPeerEnv: peers wait passively in OpenMP unless the caller's environment chooses,
// and keep the caller's environment.
func TestPeerEnv(t *testing.T) {
	got := peerEnv([]string{"HOME=/root"})
	if !slices.Contains(got, "OMP_WAIT_POLICY=PASSIVE") || !slices.Contains(got, "HOME=/root") ||
		!slices.Contains(got, "PYTHONDONTWRITEBYTECODE=1") {
		t.Errorf("peerEnv = %v, want HOME kept, OMP_WAIT_POLICY=PASSIVE and no bytecode", got)
	}
	got = peerEnv([]string{"OMP_WAIT_POLICY=ACTIVE"})
	if slices.Contains(got, "OMP_WAIT_POLICY=PASSIVE") || !slices.Contains(got, "OMP_WAIT_POLICY=ACTIVE") {
		t.Errorf("peerEnv = %v, want the caller's OMP_WAIT_POLICY=ACTIVE kept alone", got)
	}
}
