package crossattn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v10_5 is v9 with a three-level hierarchy (prose: "a hierarchical structure in three
// stages, independent multi-head attention at each level, results fused with weights";
// the dldna file "v10-5 - cross-attention with hierarchical feature fusion" agrees):
// each level l projects and normalises both inputs (level_l/proj, level_l/norm), runs
// v9's two attentions on them (shared attn_norm, to_q/to_k/to_v), and the levels are
// summed with weights softmax(w), w ("level_weights") starting at 1/3 each; then
// dropout(to_out(·)) and v9's FFN with residual.
func v10_5(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return hierBlock(scope, cfg, img, txt, txtMask, sharedQKV, false)
}

// hierBlock is the hierarchical block of v10_5 and v11. With outPerLevel (v11) the
// output projection is applied to each level before weighting and not followed by
// dropout, as in the dldna v11 file; otherwise once after fusion, with dropout.
func hierBlock(scope *model.Scope, cfg Config, img, txt, txtMask *Node, qkv qkvFn, outPerLevel bool) (*Node, *Node) {
	n := cfg.levels()
	w := nn.SoftmaxLastAxis(scope, levelWeights(scope, img.Graph(), n, img.DType())) // [levels]
	attnNorm, out := scope.At("attn_norm"), scope.At("to_out")
	var imgSum, txtSum *Node
	for l := range n {
		level := scope.At("level_%d", l)
		project := func(x *Node) *Node {
			return layerNorm(attnNorm, layerNorm(level.At("norm"), linear(level.At("proj"), x, cfg.Dim)))
		}
		imgAtt, txtAtt := biAttend(scope, cfg, project(img), project(txt), txtMask, qkv, cfg.Dropout)
		if outPerLevel {
			imgAtt, txtAtt = linear(out, imgAtt, cfg.Dim), linear(out, txtAtt, cfg.Dim)
		}
		wl := Reshape(Slice(w, AxisRange(l, l+1)), 1, 1, 1) // this level's weight
		imgAtt, txtAtt = Mul(imgAtt, wl), Mul(txtAtt, wl)
		if l == 0 {
			imgSum, txtSum = imgAtt, txtAtt
		} else {
			imgSum, txtSum = Add(imgSum, imgAtt), Add(txtSum, txtAtt)
		}
	}
	if !outPerLevel {
		imgSum = dropout(scope, linear(out, imgSum, cfg.Dim), cfg.Dropout)
		txtSum = dropout(scope, linear(out, txtSum, cfg.Dim), cfg.Dropout)
	}
	return ffnResidual(scope, cfg, imgSum), ffnResidual(scope, cfg, txtSum)
}

// levelWeights is the learned fusion logits [levels], initialised to 1/levels each
// (the dldna files' torch.ones(3) / 3).
func levelWeights(scope *model.Scope, g *Graph, n int, dtype dtypes.DType) *Node {
	init := func(g *Graph, shape shapes.Shape) *Node { return MulScalar(Ones(g, shape), 1/float64(n)) }
	return scope.WithInitializer(init).VariableWithShape("level_weights", shapes.Make(dtype, n)).NodeValue(g)
}
