package nn

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// eye returns the n×n identity followed by copies more identities side by side:
// [n, copies*n].
func eye(n, copies int) [][]float32 {
	m := make([][]float32, n)
	for i := range m {
		m[i] = make([]float32, copies*n)
		for c := range copies {
			m[i][c*n+i] = 1
		}
	}
	return m
}

// refAttention is multi-head attention with identity projections (q = query,
// k = v = context, head h reading features [h*d, (h+1)*d)), computed in float64.
// query: [q_len][dim]; context: [kv_len][dim]; mask: [kv_len] (nil = all); with
// causal, query i reads only keys j <= i.
// Returns out [q_len][dim] and coefficients [heads][q_len][kv_len].
func refAttention(query, context [][]float32, mask []bool, heads int, scale float64, causal bool) ([][]float64, [][][]float64) {
	dim := len(query[0])
	d := dim / heads
	out := make([][]float64, len(query))
	for i := range out {
		out[i] = make([]float64, dim)
	}
	coef := make([][][]float64, heads)
	for h := range heads {
		coef[h] = make([][]float64, len(query))
		for i, q := range query {
			w := make([]float64, len(context))
			total := 0.0
			for j, k := range context {
				if (mask != nil && !mask[j]) || (causal && j > i) {
					continue
				}
				s := 0.0
				for f := h * d; f < (h+1)*d; f++ {
					s += float64(q[f]) * float64(k[f])
				}
				w[j] = math.Exp(s * scale)
				total += w[j]
			}
			for j := range w {
				w[j] /= total
				for f := h * d; f < (h+1)*d; f++ {
					out[i][f] += w[j] * float64(context[j][f])
				}
			}
			coef[h][i] = w
		}
	}
	return out, coef
}

// attentionModes are the graph kinds that take different attention paths.
var attentionModes = []struct {
	name                          string
	training, coefficients, fused bool
}{
	{"inference_fused", false, false, true}, // the path other backends take
	{"inference", false, false, false},
	{"inference_coef", false, true, false},
	{"training", true, false, false},
	{"training_coef", true, true, false},
}

// identityAttentionStore returns a store whose attention projections are identities
// and biases zero, so that q = k = v = the input.
func identityAttentionStore(t *testing.T, dim int, cross bool) *model.Store {
	store := model.NewStore()
	if cross {
		setVar(t, store, "/attn/to_q/dense/weights", eye(dim, 1))
		setVar(t, store, "/attn/to_q/dense/biases", make([]float32, dim))
		setVar(t, store, "/attn/to_kv/dense/weights", eye(dim, 2))
		setVar(t, store, "/attn/to_kv/dense/biases", make([]float32, 2*dim))
	} else {
		setVar(t, store, "/attn/to_qkv/dense/weights", eye(dim, 3))
		setVar(t, store, "/attn/to_qkv/dense/biases", make([]float32, 3*dim))
	}
	setVar(t, store, "/attn/to_out/dense/weights", eye(dim, 1))
	setVar(t, store, "/attn/to_out/dense/biases", make([]float32, dim))
	return store
}

// TestAttentionHandComputed checks one head of width 2 on two orthogonal unit tokens
// against numbers worked out by hand: token 0 scores [1/√2, 0], so its weights are
// e^{1/√2}/(e^{1/√2}+1) = 0.669761 and 0.330239 and its output is those weights. With
// 1/d scaling the weight would be 0.622459, without scaling 0.731059.
func TestAttentionHandComputed(t *testing.T) {
	x := [][][]float32{{{1, 0}, {0, 1}}}
	want := []float32{0.669761, 0.330239, 0.330239, 0.669761}
	for _, m := range attentionModes {
		t.Run(m.name, func(t *testing.T) {
			fusedOnGoForTests = m.fused
			defer func() { fusedOnGoForTests = false }()
			out := testbackend.Run(t, identityAttentionStore(t, 2, false), func(scope *model.Scope, in []*Node) []*Node {
				scope.SetTraining(in[0].Graph(), m.training)
				y, _ := SelfAttention(scope.In("attn"), AttentionConfig{Heads: 1}, in[0], nil, m.coefficients)
				return []*Node{y}
			}, x)
			assertClose(t, "out", flat(t, out[0]), want, 1e-5)
		})
	}
}

// TestSelfAttentionValues compares two heads with a padding mask against refAttention,
// in every mode, and checks that the test would catch a 1/d or a missing scaling.
func TestSelfAttentionValues(t *testing.T) {
	x := [][][]float32{
		{{0.5, -1, 2, 0.3}, {1.5, 0.2, -0.7, 1}, {-0.4, 0.9, 0.1, -1.2}},
		{{1, 1, -1, 0.5}, {0.3, -0.6, 0.8, 0.2}, {2, -1.5, 0.4, 1.1}},
	}
	mask := [][]bool{{true, true, true}, {true, true, false}}
	const heads = 2
	var want, wantCoef []float32
	for b := range x {
		out, coef := refAttention(x[b], x[b], mask[b], heads, 1/math.Sqrt(2), false)
		outD, _ := refAttention(x[b], x[b], mask[b], heads, 0.5, false)
		outNo, _ := refAttention(x[b], x[b], mask[b], heads, 1, false)
		if d := maxDiff(f32(out), f32(outD)); d < 1e-2 {
			t.Fatalf("batch %d: inputs do not tell 1/sqrt(d) from 1/d scaling (diff %g)", b, d)
		}
		if d := maxDiff(f32(out), f32(outNo)); d < 1e-2 {
			t.Fatalf("batch %d: inputs do not tell 1/sqrt(d) from no scaling (diff %g)", b, d)
		}
		want = append(want, f32(out)...)
		for h := range coef {
			wantCoef = append(wantCoef, f32(coef[h])...)
		}
	}
	for _, m := range attentionModes {
		t.Run(m.name, func(t *testing.T) {
			fusedOnGoForTests = m.fused
			defer func() { fusedOnGoForTests = false }()
			outs := testbackend.Run(t, identityAttentionStore(t, 4, false), func(scope *model.Scope, in []*Node) []*Node {
				scope.SetTraining(in[0].Graph(), m.training)
				y, coef := SelfAttention(scope.In("attn"), AttentionConfig{Heads: heads}, in[0], in[1], m.coefficients)
				if coef == nil {
					return []*Node{y}
				}
				return []*Node{y, coef}
			}, x, mask)
			assertClose(t, "out", flat(t, outs[0]), want, 1e-5)
			if !m.coefficients {
				return
			}
			if got := outs[1].Shape().Dimensions; !slices.Equal(got, []int{2, heads, 3, 3}) {
				t.Fatalf("coefficients shape %v, want [2 %d 3 3]", got, heads)
			}
			coef := flat(t, outs[1])
			assertClose(t, "coefficients", coef, wantCoef, 1e-5)
			for row := 0; row < len(coef); row += 3 {
				if s := coef[row] + coef[row+1] + coef[row+2]; math.Abs(float64(s)-1) > 1e-6 {
					t.Errorf("coefficient row %d sums to %g", row/3, s)
				}
			}
			// Batch 1 masks key 2: every one of its rows gives it exactly zero weight.
			for row := heads * 3; row < 2*heads*3; row++ {
				if c := coef[row*3+2]; c != 0 {
					t.Errorf("masked key has weight %g in row %d", c, row)
				}
			}
		})
	}
}

// TestCrossAttentionValues checks cross-attention (2 queries over 3 keys, one masked)
// against refAttention in every mode.
func TestCrossAttentionValues(t *testing.T) {
	query := [][][]float32{{{0.2, 1, -0.5, 0.7}, {-1, 0.4, 0.9, 0.1}}}
	context := [][][]float32{{{1, -0.3, 0.6, 2}, {0.1, 0.8, -1.1, 0.5}, {5, 5, 5, 5}}}
	mask := [][]int32{{1, 1, 0}}
	out, _ := refAttention(query[0], context[0], []bool{true, true, false}, 2, 1/math.Sqrt(2), false)
	for _, m := range attentionModes {
		t.Run(m.name, func(t *testing.T) {
			fusedOnGoForTests = m.fused
			defer func() { fusedOnGoForTests = false }()
			outs := testbackend.Run(t, identityAttentionStore(t, 4, true), func(scope *model.Scope, in []*Node) []*Node {
				scope.SetTraining(in[0].Graph(), m.training)
				y, _ := MultiHeadAttention(scope.In("attn"), AttentionConfig{Heads: 2}, in[0], in[1], in[2], m.coefficients)
				return []*Node{y}
			}, query, context, mask)
			assertClose(t, "out", flat(t, outs[0]), f32(out), 1e-5)
		})
	}
}

// TestAttentionBadConfig checks that bad configurations fail with a message that
// names the function.
func TestAttentionBadConfig(t *testing.T) {
	x := [][][]float32{{{1, 2, 3}}}
	for _, tc := range []struct {
		name string
		cfg  AttentionConfig
		mask any
		want string
	}{
		{"no heads", AttentionConfig{}, nil, "Heads must be positive"},
		{"indivisible", AttentionConfig{Heads: 2}, nil, "not divisible"},
		{"dropout", AttentionConfig{Heads: 1, Dropout: 1}, nil, "Dropout"},
		{"mask shape", AttentionConfig{Heads: 1}, [][]bool{{true, true}}, "key mask"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := []any{x}
			if tc.mask != nil {
				inputs = append(inputs, tc.mask)
			}
			err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
				var mask *Node
				if len(in) > 1 {
					mask = in[1]
				}
				y, _ := SelfAttention(scope, tc.cfg, in[0], mask, false)
				return []*Node{y}
			}, inputs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// f32 flattens a float64 matrix to float32.
func f32(m [][]float64) []float32 {
	var out []float32
	for _, row := range m {
		for _, v := range row {
			out = append(out, float32(v))
		}
	}
	return out
}
