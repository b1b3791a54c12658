package embedding

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/nn"
)

// chapterSimilarity is the chapter's EnhancedMultimodalEmbedding_no_p.forward as
// written, for the measurement in docs/results/embedding.md:
//
//	image_features = encode_image(image)            # [B, D]
//	text_features  = encode_text(ids, mask)         # [B, D]
//	combined = cross_modal_attention(image_features, text_features)
//	combined = combined / combined.norm(dim=-1)
//	logits = exp(s) * combined @ combined.t()
//
// CrossModalAttention projects both to the hidden width and calls
// nn.MultiheadAttention(text_proj, image_proj, image_proj) on 2-D [B, D] tensors.
// PyTorch reads a 2-D input as one unbatched sequence of length B, so every caption of
// the batch attends over all B images of the batch: here the batch becomes the
// sequence axis of one example, [1, B, D]. (image_preserve and text_preserve are not
// shown in the chapter's text; they are left out.) The logits compare combined vector
// i with combined vector j: the diagonal is each vector with itself, exp(s)·1, so the
// loss falls as the combined vectors of a batch spread apart, whether or not a caption
// has anything to do with its image.
//
// Returns the cosine similarities [B, B] of the combined vectors.
func chapterSimilarity(scope *model.Scope, cfg Config, images, ids, mask *Node) *Node {
	// encode_image and encode_text: the towers through Linear + LayerNorm, [B, D] each.
	img := projectLN(scope.In("image_projection"), cfg, clip.ConvEncoder(scope.In("image"), cfg.Towers.Conv, images))
	txt := EncodeText(scope, cfg, ids, mask).Features
	b, d := img.Shape().Dim(0), cfg.Towers.EmbedDim
	sc := scope.In("chapter_attention")
	imgProj := nn.Dense(sc.In("image_proj"), img, true, d)
	txtProj := nn.Dense(sc.In("text_proj"), txt, true, d)
	out, _ := nn.MultiHeadAttention(sc.In("attention"), nn.AttentionConfig{Heads: cfg.Heads},
		Reshape(txtProj, 1, b, d), Reshape(imgProj, 1, b, d), nil, false) // [1, B, D]: B queries over B keys.
	combined := nn.NormalizeL2(Reshape(out, b, d), -1, 0)
	return DotGeneral(combined, []int{1}, nil, combined, []int{1}, nil) // [B, B]
}
