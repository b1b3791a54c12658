package vilt

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
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

// WordsLogits is an image-only bag-of-words head over the patch embeddings
// (Output.Patches [batch, P, Dim], before the single stream, so the text cannot tell
// it): a per-patch Dense, GELU, Dense to the vocabulary, then the maximum over the
// patches (a word is in the image when one patch shows it). Returns [batch, VocabSize].
// Variables under scope "words".
func WordsLogits(scope *model.Scope, cfg Config, patches *Node) *Node {
	s := scope.WithInitializer(nn.XavierUniformInit(scope)).In("words")
	h := nn.Activate(nn.Dense(s.In("fc1"), patches, true, cfg.Dim), nn.ActGELU)
	return ReduceMax(nn.Dense(s.In("fc2"), h, true, cfg.VocabSize), 1)
}

// WordsLoss is the sigmoid cross-entropy of WordsLogits [batch, V] against multi-hot
// targets [batch, V] (1 where the image's captions hold the word), summed over the
// vocabulary and averaged over the batch, as caption.WordsLoss (Fang et al. 2015).
func WordsLoss(logits, targets *Node) *Node {
	if !logits.Shape().EqualDimensions(targets.Shape()) {
		exceptions.Panicf("vilt.WordsLoss: logits %s and targets %s: want the same shape", logits.Shape(), targets.Shape())
	}
	bce := nn.SigmoidCrossEntropy(logits, ConvertDType(targets, logits.DType()))
	return ReduceAllMean(ReduceSum(bce, -1))
}

// RelationLogits is an auxiliary head for relation questions: pooled [batch, Dim] ->
// [batch, shapeworld.NumDirections] logits, one per relation (left of, right of, above,
// below) that may hold from the question's first object to its second. A linear
// read-out, so that the pooled token carries the relation in a form the VQA head can
// combine with the question's relation word. Variables under scope "relation".
func RelationLogits(scope *model.Scope, pooled *Node, directions int) *Node {
	return nn.Dense(scope.In("relation"), pooled, true, directions)
}

// RelationLoss is the sigmoid cross-entropy of RelationLogits [batch, R] against targets
// [batch, R] (1 the relation holds, 0 not, negative: the row is not a relation question),
// summed over the relations and averaged over the relation rows; 0 when there are none.
//
// Why it exists: a yes/no relation question is an XOR of its relation word and the
// image (each scene asks a relation and its opposite about the same pair), so neither
// alone correlates with the answer and VQA's loss alone gives no first-order gradient
// towards encoding where the two objects lie (docs/results/vqa.md). This target is
// first order in the image.
func RelationLoss(logits, targets *Node) *Node {
	if !logits.Shape().EqualDimensions(targets.Shape()) {
		exceptions.Panicf("vilt.RelationLoss: logits %s and targets %s: want the same shape", logits.Shape(), targets.Shape())
	}
	targets = ConvertDType(targets, logits.DType())
	valid := ConvertDType(GreaterOrEqual(targets, ZerosLike(targets)), logits.DType()) // [batch, R]
	bce := nn.SigmoidCrossEntropy(logits, Mul(targets, valid))                         // [batch, R]
	rows := ReduceMax(valid, -1)                                                       // [batch]: 1 for a relation row
	n := ReduceAllSum(rows)
	return Div(ReduceAllSum(Mul(bce, valid)), Max(n, OnesLike(n)))
}

// GroundLogits is an auxiliary head on the text tokens (Output.Text [batch, L, Dim]):
// a Dense to [batch, L, cells] logits, the grid cell of the object a token names,
// trained by MaskedCrossEntropy against the cells of the nouns of questions (the other
// tokens' labels negative): each noun must say where its object is, so that a relation
// question's pooled token can compare two grounded tokens instead of grounding both
// objects itself. Variables under scope "ground".
func GroundLogits(scope *model.Scope, text *Node, cells int) *Node {
	return nn.Dense(scope.In("ground"), text, true, cells)
}
