package nn

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// runSelfAttention runs SelfAttention with identity projections (q = k = v = x) in
// mode m and returns its output. mask: [batch][seq] or nil.
func runSelfAttention(t *testing.T, m struct {
	name                          string
	training, coefficients, fused bool
}, cfg AttentionConfig, x [][][]float32, mask [][]bool) []float32 {
	t.Helper()
	fusedOnGoForTests = m.fused
	defer func() { fusedOnGoForTests = false }()
	inputs := []any{x}
	if mask != nil {
		inputs = append(inputs, mask)
	}
	out := testbackend.Run(t, identityAttentionStore(t, len(x[0][0]), false), func(scope *model.Scope, in []*Node) []*Node {
		scope.SetTraining(in[0].Graph(), m.training)
		var keyMask *Node
		if len(in) > 1 {
			keyMask = in[1]
		}
		y, _ := SelfAttention(scope.In("attn"), cfg, in[0], keyMask, m.coefficients)
		return []*Node{y}
	}, inputs...)
	return flat(t, out[0])
}

// TestCausalHandComputed: one head of width 2 over x0 = (1,0), x1 = (0,1), x2 = (1,1),
// scores x_i·x_j/√2. Token 0 reads only itself: (1, 0). Token 1 reads scores (0, a)
// with a = 1/√2: weights 1/(1+e^a) and e^a/(1+e^a), output (0.330239, 0.669761).
// Token 2 reads scores (a, a, 2a): weights e^a, e^a, e^{2a} over their sum, output
// (w0+w2, w1+w2). Without the causal mask token 0 would read all three.
func TestCausalHandComputed(t *testing.T) {
	x := [][][]float32{{{1, 0}, {0, 1}, {1, 1}}}
	a := 1 / math.Sqrt2
	w1 := []float64{1 / (1 + math.Exp(a)), math.Exp(a) / (1 + math.Exp(a))}
	sum2 := 2*math.Exp(a) + math.Exp(2*a)
	w2 := []float64{math.Exp(a) / sum2, math.Exp(a) / sum2, math.Exp(2*a) / sum2}
	want := []float32{1, 0, float32(w1[0]), float32(w1[1]), float32(w2[0] + w2[2]), float32(w2[1] + w2[2])}
	if math.Abs(w1[1]-0.669761) > 1e-6 {
		t.Fatalf("hand computation: w1 = %v", w1)
	}
	for _, m := range attentionModes {
		t.Run(m.name, func(t *testing.T) {
			got := runSelfAttention(t, m, AttentionConfig{Heads: 1, Causal: true}, x, nil)
			assertClose(t, "causal out", got, want, 1e-5)
			plain := runSelfAttention(t, m, AttentionConfig{Heads: 1}, x, nil)
			if d := maxDiff(plain[:2], want[:2]); d < 0.1 {
				t.Fatalf("token 0 without the causal mask is %v: the case does not test the mask", plain[:2])
			}
		})
	}
}

// TestCausalIgnoresLaterTokens: with Causal, changing tokens 2 and 3 leaves the outputs
// at positions 0 and 1 unchanged and changes position 2; with a key mask as well (the
// fused path then takes an explicit mask) and two heads.
func TestCausalIgnoresLaterTokens(t *testing.T) {
	x := [][][]float32{{{0.5, -1, 2, 0.3}, {1.5, 0.2, -0.7, 1}, {-0.4, 0.9, 0.1, -1.2}, {1, 1, -1, 0.5}}}
	changed := [][][]float32{{x[0][0], x[0][1], {3, -2, 0.5, 1}, {-1, 2, 2, -0.3}}}
	for name, mask := range map[string][][]bool{"causal": nil, "causal and key mask": {{true, true, true, false}}} {
		for _, m := range attentionModes {
			t.Run(name+"/"+m.name, func(t *testing.T) {
				cfg := AttentionConfig{Heads: 2, Causal: true}
				a := runSelfAttention(t, m, cfg, x, mask)
				b := runSelfAttention(t, m, cfg, changed, mask)
				assertClose(t, "positions 0-1", b[:8], a[:8], 1e-6)
				if d := maxDiff(a[8:12], b[8:12]); d < 1e-2 {
					t.Fatalf("position 2 did not change (diff %g)", d)
				}
				want, _ := refAttention(x[0], x[0], maskRow(mask), 2, 1/math.Sqrt(2), true)
				assertClose(t, "out", a, f32(want), 1e-5)
			})
		}
	}
}

// maskRow returns the first row of mask, or nil.
func maskRow(mask [][]bool) []bool {
	if mask == nil {
		return nil
	}
	return mask[0]
}

// TestCausalCrossAttention: 2 queries over 3 keys, causal alone and with key 0
// masked: query 0 reads key 0 only (or, with key 0 masked, nothing it may read: its
// output is then not checked), query 1 keys 0-1, and key 2 is read by no query.
func TestCausalCrossAttention(t *testing.T) {
	query := [][][]float32{{{0.2, 1, -0.5, 0.7}, {-1, 0.4, 0.9, 0.1}}}
	context := [][][]float32{{{1, -0.3, 0.6, 2}, {0.1, 0.8, -1.1, 0.5}, {5, 5, 5, 5}}}
	for _, tc := range []struct {
		name  string
		mask  [][]bool
		check []int // query rows whose output is compared
	}{
		{"causal", nil, []int{0, 1}},
		{"causal and key mask", [][]bool{{false, true, true}}, []int{1}},
	} {
		want, _ := refAttention(query[0], context[0], maskRow(tc.mask), 2, 1/math.Sqrt(2), true)
		for _, m := range attentionModes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				fusedOnGoForTests = m.fused
				defer func() { fusedOnGoForTests = false }()
				inputs := []any{query, context}
				if tc.mask != nil {
					inputs = append(inputs, tc.mask)
				}
				outs := testbackend.Run(t, identityAttentionStore(t, 4, true), func(scope *model.Scope, in []*Node) []*Node {
					scope.SetTraining(in[0].Graph(), m.training)
					var keyMask *Node
					if len(in) > 2 {
						keyMask = in[2]
					}
					y, _ := MultiHeadAttention(scope.In("attn"), AttentionConfig{Heads: 2, Causal: true}, in[0], in[1], keyMask, m.coefficients)
					return []*Node{y}
				}, inputs...)
				got := flat(t, outs[0])
				for _, row := range tc.check {
					assertClose(t, "query row", got[row*4:(row+1)*4], f32(want)[row*4:(row+1)*4], 1e-5)
				}
			})
		}
	}
}

// TestCausalMask checks the mask's values for a wide and a tall case.
func TestCausalMask(t *testing.T) {
	for _, tc := range []struct {
		q, kv int
		want  []bool
	}{
		{2, 3, []bool{true, false, false, true, true, false}},
		{3, 2, []bool{true, false, true, true, true, true}},
	} {
		out := testbackend.Run(t, nil, func(_ *model.Scope, g *Graph) *Node { return CausalMask(g, tc.q, tc.kv) })
		if got := tensors.MustCopyFlatData[bool](out[0]); !slices.Equal(got, tc.want) {
			t.Errorf("CausalMask(%d, %d) = %v, want %v", tc.q, tc.kv, got, tc.want)
		}
	}
}
