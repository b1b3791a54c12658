package nn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/support/exceptions"
)

// SigmoidCrossEntropy is the element-wise binary cross-entropy of logits against targets
// in [0, 1] (the same shape), in the stable form max(x, 0) - x·t + log(1 + exp(-|x|))
// (PyTorch's binary_cross_entropy_with_logits, reduction="none").
func SigmoidCrossEntropy(logits, targets *Node) *Node {
	return Add(Sub(Max(logits, ZerosLike(logits)), Mul(logits, targets)), Log1P(Exp(Neg(Abs(logits)))))
}

// DefaultNormEpsilon is NormalizeL2's floor on the norm (PyTorch's F.normalize).
const DefaultNormEpsilon = 1e-12

// NormalizeL2 divides x by its L2 norm along axis (named so because GoMLX's graph
// package, dot-imported here, already has an L2Normalize without the epsilon floor), floored at epsilon (<= 0 means
// DefaultNormEpsilon) so that a zero vector stays zero: x / max(‖x‖, ε) as PyTorch's
// F.normalize. The floor is applied to the squared norm, so the gradient stays finite
// at zero.
// x: [..., dim, ...]; returns the same shape.
func NormalizeL2(x *Node, axis int, epsilon float64) *Node {
	if epsilon <= 0 {
		epsilon = DefaultNormEpsilon
	}
	sumSq := ReduceAndKeep(Square(x), ReduceSum, axis)
	norm := Sqrt(Max(sumSq, Scalar(x.Graph(), x.DType(), epsilon*epsilon)))
	return Div(x, norm)
}

// logSumExp is the numerically stable log(Σ exp(x)) over axis.
// x: [a, b]; returns [a] (axis 1) or [b] (axis 0).
func logSumExp(x *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	return Squeeze(Add(m, Log(ReduceAndKeep(Exp(Sub(x, m)), ReduceSum, axis))), axis)
}

// eyeMatrix is the n×n identity constant of dtype (bool when dtype is Bool).
func eyeMatrix(g *Graph, dtype dtypes.DType, n int) *Node {
	rows := Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
	cols := Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
	eye := Equal(rows, cols)
	if dtype == dtypes.Bool {
		return eye
	}
	return ConvertDType(eye, dtype)
}

// diagonalCrossEntropy is the mean cross-entropy of the rows of logits (axis 1) or of
// its columns (axis 0) with the labels on the diagonal.
// logits: [n, n]; returns a scalar.
func diagonalCrossEntropy(logits *Node, axis int) *Node {
	diag := ReduceSum(Mul(logits, eyeMatrix(logits.Graph(), logits.DType(), logits.Shape().Dim(0))), axis)
	return ReduceAllMean(Sub(logSumExp(logits, axis), diag))
}

// checkPair validates two [batch, dim] embeddings of the same shape.
func checkPair(fn string, a, b *Node) {
	checkRank(fn, "first embedding", a, 2)
	checkRank(fn, "second embedding", b, 2)
	if !a.Shape().Equal(b.Shape()) {
		exceptions.Panicf("nn.%s: embeddings %s and %s differ in shape", fn, a.Shape(), b.Shape())
	}
}

// ClipLoss is CLIP's symmetric contrastive loss (open_clip's ClipLoss): logits =
// logitScale · img·txtᵀ, labels on the diagonal (image i matches text i), the mean of
// the image→text (rows) and text→image (columns) cross-entropies.
//
// imgEmb, txtEmb: [batch, dim], already L2-normalised; logitScale: scalar, the
// multiplier itself (exp of CLIP's learned log-scale, clamped by the caller).
// Returns a scalar.
func ClipLoss(imgEmb, txtEmb, logitScale *Node) *Node {
	checkPair("ClipLoss", imgEmb, txtEmb)
	if logitScale == nil || logitScale.Shape().Size() != 1 {
		exceptions.Panicf("nn.ClipLoss: logitScale must be a scalar")
	}
	logits := DotGeneral(imgEmb, []int{1}, nil, txtEmb, []int{1}, nil) // [batch, batch]
	logits = Mul(logits, Reshape(ConvertDType(logitScale, logits.DType())))
	return DivScalar(Add(diagonalCrossEntropy(logits, 1), diagonalCrossEntropy(logits, 0)), 2)
}

// InfoNCE is the InfoNCE loss of query against keys: for each query i the positive is
// positives[i] and the negatives are the other rows of positives. Similarities are
// cosine (both inputs are L2-normalised here) divided by temperature; the loss is the
// mean cross-entropy over queries (one direction, unlike ClipLoss).
//
// query, positives: [batch, dim]; temperature > 0. Returns a scalar.
func InfoNCE(query, positives *Node, temperature float64) *Node {
	checkPair("InfoNCE", query, positives)
	if temperature <= 0 {
		exceptions.Panicf("nn.InfoNCE: temperature must be positive, got %g", temperature)
	}
	q, p := NormalizeL2(query, -1, 0), NormalizeL2(positives, -1, 0)
	logits := DivScalar(DotGeneral(q, []int{1}, nil, p, []int{1}, nil), temperature)
	return diagonalCrossEntropy(logits, 1)
}

// NTXent is SimCLR's normalised temperature-scaled cross-entropy: the 2B views
// z = [z1; z2] are L2-normalised, each view's positive is the other view of the same
// example (i ↔ i+B) and its negatives the 2B-2 remaining views (itself excluded);
// the loss is the mean cross-entropy over all 2B views.
//
// z1, z2: [batch, dim]; temperature > 0. Returns a scalar.
func NTXent(z1, z2 *Node, temperature float64) *Node {
	checkPair("NTXent", z1, z2)
	if temperature <= 0 {
		exceptions.Panicf("nn.NTXent: temperature must be positive, got %g", temperature)
	}
	g := z1.Graph()
	b := z1.Shape().Dim(0)
	z := NormalizeL2(Concatenate([]*Node{z1, z2}, 0), -1, 0)                      // [2b, dim]
	sim := DivScalar(DotGeneral(z, []int{1}, nil, z, []int{1}, nil), temperature) // [2b, 2b]
	// A view is not its own negative.
	sim = Where(eyeMatrix(g, dtypes.Bool, 2*b), BroadcastToDims(Scalar(g, sim.DType(), MaskedValue), 2*b, 2*b), sim)
	// The positive of row i is column (i+b) mod 2b.
	rows := Iota(g, shapes.Make(dtypes.Int32, 2*b, 2*b), 0)
	cols := Iota(g, shapes.Make(dtypes.Int32, 2*b, 2*b), 1)
	partner := Equal(cols, ModScalar(AddScalar(rows, float64(b)), float64(2*b)))
	positive := ReduceSum(Mul(sim, ConvertDType(partner, sim.DType())), 1)
	return ReduceAllMean(Sub(logSumExp(sim, 1), positive))
}

// TripletMargin is the triplet loss with margin on Euclidean distances, as PyTorch's
// TripletMarginLoss (p=2, eps=1e-6 added to the differences): mean over the batch of
// max(0, d(a, p) - d(a, n) + margin).
//
// anchor, positive, negative: [batch, dim]. Returns a scalar.
func TripletMargin(anchor, positive, negative *Node, margin float64) *Node {
	checkPair("TripletMargin", anchor, positive)
	checkPair("TripletMargin", anchor, negative)
	const eps = 1e-6
	dist := func(a, b *Node) *Node {
		return Sqrt(ReduceSum(Square(AddScalar(Sub(a, b), eps)), -1))
	}
	hinge := AddScalar(Sub(dist(anchor, positive), dist(anchor, negative)), margin)
	return ReduceAllMean(Max(hinge, ZerosLike(hinge)))
}
