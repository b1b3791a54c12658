package crossattn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// CrossModalConfig is the configuration of the chapter's CrossModalAttention and
// HierarchicalCrossModalAttention (section 10.4.2: config.image_dim, text_dim,
// hidden_dim, num_heads).
type CrossModalConfig struct {
	HiddenDim int // width of the shared space and of the outputs.
	Heads     int // attention heads; HiddenDim must be divisible by it.
}

// Validate reports the first bad field.
func (c CrossModalConfig) Validate() error {
	if c.HiddenDim <= 0 || c.Heads <= 0 || c.HiddenDim%c.Heads != 0 {
		return fmt.Errorf("crossattn: CrossModalConfig hidden_dim %d and heads %d: want positive, heads dividing hidden_dim",
			c.HiddenDim, c.Heads)
	}
	return nil
}

// CrossModalAttention is the chapter's asymmetric cross-modal attention: both
// modalities are projected to the shared space ("image_proj", "text_proj"), and the
// text queries attend to the image keys and values with multi-head attention
// ("attention": to_q, to_k, to_v, to_out, as PyTorch's nn.MultiheadAttention's in and
// out projections), so every word gathers the image regions relevant to it.
//
// image: [batch, n_img, image_dim]; text: [batch, n_txt, text_dim]; imageMask:
// [batch, n_img] (1/true = attend) or nil. Returns [batch, n_txt, HiddenDim].
func CrossModalAttention(scope *model.Scope, cfg CrossModalConfig, image, text, imageMask *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	for _, x := range []*Node{image, text} {
		if x == nil || x.Rank() != 3 {
			exceptions.Panicf("crossattn.CrossModalAttention: inputs must be [batch, tokens, dim], got %v", shapeOf(x))
		}
	}
	scope = scope.WithInitializer(LinearInit(scope))
	imageProj := linear(scope.At("image_proj"), image, cfg.HiddenDim) // [b, n_img, hidden]
	textProj := linear(scope.At("text_proj"), text, cfg.HiddenDim)    // [b, n_txt, hidden]
	out, _ := nn.MultiHeadAttention(scope.At("attention"), nn.AttentionConfig{Heads: cfg.Heads}, textProj, imageProj, imageMask, false)
	return out
}

// HierarchicalCrossModalAttention is the chapter's hierarchical pattern: local
// self-attention within each modality ("local_image_attention",
// "local_text_attention"), then both cross directions with CrossModalAttention
// ("image_to_text_attention": the locally attended text queries the image;
// "text_to_image_attention": the locally attended image queries the text), the two
// results concatenated feature-wise and mapped back to HiddenDim ("output_layer").
//
// As in the chapter, the concatenation pairs token k of one direction with token k of
// the other, so both modalities must have as many tokens (the chapter's model feeds
// one pooled token each). image: [batch, n, image_dim]; text: [batch, n, text_dim];
// textMask: [batch, n] or nil (masks text keys). Returns [batch, n, HiddenDim].
func HierarchicalCrossModalAttention(scope *model.Scope, cfg CrossModalConfig, image, text, textMask *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if image == nil || text == nil || image.Rank() != 3 || text.Rank() != 3 || image.Shape().Dim(1) != text.Shape().Dim(1) {
		exceptions.Panicf("crossattn.HierarchicalCrossModalAttention: image %v and text %v must be [batch, n, dim] with the same n",
			shapeOf(image), shapeOf(text))
	}
	scope = scope.WithInitializer(LinearInit(scope))
	attn := nn.AttentionConfig{Heads: cfg.Heads}
	localImage, _ := nn.SelfAttention(scope.At("local_image_attention"), attn, image, nil, false)
	localText, _ := nn.SelfAttention(scope.At("local_text_attention"), attn, text, textMask, false)
	imageAttendedText := CrossModalAttention(scope.At("image_to_text_attention"), cfg, image, localText, nil)
	textAttendedImage := CrossModalAttention(scope.At("text_to_image_attention"), cfg, text, localImage, textMask)
	combined := Concatenate([]*Node{imageAttendedText, textAttendedImage}, -1) // [b, n, 2*hidden]
	return linear(scope.At("output_layer"), combined, cfg.HiddenDim)
}
