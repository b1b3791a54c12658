// Package crossattn implements section 10.4 of the chapter: cross-modal attention
// (CrossModalAttention, HierarchicalCrossModalAttention), the 17 versions of its
// ablation study (v0 ... v9, v10_1 ... v10_6, v11) and the image-text matching model
// the study trains them in (match.go).
//
// Every version maps image features [batch, n_img, dim] and text features
// [batch, n_txt, dim] (with an optional text padding mask [batch, n_txt]) to attended
// features of the same shapes, (image_out, text_out), as the chapter's
// CrossAttention.forward(image_features, text_features) does. Each version is one
// small file (v0.go, v10_4.go, ...) built on the helpers of this file and registered
// by name in one table (versions.go): a new version is one file plus one line.
// docs/crossattn.md says, version by version, what each adds and whether its
// definition comes from the chapter's code, its prose or our reading.
package crossattn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// Config sizes a cross-attention version. The chapter's values are in DefaultConfig.
type Config struct {
	// Dim is the width of the features of both modalities (the chapter projects both
	// encoders to 256 before the cross-attention).
	Dim int
	// Heads is the number of heads of the multi-head versions (v6 on); Dim must be
	// divisible by it. The chapter's default is 8.
	Heads int
	// Dropout is the rate of v9's dropouts (attention weights, after to_out, in the
	// gated FFN) and of the versions built on v9; training graphs only. Chapter: 0.1.
	Dropout float64
	// FFDim is the hidden width of v9's gated FFN; 0 means 4*Dim (the chapter's ff_dim).
	FFDim int
	// Levels is the number of hierarchical levels of v10_5 and v11; 0 means 3.
	Levels int
}

// DefaultConfig returns the chapter's sizes: dim 256, 8 heads, dropout 0.1.
func DefaultConfig() Config { return Config{Dim: 256, Heads: 8, Dropout: 0.1} }

// Validate reports the first inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.Dim <= 0:
		return fmt.Errorf("crossattn: Dim %d must be positive", c.Dim)
	case c.Heads <= 0 || c.Dim%c.Heads != 0:
		return fmt.Errorf("crossattn: Heads %d must be positive and divide Dim %d", c.Heads, c.Dim)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("crossattn: Dropout %g must be in [0, 1)", c.Dropout)
	case c.FFDim < 0 || c.Levels < 0:
		return fmt.Errorf("crossattn: FFDim %d and Levels %d must be >= 0", c.FFDim, c.Levels)
	}
	return nil
}

func (c Config) ffDim() int {
	if c.FFDim > 0 {
		return c.FFDim
	}
	return 4 * c.Dim
}

func (c Config) levels() int {
	if c.Levels > 0 {
		return c.Levels
	}
	return 3
}

func (c Config) headDim() int { return c.Dim / c.Heads }

// split views features [batch, n, Dim] as the config's heads, [batch, Heads, n, Dim/Heads].
func (c Config) split(x *Node) *Node { return nn.SplitHeads(x, c.Heads, c.headDim()) }

// Forward runs the version called name under scope (variables go below it).
//
// img: [batch, n_img, Dim]; txt: [batch, n_txt, Dim]; txtMask: [batch, n_txt] int or
// bool (1/true = real token) or nil. Returns imgOut [batch, n_img, Dim] and txtOut
// [batch, n_txt, Dim]. Bad input panics through GoMLX's exceptions (model.Exec returns
// it as an error), like every GoMLX layer.
func Forward(scope *model.Scope, name string, cfg Config, img, txt, txtMask *Node) (imgOut, txtOut *Node) {
	v, err := Get(name)
	if err != nil {
		exceptions.Panicf("%v", err)
	}
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	checkFeatures(cfg, img, txt, txtMask)
	return v.Fn(scope.WithInitializer(LinearInit(scope)), cfg, img, txt, txtMask)
}

// checkFeatures validates the inputs of a version.
func checkFeatures(cfg Config, img, txt, txtMask *Node) {
	for _, x := range []*Node{img, txt} {
		if x == nil || x.Rank() != 3 || x.Shape().Dim(-1) != cfg.Dim {
			exceptions.Panicf("crossattn: features must be [batch, tokens, %d], got %v", cfg.Dim, shapeOf(x))
		}
	}
	if img.Shape().Dim(0) != txt.Shape().Dim(0) {
		exceptions.Panicf("crossattn: image %s and text %s differ in batch size", img.Shape(), txt.Shape())
	}
	if txtMask != nil && (txtMask.Rank() != 2 || txtMask.Shape().Dim(0) != txt.Shape().Dim(0) ||
		txtMask.Shape().Dim(1) != txt.Shape().Dim(1)) {
		exceptions.Panicf("crossattn: text mask %s does not match text %s", txtMask.Shape(), txt.Shape())
	}
}

func shapeOf(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}

// LinearInit is PyTorch's nn.Linear initialisation, the one the chapter's modules get:
// weights [in, out] uniform in ±1/sqrt(in) (kaiming_uniform with a=sqrt(5)); biases
// and other rank-1 variables start at zero (PyTorch draws them from the same range;
// zero keeps versions comparable and changes nothing measurable).
func LinearInit(scope *model.Scope) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		if !shape.DType.IsFloat() || shape.Rank() < 2 {
			return Zeros(g, shape)
		}
		bound := 1 / math.Sqrt(float64(shape.Dim(0)))
		return AddScalar(MulScalar(scope.RandomUniform(g, shape), 2*bound), -bound)
	}
}

// linear is nn.Linear(in, out) with bias: variables under scope ("dense/..."). Calling
// it again with the same scope reuses the layer, as the chapter's modules share
// to_q, to_out, ... between directions (module scopes are taken with At, not In,
// in this package for that reason).
// x: [..., in] -> [..., out].
func linear(scope *model.Scope, x *Node, out int) *Node {
	return nn.Dense(scope.ResetVisited(), x, true, out)
}

// layerNorm is nn.LayerNorm(dim) with PyTorch's epsilon 1e-5 (gain "gain", offset
// "offset" under scope). x: [..., dim].
func layerNorm(scope *model.Scope, x *Node) *Node { return nn.LayerNorm(scope, x, 1e-5) }

// gelu is PyTorch's nn.GELU (the exact, erf form).
func gelu(x *Node) *Node { return activation.Gelu(x) }

// dropout is nn.Dropout(rate): active in training graphs only.
func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	return layers.DropoutStatic(scope, x, rate)
}

// asHeads views [batch, n, dim] as one head, [batch, 1, n, dim].
func asHeads(x *Node) *Node { return ExpandAxes(x, 1) }

// fromHeads is the inverse of asHeads.
func fromHeads(x *Node) *Node { return Squeeze(x, 1) }

// scores is q·kᵀ·scale (+ bias).
// q: [batch, h, nq, d]; k: [batch, h, nk, d]; bias: [batch, 1, 1, nk] or nil.
// Returns [batch, h, nq, nk].
func scores(q, k *Node, scale float64, bias *Node) *Node {
	s := MulScalar(DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), scale)
	if bias != nil {
		s = Add(s, bias)
	}
	return s
}

// weighted is attn·v. attn: [batch, h, nq, nk]; v: [batch, h, nk, d] -> [batch, h, nq, d].
func weighted(attn, v *Node) *Node {
	return DotGeneral(attn, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
}

// attend is softmax(q·kᵀ·scale + bias)·v with dropout on the weights (rate 0: none).
// q: [batch, h, nq, d]; k, v: [batch, h, nk, d]. Returns [batch, h, nq, d].
func attend(scope *model.Scope, q, k, v *Node, scale float64, bias *Node, rate float64) *Node {
	return weighted(dropout(scope, nn.SoftmaxLastAxis(scope, scores(q, k, scale, bias)), rate), v)
}

// coAttend is the co-attention of v1-v6: one attention matrix, softmax over the text
// tokens, and its transpose for the text direction:
//
//	attn = softmax(img·txtᵀ·scale)   image_out = attn·txt   text_out = attnᵀ·img
//
// img: [batch, h, n_img, d]; txt: [batch, h, n_txt, d]; bias masks text keys.
func coAttend(scope *model.Scope, img, txt *Node, scale float64, bias *Node) (imgOut, txtOut *Node) {
	attn := nn.SoftmaxLastAxis(scope, scores(img, txt, scale, bias))             // [b, h, n_img, n_txt]
	imgOut = weighted(attn, txt)                                                 // [b, h, n_img, d]
	txtOut = DotGeneral(attn, []int{2}, []int{0, 1}, img, []int{2}, []int{0, 1}) // [b, h, n_txt, d]
	return imgOut, txtOut
}

// gatedFFN is v9's gated feed-forward network:
// dropout(ff_out(gelu(ff_gate(x)) ⊙ gelu(ff_value(x)))), dropouts after each GELU.
// x: [batch, n, dim] -> [batch, n, dim].
func gatedFFN(scope *model.Scope, cfg Config, x *Node) *Node {
	gate := dropout(scope, gelu(linear(scope.At("ff_gate"), x, cfg.ffDim())), cfg.Dropout)
	value := dropout(scope, gelu(linear(scope.At("ff_value"), x, cfg.ffDim())), cfg.Dropout)
	return dropout(scope, linear(scope.At("ff_out"), Mul(gate, value), cfg.Dim), cfg.Dropout)
}
