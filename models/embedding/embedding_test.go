package embedding

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/models/clip"
)

// TestShapes checks every kind's logits [batch, batch] and initial scale 1/0.07 at
// the tiny preset, logits bounded by the scale (they are scaled cosines), and the
// shapes of CrossModalEmbedding's image tokens and embeddings.
func TestShapes(t *testing.T) {
	images, ids, mask := batch(3, 1)
	for _, kind := range Kinds {
		cfg := tinyConfig(t, kind)
		exec := model.MustNewExec(backend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
			o := Build(scope, cfg, in[0], in[1], in[2])
			return []*Node{o.Logits, o.LogitScale}
		})
		out := exec.MustExec(images, ids, mask)
		if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{3, 3}) {
			t.Errorf("%s: logits %v, want [3 3]", kind, got)
		}
		scale := flat64(t, out[1])[0]
		if math.Abs(scale-1/0.07) > 1e-3 {
			t.Errorf("%s: initial scale %v, want 1/0.07", kind, scale)
		}
		for k, v := range flat64(t, out[0]) {
			if math.Abs(v) > scale*(1+1e-5) {
				t.Errorf("%s: logit %d = %v exceeds the scale %v", kind, k, v, scale)
			}
		}
	}
	cfg := tinyConfig(t, KindCrossModal)
	exec := model.MustNewExec(backend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
		img, txt := EncodeImage(scope, cfg, in[0]), EncodeText(scope, cfg, in[1], in[2])
		return []*Node{img.Tokens, img.Embed, txt.Features, txt.Embed}
	})
	want := [][]int{{3, 16, 16}, {3, 16}, {3, 16}, {3, 16}}
	for i, o := range exec.MustExec(images, ids, mask) {
		if got := o.Shape().Dimensions; !slices.Equal(got, want[i]) {
			t.Errorf("crossmodal encoding output %d: %v, want %v", i, got, want[i])
		}
	}
}

// TestPairScoreValues recomputes PairScores in float64 from its inputs and the
// variables of "cross" (given random values): per head, softmax over the image's
// tokens of q_j·k_ip/√4, the attended values merged, to_out, plus the image's
// embedding, normalised, dotted with the caption's unit embedding.
func TestPairScoreValues(t *testing.T) {
	cfg := tinyConfig(t, KindCrossModal)
	const nImg, nTxt, tokens, d, heads, dh = 2, 3, 5, 16, 4, 4
	pix, _, _ := batch(1, 21) // 768 random numbers for the inputs.
	r := flat64(t, pix)
	tokV, embV, featV := r[:nImg*tokens*d], r[400:400+nImg*d], r[500:500+nTxt*d]
	tEmbV := slices.Clone(r[600 : 600+nTxt*d])
	for j := range nTxt { // the caption embeddings have unit norm.
		normalize(tEmbV[j*d : (j+1)*d])
	}
	in := []*tensors.Tensor{f32(tokV, nImg, tokens, d), f32(embV, nImg, d), f32(featV, nTxt, d), f32(tEmbV, nTxt, d)}
	fn := func(scope *model.Scope, tk, e, f, te *Node) *Node {
		return PairScores(scope, cfg, Image{Tokens: tk, Embed: e}, Text{Features: f, Embed: te})
	}
	store := model.NewStore()
	model.MustNewExec(backend(), store, fn).MustExec(in[0], in[1], in[2], in[3]) // creates the variables.
	randomize(t, store, 9)
	got := flat64(t, model.MustNewExec(backend(), store, fn).MustExec(in[0], in[1], in[2], in[3])[0])

	w := func(name string) ([]float64, []float64) {
		return variable(t, store, "/cross/"+name+"/dense/weights"), variable(t, store, "/cross/"+name+"/dense/biases")
	}
	wq, bq := w("to_q")
	wkv, bkv := w("to_kv")
	wo, bo := w("to_out")
	for i := range nImg {
		// k, v: [tokens][d], heads side by side; to_kv's first d outputs are the keys.
		k, v := make([][]float64, tokens), make([][]float64, tokens)
		for p := range tokens {
			kv := linear(tokV[(i*tokens+p)*d:(i*tokens+p+1)*d], wkv, bkv, 2*d)
			k[p], v[p] = kv[:d], kv[d:]
		}
		for j := range nTxt {
			q := linear(featV[j*d:(j+1)*d], wq, bq, d)
			merged := make([]float64, d)
			for h := range heads {
				s := make([]float64, tokens)
				for p := range tokens {
					for e := range dh {
						s[p] += q[h*dh+e] * k[p][h*dh+e] / 2 // √dh = 2.
					}
				}
				softmax(s)
				for p := range tokens {
					for e := range dh {
						merged[h*dh+e] += s[p] * v[p][h*dh+e]
					}
				}
			}
			c := linear(merged, wo, bo, d)
			for e := range d {
				c[e] += embV[i*d+e]
			}
			normalize(c)
			var want float64
			for e := range d {
				want += c[e] * tEmbV[j*d+e]
			}
			if g := got[i*nTxt+j]; math.Abs(g-want) > 1e-5 {
				t.Errorf("score(image %d, caption %d) = %.7f, want %.7f", i, j, g, want)
			}
		}
	}
}

// TestPairScoreIndependentOfBatch scores batch A (4 pairs) and batch B = [B0, A0, B2,
// A2], where A0 and A2 sit among other images and captions at other positions, and
// the single pair A0: every score of an (A image, A caption) pair is the same in all
// three, up to float rounding. The chapter's attention across the batch lacks this
// (TestChapterAttendsAcrossBatch).
func TestPairScoreIndependentOfBatch(t *testing.T) {
	cfg := tinyConfig(t, KindCrossModal)
	store := model.NewStore()
	fn := func(scope *model.Scope, images, ids, mask *Node) *Node {
		return PairScores(scope, cfg, EncodeImage(scope, cfg, images), EncodeText(scope, cfg, ids, mask))
	}
	ai, at, am := batch(4, 1)
	bi, bt, bm := batch(4, 2)
	model.MustNewExec(backend(), store, fn).MustExec(ai, at, am)
	randomize(t, store, 4)
	scores := func(pick []int) []float64 {
		exec := model.MustNewExec(backend(), store, fn)
		return flat64(t, exec.MustExec(pickRows[float32](t, ai, bi, pick), pickRows[int32](t, at, bt, pick),
			pickRows[int32](t, am, bm, pick))[0])
	}
	a, b, single := scores([]int{0, 1, 2, 3}), scores([]int{-1, 0, -3, 2}), scores([]int{0})
	check := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-5 {
			t.Errorf("%s: %.7f, want %.7f (the score in batch A)", name, got, want)
		}
	}
	check("A0 alone", single[0], a[0])
	check("A0-A0 in B", b[1*4+1], a[0*4+0])
	check("A0-A2 in B", b[1*4+3], a[0*4+2])
	check("A2-A0 in B", b[3*4+1], a[2*4+0])
	check("A2-A2 in B", b[3*4+3], a[2*4+2])
	if math.Abs(a[0]-a[1]) < 1e-4 {
		t.Errorf("scores of image 0 with captions 0 and 1 are equal (%.6f): the test would not notice a constant", a[0])
	}
}

// TestChapterAttendsAcrossBatch shows what the chapter's forward pass does with 2-D
// inputs: its diagonal is the scale whatever the inputs (each combined vector against
// itself), and the logit of examples 0 and 1 changes when examples 2 and 3 are
// replaced, because every caption attends over all the images of the batch.
func TestChapterAttendsAcrossBatch(t *testing.T) {
	cfg := tinyConfig(t, KindChapter)
	store := model.NewStore()
	fn := func(scope *model.Scope, images, ids, mask *Node) []*Node {
		o := Build(scope, cfg, images, ids, mask)
		return []*Node{o.Logits, o.LogitScale}
	}
	ai, at, am := batch(4, 1)
	bi, bt, bm := batch(4, 2)
	model.MustNewExec(backend(), store, fn).MustExec(ai, at, am)
	randomize(t, store, 4)
	run := func(pick []int) ([]float64, float64) {
		out := model.MustNewExec(backend(), store, fn).MustExec(pickRows[float32](t, ai, bi, pick),
			pickRows[int32](t, at, bt, pick), pickRows[int32](t, am, bm, pick))
		return flat64(t, out[0]), flat64(t, out[1])[0]
	}
	a, scale := run([]int{0, 1, 2, 3})
	b, _ := run([]int{0, 1, -3, -4})
	for i := range 4 {
		for _, l := range [][]float64{a, b} {
			if math.Abs(l[i*4+i]-scale) > 1e-3 {
				t.Errorf("diagonal logit %d = %v, want the scale %v", i, l[i*4+i], scale)
			}
		}
	}
	if math.Abs(a[1]-b[1]) < 1e-3 {
		t.Errorf("logit(0, 1) = %v in both batches: want it to depend on examples 2 and 3", a[1])
	}
}

// TestTrainingSmoke trains each kind on 8 fixed pairs: within 30 steps the loss falls
// below 0.7 of where it started and below log 8, the loss of scores that tell nothing
// apart.
func TestTrainingSmoke(t *testing.T) {
	images, ids, mask := batch(8, 3)
	for _, kind := range Kinds {
		cfg := tinyConfig(t, kind)
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(5))
		trainer := train.NewTrainer(backend(), store, func(scope *model.Scope, in []*Node) []*Node {
			return Build(scope, cfg, in[0], in[1], in[2]).Predictions()
		}, LossFn, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
		var first, last float64
		for step := range 30 {
			m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images, ids, mask}})
			if err != nil {
				t.Fatal(err)
			}
			if last = float64(tensors.ToScalar[float32](m[0])); step == 0 {
				first = last
			}
		}
		t.Logf("%s: loss %.3f -> %.3f", kind, first, last)
		if last > 0.7*first || last > math.Log(8) {
			t.Errorf("%s: loss %.3f -> %.3f; want below 0.7 of the start and below log 8 = %.3f", kind, first, last, math.Log(8))
		}
	}
}

// TestConfigErrors: each broken field gives a one-line error.
func TestConfigErrors(t *testing.T) {
	good := tinyConfig(t, KindCrossModal)
	for name, mutate := range map[string]func(c *Config){
		"kind":  func(c *Config) { c.Kind = "fusion" },
		"tower": func(c *Config) { c.Towers.Tower = clip.TowerViT },
		"pool":  func(c *Config) { c.Towers.TextPool = clip.PoolMean },
		"ln":    func(c *Config) { c.Towers.ProjectionLayerNorm = false },
		"heads": func(c *Config) { c.Heads = 3 },
		"zero":  func(c *Config) { c.Heads = 0 },
		"clip":  func(c *Config) { c.Towers.EmbedDim = 0 },
	} {
		c := good
		mutate(&c)
		if err := c.Validate(); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Validate() = %v, want a one-line error", name, err)
		}
	}
	if _, err := Preset(KindMultimodal, "tiny", 18, 3, 12, 5); err == nil {
		t.Errorf("18x18 images through two halving stages: no error")
	}
}

func f32(v []float64, dims ...int) *tensors.Tensor {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(out, dims...)
}

// linear is x·W + b for W stored [in, out] (nn.Dense's layout).
func linear(x, w, b []float64, out int) []float64 {
	y := slices.Clone(b)
	for i, xi := range x {
		for o := range out {
			y[o] += xi * w[i*out+o]
		}
	}
	return y
}

func softmax(s []float64) {
	m := slices.Max(s)
	var z float64
	for i := range s {
		s[i] = math.Exp(s[i] - m)
		z += s[i]
	}
	for i := range s {
		s[i] /= z
	}
}

func normalize(x []float64) {
	var n float64
	for _, v := range x {
		n += v * v
	}
	n = math.Sqrt(n)
	for i := range x {
		x[i] /= n
	}
}
