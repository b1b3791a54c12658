package crossattn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// v10_6 is v9 plus a separate projection for contrastive learning whose similarity
// is added straight to the features (prose: "adds a separate projection layer for
// contrastive learning and trains by adding the similarity information directly to the
// original features", unstable "because the similarity can distort the original
// features"). Our reading: both outputs of v9's block are mean-pooled (text over its
// real tokens), projected by one "contrast_proj" and L2-normalised; their cosine s
// [batch] is added to every feature of both outputs:
//
//	s = ⟨n(P·pool(a_i)), n(P·pool(a_t))⟩   image_out = a_i + s   text_out = a_t + s
func v10_6(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (*Node, *Node) {
	return v9Block(scope, cfg, img, txt, txtMask, v9Parts{after: addContrastiveSimilarity})
}

// addContrastiveSimilarity is v10_6's addition. imgOut: [batch, n_img, dim];
// txtOut: [batch, n_txt, dim].
func addContrastiveSimilarity(scope *model.Scope, cfg Config, imgOut, txtOut, txtMask *Node) (*Node, *Node) {
	p := scope.At("contrast_proj")
	zi := nn.NormalizeL2(linear(p, nn.MaskedMean(imgOut, nil, 1), cfg.Dim), -1, 0)     // [b, dim]
	zt := nn.NormalizeL2(linear(p, nn.MaskedMean(txtOut, txtMask, 1), cfg.Dim), -1, 0) // [b, dim]
	s := Reshape(ReduceSum(Mul(zi, zt), -1), -1, 1, 1)                                 // [b, 1, 1]
	return Add(imgOut, s), Add(txtOut, s)
}
