package nn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Pooling selects how TextEncoder reduces its tokens to one vector.
type Pooling int

const (
	// PoolEOS takes the token at the last true position of the mask: [EOS] for
	// sequences from datasets/text ([BOS] w1 ... wk [EOS] [PAD]...), as CLIP does.
	PoolEOS Pooling = iota
	// PoolMean averages the tokens where the mask is true.
	PoolMean
	// PoolArgmax takes the token at the first position of the largest id: OpenAI
	// CLIP's pooling, whose end-of-text token has the largest id of the vocabulary
	// (text.argmax(dim=-1) in clip/model.py).
	PoolArgmax
)

// TextEncoderConfig configures TextEncoder. Zero values take the defaults noted.
type TextEncoderConfig struct {
	// VocabSize is the number of token ids; ids must lie in [0, VocabSize).
	VocabSize int
	// MaxLen is the longest sequence the learned positional table covers; sequences
	// may be shorter. Unused with SinusoidalPositions.
	MaxLen int
	// Dim is the token width.
	Dim int
	// Depth is the number of transformer blocks.
	Depth int
	// Heads is the number of attention heads.
	Heads int
	// MLPDim is the MLP width; 0 means 4*Dim.
	MLPDim int
	// Dropout, AttentionDropout and DropPath are as in BlockConfig; Dropout is also
	// applied to the embedded tokens. All act in training only.
	Dropout, AttentionDropout, DropPath float64
	// LayerNormEpsilon defaults to 1e-6.
	LayerNormEpsilon float64
	// SinusoidalPositions uses the fixed 1-D sine-cosine embedding instead of the
	// learned table.
	SinusoidalPositions bool
	// Pooling defaults to PoolEOS.
	Pooling Pooling
	// ReturnAttention makes TextEncoder return each block's attention map.
	ReturnAttention bool
	// Activation is the MLP's non-linearity; "" is the exact GELU. OpenAI CLIP's text
	// tower uses ActQuickGELU.
	Activation Activation
	// Causal makes each token attend only to itself and earlier tokens (OpenAI CLIP's
	// text tower, a decoder-style mask); the padding mask still applies.
	Causal bool
}

// TextEncoding is what TextEncoder returns.
type TextEncoding struct {
	// Pooled is the sentence vector: [batch, dim].
	Pooled *Node
	// Tokens are the encoded tokens after the final LayerNorm: [batch, len, dim].
	// Positions where the mask is false hold values that depend on the padding and
	// should be ignored.
	Tokens *Node
	// Attention holds one [batch, heads, len, len] map per block when
	// ReturnAttention, else nil.
	Attention []*Node
}

// TextEncoder encodes token ids: token embedding ("token_embed") plus positional
// embedding ("pos_embed", or sine-cosine), dropout, cfg.Depth pre-LN blocks whose
// attention ignores padded keys, a final LayerNorm ("encoder/ln_final"), and pooling
// by [EOS] position or mask mean. Padding changes neither the pooled vector nor the
// tokens at real positions (up to float rounding).
//
// ids: [batch, len] int32; mask: [batch, len] int32 with 1 on real tokens and 0 on
// padding (the encoding of datasets/text), or bool.
func TextEncoder(scope *model.Scope, cfg TextEncoderConfig, ids, mask *Node) TextEncoding {
	checkRank("TextEncoder", "ids", ids, 2)
	checkRank("TextEncoder", "mask", mask, 2)
	if !ids.DType().IsInt() {
		exceptions.Panicf("nn.TextEncoder: ids must be integers, got %s", ids.Shape())
	}
	if !ids.Shape().Equal(shapes.Make(ids.DType(), mask.Shape().Dimensions...)) {
		exceptions.Panicf("nn.TextEncoder: ids %s and mask %s differ in shape", ids.Shape(), mask.Shape())
	}
	if cfg.VocabSize <= 0 || cfg.Dim <= 0 || cfg.Depth <= 0 || cfg.Heads <= 0 {
		exceptions.Panicf("nn.TextEncoder: VocabSize (%d), Dim (%d), Depth (%d) and Heads (%d) must be positive",
			cfg.VocabSize, cfg.Dim, cfg.Depth, cfg.Heads)
	}
	g := ids.Graph()
	seqLen := ids.Shape().Dim(1)
	keep := MaskToBool(mask)
	dtype := dtypes.Float32

	x := layers.Embedding(scope.In("token_embed").WithInitializer(TruncatedNormalInit(scope, ViTStddev)),
		ids, dtype, cfg.VocabSize, cfg.Dim) // [batch, len, dim]
	var pos *Node
	if cfg.SinusoidalPositions {
		pos = SinCos1D(g, dtype, seqLen, cfg.Dim)
	} else {
		if seqLen > cfg.MaxLen {
			exceptions.Panicf("nn.TextEncoder: sequence length %d exceeds MaxLen=%d", seqLen, cfg.MaxLen)
		}
		table := scope.In("pos_embed").WithInitializer(TruncatedNormalInit(scope, ViTStddev)).
			VariableWithShape("embeddings", shapes.Make(dtype, cfg.MaxLen, cfg.Dim)).NodeValue(g)
		pos = SliceAxis(table, 0, AxisRange(0, seqLen))
	}
	x = Add(x, ExpandAxes(pos, 0))
	x = layers.DropoutStatic(scope, x, cfg.Dropout)

	tokens, attns := Encoder(scope.In("encoder"), EncoderConfig{
		BlockConfig: BlockConfig{
			Heads: cfg.Heads, MLPDim: cfg.MLPDim, Dropout: cfg.Dropout, AttentionDropout: cfg.AttentionDropout,
			DropPath: cfg.DropPath, LayerNormEpsilon: cfg.LayerNormEpsilon, ReturnAttention: cfg.ReturnAttention,
			Activation: cfg.Activation, Causal: cfg.Causal,
		},
		Depth: cfg.Depth,
	}, x, keep)
	return TextEncoding{Pooled: poolTokens(tokens, ids, keep, cfg.Pooling), Tokens: tokens, Attention: attns}
}

// poolTokens reduces tokens to one vector per sequence.
// tokens: [batch, len, dim]; ids: [batch, len] int; keep: [batch, len] bool.
// Returns [batch, dim].
func poolTokens(tokens, ids, keep *Node, pooling Pooling) *Node {
	g := tokens.Graph()
	batch, seqLen := keep.Shape().Dim(0), keep.Shape().Dim(1)
	switch pooling {
	case PoolEOS:
		positions := Iota(g, shapes.Make(dtypes.Int32, batch, seqLen), 1)
		last := ReduceMax(Where(keep, positions, ZerosLike(positions)), 1) // [batch]
		pick := ConvertDType(Equal(positions, ExpandAxes(last, 1)), tokens.DType())
		return ReduceSum(Mul(tokens, ExpandAxes(pick, -1)), 1)
	case PoolArgmax:
		// ArgMax returns the first position of the maximum, as torch.argmax does.
		at := ArgMax(ids, 1, dtypes.Int32) // [batch]
		positions := Iota(g, shapes.Make(dtypes.Int32, batch, seqLen), 1)
		pick := ConvertDType(Equal(positions, ExpandAxes(at, 1)), tokens.DType())
		return ReduceSum(Mul(tokens, ExpandAxes(pick, -1)), 1)
	case PoolMean:
		return MaskedMean(tokens, keep, 1)
	default:
		exceptions.Panicf("nn.TextEncoder: unknown pooling %d", pooling)
		return nil
	}
}
