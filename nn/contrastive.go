package nn

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/support/exceptions"
)

// SigLIPLoss is SigLIP's pairwise sigmoid loss (Zhai et al. 2023, Algorithm 1):
//
//	logits = t · img·txtᵀ + b,   z = 2·I - 1 (+1 on the diagonal, -1 elsewhere)
//	loss   = -(1/B) Σ_i Σ_j log σ(z_ij · logits_ij)
//
// Every image-text pair of the batch is an independent binary problem, so there is no
// softmax over the batch; the sum runs over all B² pairs and is divided by B, not B²,
// as the paper's pseudocode (-sum(log_sigmoid(labels*logits)) / n).
//
// imgEmb, txtEmb: [batch, dim], already L2-normalised; scale: scalar t (exp of the
// learned t'); bias: scalar b. Returns a scalar.
func SigLIPLoss(imgEmb, txtEmb, scale, bias *Node) *Node {
	checkPair("SigLIPLoss", imgEmb, txtEmb)
	if scale == nil || scale.Shape().Size() != 1 || bias == nil || bias.Shape().Size() != 1 {
		exceptions.Panicf("nn.SigLIPLoss: scale and bias must be scalars")
	}
	g := imgEmb.Graph()
	n := imgEmb.Shape().Dim(0)
	logits := DotGeneral(imgEmb, []int{1}, nil, txtEmb, []int{1}, nil) // [batch, batch]
	dt := logits.DType()
	logits = Add(Mul(logits, Reshape(ConvertDType(scale, dt))), Reshape(ConvertDType(bias, dt)))
	labels := AddScalar(MulScalar(eyeMatrix(g, dt, n), 2), -1) // [batch, batch]: ±1
	// log σ(x) = -softplus(-x), stable for large |x| (at init b = -10 makes the
	// off-diagonal terms tiny and the diagonal ones about -10).
	nll := Softplus(Neg(Mul(labels, logits))) // [batch, batch]
	return DivScalar(ReduceAllSum(nll), float64(n))
}

// TripletNegatives says which in-batch negatives a cross-modal triplet loss uses.
type TripletNegatives string

// The negative choices of CrossModalTriplet.
const (
	// TripletHardest keeps the hardest negative of each anchor (VSE++, Faghri et al.
	// 2018, "max of hinges").
	TripletHardest TripletNegatives = "hardest"
	// TripletMean averages the hinge over all B-1 negatives (VSE0's "sum of hinges",
	// divided by B-1 so that the margin keeps its scale with the batch).
	TripletMean TripletNegatives = "mean"
)

// CrossModalTriplet is the bidirectional triplet loss with a margin on cosine distance
// d(x, y) = 1 - x·y between matching pairs (image i with text i):
//
//	image→text: max(0, m + d(img_i, txt_i) - d(img_i, txt_j)), j ≠ i
//	text→image: max(0, m + d(txt_i, img_i) - d(txt_i, img_j)), j ≠ i
//
// With cosine distance the hinge is m - s_ii + s_ij for the similarity s = img·txtᵀ.
// negatives picks, per anchor, the hardest j (TripletHardest) or the mean over all j
// (TripletMean). The loss is the mean over the B anchors of each direction, summed over
// the two directions (VSE++ sums them too). Trained from scratch, the hardest negative
// can collapse every embedding to one point, where the loss is 2·margin and its gradient
// zero (FaceNet's warning; it happens on clip-shapes, docs/results/contrastive.md).
//
// imgEmb, txtEmb: [batch, dim], already L2-normalised; margin >= 0. Returns a scalar.
func CrossModalTriplet(imgEmb, txtEmb *Node, margin float64, negatives TripletNegatives) *Node {
	checkPair("CrossModalTriplet", imgEmb, txtEmb)
	if margin < 0 {
		exceptions.Panicf("nn.CrossModalTriplet: margin must be >= 0, got %g", margin)
	}
	if negatives != TripletHardest && negatives != TripletMean {
		exceptions.Panicf("nn.CrossModalTriplet: negatives %q: want %q or %q", negatives, TripletHardest, TripletMean)
	}
	g := imgEmb.Graph()
	n := imgEmb.Shape().Dim(0)
	if n < 2 {
		exceptions.Panicf("nn.CrossModalTriplet: batch %d has no negatives", n)
	}
	sim := DotGeneral(imgEmb, []int{1}, nil, txtEmb, []int{1}, nil) // [batch, batch]: s_ij
	dt := sim.DType()
	diag := ReduceSum(Mul(sim, eyeMatrix(g, dt, n)), 1)        // [batch]: s_ii
	eye := eyeMatrix(g, dtypes.Bool, n)                        // [batch, batch]
	zeros := ZerosLike(sim)                                    // [batch, batch]
	posRow := ExpandAxes(diag, 1)                              // [batch, 1]: s_ii of anchor image i (row i)
	posCol := ExpandAxes(diag, 0)                              // [1, batch]: s_jj of anchor text j (column j)
	costI2T := Max(AddScalar(Sub(sim, posRow), margin), zeros) // [batch, batch]: row i, negative text j
	costT2I := Max(AddScalar(Sub(sim, posCol), margin), zeros) // [batch, batch]: column j, negative image i
	// The positive pair is not its own negative.
	costI2T, costT2I = Where(eye, zeros, costI2T), Where(eye, zeros, costT2I)
	if negatives == TripletHardest {
		return Add(ReduceAllMean(ReduceMax(costI2T, 1)), ReduceAllMean(ReduceMax(costT2I, 0)))
	}
	perAnchor := float64(n * (n - 1))
	return DivScalar(Add(ReduceAllSum(costI2T), ReduceAllSum(costT2I)), perAnchor)
}
