// Package nn holds the graph building blocks every mmdna model shares, and is the one
// home of the attention pieces: multi-head attention (self and cross, key padding and
// causal masks, optional coefficients) and its parts (SplitHeads, MergeHeads, KeyBias,
// CausalMask, SoftmaxLastAxis), their key/value-cache forms for autoregressive decoding
// (KVCache, SelfAttentionCached, CrossAttentionContext, CrossAttentionBlockKV), the pre-LN
// transformer block and encoder, the pre-LN cross-attention block, the MLP, masks (MaskToBool, MaskedMean), patch embedding and
// patchify, positional embeddings (learnable with interpolation, 2-D and 1-D
// sine-cosine), the cls token, the reference initialisers (XavierUniformInit, ...), the
// contrastive losses, the text encoder, and Branches (a step as k independent
// subgraphs with shared weights).
//
// Functions take the scope first and create their variables under sub-scopes named
// after the part ("attn", "mlp", "ln_1", "patch_embed", ...). Bad configuration is a
// graph-building error: it panics through GoMLX's exceptions, the convention of every
// GoMLX layer, and model.Exec returns it as an error.
//
// # Speed on the pure-Go backend
//
// Measured with the benchmarks in this package (see bench_test.go):
//   - the go backend's fused attention is about 10x slower than the decomposed form at
//     ViT sizes, and its fused softmax 3x slower, so on that backend attention is always
//     decomposed, in the [batch, heads, seq, dim] layout whose two products need no
//     layout change in the backend's matmul;
//   - the go backend has no fused backward for attention, layer norm or softmax: GoMLX
//     then differentiates a decomposed copy of the op, so a training graph that used the
//     fused op would compute both; training graphs build the decomposed form only;
//   - its fused dense backward sums the bias gradient with a strided loop, so Dense adds
//     the bias as a separate op in training graphs.
package nn

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL reads best unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// goBackend is the name (Backend.String) of GoMLX's pure-Go backend.
const goBackend = "go"

// fusedOnGoForTests lets tests exercise the fused attention path (taken on other
// backends) on the go backend.
var fusedOnGoForTests = false

// useFused reports whether a fused op of type op (whose backward op is vjpOp, or
// OpTypeInvalid) should be used. Training graphs use it only when the backend can also
// differentiate it: otherwise GoMLX builds the decomposed op beside it for the
// gradient, and both run. On the go backend, fused attention and softmax are never
// used: at the ViT probe's sizes (batch 128, 50 tokens, 4 heads of 16) its fused
// attention ran 10x slower than the decomposed one (also with heads of 32 and 64) and
// its fused softmax 3x slower (BenchmarkFusedOps).
func useFused(scope *model.Scope, g *Graph, op, vjpOp compute.OpType) bool {
	backend := g.Backend()
	if !backend.Capabilities().Operations[op] {
		return false
	}
	if backend.String() == goBackend && !fusedOnGoForTests &&
		(op == compute.OpTypeFusedScaledDotProductAttention || op == compute.OpTypeFusedSoftmax) {
		return false
	}
	if scope != nil && scope.IsTraining(g) {
		return vjpOp != compute.OpTypeInvalid && backend.Capabilities().Operations[vjpOp]
	}
	return true
}

// checkRank panics with a message naming the function and argument when x's rank is not rank.
func checkRank(fn, name string, x *Node, rank int) {
	if x == nil {
		exceptions.Panicf("nn.%s: %s is nil", fn, name)
	}
	if x.Rank() != rank {
		exceptions.Panicf("nn.%s: %s must have rank %d, got shape %s", fn, name, rank, x.Shape())
	}
}
