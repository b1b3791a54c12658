package nn

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// randomizeVariables sets every float variable of store to normal values of scale
// stddev, so that biases and LayerNorm offsets are not zero.
func randomizeVariables(t *testing.T, store *model.Store, seed uint64, stddev float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	for v := range store.IterVariables() {
		if !v.DType().IsFloat() {
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * stddev)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

// randomTensor returns normal values of the given dimensions.
func randomTensor(seed uint64, dims ...int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 2))
	n := 1
	for _, d := range dims {
		n *= d
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(vals, dims...)
}

// TestSelfAttentionCachedMatchesCausal: feeding a sequence to SelfAttentionCached in
// pieces (2 tokens, then 1 at a time) gives causal SelfAttention's output on the whole
// sequence. The cache is 2 positions longer than the sequence and starts full of
// large values: only the causal mask keeps them out.
func TestSelfAttentionCachedMatchesCausal(t *testing.T) {
	const batch, seq, dim, maxLen = 2, 5, 8, 7
	cfg := AttentionConfig{Heads: 2, Causal: true}
	x := randomTensor(1, batch, seq, dim)
	store := model.NewStore()
	full := func(scope *model.Scope, x *Node) *Node {
		y, _ := SelfAttention(scope.In("attn"), cfg, x, nil, false)
		return y
	}
	testbackend.Run(t, store, full, x)
	randomizeVariables(t, store, 7, 0.5)
	want := flat(t, testbackend.Run(t, store, full, x)[0])

	got := testbackend.Run(t, store, func(scope *model.Scope, x *Node) []*Node {
		g := x.Graph()
		cache := NewKVCache(g, dtypes.Float32, batch, 2, maxLen, dim/2)
		cache = KVCache{K: AddScalar(cache.K, 100), V: AddScalar(cache.V, -100)}
		var outs []*Node
		for _, piece := range [][2]int{{0, 2}, {2, 3}, {3, 4}, {4, 5}} {
			var y *Node
			y, cache = SelfAttentionCached(scope.At("attn"), cfg, Slice(x, AxisRange(), AxisRange(piece[0], piece[1])),
				cache, Scalar(g, dtypes.Int32, piece[0]))
			outs = append(outs, y)
		}
		return []*Node{Concatenate(outs, 1), cache.K}
	}, x)
	assertClose(t, "cached self-attention", flat(t, got[0]), want, 1e-5)
	// Positions never written keep the initial values.
	k := flat(t, got[1])
	if k[(seq)*(dim/2)] != 100 || k[(maxLen-1)*(dim/2)] != 100 {
		t.Errorf("cache positions past the sequence were overwritten: %v", k[seq*(dim/2):maxLen*(dim/2)])
	}
}

// TestCrossAttentionBlockKVMatches: the block with its context prepared once gives
// CrossAttentionBlock's output and coefficients, masked key included.
func TestCrossAttentionBlockKVMatches(t *testing.T) {
	cfg := BlockConfig{Heads: 2, MLPDim: 8, ReturnAttention: true}
	store := model.NewStore()
	full := func(scope *model.Scope, q, c, m *Node) []*Node {
		y, a := CrossAttentionBlock(scope.In("cross"), cfg, q, c, m)
		return []*Node{y, a}
	}
	testbackend.Run(t, store, full, crossQuery, crossContext, crossMask)
	randomizeVariables(t, store, 11, 0.7)
	want := testbackend.Run(t, store, full, crossQuery, crossContext, crossMask)
	got := testbackend.Run(t, store, func(scope *model.Scope, q, c, m *Node) []*Node {
		kv := CrossAttentionContext(scope.At("cross"), cfg, c, q.Shape().Dim(-1))
		y, a := CrossAttentionBlockKV(scope.At("cross"), cfg, q, kv, m)
		return []*Node{y, a}
	}, crossQuery, crossContext, crossMask)
	assertClose(t, "block output", flat(t, got[0]), flat(t, want[0]), 1e-5)
	assertClose(t, "coefficients", flat(t, got[1]), flat(t, want[1]), 1e-6)
	if a := flat(t, got[1]); a[2] != 0 {
		t.Errorf("masked key has weight %g", a[2])
	}
}

// TestKVCacheRepeatGather: Repeat copies each row n times in place; Gather picks rows.
func TestKVCacheRepeatGather(t *testing.T) {
	out := testbackend.Run(t, nil, func(_ *model.Scope, k *Node) []*Node {
		c := KVCache{K: k, V: Neg(k)}.Repeat(3)
		picked := c.Gather(Const(k.Graph(), []int32{5, 0, 3}))
		return []*Node{c.K, picked.K, picked.V}
	}, [][][][]float32{{{{1}}}, {{{2}}}})
	for i, want := range [][]float32{{1, 1, 1, 2, 2, 2}, {2, 1, 2}, {-2, -1, -2}} {
		assertClose(t, "rows", flat(t, out[i]), want, 0)
	}
}

// TestSelfAttentionCachedErrors: a cache that does not fit the input is a
// graph-building error that names the function.
func TestSelfAttentionCachedErrors(t *testing.T) {
	cfg := AttentionConfig{Heads: 2, Causal: true}
	for _, tc := range []struct {
		name                   string
		batch, heads, len, dim int
		n                      int
	}{
		{"wrong heads", 1, 1, 4, 4, 1},
		{"wrong head width", 1, 2, 4, 3, 1},
		{"wrong batch", 2, 2, 4, 2, 1},
		{"too many tokens", 1, 2, 2, 2, 3},
	} {
		err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			cache := NewKVCache(g, dtypes.Float32, tc.batch, tc.heads, tc.len, tc.dim)
			x := Slice(in[0], AxisRange(), AxisRange(0, tc.n))
			y, _ := SelfAttentionCached(scope.In("attn"), cfg, x, cache, ScalarZero(g, dtypes.Int32))
			return []*Node{y}
		}, [][][]float32{{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}}})
		if err == nil || !strings.Contains(err.Error(), "nn.SelfAttentionCached") {
			t.Errorf("%s: error %v, want one naming nn.SelfAttentionCached", tc.name, err)
		}
	}
}
