package vilt

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var backend = testbackend.Go()

// tiny is a ViLT on 8x8 RGB images cut into 4 patches, over 8 words of up to 4 tokens.
func tiny() Config {
	return Config{Image: 8, Channels: 3, Patch: 4, VocabSize: 8, MaxLen: 4, Dim: 16, Depth: 1, Heads: 2, MLPDim: 32}
}

func ramp(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * float32(i%7-3)
	}
	return v
}

func TestShapes(t *testing.T) {
	for _, stem := range [][]int{nil, {6}} {
		cfg := tiny()
		cfg.Stem, cfg.ReturnAttention = stem, true
		const batch, L = 3, 4
		images := tensors.FromFlatDataAndDimensions(ramp(batch*8*8*3, 0.1), batch, 8, 8, 3)
		ids := tensors.FromFlatDataAndDimensions([]int32{1, 5, 2, 0, 1, 6, 7, 2, 1, 2, 0, 0}, batch, L)
		mask := tensors.FromFlatDataAndDimensions([]int32{1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0}, batch, L)
		outs := testbackend.Run(t, model.NewStore(), func(scope *model.Scope, images, ids, mask *Node) []*Node {
			out := Encode(scope, cfg, images, ids, mask)
			return []*Node{out.Encoded, out.Pooled, out.Attention[0], ITMLogits(scope, out.Pooled),
				MLMLogits(scope, cfg, out.Text), VQALogits(scope, cfg, out.Pooled, 5)}
		}, images, ids, mask)
		want := [][]int{{batch, L + 5, 16}, {batch, 16}, {batch, 2, L + 5, L + 5}, {batch, 2}, {batch, L, 8}, {batch, 5}}
		for i, w := range want {
			if got := outs[i].Shape().Dimensions; !equalInts(got, w) {
				t.Errorf("stem %v, output %d: shape %v, want %v", stem, i, got, w)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEmbedValues checks the single stream against a hand computation from the stored
// variables: text token l of example b is LayerNorm(word[ids[b,l]] + pos[l] + type[0]); then the
// image class token + type[1]; then patch p's Dense(pixels) + pos[p] + type[1]. The
// mask is the text's, then true for every image token.
func TestEmbedValues(t *testing.T) {
	cfg := Config{Image: 2, Channels: 1, Patch: 1, VocabSize: 5, MaxLen: 3, Dim: 2, Depth: 1, Heads: 1}
	pix := []float32{0.5, -1, 2, 0.25}
	images := tensors.FromFlatDataAndDimensions(pix, 1, 2, 2, 1)
	ids := tensors.FromFlatDataAndDimensions([]int32{1, 4, 0}, 1, 3)
	mask := tensors.FromFlatDataAndDimensions([]int32{1, 1, 0}, 1, 3)
	store := model.NewStore()
	outs := testbackend.Run(t, store, func(scope *model.Scope, images, ids, mask *Node) []*Node {
		x, keyMask := embed(scope, cfg, images, ids, mask)
		return []*Node{x, ConvertDType(keyMask, x.DType())}
	}, images, ids, mask)
	v := func(path string) []float32 {
		t.Helper()
		va := store.GetVariable(path)
		if va == nil {
			t.Fatalf("no variable %s", path)
		}
		return tensors.MustCopyFlatData[float32](va.MustValue())
	}
	word, pos, types := v("/text/word_embed/embeddings"), v("/text/pos_embed/embeddings"), v("/type_embed/embeddings")
	cls, w, b := v("/image/cls/token"), v("/image/patch_embed/dense/weights"), v("/image/patch_embed/dense/biases")
	ipos := v("/image/pos_embed/embeddings") // [2, 2, dim]
	var want []float64
	for l, id := range []int{1, 4, 0} {
		// LayerNorm over the 2 features (gain 1, offset 0 at initialisation).
		var row [2]float64
		for d := range 2 {
			row[d] = float64(word[id*2+d] + pos[l*2+d] + types[d])
		}
		mean := (row[0] + row[1]) / 2
		variance := ((row[0]-mean)*(row[0]-mean) + (row[1]-mean)*(row[1]-mean)) / 2
		for d := range 2 {
			want = append(want, (row[d]-mean)/math.Sqrt(variance+1e-12))
		}
	}
	for d := range 2 {
		want = append(want, float64(cls[d]+types[2+d]))
	}
	for p := range 4 {
		for d := range 2 {
			want = append(want, float64(pix[p]*w[d]+b[d]+ipos[p*2+d]+types[2+d]))
		}
	}
	got := tensors.MustCopyFlatData[float32](outs[0])
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Fatalf("x[%d] = %g, want %g (all: %v vs %v)", i, got[i], want[i], got, want)
		}
	}
	if m := tensors.MustCopyFlatData[float32](outs[1]); !equalFloats(m, []float32{1, 1, 0, 1, 1, 1, 1, 1}) {
		t.Errorf("key mask %v, want the text's [1 1 0] then 5 image tokens", m)
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPaddingIgnored: the ids at masked positions do not change the pooled output,
// while the image does (one stream: the first text token attends to the patches).
func TestPaddingIgnored(t *testing.T) {
	cfg := tiny()
	images := tensors.FromFlatDataAndDimensions(append(ramp(8*8*3, 0.1), ramp(8*8*3, -0.2)...), 2, 8, 8, 3)
	ids := tensors.FromFlatDataAndDimensions([]int32{1, 5, 2, 0, 1, 5, 2, 7}, 2, 4)
	mask := tensors.FromFlatDataAndDimensions([]int32{1, 1, 1, 0, 1, 1, 1, 0}, 2, 4)
	same := tensors.FromFlatDataAndDimensions(append(ramp(8*8*3, 0.1), ramp(8*8*3, 0.1)...), 2, 8, 8, 3)
	store := model.NewStore()
	pooled := func(images *tensors.Tensor) []float32 {
		out := testbackend.Run(t, store, func(scope *model.Scope, images, ids, mask *Node) *Node {
			return Encode(scope, cfg, images, ids, mask).Pooled
		}, images, ids, mask)
		return tensors.MustCopyFlatData[float32](out[0])
	}
	p := pooled(same) // two identical images, texts differing only in padding.
	for d := range 16 {
		if math.Abs(float64(p[d]-p[16+d])) > 1e-5 {
			t.Fatalf("pooled differs at %d (%g vs %g): padding was attended to", d, p[d], p[16+d])
		}
	}
	q := pooled(images)
	diff := 0.0
	for d := range 16 {
		diff += math.Abs(float64(q[d] - q[16+d]))
	}
	if diff < 1e-3 {
		t.Errorf("pooled outputs of two different images agree (|diff| %g): the text does not see the image", diff)
	}
}

// TestMaskedCrossEntropy against a hand computation: two rows scored, one ignored.
func TestMaskedCrossEntropy(t *testing.T) {
	logits := [][]float32{{1, 2, 0}, {0, 0, 3}, {5, -5, 0}}
	out := testbackend.Run(t, model.NewStore(), func(_ *model.Scope, logits, labels *Node) []*Node {
		none := Neg(OnesLike(labels))
		return []*Node{MaskedCrossEntropy(logits, labels), MaskedCrossEntropy(logits, none)}
	}, logits, []int32{1, 0, -1})
	lse := func(r []float32) float64 {
		s := 0.0
		for _, v := range r {
			s += math.Exp(float64(v))
		}
		return math.Log(s)
	}
	want := ((lse(logits[0]) - 2) + (lse(logits[1]) - 0)) / 2
	if got := float64(tensors.ToScalar[float32](out[0])); math.Abs(got-want) > 1e-5 {
		t.Errorf("loss %g, want %g", got, want)
	}
	if got := tensors.ToScalar[float32](out[1]); got != 0 {
		t.Errorf("all ignored: loss %g, want 0", got)
	}
}

// TestWordsLoss: the sigmoid cross-entropy by hand, summed over the words and averaged
// over the batch; and WordsLogits reads the patches only: [batch, VocabSize].
func TestWordsLoss(t *testing.T) {
	logits := [][]float32{{2, -1, 0}, {-3, 0.5, 1}}
	targets := [][]float32{{1, 0, 1}, {0, 1, 0}}
	out := testbackend.Run(t, model.NewStore(), func(_ *model.Scope, logits, targets *Node) []*Node {
		return []*Node{WordsLoss(logits, targets)}
	}, logits, targets)
	if got, want := float64(tensors.ToScalar[float32](out[0])), handBCE(logits, targets, []int{0, 1}); math.Abs(got-want) > 1e-5 {
		t.Errorf("WordsLoss %g, want %g", got, want)
	}
	cfg := tiny()
	patches := make([][][]float32, 2)
	for b := range patches {
		patches[b] = make([][]float32, cfg.ImageTokens()-1)
		for p := range patches[b] {
			patches[b][p] = make([]float32, cfg.Dim)
		}
	}
	got := testbackend.Run(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		return []*Node{WordsLogits(scope, cfg, x)}
	}, patches)[0]
	if d := got.Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != cfg.VocabSize {
		t.Errorf("WordsLogits shape %v, want [2, %d]", d, cfg.VocabSize)
	}
}

// handBCE is the sigmoid cross-entropy of logits against 0/1 targets written out,
// summed over each row and averaged over the given rows.
func handBCE(logits, targets [][]float32, rows []int) float64 {
	sum := 0.0
	for _, i := range rows {
		for j, x := range logits[i] {
			p := 1 / (1 + math.Exp(-float64(x)))
			if targets[i][j] == 1 {
				sum -= math.Log(p)
			} else {
				sum -= math.Log(1 - p)
			}
		}
	}
	return sum / float64(len(rows))
}

// TestRelationLoss: the sigmoid cross-entropy by hand over the relation rows only (a
// row of -1 is not a relation question), summed over the relations and averaged over
// those rows; 0 when no row is one; RelationLogits is [batch, directions].
func TestRelationLoss(t *testing.T) {
	logits := [][]float32{{2, -1, 0, 0.5}, {9, 9, 9, 9}, {-3, 0.5, 1, -2}}
	targets := [][]float32{{1, 0, 1, 0}, {-1, -1, -1, -1}, {0, 1, 0, 0}}
	none := [][]float32{{-1, -1, -1, -1}, {-1, -1, -1, -1}, {-1, -1, -1, -1}}
	out := testbackend.Run(t, model.NewStore(), func(_ *model.Scope, logits, targets, none *Node) []*Node {
		return []*Node{RelationLoss(logits, targets), RelationLoss(logits, none)}
	}, logits, targets, none)
	if got, want := float64(tensors.ToScalar[float32](out[0])), handBCE(logits, targets, []int{0, 2}); math.Abs(got-want) > 1e-5 {
		t.Errorf("RelationLoss %g, want %g", got, want)
	}
	if got := tensors.ToScalar[float32](out[1]); got != 0 {
		t.Errorf("RelationLoss without relation rows %g, want 0", got)
	}
	cfg := tiny()
	pooled := [][]float32{make([]float32, cfg.Dim), make([]float32, cfg.Dim)}
	got := testbackend.Run(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		return []*Node{RelationLogits(scope, x, 4)}
	}, pooled)[0]
	if d := got.Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != 4 {
		t.Errorf("RelationLogits shape %v, want [2, 4]", d)
	}
}

// TestTrainingNeedsBoth trains a tiny ViLT on answers that depend on both modalities:
// images are bright or dark, questions ask "bright?" (id 5) or "dark?" (id 6), the
// answer is yes (0) when they agree. Neither modality alone beats chance.
func TestTrainingNeedsBoth(t *testing.T) {
	for _, stem := range [][]int{nil, {8}} {
		cfg := tiny()
		cfg.Stem = stem
		trainNeedsBoth(t, cfg)
	}
}

func trainNeedsBoth(t *testing.T, cfg Config) {
	const n = 8
	x := make([]float32, n*8*8*3)
	ids, mask, y := make([]int32, n*4), make([]int32, n*4), make([]int32, n)
	for i := range n {
		bright, asksBright := i%2 == 0, (i/2)%2 == 0
		v := float32(-1)
		if bright {
			v = 1
		}
		for j := range 8 * 8 * 3 {
			x[i*192+j] = v + 0.05*float32(j%5)
		}
		word := int32(6)
		if asksBright {
			word = 5
		}
		copy(ids[i*4:], []int32{1, word, 2, 0})
		copy(mask[i*4:], []int32{1, 1, 1, 0})
		if bright != asksBright {
			y[i] = 1
		}
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	trainer := train.NewTrainer(backend, store, func(scope *model.Scope, in []*Node) *Node {
		return VQALogits(scope, cfg, Encode(scope, cfg, in[0], in[1], in[2]).Pooled, 2)
	}, func(labels, preds []*Node) *Node { return MaskedCrossEntropy(preds[0], Squeeze(labels[0], -1)) },
		optimizer.Adam().LearningRate(3e-3).Done(), nil, nil)
	var last float64
	for range 80 {
		m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{
			tensors.FromFlatDataAndDimensions(x, n, 8, 8, 3), tensors.FromFlatDataAndDimensions(ids, n, 4),
			tensors.FromFlatDataAndDimensions(mask, n, 4)}, Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, n, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		last = float64(tensors.ToScalar[float32](m[0]))
	}
	t.Logf("stem %v: loss after 80 steps: %.4f (chance ln 2 = 0.693)", cfg.Stem, last)
	if last > 0.2 {
		t.Errorf("loss %.4f after 80 steps, want below 0.2: the model did not relate question and image", last)
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(c *Config){
		"patch":   func(c *Config) { c.Patch = 3 },
		"stem":    func(c *Config) { c.Stem = []int{8, 8, 8} },
		"heads":   func(c *Config) { c.Heads = 3 },
		"vocab":   func(c *Config) { c.VocabSize = 0 },
		"max_len": func(c *Config) { c.MaxLen = 1 },
		"dropout": func(c *Config) { c.Dropout = 1 },
	} {
		c := tiny()
		mutate(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "vilt: ") {
			t.Errorf("%s: error %q does not say vilt", name, err)
		}
	}
	if err := tiny().Validate(); err != nil {
		t.Errorf("tiny: %v", err)
	}
}
