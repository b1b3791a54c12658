package fusion

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// gatedUnit is the gated multimodal unit of Arevalo et al. 2017 (GMU) on the pooled
// features v: [batch, image_dim] and t: [batch, text_dim]:
//
//	h_v = tanh(W_v v + b_v)          [batch, width]
//	h_t = tanh(W_t t + b_t)          [batch, width]
//	z   = sigmoid(W_z [v; t] + b_z)  [batch, width]
//	h   = z ⊙ h_v + (1 - z) ⊙ h_t    [batch, width]
//
// Each unit of h is a convex mix of an image unit and a text unit, and its gate reads
// both modalities: z ⊙ h_v is a product of a function of [v; t] and a function of v, so
// the unit can respond to whether image and text agree, which the concatenation of early
// fusion leaves to the classifier. The paper writes the three layers without biases; they
// have biases here (zero at the start, as in every Dense of this package) so that a gate
// can lean towards one modality for every example. Variables: "image", "text", "gate",
// each an nn.Dense.
func gatedUnit(scope *model.Scope, v, t *Node, width int) *Node {
	hv := Tanh(nn.Dense(scope.In("image"), v, true, width))                               // [batch, width]
	ht := Tanh(nn.Dense(scope.In("text"), t, true, width))                                // [batch, width]
	z := Sigmoid(nn.Dense(scope.In("gate"), Concatenate([]*Node{v, t}, -1), true, width)) // [batch, width]
	return Add(Mul(z, hv), Mul(OneMinus(z), ht))                                          // [batch, width]
}

// lowRankBilinear is the low-rank bilinear pooling of MLB (Kim et al. 2017, "Hadamard
// product for low-rank bilinear pooling") on the pooled features v: [batch, image_dim]
// and t: [batch, text_dim]:
//
//	f = tanh(U v + b_u) ⊙ tanh(V t + b_v)   [batch, rank]
//
// A full bilinear model scores vᵀ W_k t with one image_dim x text_dim matrix W_k per
// output k; MLB factors every W_k = U diag(p_k) Vᵀ through a shared rank R, so that
// the k-th output is p_kᵀ f: the projection P = [p_k] is the first layer of the
// classifier that reads f (the only layer with Hidden = 0, MLB as written; with Hidden
// > 0 a LayerNorm and a GELU MLP follow f as for the other strategies). tanh is MLB's
// nonlinearity before the product; the biases (zero at the start) are this package's
// choice, as in gatedUnit.
// Variables: "image" (U, b_u) and "text" (V, b_v), each an nn.Dense.
func lowRankBilinear(scope *model.Scope, v, t *Node, rank int) *Node {
	u := Tanh(nn.Dense(scope.In("image"), v, true, rank)) // [batch, rank]
	w := Tanh(nn.Dense(scope.In("text"), t, true, rank))  // [batch, rank]
	return Mul(u, w)                                      // [batch, rank]
}
