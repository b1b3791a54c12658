package nn

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestBranchesSameFunction: splitting the batch into branches with shared weights
// gives the unsplit outputs and creates no new variables; a batch that k does not
// divide runs unsplit.
func TestBranchesSameFunction(t *testing.T) {
	b := testbackend.Go()
	f := func(scope *model.Scope, x *Node) *Node { // x: [batch, 3] -> [batch, 2]
		h := Tanh(Dense(scope.In("a"), x, true, 4))
		return Dense(scope.In("b"), h, true, 2)
	}
	x := make([]float32, 6*3)
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	store := model.NewStore()
	run := func(k, batch int) []float32 {
		exec := model.MustNewExec(b, store, func(scope *model.Scope, in *Node) *Node { return Branches(scope, k, in, f) })
		return tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x[:batch*3], batch, 3))[0])
	}
	want := run(1, 6)
	vars := store.NumVariables()
	for _, c := range []struct{ k, batch int }{{2, 6}, {3, 6}, {4, 6}, {2, 5}} {
		got := run(c.k, c.batch)
		for i := range got {
			if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("k=%d batch=%d: output %d = %g, unsplit %g", c.k, c.batch, i, got[i], want[i])
			}
		}
	}
	if store.NumVariables() != vars {
		t.Errorf("branches created variables: %d, want %d", store.NumVariables(), vars)
	}
}

// TestBranchesOfSameFunction: BranchesOf slices every input alike and concatenates
// every output: two inputs, two outputs of different shapes, equal to the unsplit
// function.
func TestBranchesOfSameFunction(t *testing.T) {
	b := testbackend.Go()
	f := func(scope *model.Scope, in []*Node) []*Node { // [batch, 3], [batch, 2] -> [batch, 2], [batch]
		h := Tanh(Add(Dense(scope.In("a"), in[0], true, 2), in[1]))
		return []*Node{h, ReduceSum(Mul(h, in[1]), -1)}
	}
	x, y := make([]float32, 4*3), make([]float32, 4*2)
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	for i := range y {
		y[i] = float32(i%3) * 0.5
	}
	store := model.NewStore()
	run := func(k int) [][]float32 {
		exec := model.MustNewExec(b, store, func(scope *model.Scope, x, y *Node) []*Node {
			return BranchesOf(scope, k, []*Node{x, y}, f)
		})
		outs := exec.MustExec(tensors.FromFlatDataAndDimensions(x, 4, 3), tensors.FromFlatDataAndDimensions(y, 4, 2))
		return [][]float32{tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])}
	}
	want := run(1)
	got := run(2)
	for o := range want {
		if len(got[o]) != len(want[o]) {
			t.Fatalf("output %d: %d values, want %d", o, len(got[o]), len(want[o]))
		}
		for i := range want[o] {
			if d := got[o][i] - want[o][i]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("output %d[%d] = %g in two branches, %g unsplit", o, i, got[o][i], want[o][i])
			}
		}
	}
}
