package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSlope: times proportional to n give slope 1, to n² slope 2, whatever the
// constant, over the last three lengths only.
func TestSlope(t *testing.T) {
	lengths := []int{8, 256, 512, 1024}
	var rows []scalingRow
	for _, n := range lengths {
		f := float64(n)
		lin, quad := 3*f, 0.01*f*f
		if n == 8 {
			lin, quad = 1e6, 1e6 // overhead-dominated first point: left out of the fit.
		}
		rows = append(rows, scalingRow{Model: "a", Tokens: n, StepMS: lin, CPUMS: quad},
			scalingRow{Model: "b", Tokens: n, StepMS: quad, CPUMS: lin})
	}
	if s := slope(rows, "a", lengths, wallMS); math.Abs(s-1) > 1e-9 {
		t.Errorf("linear slope %v, want 1", s)
	}
	if s := slope(rows, "b", lengths, wallMS); math.Abs(s-2) > 1e-9 {
		t.Errorf("quadratic slope %v, want 2", s)
	}
	if s := slope(rows, "a", lengths, cpuMS); math.Abs(s-2) > 1e-9 {
		t.Errorf("quadratic CPU slope %v, want 2", s)
	}
}

// TestScalingSmoke runs the benchmark at toy sizes: both models at two lengths, a
// table with a row per length, both plots and the JSON rows.
func TestScalingSmoke(t *testing.T) {
	dir := t.TempDir()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := addScalingFlags(fs)
	if err := fs.Parse([]string{"-scaling", "-scaling-lengths", "16,32", "-scaling-dim", "8", "-scaling-latents", "4",
		"-scaling-steps", "1", "-scaling-warmup", "0", "-scaling-out", dir}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := o.run(&out, "go", filepath.Join(dir, "rows.json")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 16 |", "| 32 |", "log-log slope"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"perceiver_scaling_loglog.png", "perceiver_scaling_linear.png", "rows.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if err := o.run(&out, "go,go", ""); err == nil {
		t.Error("two backends accepted")
	}
	*o.lengths = "16,x"
	if err := o.run(&out, "go", ""); err == nil {
		t.Error("a bad length accepted")
	}
}

// TestScalingRefusesOtherFlags: with -scaling, the experiment benchmark's flags would
// change nothing and are refused; the -scaling-* flags are refused without -scaling.
func TestScalingRefusesOtherFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-scaling", "-exp", "bench-vit"}, "-exp: not used by -scaling"},
		{[]string{"-scaling", "-batch", "8"}, "-batch: not used by -scaling"},
		{[]string{"-scaling", "-peers=false"}, "-peers: not used by -scaling"},
		{[]string{"-exp", "bench-vit", "-scaling-dim", "8"}, "-scaling-dim: used only with -scaling"},
	} {
		err := run(c.args, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want %q", c.args, err, c.want)
		}
	}
}
