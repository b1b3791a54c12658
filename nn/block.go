package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// BlockConfig configures the pre-LN transformer block (ViT's Encoder1DBlock).
type BlockConfig struct {
	// Dim is the token width; 0 means the width of the input.
	Dim int
	// Heads is the number of attention heads; it must be positive.
	Heads int
	// DimHead is the per-head width; 0 means Dim/Heads.
	DimHead int
	// MLPDim is the MLP's hidden width; 0 means 4*Dim (ViT's ratio).
	MLPDim int
	// Dropout is applied after the attention projection and inside the MLP, in
	// training only (ViT: 0 for pre-training from scratch at our sizes, 0.1 for B/16 on
	// ImageNet-1k).
	Dropout float64
	// AttentionDropout is the dropout on the attention coefficients (training only).
	AttentionDropout float64
	// DropPath is the stochastic-depth rate of both residual branches. In an Encoder it
	// is the rate of the last block, the others rising linearly from 0 (timm's rule).
	DropPath float64
	// LayerNormEpsilon is the epsilon of both layer norms; 0 means 1e-6 (ViT).
	LayerNormEpsilon float64
	// ReturnAttention makes Block return its attention coefficients (attention maps,
	// the ablation study); it rules out the fused attention kernel.
	ReturnAttention bool
	// NoQKVBias drops the query/key/value projection biases.
	NoQKVBias bool
	// Activation is the MLP's non-linearity; "" is the exact GELU (ViT).
	Activation Activation
	// Causal lets each token attend only to itself and earlier tokens (text decoders,
	// OpenAI CLIP's text tower).
	Causal bool
}

// attention returns the block's attention configuration.
func (c BlockConfig) attention() AttentionConfig {
	return AttentionConfig{Heads: c.Heads, DimHead: c.DimHead, Dropout: c.AttentionDropout, NoQKVBias: c.NoQKVBias,
		Causal: c.Causal}
}

// Block is the pre-LN transformer block:
//
//	x = x + DropPath(Dropout(SelfAttention(LayerNorm(x))))   (scopes "ln_1", "attn")
//	x = x + DropPath(MLP(LayerNorm(x)))                      (scopes "ln_2", "mlp")
//
// x: [batch, tokens, dim]; keyMask: [batch, tokens] bool or int (true/1 = real token)
// or nil. Returns y: [batch, tokens, dim] and, when cfg.ReturnAttention, the attention
// coefficients [batch, heads, tokens, tokens], else nil.
func Block(scope *model.Scope, cfg BlockConfig, x, keyMask *Node) (y, attn *Node) {
	dim, mlpDim := cfg.widths("Block", "x", x)
	h := LayerNorm(scope.In("ln_1"), x, cfg.LayerNormEpsilon)
	h, attn = SelfAttention(scope.In("attn"), cfg.attention(), h, keyMask, cfg.ReturnAttention)
	h = layers.DropoutStatic(scope, h, cfg.Dropout)
	x = Add(x, DropPath(scope, h, cfg.DropPath))

	h = LayerNorm(scope.In("ln_2"), x, cfg.LayerNormEpsilon)
	h = MLPActivation(scope.In("mlp"), h, mlpDim, dim, cfg.Dropout, cfg.Activation)
	x = Add(x, DropPath(scope, h, cfg.DropPath))
	return x, attn
}

// EncoderConfig configures Encoder: Depth blocks sharing one BlockConfig.
type EncoderConfig struct {
	BlockConfig
	// Depth is the number of blocks; it must be positive.
	Depth int
	// NoFinalNorm leaves out the final LayerNorm ("ln_final"), for callers that pool
	// or normalise themselves.
	NoFinalNorm bool
}

// Encoder stacks cfg.Depth pre-LN blocks under scopes "block_00", "block_01", ... and
// ends with a LayerNorm ("ln_final") unless cfg.NoFinalNorm. Drop-path rates rise
// linearly from 0 at the first block to cfg.DropPath at the last.
//
// x: [batch, tokens, dim]; keyMask: [batch, tokens] or nil.
// Returns the encoded tokens [batch, tokens, dim] and, when cfg.ReturnAttention, one
// attention map [batch, heads, tokens, tokens] per block (else nil).
func Encoder(scope *model.Scope, cfg EncoderConfig, x, keyMask *Node) (encoded *Node, attns []*Node) {
	if cfg.Depth <= 0 {
		exceptions.Panicf("nn.Encoder: Depth must be positive, got %d", cfg.Depth)
	}
	for i := range cfg.Depth {
		bc := cfg.BlockConfig
		if cfg.Depth > 1 {
			bc.DropPath = cfg.DropPath * float64(i) / float64(cfg.Depth-1)
		}
		var attn *Node
		x, attn = Block(scope.In("block_%02d", i), bc, x, keyMask)
		if cfg.ReturnAttention {
			attns = append(attns, attn)
		}
	}
	if !cfg.NoFinalNorm {
		x = LayerNorm(scope.In("ln_final"), x, cfg.LayerNormEpsilon)
	}
	return x, attns
}
