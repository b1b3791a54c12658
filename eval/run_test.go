package eval

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// rowsInputs returns the Inputs of a set whose example i is the row (i, 10·i), and
// records the index lists it was asked for.
func rowsInputs(asked *[][]int) Inputs {
	return func(idx []int) ([]*tensors.Tensor, error) {
		*asked = append(*asked, slices.Clone(idx))
		x := make([]float32, 2*len(idx))
		for k, i := range idx {
			x[2*k], x[2*k+1] = float32(i), float32(10*i)
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, len(idx), 2)}, nil
	}
}

// TestRun: 5 examples in chunks of 2 are asked as [0 1] [2 3] [4 4] (the last padded by
// repeating example 4), and the outputs hold the 5 real rows in order: x+1 [5, 2], the
// row sums [5], and a scalar from the last chunk.
func TestRun(t *testing.T) {
	exec, err := model.NewExec(testbackend.Go(), model.NewStore(), func(_ *model.Scope, x *Node) (*Node, *Node, *Node) {
		return AddScalar(x, 1), ReduceSum(x, -1), ReduceAllMax(x)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	var asked [][]int
	out, err := Run(exec, 5, 2, rowsInputs(&asked))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{0, 1}, {2, 3}, {4, 4}}; !slices.EqualFunc(asked, want, slices.Equal[[]int]) {
		t.Errorf("chunks asked %v, want %v", asked, want)
	}
	plus := Matrix{Rows: 5, Cols: 2, Data: []float32{1, 1, 2, 11, 3, 21, 4, 31, 5, 41}}
	sums := Matrix{Rows: 5, Cols: 1, Data: []float32{0, 11, 22, 33, 44}}
	last := Matrix{Rows: 1, Cols: 1, Data: []float32{40}}
	for i, want := range []Matrix{plus, sums, last} {
		got := out[i]
		if got.Rows != want.Rows || got.Cols != want.Cols || !slices.Equal(got.Data, want.Data) {
			t.Errorf("output %d = %+v, want %+v", i, got, want)
		}
	}
	// A set smaller than the chunk is one chunk of its own size: no padding at all.
	asked = nil
	if out, err = Run(exec, 3, 8, rowsInputs(&asked)); err != nil || out[0].Rows != 3 || len(asked) != 1 || len(asked[0]) != 3 {
		t.Errorf("3 examples in chunks of 8: asked %v, rows %d (%v)", asked, out[0].Rows, err)
	}
}

// TestRunErrors: outputs without the chunk as leading axis, integer outputs, no
// examples and failing inputs are one-line errors.
func TestRunErrors(t *testing.T) {
	var asked [][]int
	for name, fn := range map[string]func(*model.Scope, *Node) *Node{
		"transposed": func(_ *model.Scope, x *Node) *Node { return Transpose(x, 0, 1) },
		"int32":      func(_ *model.Scope, x *Node) *Node { return ConvertDType(x, dtypes.Int32) },
	} {
		exec, err := model.NewExec(testbackend.Go(), model.NewStore(), fn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(exec, 3, 3, rowsInputs(&asked)); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line error", name, err)
		}
		exec.Finalize()
	}
	exec := model.MustNewExec(testbackend.Go(), model.NewStore(), func(_ *model.Scope, x *Node) *Node { return x })
	defer exec.Finalize()
	if _, err := Run(exec, 0, 4, rowsInputs(&asked)); err == nil {
		t.Error("no examples accepted")
	}
	failing := func([]int) ([]*tensors.Tensor, error) { return nil, errTest }
	if _, err := Run(exec, 2, 4, failing); err != errTest {
		t.Errorf("failing inputs: %v, want their error", err)
	}
}

var errTest = errorString("images.bin: unreadable")

type errorString string

func (e errorString) Error() string { return string(e) }
