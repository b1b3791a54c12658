// Package caption is an image captioner, the chapter's encoder-decoder fusion: a ViT
// encodes the image into tokens, and a transformer decoder writes the caption one word
// at a time, each block reading the words so far (causal self-attention) and the image
// tokens (cross-attention), as in Show, Attend and Tell's attention and BLIP's
// image-grounded text decoder.
//
// Build runs the decoder with teacher forcing (the next-token logits at every position
// of a given caption) for training with Loss (ModelFn and LossFn plug both into GoMLX's
// trainer), and CrossAttention gives the cross-attention over the image tokens for
// every word of a caption. Decode writes captions inside
// one graph: the encoder runs once, the image keys and values of every cross-attention
// are projected once, the decoder's self-attention keeps a key/value cache, and unrolled
// steps emit one token each, by greedy choice, beam search (beam size, GNMT length
// penalty) or top-k / top-p sampling, continuing a given prompt up to the length limit.
//
// Sequences are the encodings of datasets/text: [BOS] w1 ... wk [EOS] [PAD]..., with
// the ids of Config.BOS, EOS and PAD.
package caption

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
)

// Config describes a captioner. Presets fill it (see Preset).
type Config struct {
	// Encoder is the ViT over the images. Its Classes and ReturnAttention are ignored:
	// the decoder reads Encoded, all of its tokens (the cls token too, if it has one;
	// the presets pool by average, so the image tokens are exactly the patches).
	Encoder vit.Config

	// Vocab is the number of token ids; ids lie in [0, Vocab).
	Vocab int
	// MaxLen is the longest sequence, [BOS] and [EOS] included, that the learned
	// positions cover: the bound of training captions and of Decode's output.
	MaxLen int

	Dim    int // decoder token width.
	Depth  int // decoder blocks.
	Heads  int // attention heads of the decoder; Dim must be divisible by it.
	MLPDim int // decoder MLP hidden width.

	// Dropout applies to the embedded words, after every attention projection and in
	// the MLPs of the decoder, in training only.
	Dropout float64
	// LabelSmoothing mixes the one-hot target with the uniform distribution over the
	// vocabulary in Loss: (1-ε)·NLL + ε·mean over tokens of -log p (PyTorch's
	// CrossEntropyLoss(label_smoothing=ε)). 0 is plain cross-entropy.
	LabelSmoothing float64

	// BOS, EOS and PAD are the ids of the start, end and padding tokens
	// (datasets/text: 1, 2, 0).
	BOS, EOS, PAD int32

	// UntieEmbeddings gives the decoder its own output projection ("head"). By default
	// the logits are h·Eᵀ with E the word embedding table (tied input and output
	// embeddings, as in BLIP and GPT-2), which halves the vocabulary parameters and
	// trains the rare words' embeddings from both ends.
	UntieEmbeddings bool
	// NoOutputBias drops the per-token bias added to the logits.
	NoOutputBias bool

	// ReturnAttention makes Build return the cross-attention coefficients of every
	// decoder block (Output.CrossAttention). It rules out fused attention kernels.
	ReturnAttention bool
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	if err := c.Encoder.Validate(); err != nil {
		return fmt.Errorf("caption: encoder: %w", err)
	}
	switch {
	case c.Vocab <= 0:
		return fmt.Errorf("caption: vocab %d must be positive", c.Vocab)
	case c.MaxLen < 2:
		return fmt.Errorf("caption: max_len %d must be at least 2 ([BOS] and [EOS])", c.MaxLen)
	case c.Dim <= 0 || c.Depth <= 0 || c.Heads <= 0 || c.MLPDim <= 0:
		return fmt.Errorf("caption: dim %d, depth %d, heads %d and mlp_dim %d must be positive", c.Dim, c.Depth, c.Heads, c.MLPDim)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("caption: dim %d is not divisible by heads %d", c.Dim, c.Heads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("caption: dropout %g must be in [0, 1)", c.Dropout)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("caption: label_smoothing %g must be in [0, 1)", c.LabelSmoothing)
	}
	for _, tok := range []struct {
		name string
		id   int32
	}{{"bos", c.BOS}, {"eos", c.EOS}, {"pad", c.PAD}} {
		if tok.id < 0 || int(tok.id) >= c.Vocab {
			return fmt.Errorf("caption: %s id %d is outside the vocabulary [0, %d)", tok.name, tok.id, c.Vocab)
		}
	}
	if c.BOS == c.EOS || c.BOS == c.PAD || c.EOS == c.PAD {
		return fmt.Errorf("caption: bos %d, eos %d and pad %d must be different ids", c.BOS, c.EOS, c.PAD)
	}
	return nil
}

// Output holds the named intermediates of Build.
type Output struct {
	// Encoded are the image tokens the decoder attends to: [batch, image_tokens, enc_dim].
	Encoded *Node
	// Logits are the next-token logits: [batch, len, vocab], where Logits[:, i]
	// predicts ids[:, i+1] from ids[:, :i+1] and the image.
	Logits *Node
	// CrossAttention are the cross-attention coefficients when cfg.ReturnAttention,
	// else nil: [batch, depth, len, heads, image_tokens], where [b, d, i, h, :] is
	// where head h of block d looks while predicting ids[:, i+1] (rows sum to 1).
	CrossAttention *Node
}

// Named returns the intermediates by name ("encoded", "logits", "cross_attn").
func (o *Output) Named() map[string]*Node {
	m := map[string]*Node{"encoded": o.Encoded, "logits": o.Logits}
	if o.CrossAttention != nil {
		m["cross_attn"] = o.CrossAttention
	}
	return m
}

// Build runs the captioner with teacher forcing: the image through the encoder
// ("encoder/..."), the caption ids through the decoder ("decoder/..."), and returns
// the next-token logits at every position. Training compares Logits[:, :-1] with
// ids[:, 1:] (Loss); padding after [EOS] needs no mask, since the causal attention
// keeps it from every earlier position and Loss skips [PAD] targets.
//
// images: [batch, Image, Image, Channels] float, normalised; ids: [batch, len] int
// with len <= MaxLen.
func Build(scope *model.Scope, cfg Config, images, ids *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	checkIDs("Build", cfg, ids)
	if images.Rank() != 4 || images.Shape().Dim(0) != ids.Shape().Dim(0) {
		exceptions.Panicf("caption.Build: images %s and ids %s: want [batch, H, W, C] and [batch, len]", images.Shape(), ids.Shape())
	}
	out := &Output{Encoded: Encode(scope, cfg, images)}
	var attn []*Node
	out.Logits, attn = decodeFull(scope, cfg, out.Encoded, ids, cfg.ReturnAttention)
	if cfg.ReturnAttention {
		// Each block's [batch, heads, len, tokens] -> [batch, 1, len, heads, tokens].
		for i, a := range attn {
			attn[i] = ExpandAxes(TransposeAllAxes(a, 0, 2, 1, 3), 1)
		}
		out.CrossAttention = Concatenate(attn, 1)
	}
	return out
}

// CrossAttention returns the cross-attention maps of captions, e.g. Decoded.IDs: it
// re-runs the teacher-forced decoder on ids with the coefficients on, which gives the
// maps the decoding steps computed (the decoder is causal: TestCachedStepMatchesFull).
// Returns [batch, depth, len, heads, image_tokens]: [b, d, i, h, :] is where head h of
// block d looked while choosing ids[b, i+1]; rows from the [EOS] position on describe
// padding and are to be ignored. With the presets the image tokens are the patches in
// raster order, (Image/Patch)² of them.
func CrossAttention(scope *model.Scope, cfg Config, images, ids *Node) *Node {
	cfg.ReturnAttention = true
	return Build(scope, cfg, images, ids).CrossAttention
}

// Encode runs the image encoder ("encoder/...") and returns the image tokens the
// decoder attends to. images: [batch, Image, Image, Channels]; returns
// [batch, image_tokens, enc_dim].
func Encode(scope *model.Scope, cfg Config, images *Node) *Node {
	enc := cfg.Encoder
	enc.Classes, enc.ReturnAttention = 0, false
	return vit.Build(scope.At("encoder"), enc, images).Encoded
}

// checkIDs panics unless ids is [batch, len] of an integer dtype with len <= MaxLen.
func checkIDs(fn string, cfg Config, ids *Node) {
	if ids == nil || ids.Rank() != 2 || !ids.DType().IsInt() {
		exceptions.Panicf("caption.%s: ids must be [batch, len] integers, got %v", fn, shapeOf(ids))
	}
	if ids.Shape().Dim(1) > cfg.MaxLen {
		exceptions.Panicf("caption.%s: ids length %d exceeds max_len %d", fn, ids.Shape().Dim(1), cfg.MaxLen)
	}
}

// shapeOf prints a node's shape, or nil.
func shapeOf(x *Node) any {
	if x == nil {
		return nil
	}
	return x.Shape()
}
