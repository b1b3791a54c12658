package vit

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var backend = testbackend.Go()

func tinyConfig(pool Pooling) Config {
	cfg, err := Preset("mu/4", 8, 3)
	if err != nil {
		panic(err)
	}
	cfg.Pool, cfg.Classes, cfg.ReturnAttention = pool, 5, true
	return cfg
}

func TestShapes(t *testing.T) {
	for _, pool := range []Pooling{PoolCLS, PoolGAP} {
		cfg := tinyConfig(pool)
		store := model.NewStore()
		exec := model.MustNewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
			o := Build(scope, cfg, x)
			return append([]*Node{o.Patches, o.Encoded, o.PreLogits, o.Logits}, o.Attention...)
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8*3), 2, 8, 8, 3))
		tokens := 4
		if pool == PoolCLS {
			tokens = 5
		}
		want := [][]int{{2, 4, 16}, {2, tokens, 16}, {2, 16}, {2, 5}, {2, 2, tokens, tokens}, {2, 2, tokens, tokens}}
		if len(out) != len(want) {
			t.Fatalf("%s: %d outputs, want %d", pool, len(out), len(want))
		}
		for i, w := range want {
			if got := out[i].Shape().Dimensions; !slices.Equal(got, w) {
				t.Errorf("%s: output %d shape %v, want %v", pool, i, got, w)
			}
		}
		// The zero-initialised head outputs zero logits at the start, as in the reference code.
		for _, v := range tensors.MustCopyFlatData[float32](out[3]) {
			if v != 0 {
				t.Fatalf("%s: initial logits %v, want zeros", pool, v)
			}
		}
	}
}

// TestEmbedValues checks patch embedding plus positions against a hand computation:
// with all patch weights 1, bias 0.5 and positions p[n][d] = n, token n of an image
// of constant value c is 16*3*c (4x4 patch, 3 channels) + 0.5 + n in every dim.
func TestEmbedValues(t *testing.T) {
	cfg := tinyConfig(PoolGAP)
	store := model.NewStore()
	ones := make([]float32, 4*4*3*16)
	for i := range ones {
		ones[i] = 1
	}
	bias := make([]float32, 16)
	for i := range bias {
		bias[i] = 0.5
	}
	pos := make([]float32, 2*2*16)
	for n := range 4 {
		for d := range 16 {
			pos[n*16+d] = float32(n)
		}
	}
	must(store.CreateVariable("/patch_embed/dense/weights", tensors.FromFlatDataAndDimensions(ones, 48, 16)))
	must(store.CreateVariable("/patch_embed/dense/biases", tensors.FromFlatDataAndDimensions(bias, 16)))
	must(store.CreateVariable("/pos_embed/embeddings", tensors.FromFlatDataAndDimensions(pos, 2, 2, 16)))
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, x *Node) *Node { return Embed(scope, cfg, x) })
	img := make([]float32, 8*8*3)
	for i := range img {
		img[i] = 0.25
	}
	got := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(img, 1, 8, 8, 3))[0])
	for n := range 4 {
		want := float32(48*0.25 + 0.5 + float64(n))
		if math.Abs(float64(got[n*16+3]-want)) > 1e-5 {
			t.Errorf("token %d = %v, want %v", n, got[n*16+3], want)
		}
	}
}

// TestPositionInterpolation: a model built at 8x8 (2x2 grid) runs at 16x16 (4x4 grid)
// with the same variables, the positional table interpolated.
func TestPositionInterpolation(t *testing.T) {
	cfg := tinyConfig(PoolCLS)
	store := model.NewStore()
	exec8 := model.MustNewExec(backend, store, func(scope *model.Scope, x *Node) *Node { return Build(scope, cfg, x).PreLogits })
	exec8.MustExec(tensors.FromFlatDataAndDimensions(make([]float32, 8*8*3), 1, 8, 8, 3))
	before := store.NumVariables()
	cfg16 := cfg
	cfg16.Image = 16
	exec16 := model.MustNewExec(backend, store, func(scope *model.Scope, x *Node) *Node { return Build(scope, cfg16, x).Encoded })
	out := exec16.MustExec(tensors.FromFlatDataAndDimensions(make([]float32, 16*16*3), 1, 16, 16, 3))[0]
	if got := out.Shape().Dimensions; !slices.Equal(got, []int{1, 17, 16}) {
		t.Errorf("encoded at 16x16: %v, want [1 17 16]", got)
	}
	if store.NumVariables() != before {
		t.Errorf("running at 16x16 created %d new variables", store.NumVariables()-before)
	}
	if s := store.GetVariable("/pos_embed/embeddings").Shape().Dimensions; !slices.Equal(s, []int{2, 2, 16}) {
		t.Errorf("stored positional table %v, want the original [2 2 16]", s)
	}
}

// TestTrainingSmoke trains the tiny ViT for 10 steps to tell dark from bright images.
func TestTrainingSmoke(t *testing.T) {
	cfg := tinyConfig(PoolCLS)
	cfg.Classes, cfg.ReturnAttention = 2, false
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	trainer := train.NewTrainer(backend, store, func(scope *model.Scope, x *Node) *Node { return Build(scope, cfg, x).Logits },
		loss.SparseCategoricalCrossEntropyLogits, optimizer.Adam().LearningRate(3e-3).Done(), nil, nil)
	x := make([]float32, 16*8*8*3)
	y := make([]int32, 16)
	for i := range 16 {
		y[i] = int32(i % 2)
		for j := range 8 * 8 * 3 {
			x[i*192+j] = float32(y[i])*2 - 1 + 0.1*float32((j*7+i)%5)
		}
	}
	var first, last float64
	for step := range 10 {
		m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 16, 8, 8, 3)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, 16, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		l := tensors.ToScalar[float32](m[0])
		if step == 0 {
			first = float64(l)
		}
		last = float64(l)
	}
	if math.Abs(first-math.Ln2) > 1e-3 || last > 0.6*first {
		t.Errorf("loss %.4f -> %.4f in 10 steps; want ln 2 at the start (zero head) and at most 0.6 of it", first, last)
	}
}

func TestRollout(t *testing.T) {
	// One block, one head, 2 tokens, attention [[1, 0], [0.5, 0.5]]:
	// 0.5*A + 0.5*I = [[1, 0], [0.25, 0.75]], rows already sum to 1.
	got, err := Rollout([][]float32{{1, 0, 0.5, 0.5}}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, 0.25, 0.75}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("rollout = %v, want %v", got, want)
		}
	}
	// Two identical blocks multiply: [[1,0],[0.25,0.75]]^2 = [[1,0],[0.4375,0.5625]].
	got, _ = Rollout([][]float32{{1, 0, 0.5, 0.5}, {1, 0, 0.5, 0.5}}, 1, 2)
	if math.Abs(float64(got[2]-0.4375)) > 1e-6 || math.Abs(float64(got[3]-0.5625)) > 1e-6 {
		t.Errorf("two-block rollout = %v", got)
	}
	if imp := PatchImportance(got, 2, PoolCLS); len(imp) != 1 || imp[0] != got[1] {
		t.Errorf("cls importance = %v, want [%v]", imp, got[1])
	}
	if _, err := Rollout([][]float32{{1, 2, 3}}, 1, 2); err == nil {
		t.Error("Rollout accepted a block of the wrong size")
	}
}

func TestPresets(t *testing.T) {
	for _, tc := range []struct {
		name            string
		dim, depth, tok int
	}{{"Ti/4", 192, 12, 50}, {"S/16", 384, 12, 2}, {"B/16", 768, 12, 2}} {
		cfg, err := Preset(tc.name, 28, 1)
		if tc.name != "Ti/4" {
			cfg, err = Preset(tc.name, 32, 3)
		}
		if err != nil || cfg.Dim != tc.dim || cfg.Depth != tc.depth {
			t.Errorf("%s: %+v, %v", tc.name, cfg, err)
		}
	}
	for _, bad := range []string{"X/16", "B/x", "B/0"} {
		if _, err := Preset(bad, 224, 3); err == nil {
			t.Errorf("Preset(%q) accepted", bad)
		}
	}
	if _, err := Preset("B/16", 28, 1); err == nil {
		t.Error("Preset accepted 28x28 images with 16x16 patches")
	}
}

func must(_ any, err error) {
	if err != nil {
		panic(err)
	}
}
