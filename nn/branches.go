package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Branches runs f on k equal slices of the batch x [batch, ...] with shared weights
// and concatenates the outputs along the batch axis: the same function as f(scope, x)
// (every layer is per-example), built as k independent subgraphs that meet only in
// the weight gradients. The go backend executes independent ops concurrently, and
// most ops of a small model are too small to be split across cores by themselves:
// on vit-fmnist-ref (batch 128, 2 cores) two branches make the step 1.26x faster.
//
// f must treat examples independently (no batch statistics, no in-batch negatives).
// A batch that k does not divide runs as one branch: the function is the same.
func Branches(scope *model.Scope, k int, x *Node, f func(*model.Scope, *Node) *Node) *Node {
	return BranchesOf(scope, k, []*Node{x}, func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{f(scope, in[0])}
	})[0]
}

// BranchesOf is Branches for a function of several inputs and outputs, each with the
// batch as its first axis: every input is sliced alike (branch i gets the examples
// [i*batch/k, (i+1)*batch/k) of each), and each output is the concatenation of the
// branches' along axis 0.
func BranchesOf(scope *model.Scope, k int, xs []*Node, f func(*model.Scope, []*Node) []*Node) []*Node {
	n := xs[0].Shape().Dim(0)
	for _, x := range xs[1:] {
		if x.Shape().Dim(0) != n {
			exceptions.Panicf("nn.BranchesOf: inputs of batch %d and %d (%s): want one batch", n, x.Shape().Dim(0), x.Shape())
		}
	}
	if k <= 1 || n%k != 0 {
		return f(scope, xs)
	}
	var outs [][]*Node // [output][branch]
	for i := range k {
		part := make([]*Node, len(xs))
		for j, x := range xs {
			part[j] = Slice(x, AxisRange(i*n/k, (i+1)*n/k)) // [batch/k, ...]
		}
		ys := f(scope.ResetVisited(), part)
		if outs == nil {
			outs = make([][]*Node, len(ys))
		}
		for j, y := range ys {
			outs[j] = append(outs[j], y)
		}
	}
	cat := make([]*Node, len(outs))
	for j, o := range outs {
		cat[j] = Concatenate(o, 0)
	}
	return cat
}
