package nn

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// testBackend is the pure-Go backend every test and benchmark here runs on, created once.
var testBackend = testbackend.Go

// runErr is run for graphs expected to fail: it returns the error.
func runErr(t *testing.T, fn func(scope *model.Scope, in []*Node) []*Node, inputs ...any) error {
	t.Helper()
	exec, err := model.NewExec(testBackend(), model.NewStore(), fn)
	if err != nil {
		return err
	}
	_, err = exec.Exec(inputs...)
	return err
}

// flat returns a float32 tensor's values.
func flat(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// setVar creates the variable at path with value before any graph uses it.
func setVar(t *testing.T, store *model.Store, path string, value any) {
	t.Helper()
	tensor, err := tensors.FromAnyValue(value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateVariable(path, tensor); err != nil {
		t.Fatal(err)
	}
}

// assertClose fails unless got and want have the same length and agree within tol
// (absolute, plus relative to |want|).
func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %g, want %g (diff %g > tol %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// maxDiff is the largest absolute difference between a and b.
func maxDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}
