// Package testbackend gives tests and benchmarks the pure-Go backend, created once per
// test binary (the CI tier runs on it, GOMLX_BACKEND=go, and it needs no plugin), and
// Run, which executes a graph function on it.
package testbackend

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	_ "github.com/mmdna/mmdna/internal/simdguard" // see its package comment: a Go 1.27.3 simd bug.
)

// Go returns the shared pure-Go backend; it panics if the backend cannot be created,
// which only a broken build can cause.
var Go = sync.OnceValue(func() compute.Backend {
	b, err := gobackend.New("")
	if err != nil {
		panic(err)
	}
	return b
})

// Run builds fn over store (a new one when nil) on the shared backend, executes it on
// inputs and returns its outputs; any failure ends the test.
func Run[F model.ExecGraphFn](t testing.TB, store *model.Store, fn F, inputs ...any) []*tensors.Tensor {
	t.Helper()
	if store == nil {
		store = model.NewStore()
	}
	exec, err := model.NewExec(Go(), store, fn)
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
