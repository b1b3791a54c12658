package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// crossBlockInputs: 2 queries of width 4 over 3 context tokens of width 6, the last
// context token of batch 0 masked.
var (
	crossQuery   = [][][]float32{{{0.3, -1, 0.8, 0.2}, {1.1, 0.4, -0.6, -0.9}}}
	crossContext = [][][]float32{{{1, -0.5, 0.2, 0.7, -1.2, 0.4}, {-0.3, 0.9, 1.4, -0.8, 0.1, 0.6}, {2, 2, -2, 2, -2, 2}}}
	crossMask    = [][]bool{{true, true, false}}
)

// TestCrossAttentionBlockVariables: the block's variables keep the names checkpoints
// of the Perceiver and of hybrid fusion hold.
func TestCrossAttentionBlockVariables(t *testing.T) {
	store := model.NewStore()
	testbackend.Run(t, store, func(scope *model.Scope, q, c, m *Node) *Node {
		y, _ := CrossAttentionBlock(scope.In("cross"), BlockConfig{Heads: 2, MLPDim: 8}, q, c, m)
		return y
	}, crossQuery, crossContext, crossMask)
	var got []string
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/cross/") {
			got = append(got, v.Path())
		}
	}
	slices.Sort(got)
	want := []string{
		"/cross/attn/to_kv/dense/biases", "/cross/attn/to_kv/dense/weights",
		"/cross/attn/to_out/dense/biases", "/cross/attn/to_out/dense/weights",
		"/cross/attn/to_q/dense/biases", "/cross/attn/to_q/dense/weights",
		"/cross/ff/fc1/dense/biases", "/cross/ff/fc1/dense/weights",
		"/cross/ff/fc2/dense/biases", "/cross/ff/fc2/dense/weights",
		"/cross/norm/gain", "/cross/norm/offset", "/cross/norm_context/gain", "/cross/norm_context/offset",
		"/cross/norm_ff/gain", "/cross/norm_ff/offset",
	}
	if !slices.Equal(got, want) {
		t.Errorf("variables\n%v\nwant\n%v", got, want)
	}
}

// TestCrossAttentionBlockFormula: with every variable random (LayerNorm gains and
// offsets included), the block equals its formula built from the parts,
//
//	x = q + MHA(LN_norm(q), LN_norm_context(c), mask);  y = x + MLP(LN_norm_ff(x)),
//
// and its coefficients give the masked key zero weight. Dropping the context norm or
// the feed-forward residual is caught: the check would fail (tested below).
func TestCrossAttentionBlockFormula(t *testing.T) {
	cfg := BlockConfig{Heads: 2, DimHead: 3, MLPDim: 8, ReturnAttention: true}
	store := model.NewStore()
	block := func(scope *model.Scope, q, c, m *Node) (*Node, *Node) {
		return CrossAttentionBlock(scope.In("cross"), cfg, q, c, m)
	}
	testbackend.Run(t, store, block, crossQuery, crossContext, crossMask)
	rng := rand.New(rand.NewPCG(3, 5))
	for v := range store.IterVariables() {
		if !v.DType().IsFloat() {
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.7)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	out := testbackend.Run(t, store, block, crossQuery, crossContext, crossMask)
	formula := func(contextNorm, ffResidual bool) []float32 {
		ref := testbackend.Run(t, store, func(scope *model.Scope, q, c, m *Node) *Node {
			s := scope.In("cross")
			ctx := c
			if contextNorm {
				ctx = LayerNorm(s.In("norm_context"), c, 0)
			}
			h, _ := MultiHeadAttention(s.In("attn"), AttentionConfig{Heads: 2, DimHead: 3, OutDim: 4},
				LayerNorm(s.In("norm"), q, 0), ctx, m, false)
			x := Add(q, h)
			h = MLP(s.In("ff"), LayerNorm(s.In("norm_ff"), x, 0), 8, 4, 0)
			if !ffResidual {
				return h
			}
			return Add(x, h)
		}, crossQuery, crossContext, crossMask)
		return flat(t, ref[0])
	}
	got := flat(t, out[0])
	assertClose(t, "block", got, formula(true, true), 1e-5)
	for _, wrong := range [][2]bool{{false, true}, {true, false}} {
		if d := maxDiff(got, formula(wrong[0], wrong[1])); d < 1e-3 {
			t.Errorf("the check does not tell the block from a variant %v (diff %g)", wrong, d)
		}
	}
	coef := flat(t, out[1]) // [1, heads, 2, 3]
	for row := range 2 * 2 {
		c := coef[row*3 : row*3+3]
		if c[2] != 0 || math.Abs(float64(c[0]+c[1])-1) > 1e-6 {
			t.Errorf("coefficients row %d = %v: want the masked key at 0 and a sum of 1", row, c)
		}
	}
}

// TestCrossAttentionBlockBadInput: a Dim that is not the query width, and inputs of
// the wrong rank, fail with a message naming the block.
func TestCrossAttentionBlockBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     BlockConfig
		context any
		want    string
	}{
		{"dim", BlockConfig{Heads: 2, Dim: 6}, crossContext, "config Dim=6"},
		{"context rank", BlockConfig{Heads: 2}, crossContext[0], "context must have rank 3"},
	} {
		err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
			y, _ := CrossAttentionBlock(scope, tc.cfg, in[0], in[1], nil)
			return []*Node{y}
		}, crossQuery, tc.context)
		if err == nil || !strings.Contains(err.Error(), "nn.CrossAttentionBlock") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming nn.CrossAttentionBlock and %q", tc.name, err, tc.want)
		}
	}
}
