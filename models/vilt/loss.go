package vilt

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/support/exceptions"
)

// Ignore is the label of a position or example a loss skips (PyTorch's ignore_index
// -100 plays this role in ViLT; any negative label is ignored here).
const Ignore int32 = -1

// MaskedCrossEntropy is the mean softmax cross-entropy of logits [..., C] against
// integer labels [...] over the labels that are not negative; 0 when every label is
// ignored, so a batch without examples of a task adds nothing to the sum of the losses
// (ITM and MLM in fine-tuning, VQA in pre-training).
func MaskedCrossEntropy(logits, labels *Node) *Node {
	if labels.Rank() != logits.Rank()-1 || !labels.DType().IsInt() {
		exceptions.Panicf("vilt.MaskedCrossEntropy: labels %s: want the integer shape of logits %s without its last axis",
			labels.Shape(), logits.Shape())
	}
	classes := logits.Shape().Dim(-1)
	labels = ConvertDType(labels, dtypes.Int32)
	valid := GreaterOrEqual(labels, ScalarZero(labels.Graph(), dtypes.Int32)) // [...]
	safe := Where(valid, labels, ZerosLike(labels))
	logProbs := LogSoftmax(logits)                   // [..., C]
	onehot := OneHot(safe, classes, logits.DType())  // [..., C]
	nll := Neg(ReduceSum(Mul(logProbs, onehot), -1)) // [...]
	w := ConvertDType(valid, logits.DType())
	n := ReduceAllSum(w)
	return Div(ReduceAllSum(Mul(nll, w)), Max(n, OnesLike(n)))
}
