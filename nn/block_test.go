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

// randTokens returns a [batch][tokens][dim] array of normal values.
func randTokens(seed uint64, batch, tokens, dim int) [][][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][][]float32, batch)
	for b := range x {
		x[b] = make([][]float32, tokens)
		for t := range x[b] {
			x[b][t] = make([]float32, dim)
			for d := range x[b][t] {
				x[b][t][d] = float32(rng.NormFloat64())
			}
		}
	}
	return x
}

// flat3 flattens a [][][]float32.
func flat3(x [][][]float32) []float32 {
	var out []float32
	for _, a := range x {
		for _, b := range a {
			out = append(out, b...)
		}
	}
	return out
}

func TestEncoderShapesAndScopes(t *testing.T) {
	store := model.NewStore()
	cfg := EncoderConfig{BlockConfig: BlockConfig{Heads: 2, MLPDim: 16, ReturnAttention: true}, Depth: 3}
	outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
		y, attns := Encoder(scope.In("encoder"), cfg, in[0], nil)
		return append([]*Node{y}, attns...)
	}, randTokens(1, 2, 5, 8))
	if len(outs) != 4 {
		t.Fatalf("got %d outputs, want encoded + 3 attention maps", len(outs))
	}
	if got := outs[0].Shape().Dimensions; !slices.Equal(got, []int{2, 5, 8}) {
		t.Errorf("encoded shape %v, want [2 5 8]", got)
	}
	for i, a := range outs[1:] {
		if got := a.Shape().Dimensions; !slices.Equal(got, []int{2, 2, 5, 5}) {
			t.Errorf("attention map %d shape %v, want [2 2 5 5]", i, got)
		}
	}
	for _, path := range []string{
		"/encoder/block_00/ln_1/gain", "/encoder/block_00/attn/to_qkv/dense/weights",
		"/encoder/block_01/attn/to_out/dense/biases", "/encoder/block_02/mlp/fc1/dense/weights",
		"/encoder/block_02/ln_2/offset", "/encoder/ln_final/gain",
	} {
		if store.GetVariable(path) == nil {
			t.Errorf("variable %s missing", path)
		}
	}
	if v := store.GetVariable("/encoder/block_00/mlp/fc1/dense/weights"); v != nil &&
		!slices.Equal(v.Shape().Dimensions, []int{8, 16}) {
		t.Errorf("fc1 weights %s, want [8 16]", v.Shape())
	}
}

// TestBlockIdentityWithZeroProjections checks the residual wiring: with the attention
// output projection and the MLP's second dense set to zero, both branches add zero and
// the block returns its input exactly, in inference and in training.
func TestBlockIdentityWithZeroProjections(t *testing.T) {
	x := randTokens(2, 2, 4, 8)
	for _, training := range []bool{false, true} {
		store := model.NewStore()
		setVar(t, store, "/block/attn/to_out/dense/weights", make2D(8, 8))
		setVar(t, store, "/block/attn/to_out/dense/biases", make([]float32, 8))
		setVar(t, store, "/block/mlp/fc2/dense/weights", make2D(32, 8))
		setVar(t, store, "/block/mlp/fc2/dense/biases", make([]float32, 8))
		outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
			scope.SetTraining(in[0].Graph(), training)
			y, _ := Block(scope.In("block"), BlockConfig{Heads: 2}, in[0], nil)
			return []*Node{y}
		}, x)
		assertClose(t, "block output", flat(t, outs[0]), flat3(x), 0)
	}
}

// make2D returns a rows×cols zero matrix.
func make2D(rows, cols int) [][]float32 {
	m := make([][]float32, rows)
	for i := range m {
		m[i] = make([]float32, cols)
	}
	return m
}

// TestBlockDropoutOnlyInTraining runs one store with dropout, attention dropout and
// drop-path at 0.5: the inference graph must equal the same block with all rates 0,
// and the training graph must differ from it.
func TestBlockDropoutOnlyInTraining(t *testing.T) {
	x := randTokens(3, 4, 6, 8)
	store := model.NewStore()
	block := func(cfg BlockConfig, training bool) []float32 {
		outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
			scope.SetTraining(in[0].Graph(), training)
			y, _ := Block(scope.In("block"), cfg, in[0], nil)
			return []*Node{y}
		}, x)
		return flat(t, outs[0])
	}
	noisy := BlockConfig{Heads: 2, Dropout: 0.5, AttentionDropout: 0.5, DropPath: 0.5}
	clean := block(BlockConfig{Heads: 2}, false)
	assertClose(t, "inference with dropout", block(noisy, false), clean, 0)
	if d := maxDiff(block(noisy, true), clean); d < 1e-3 {
		t.Errorf("training with dropout 0.5 equals inference (max diff %g): dropout not applied", d)
	}
}

// TestDropPathScaling checks DropPath in training: each example is either dropped (0)
// or kept and scaled by 1/(1-rate), about rate of them dropped; outside training it
// is the identity.
func TestDropPathScaling(t *testing.T) {
	const n, rate = 2000, 0.25
	ones := make([][]float32, n)
	for i := range ones {
		ones[i] = []float32{1, 1, 1}
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(7); err != nil {
		t.Fatal(err)
	}
	for _, training := range []bool{true, false} {
		outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
			scope.SetTraining(in[0].Graph(), training)
			return []*Node{DropPath(scope, in[0], rate)}
		}, ones)
		got := flat(t, outs[0])
		dropped := 0
		for i := 0; i < n; i++ {
			row := got[3*i : 3*i+3]
			switch {
			case !training && row[0] != 1:
				t.Fatalf("inference DropPath changed the input: %v", row)
			case training && row[0] == 0 && row[1] == 0 && row[2] == 0:
				dropped++
			case training && math.Abs(float64(row[0])-1/(1-rate)) > 1e-6:
				t.Fatalf("kept example %d = %v, want %g", i, row, 1/(1-rate))
			}
		}
		if frac := float64(dropped) / n; training && math.Abs(frac-rate) > 0.04 {
			t.Errorf("dropped %.3f of examples, want about %g", frac, rate)
		}
	}
}

// TestBlockGradientFiniteDifference checks the block's gradient with respect to its
// input, in a training graph with a padding mask, against central finite differences
// in float64.
func TestBlockGradientFiniteDifference(t *testing.T) {
	x32 := randTokens(4, 2, 3, 4)
	x := make([]float64, 0, 24)
	for _, v := range flat3(x32) {
		x = append(x, float64(v))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	weights := make([]float64, len(x))
	for i := range weights {
		weights[i] = rng.NormFloat64()
	}
	mask := [][]bool{{true, true, true}, {true, true, false}}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3)) // the same weights every run.
	exec, err := model.NewExec(testBackend(), store, func(scope *model.Scope, in []*Node) []*Node {
		scope.SetTraining(in[0].Graph(), true)
		y, _ := Block(scope.In("block"), BlockConfig{Heads: 2}, in[0], in[2])
		loss := ReduceAllSum(Mul(y, in[1]))
		return []*Node{loss, Gradient(loss, in[0])[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	eval := func(x []float64) (float64, []float64) {
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, 2, 3, 4),
			tensors.FromFlatDataAndDimensions(weights, 2, 3, 4), mask)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](outs[0])[0], tensors.MustCopyFlatData[float64](outs[1])
	}
	_, grad := eval(x)
	const h = 1e-5
	for i := range x {
		xp, xm := slices.Clone(x), slices.Clone(x)
		xp[i] += h
		xm[i] -= h
		lp, _ := eval(xp)
		lm, _ := eval(xm)
		// A wrong gradient is off by O(1); 1e-5 leaves room for the central
		// difference's O(h²) error where LayerNorm and GELU curve sharply.
		if fd := (lp - lm) / (2 * h); math.Abs(fd-grad[i]) > 1e-5*(1+math.Abs(fd)) {
			t.Errorf("d loss / d x[%d] = %g, finite difference %g", i, grad[i], fd)
		}
	}
}

func TestBlockBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(scope *model.Scope, x *Node) *Node
		want string
	}{
		{"dim mismatch", func(scope *model.Scope, x *Node) *Node {
			y, _ := Block(scope, BlockConfig{Dim: 6, Heads: 2}, x, nil)
			return y
		}, "Dim=6"},
		{"depth", func(scope *model.Scope, x *Node) *Node {
			y, _ := Encoder(scope, EncoderConfig{BlockConfig: BlockConfig{Heads: 2}}, x, nil)
			return y
		}, "Depth must be positive"},
		{"rank", func(scope *model.Scope, x *Node) *Node {
			y, _ := Block(scope, BlockConfig{Heads: 2}, Reshape(x, 2, 32), nil)
			return y
		}, "must have rank 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
				return []*Node{tc.fn(scope, in[0])}
			}, randTokens(1, 2, 4, 8))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
