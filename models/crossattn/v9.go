package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// v9 is the chapter's "v8 + Pre-LN + FFN (gated FFN + dropout)" (code), the base of
// the v10 family:
//
//	Î, T̂ = attn_norm(I), attn_norm(T)
//	a_i = dropout(out(MHA(q=Î, k=T̂, v=T̂)))   a_t = dropout(out(MHA(q=T̂, k=Î, v=Î)))   (dropout on the weights too)
//	image_out = FFN(ff_norm(a_i)) + a_i      text_out = FFN(ff_norm(a_t)) + a_t
//
// with FFN(x) = dropout(ff_out(gelu(ff_gate(x)) ⊙ gelu(ff_value(x)))). As the chapter's
// comment says, there is no residual to the raw input features ("connecting the
// original image features makes training impossible"); the residual is around the FFN.
func v9(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{})
}

// v9Parts are the pieces of v9's block the v10 versions replace; nil keeps v9's.
type v9Parts struct {
	// qkv projects queries, keys and values (v10_1, v10_3, v10_4); nil: sharedQKV.
	qkv qkvFn
	// mix combines a modality's attended features [batch, n, dim] with its own
	// normalised input before the FFN (v10_2's gate); nil: attended only.
	mix func(scope *model.Scope, cfg Config, attended, own *Node, isImage bool) *Node
	// after post-processes the block's outputs (v10_6); nil: unchanged.
	after func(scope *model.Scope, cfg Config, imgOut, txtOut, txtMask *Node) (*Node, *Node)
}

// v9Block is v9 with the parts of p swapped in.
func v9Block(scope *model.Scope, cfg Config, img, txt, txtMask *Node, p v9Parts) (*Node, *Node) {
	if p.qkv == nil {
		p.qkv = sharedQKV
	}
	attnNorm := scope.At("attn_norm")
	i, t := layerNorm(attnNorm, img), layerNorm(attnNorm, txt)
	imgAtt, txtAtt := biAttend(scope, cfg, i, t, txtMask, p.qkv, cfg.Dropout)
	out := scope.At("to_out")
	imgAtt = dropout(scope, linear(out, imgAtt, cfg.Dim), cfg.Dropout)
	txtAtt = dropout(scope, linear(out, txtAtt, cfg.Dim), cfg.Dropout)
	if p.mix != nil {
		imgAtt, txtAtt = p.mix(scope, cfg, imgAtt, i, true), p.mix(scope, cfg, txtAtt, t, false)
	}
	imgOut, txtOut := ffnResidual(scope, cfg, imgAtt), ffnResidual(scope, cfg, txtAtt)
	if p.after != nil {
		imgOut, txtOut = p.after(scope, cfg, imgOut, txtOut, txtMask)
	}
	return imgOut, txtOut
}

// ffnResidual is v9's second half: FFN(ff_norm(x)) + x. x: [batch, n, dim].
func ffnResidual(scope *model.Scope, cfg Config, x *Node) *Node {
	return Add(gatedFFN(scope, cfg, layerNorm(scope.At("ff_norm"), x)), x)
}
