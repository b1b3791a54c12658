package mae

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
)

var backend = testbackend.Go()

// tinyConfig is an MAE on 8x8 images with 2x2 patches (16 patches, 4 kept).
func tinyConfig(pool vit.Pooling, channels int) Config {
	enc, err := vit.Preset("mu/2", 8, channels)
	if err != nil {
		panic(err)
	}
	enc.Pool = pool
	return Config{Encoder: enc, DecoderDim: 8, DecoderDepth: 1, DecoderHeads: 2, DecoderMLPDim: 16, MaskRatio: DefaultMaskRatio}
}

func randomFloats(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// TestPatchifyRoundTrip checks unpatchify(patchify(x)) == x exactly, and MAE's
// ordering: patch n = i*grid + j holds rows i*p.., columns j*p.., channels innermost.
func TestPatchifyRoundTrip(t *testing.T) {
	const b, h, p, c = 2, 8, 2, 3
	x := randomFloats(1, b*h*h*c)
	out := testbackend.Run(t, nil, func(_ *model.Scope, img *Node) []*Node {
		patches := Patchify(img, p)
		return []*Node{patches, Unpatchify(patches, p, h/p)}
	}, tensors.FromFlatDataAndDimensions(x, b, h, h, c))
	patches, back := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for i := range x {
		if back[i] != x[i] {
			t.Fatalf("unpatchify(patchify(x))[%d] = %v, want %v", i, back[i], x[i])
		}
	}
	if d := out[0].Shape().Dimensions; d[0] != b || d[1] != 16 || d[2] != p*p*c {
		t.Fatalf("patches shape %v, want [2 16 12]", d)
	}
	// Example 1, patch n = 1*4 + 2 (grid row 1, column 2), in-patch row 1, column 0, channel 2.
	got := patches[(1*16+6)*12+(1*p+0)*c+2]
	want := x[((1*h+1*p+1)*h+2*p+0)*c+2]
	if got != want {
		t.Errorf("patch value %v, want image value %v (MAE ordering)", got, want)
	}
}

// TestRandomMaskingHandMade: noise [0.5, 0.1, 0.9, 0.3] keeping 2 gives
// ids_shuffle [1 3 0 2], ids_restore [2 0 3 1], ids_keep [1 3], mask [1 0 1 0].
func TestRandomMaskingHandMade(t *testing.T) {
	x := [][][]float32{{{10}, {11}, {12}, {13}}}
	noise := [][]float32{{0.5, 0.1, 0.9, 0.3}}
	out := testbackend.Run(t, nil, func(_ *model.Scope, x, noise *Node) []*Node {
		m := RandomMasking(x, noise, 2)
		return []*Node{m.Kept, m.Mask, m.IDsKeep, m.IDsShuffle, m.IDsRestore}
	}, x, noise)
	checkF := func(name string, got *tensors.Tensor, want []float32) {
		g := tensors.MustCopyFlatData[float32](got)
		for i := range want {
			if len(g) != len(want) || g[i] != want[i] {
				t.Fatalf("%s = %v, want %v", name, g, want)
			}
		}
	}
	checkI := func(name string, got *tensors.Tensor, want []int32) {
		g := tensors.MustCopyFlatData[int32](got)
		for i := range want {
			if len(g) != len(want) || g[i] != want[i] {
				t.Fatalf("%s = %v, want %v", name, g, want)
			}
		}
	}
	checkF("kept", out[0], []float32{11, 13})
	checkF("mask", out[1], []float32{1, 0, 1, 0})
	checkI("ids_keep", out[2], []int32{1, 3})
	checkI("ids_shuffle", out[3], []int32{1, 3, 0, 2})
	checkI("ids_restore", out[4], []int32{2, 0, 3, 1})
}

// TestRandomMaskingRandom: with random noise every example keeps exactly keep tokens,
// the kept ones are those with mask 0, and restoring [kept, removed] gives x back.
func TestRandomMaskingRandom(t *testing.T) {
	const b, L, d, keep = 3, 16, 2, 4
	x := randomFloats(2, b*L*d)
	noise := randomFloats(3, b*L)
	out := testbackend.Run(t, nil, func(_ *model.Scope, x, noise *Node) []*Node {
		m := RandomMasking(x, noise, keep)
		removed := GatherTokens(x, Slice(m.IDsShuffle, AxisRange(), AxisRange(keep)))
		restored := GatherTokens(Concatenate([]*Node{m.Kept, removed}, 1), m.IDsRestore)
		return []*Node{m.Mask, restored, m.IDsKeep}
	}, tensors.FromFlatDataAndDimensions(x, b, L, d), tensors.FromFlatDataAndDimensions(noise, b, L))
	mask, restored, ids := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[int32](out[2])
	for e := range b {
		removed := 0
		for i := range L {
			removed += int(mask[e*L+i])
		}
		if removed != L-keep {
			t.Errorf("example %d: %d removed, want %d", e, removed, L-keep)
		}
		for _, id := range ids[e*keep : (e+1)*keep] {
			if mask[e*L+int(id)] != 0 {
				t.Errorf("example %d: kept token %d has mask 1", e, id)
			}
		}
	}
	for i := range x {
		if restored[i] != x[i] {
			t.Fatalf("restored[%d] = %v, want %v", i, restored[i], x[i])
		}
	}
}

// TestLossMaskedOnly: with zero images and a prediction of 1 on removed patches the
// loss is exactly 1 whatever is predicted on visible ones; a change on a removed
// patch changes it.
func TestLossMaskedOnly(t *testing.T) {
	cfg := tinyConfig(vit.PoolGAP, 1) // 16 patches of 4 values.
	mask := make([]float32, 16)
	for _, i := range []int{0, 3, 5, 6, 9, 10, 12, 15} {
		mask[i] = 1
	}
	lossOf := func(pred []float32) float32 {
		out := testbackend.Run(t, nil, func(_ *model.Scope, img, pred, mask *Node) *Node {
			l, _ := ForwardLoss(cfg, img, pred, mask)
			return l
		}, tensors.FromFlatDataAndDimensions(make([]float32, 64), 1, 8, 8, 1),
			tensors.FromFlatDataAndDimensions(pred, 1, 16, 4), tensors.FromFlatDataAndDimensions(mask, 1, 16))
		return tensors.ToScalar[float32](out[0])
	}
	pred := make([]float32, 64)
	for i := range pred {
		pred[i] = mask[i/4] // 1 on removed patches, 0 on visible.
	}
	if l := lossOf(pred); math.Abs(float64(l)-1) > 1e-6 {
		t.Fatalf("loss %v, want 1", l)
	}
	for i := range pred {
		if mask[i/4] == 0 {
			pred[i] = float32(i) - 7 // arbitrary predictions on visible patches.
		}
	}
	if l := lossOf(pred); math.Abs(float64(l)-1) > 1e-6 {
		t.Errorf("loss %v after changing visible patches, want 1 (visible patches must not count)", l)
	}
	pred[0] = 3 // patch 0 is removed: squared error 9 instead of 1 on one of 4 values of 8 patches.
	if l := lossOf(pred); math.Abs(float64(l)-(1+8.0/32)) > 1e-6 {
		t.Errorf("loss %v after changing a removed patch, want %v", l, 1+8.0/32)
	}
}

// TestNormPixTarget: the patch [1 2 3 4] normalises with mean 2.5 and unbiased
// variance 5/3, as torch's var does.
func TestNormPixTarget(t *testing.T) {
	out := testbackend.Run(t, nil, func(_ *model.Scope, p *Node) *Node { return NormalizePatches(p) }, [][][]float32{{{1, 2, 3, 4}}})
	got := tensors.MustCopyFlatData[float32](out[0])
	s := math.Sqrt(5.0/3 + normPixEpsilon)
	for i, v := range []float64{-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s} {
		if math.Abs(float64(got[i])-v) > 1e-6 {
			t.Fatalf("normalised patch %v, want %v at %d", got, v, i)
		}
	}
}

// TestForwardShapes checks every output of Forward, with and without a cls token,
// and that the pasted reconstruction keeps the visible pixels of the input.
func TestForwardShapes(t *testing.T) {
	for _, pool := range []vit.Pooling{vit.PoolCLS, vit.PoolGAP} {
		cfg := tinyConfig(pool, 3)
		cfg.NormPixLoss = pool == vit.PoolGAP
		x := randomFloats(4, 2*8*8*3)
		out := testbackend.Run(t, nil, func(scope *model.Scope, img *Node) []*Node {
			o := Forward(scope, cfg, img, nil)
			recon, pasted := Reconstruct(cfg, img, o.Pred, o.Mask)
			return []*Node{o.Latent, o.Pred, o.Target, o.Mask, o.IDsRestore, o.Loss, recon, pasted,
				Features(scope.At("probe"), cfg, img)}
		}, tensors.FromFlatDataAndDimensions(x, 2, 8, 8, 3))
		latent := 4
		if pool == vit.PoolCLS {
			latent = 5
		}
		want := [][]int{{2, latent, 16}, {2, 16, 12}, {2, 16, 12}, {2, 16}, {2, 16}, {}, {2, 8, 8, 3}, {2, 8, 8, 3}, {2, 16}}
		for i, w := range want {
			if got := out[i].Shape().Dimensions; !slices.Equal(got, w) {
				t.Errorf("%s: output %d shape %v, want %v", pool, i, got, w)
			}
		}
		mask, pasted := tensors.MustCopyFlatData[float32](out[3]), tensors.MustCopyFlatData[float32](out[7])
		for e := range 2 {
			for i := range 8 {
				for j := range 8 {
					if mask[e*16+(i/2)*4+j/2] != 0 {
						continue
					}
					for c := range 3 {
						k := ((e*8+i)*8+j)*3 + c
						if math.Abs(float64(pasted[k]-x[k])) > 1e-6 {
							t.Fatalf("%s: pasted pixel %d = %v, want the visible input %v", pool, k, pasted[k], x[k])
						}
					}
				}
			}
		}
	}
}

// TestBadConfig: invalid configurations are errors.
func TestBadConfig(t *testing.T) {
	good := tinyConfig(vit.PoolGAP, 1)
	for name, mod := range map[string]func(*Config){
		"ratio 0":       func(c *Config) { c.MaskRatio = 0 },
		"ratio 1":       func(c *Config) { c.MaskRatio = 1 },
		"keep none":     func(c *Config) { c.MaskRatio = 0.99 },
		"decoder heads": func(c *Config) { c.DecoderHeads = 3 },
		"decoder dim":   func(c *Config) { c.DecoderDim = 6; c.DecoderHeads = 2 },
		"encoder patch": func(c *Config) { c.Encoder.Patch = 3 },
	} {
		c := good
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
	if err := good.Validate(); err != nil {
		t.Errorf("tiny config: %v", err)
	}
}

// TestTrainingSmoke trains the tiny MAE for 10 steps on copies of one image; the loss falls.
func TestTrainingSmoke(t *testing.T) {
	cfg := tinyConfig(vit.PoolCLS, 1)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(5))
	trainer := train.NewTrainer(backend, store, func(scope *model.Scope, x *Node) *Node { return Forward(scope, cfg, x, nil).Loss },
		func(_, pred []*Node) *Node { return pred[0] }, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	x := make([]float32, 8*8*8)
	for i := range 8 {
		for j := range 64 {
			x[i*64+j] = float32(math.Sin(float64(j) * 0.3)) // one pattern: the decoder learns it from positions.
		}
	}
	var first, last float32
	for step := range 10 {
		m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 8, 8, 8, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		l := tensors.ToScalar[float32](m[0])
		if step == 0 {
			first = l
		}
		last = l
	}
	t.Logf("loss %.4f -> %.4f", first, last)
	if !(last < 0.7*first) {
		t.Errorf("loss %.4f -> %.4f in 10 steps; want a fall to below 0.7 of the start", first, last)
	}
}

// TestArgsortRowsTies: equal values keep their order (a stable argsort), and the
// restore ids are the ranks.
func TestArgsortRowsTies(t *testing.T) {
	out := testbackend.Run(t, nil, func(_ *model.Scope, x *Node) []*Node {
		s, r := argsortRows(x)
		return []*Node{s, r}
	}, [][]float32{{0.5, 0.5, 0.1, 0.5, -2}, {3, 2, 1, 0, 0}})
	shuffle, restore := tensors.MustCopyFlatData[int32](out[0]), tensors.MustCopyFlatData[int32](out[1])
	wantS := []int32{4, 2, 0, 1, 3, 3, 4, 2, 1, 0}
	wantR := []int32{2, 3, 1, 4, 0, 4, 3, 2, 0, 1}
	for i := range wantS {
		if shuffle[i] != wantS[i] || restore[i] != wantR[i] {
			t.Fatalf("argsort %v, ranks %v; want %v and %v", shuffle, restore, wantS, wantR)
		}
	}
}
