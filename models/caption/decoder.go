package caption

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// The decoder's variables, under "decoder":
//
//	token_embed/embeddings  [vocab, dim]   word embeddings (and output projection, tied)
//	pos_embed/embeddings    [max_len, dim] learned positions
//	block_NN/ln_1, block_NN/self_attn      pre-LN causal self-attention
//	block_NN/cross/...                     nn.CrossAttentionBlock: pre-LN cross-attention
//	                                       to the image tokens, then the pre-LN MLP
//	ln_final                               final LayerNorm
//	output_bias [vocab] (unless NoOutputBias), head (with UntieEmbeddings)
//
// The teacher-forced decoder (decodeFull) is built from nn.SelfAttention and
// nn.CrossAttentionBlock; the cached step (decodeStep) from their key/value-cache
// forms, nn.SelfAttentionCached and nn.CrossAttentionBlockKV, over the same variables.

// blockConfig is the configuration of the decoder's cross-attention blocks.
func (c Config) blockConfig() nn.BlockConfig {
	return nn.BlockConfig{Dim: c.Dim, Heads: c.Heads, MLPDim: c.MLPDim, Dropout: c.Dropout}
}

// selfAttention is the configuration of the decoder's causal self-attention.
func (c Config) selfAttention() nn.AttentionConfig {
	return nn.AttentionConfig{Heads: c.Heads, Causal: true}
}

// decoderScope returns the decoder's scope. At (not In) lets one graph enter the
// decoder several times: the prompt pass and every decoding step.
func decoderScope(scope *model.Scope) *model.Scope {
	return scope.At("decoder").WithInitializer(nn.XavierUniformInit(scope))
}

// tokenTable returns the word embedding table [vocab, dim]; At, since embed and the
// tied head both read it.
func tokenTable(scope *model.Scope, cfg Config, g *Graph) *Node {
	s := scope.At("token_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev))
	return s.VariableWithShape("embeddings", shapes.Make(dtypes.Float32, cfg.Vocab, cfg.Dim)).NodeValue(g)
}

// embed returns word plus position embeddings for ids at positions [pos, pos+n).
// ids: [batch, n] int; pos: int32 scalar. Returns [batch, n, dim].
func embed(scope *model.Scope, cfg Config, ids, pos *Node) *Node {
	g := ids.Graph()
	table := tokenTable(scope, cfg, g)
	x := Gather(table, ExpandAxes(ConvertDType(ids, dtypes.Int32), -1)) // [batch, n, dim]
	posTable := scope.In("pos_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtypes.Float32, cfg.MaxLen, cfg.Dim)).NodeValue(g)
	// Rows pos..pos+n-1 of the table by Gather: the go backend has no DynamicSlice.
	rows := Add(Iota(g, shapes.Make(dtypes.Int32, ids.Shape().Dim(1), 1), 0), pos) // [n, 1]
	return Add(x, ExpandAxes(Gather(posTable, rows), 0))
}

// head turns the final hidden states into logits: h·Eᵀ with the word embeddings E
// (tied) or a dense "head" (UntieEmbeddings), plus "output_bias".
// h: [batch, n, dim]; returns [batch, n, vocab].
func head(scope *model.Scope, cfg Config, h *Node) *Node {
	var logits *Node
	if cfg.UntieEmbeddings {
		logits = nn.Dense(scope.In("head"), h, false, cfg.Vocab)
	} else {
		logits = DotGeneral(h, []int{2}, nil, tokenTable(scope, cfg, h.Graph()), []int{1}, nil)
	}
	if !cfg.NoOutputBias {
		bias := scope.In("output_bias").WithInitializer(nn.ZeroInit).
			VariableWithShape("biases", shapes.Make(dtypes.Float32, cfg.Vocab)).NodeValue(h.Graph())
		logits = Add(logits, ExpandLeftToRank(bias, 3))
	}
	return logits
}

// decodeFull is the teacher-forced decoder: next-token logits for every position of
// ids and, when wantAttn, each block's cross-attention coefficients.
// encoded: [batch, tokens, enc_dim]; ids: [batch, len].
// Returns logits [batch, len, vocab] and per block [batch, heads, len, tokens].
func decodeFull(scope *model.Scope, cfg Config, encoded, ids *Node, wantAttn bool) (logits *Node, attn []*Node) {
	scope = decoderScope(scope)
	g := ids.Graph()
	x := embed(scope, cfg, ids, ScalarZero(g, dtypes.Int32))
	x = layers.DropoutStatic(scope, x, cfg.Dropout)
	bc := cfg.blockConfig()
	bc.ReturnAttention = wantAttn
	for i := range cfg.Depth {
		bs := scope.In("block_%02d", i)
		h := nn.LayerNorm(bs.In("ln_1"), x, 0)
		h, _ = nn.SelfAttention(bs.In("self_attn"), cfg.selfAttention(), h, nil, false)
		x = Add(x, layers.DropoutStatic(bs, h, cfg.Dropout))
		var a *Node
		x, a = nn.CrossAttentionBlock(bs.In("cross"), bc, x, encoded, nil)
		attn = append(attn, a)
	}
	x = nn.LayerNorm(scope.In("ln_final"), x, 0)
	return head(scope, cfg, x), attn
}

// decoderCache is the decoder's state between decoding steps: per block the
// self-attention cache and the image keys and values of the cross-attention.
type decoderCache struct {
	self, cross []nn.KVCache
}

// newDecoderCache projects the image tokens to every block's cross-attention keys and
// values and returns empty self-attention caches of maxLen positions.
// encoded: [batch, tokens, enc_dim].
func newDecoderCache(scope *model.Scope, cfg Config, encoded *Node, maxLen int) decoderCache {
	scope = decoderScope(scope)
	batch := encoded.Shape().Dim(0)
	var c decoderCache
	for i := range cfg.Depth {
		bs := scope.In("block_%02d", i)
		c.cross = append(c.cross, nn.CrossAttentionContext(bs.In("cross"), cfg.blockConfig(), encoded, cfg.Dim))
		c.self = append(c.self, nn.NewKVCache(encoded.Graph(), dtypes.Float32, batch, cfg.Heads, maxLen,
			cfg.Dim/cfg.Heads))
	}
	return c
}

// decodeStep runs the decoder on n new tokens at positions [pos, pos+n), reading the
// earlier positions from the cache, and returns their next-token logits and the
// cache with their keys and values added. Outside training it computes what
// decodeFull computes at those positions.
// ids: [batch, n] int; pos: int32 scalar. Returns logits [batch, n, vocab].
func decodeStep(scope *model.Scope, cfg Config, cache decoderCache, ids, pos *Node) (*Node, decoderCache) {
	logits, next, _ := decodeStepAttn(scope, cfg, cache, ids, pos, false)
	return logits, next
}

// decodeStepAttn is decodeStep that also returns, when wantAttn, each block's
// cross-attention coefficients [batch, heads, n, tokens].
func decodeStepAttn(scope *model.Scope, cfg Config, cache decoderCache, ids, pos *Node, wantAttn bool) (*Node, decoderCache, []*Node) {
	scope = decoderScope(scope)
	x := embed(scope, cfg, ids, pos)
	next := decoderCache{cross: cache.cross, self: make([]nn.KVCache, cfg.Depth)}
	bc := cfg.blockConfig()
	bc.ReturnAttention = wantAttn
	var attn []*Node
	for i := range cfg.Depth {
		bs := scope.In("block_%02d", i)
		h := nn.LayerNorm(bs.In("ln_1"), x, 0)
		h, next.self[i] = nn.SelfAttentionCached(bs.In("self_attn"), cfg.selfAttention(), h, cache.self[i], pos)
		x = Add(x, h)
		var a *Node
		x, a = nn.CrossAttentionBlockKV(bs.In("cross"), bc, x, cache.cross[i], nil)
		attn = append(attn, a)
	}
	x = nn.LayerNorm(scope.In("ln_final"), x, 0)
	return head(scope, cfg, x), next, attn
}
