package perceiver

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mmdna/mmdna/internal/testbackend"
)

var backend = testbackend.Go()

func setVar(t *testing.T, store *model.Store, path string, value any) {
	t.Helper()
	v, err := tensors.FromAnyValue(value)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateVariable(path, v); err != nil {
		t.Fatal(err)
	}
}

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

func close32(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

// TestCrossAttendHandComputed: one latent q = [1 1 -1 -1] reads three inputs that
// layer norm leaves unchanged (mean 0, variance 1), with identity projections and a
// zero feed-forward. The scores q·k/√4 are [0, 2, 0], so the weights are
// [1, e², 1]/(e²+2) and the output is q + Σ w_i k_i. With input 1 masked the weights
// are [½, 0, ½] and the output q + (k0+k2)/2 = [2 0 -1 -1].
func TestCrossAttendHandComputed(t *testing.T) {
	latent := [][][]float32{{{1, 1, -1, -1}}}
	inputs := [][][]float32{{{1, -1, 1, -1}, {1, 1, -1, -1}, {1, -1, -1, 1}}}
	e2 := math.Exp(2)
	w := []float64{1 / (e2 + 2), e2 / (e2 + 2), 1 / (e2 + 2)}
	want := make([]float64, 4)
	for d := range 4 {
		want[d] = float64(latent[0][0][d])
		for i := range 3 {
			want[d] += w[i] * float64(inputs[0][i][d])
		}
	}
	cfg := Config{NumLatents: 1, LatentDim: 4, LatentHeads: 1, CrossHeads: 1, CrossDimHead: 4, MLPDim: 8, ReturnAttention: true}
	for _, tc := range []struct {
		name     string
		mask     [][]bool
		want, wc []float64
	}{
		{"no mask", [][]bool{{true, true, true}}, want, w},
		{"input 1 masked", [][]bool{{true, false, true}}, []float64{2, 0, -1, -1}, []float64{0.5, 0, 0.5}},
	} {
		store := model.NewStore()
		fn := func(scope *model.Scope, lat, in, mask *Node) []*Node {
			y, coef := CrossAttend(scope.In("cross"), cfg, lat, in, mask)
			return []*Node{y, coef}
		}
		testbackend.Run(t, store, fn, latent, inputs, tc.mask) // creates the variables.
		identityAttention(t, store)
		out := testbackend.Run(t, store, fn, latent, inputs, tc.mask) // a new graph reads the new values.
		close32(t, tc.name+": output", tensors.MustCopyFlatData[float32](out[0]), tc.want, 1e-5)
		close32(t, tc.name+": coefficients", tensors.MustCopyFlatData[float32](out[1]), tc.wc, 1e-5)
	}
}

// identityAttention sets every projection of the cross-attention under /cross/attn
// to identities (weights [in, k*in] to k side-by-side identities, whatever nn names
// them) with zero biases, and the feed-forward's output layer to zero.
func identityAttention(t *testing.T, store *model.Store) {
	t.Helper()
	for v := range store.IterVariables() {
		s := v.Shape()
		var value any
		switch {
		case strings.HasPrefix(v.Scope(), "/cross/ff/fc2"):
			value = tensors.FromShape(s) // zeros.
		case !strings.HasPrefix(v.Scope(), "/cross/attn"):
			continue
		case s.Rank() == 2 && s.Dim(1)%s.Dim(0) == 0:
			value = eye(s.Dim(0), s.Dim(1)/s.Dim(0))
		case s.Rank() == 1:
			value = tensors.FromShape(s)
		default:
			t.Fatalf("unexpected attention variable %s", v)
		}
		tensor, err := tensors.FromAnyValue(value)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetValue(tensor); err != nil {
			t.Fatal(err)
		}
	}
}

func zeros(r, c int) [][]float32 {
	m := make([][]float32, r)
	for i := range m {
		m[i] = make([]float32, c)
	}
	return m
}

// TestWeightSharing: with ShareWeights, repeats after the second create no new
// variables, yet each one runs again (the output changes); without it each repeat
// adds its own.
func TestWeightSharing(t *testing.T) {
	x := make([]float32, 2*5*3)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	count := func(repeats int, share bool) (int, []float32) {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(1))
		cfg := Config{NumLatents: 4, LatentDim: 8, LatentHeads: 2, CrossDimHead: 8, Depth: 1, Repeats: repeats, ShareWeights: share}
		out := testbackend.Run(t, store, func(scope *model.Scope, in *Node) *Node {
			l, _ := Encode(scope, cfg, in, nil)
			return l
		}, tensors.FromFlatDataAndDimensions(x, 2, 5, 3))
		return store.NumVariables(), tensors.MustCopyFlatData[float32](out[0])
	}
	n2, out2 := count(2, true)
	n4, out4 := count(4, true)
	if n2 != n4 {
		t.Errorf("shared weights: %d variables with 2 repeats, %d with 4; want the same", n2, n4)
	}
	same := true
	for i := range out2 {
		same = same && out2[i] == out4[i]
	}
	if same {
		t.Error("shared weights: 4 repeats gave the output of 2; the shared layer did not run again")
	}
	n1, _ := count(1, true)
	u4, _ := count(4, false)
	if perLayer := n2 - n1; perLayer <= 0 || u4 != n1+3*perLayer {
		t.Errorf("variables: 1 repeat %d, 2 shared %d, 4 unshared %d; want 4 unshared = 1 + 3 layers", n1, n2, u4)
	}
}

// TestFourierFeatures checks the encoding of a 2x3 grid against hand values: bands
// f = 1, 2 (max_freq 4); row r in {-1, 1}, column c in {-1, 0, 1}.
func TestFourierFeatures(t *testing.T) {
	ff, err := FourierFeatures([]int{2, 3}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ff) != 6 || len(ff[0]) != 10 {
		t.Fatalf("shape [%d][%d], want [6][10]", len(ff), len(ff[0]))
	}
	enc := func(x float64) []float64 {
		return []float64{math.Sin(math.Pi * x), math.Sin(2 * math.Pi * x), math.Cos(math.Pi * x), math.Cos(2 * math.Pi * x), x}
	}
	// Position 4 = row 1, column 1: x_row = 1, x_col = 0.
	want := append(enc(1), enc(0)...)
	for i, v := range want {
		if math.Abs(ff[4][i]-v) > 1e-12 {
			t.Fatalf("features of (1, 1) = %v, want %v", ff[4], want)
		}
	}
	if ff[4][7] != 1 || ff[4][2] != -1 { // cos(0) for the column, cos(π) for the row.
		t.Errorf("cosines %v and %v, want 1 and -1", ff[4][7], ff[4][2])
	}
	for _, bad := range []struct {
		dims  []int
		freq  float64
		bands int
	}{{nil, 4, 2}, {[]int{0, 3}, 4, 2}, {[]int{3}, 1, 2}, {[]int{3}, 4, 0}} {
		if _, err := FourierFeatures(bad.dims, bad.freq, bad.bands); err == nil {
			t.Errorf("FourierFeatures(%v, %v, %v) accepted", bad.dims, bad.freq, bad.bands)
		}
	}
}

// TestShapes builds the classifier on pixels (both positional encodings), the
// Perceiver IO decoder and the multimodal input, and checks every shape.
func TestShapes(t *testing.T) {
	cfg := Config{NumLatents: 4, LatentDim: 8, LatentHeads: 2, CrossDimHead: 8, Depth: 1, Repeats: 2, Classes: 3, ReturnAttention: true}
	for _, pos := range []InputConfig{{Positions: PosFourier, MaxFreq: 6, Bands: 3}, {Positions: PosLearned, LearnedDim: 5}} {
		out := testbackend.Run(t, nil, func(scope *model.Scope, img *Node) []*Node {
			in := PixelInputs(scope, pos, img)
			o := Build(scope, cfg, in, nil)
			io := ClassifyIO(scope.In("io"), o.Latents, 7)
			return append([]*Node{in, o.Latents, o.Pooled, o.Logits, io}, o.CrossAttention...)
		}, tensors.FromFlatDataAndDimensions(make([]float32, 2*6*6), 2, 6, 6, 1))
		ch := 1 + pos.Channels(2)
		want := [][]int{{2, 36, ch}, {2, 4, 8}, {2, 8}, {2, 3}, {2, 7}, {2, 1, 4, 36}, {2, 1, 4, 36}}
		for i, w := range want {
			if got := out[i].Shape().Dimensions; !slices.Equal(got, w) {
				t.Errorf("%s: output %d shape %v, want %v", pos.Positions, i, got, w)
			}
		}
		for _, v := range tensors.MustCopyFlatData[float32](out[3]) {
			if v != 0 {
				t.Fatalf("%s: initial logits %v, want zeros (zero-initialised head)", pos.Positions, v)
			}
		}
	}
	ids := [][]int32{{1, 7, 8, 2, 0}, {1, 9, 2, 0, 0}}
	mask := [][]int32{{1, 1, 1, 1, 0}, {1, 1, 1, 0, 0}}
	out := testbackend.Run(t, nil, func(scope *model.Scope, img, ids, mask *Node) []*Node {
		seq, m := Multimodal(scope, MultimodalConfig{Dim: 8, Patch: 4, VocabSize: 10}, img, ids, mask)
		return []*Node{seq, m}
	}, tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8*3), 2, 8, 8, 3), ids, mask)
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{2, 9, 8}) {
		t.Errorf("multimodal sequence %v, want [2 9 8] (4 patches + 5 tokens)", got)
	}
	gotMask := tensors.MustCopyFlatData[bool](out[1])
	for i, w := range []bool{true, true, true, true, true, true, true, true, false, true, true, true, true, true, true, true, false, false} {
		if gotMask[i] != w {
			t.Fatalf("multimodal mask %v: position %d, want %v", gotMask, i, w)
		}
	}
}

// TestMultimodalModality: a zero image and the [PAD] token embedded at the same
// position differ only by their positions and modality embeddings, so swapping the
// modality rows changes the sequence exactly by their difference.
func TestMultimodalModality(t *testing.T) {
	store := model.NewStore()
	mod := [][]float32{{1, 2, 3, 4, 5, 6, 7, 8}, {-1, -1, -1, -1, -1, -1, -1, -1}}
	setVar(t, store, "/modality/embeddings", mod)
	setVar(t, store, "/image/patch_embed/dense/weights", zeros(48, 8))
	setVar(t, store, "/image/patch_embed/dense/biases", make([]float32, 8))
	setVar(t, store, "/text/token_embed/embeddings", zeros(3, 8))
	out := testbackend.Run(t, store, func(scope *model.Scope, img, ids, mask *Node) *Node {
		seq, _ := Multimodal(scope, MultimodalConfig{Dim: 8, Patch: 4, VocabSize: 3}, img, ids, mask)
		return seq
	}, tensors.FromFlatDataAndDimensions(make([]float32, 4*4*3), 1, 4, 4, 3), [][]int32{{0}}, [][]int32{{1}})
	seq := tensors.MustCopyFlatData[float32](out[0]) // [1, 2, 8]: one patch, one token.
	// Position 0 in both: 2-D sin-cos of (0,0) is [0 0 1 1 0 0 1 1], 1-D of 0 is [0 0 0 0 1 1 1 1].
	pos2 := []float32{0, 0, 1, 1, 0, 0, 1, 1}
	pos1 := []float32{0, 0, 0, 0, 1, 1, 1, 1}
	for d := range 8 {
		if math.Abs(float64(seq[d]-(pos2[d]+mod[0][d]))) > 1e-6 || math.Abs(float64(seq[8+d]-(pos1[d]+mod[1][d]))) > 1e-6 {
			t.Fatalf("sequence %v, want patch = pos2 + modality 0, token = pos1 + modality 1", seq)
		}
	}
}

// TestTrainingSmoke trains a tiny Perceiver for 10 steps to tell dark from bright
// noisy 6x6 images; the loss falls.
func TestTrainingSmoke(t *testing.T) {
	cfg := Config{NumLatents: 4, LatentDim: 16, LatentHeads: 2, CrossDimHead: 16, Depth: 1, Repeats: 2, ShareWeights: true, Classes: 2}
	pos := InputConfig{Positions: PosFourier, MaxFreq: 6, Bands: 3}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(2))
	trainer := train.NewTrainer(backend, store, func(scope *model.Scope, x *Node) *Node {
		return Build(scope, cfg, PixelInputs(scope, pos, x), nil).Logits
	}, loss.SparseCategoricalCrossEntropyLogits, optimizer.Adam().LearningRate(1e-2).Done(), nil, nil)
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 16*36)
	y := make([]int32, 16)
	for i := range 16 {
		y[i] = int32(i % 2)
		for p := range 36 {
			x[i*36+p] = float32(y[i])*2 - 1 + 0.3*float32(rng.NormFloat64())
		}
	}
	var first, last float32
	for step := range 10 {
		m, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, 16, 6, 6, 1)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, 16, 1)}})
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
	if math.Abs(float64(first)-math.Ln2) > 1e-3 || !(last < 0.6*first) {
		t.Errorf("loss %.4f -> %.4f in 10 steps; want ln 2 at the start and at most 0.6 of it", first, last)
	}
}

func TestBadConfig(t *testing.T) {
	for name, c := range map[string]Config{
		"no latents":    {LatentDim: 8, LatentHeads: 2},
		"heads":         {NumLatents: 4, LatentDim: 8, LatentHeads: 3},
		"negative":      {NumLatents: 4, LatentDim: 8, LatentHeads: 2, Depth: -1},
		"classes":       {NumLatents: 4, LatentDim: 8, LatentHeads: 2, Classes: -2},
		"no heads":      {NumLatents: 4, LatentDim: 8},
		"negative mlp":  {NumLatents: 4, LatentDim: 8, LatentHeads: 2, MLPDim: -4},
		"negative rep.": {NumLatents: 4, LatentDim: 8, LatentHeads: 2, Repeats: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
	for _, c := range []InputConfig{{Positions: "sine"}, {Positions: PosFourier, MaxFreq: 1, Bands: 2}, {Positions: PosLearned}} {
		if err := c.Validate(); err == nil {
			t.Errorf("InputConfig %+v accepted", c)
		}
	}
}
