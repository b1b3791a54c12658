package caption

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// tinyVocab is the vocabulary of the tests' tiny captioner: [PAD], [BOS], [EOS] and 9 words.
const tinyVocab = 12

// tinyConfig is the "tiny" preset over tinyVocab ids.
func tinyConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := Preset("tiny", tinyVocab)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// randomImages returns batch normal images of cfg's encoder size.
func randomImages(cfg Config, batch int, seed uint64) *tensors.Tensor {
	e := cfg.Encoder
	rng := rand.New(rand.NewPCG(seed, 3))
	vals := make([]float32, batch*e.Image*e.Image*e.Channels)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(vals, batch, e.Image, e.Image, e.Channels)
}

// randomModel creates cfg's variables and sets every float variable to normal values of
// scale stddev (LayerNorm gains to 1 + that noise), so that the logits are spread
// enough for argmax decisions to be far from ties. eosBias is added to the output bias
// of [EOS], to make captions end early.
func randomModel(t testing.TB, cfg Config, seed uint64, stddev, eosBias float64) *model.Store {
	t.Helper()
	store := model.NewStore()
	ids := make([][]int32, 1)
	ids[0] = make([]int32, cfg.MaxLen)
	testbackend.Run(t, store, func(scope *model.Scope, images, ids *Node) *Node {
		return Build(scope, cfg, images, ids).Logits
	}, randomImages(cfg, 1, 0), ids)
	rng := rand.New(rand.NewPCG(seed, 4))
	for v := range store.IterVariables() {
		if !v.DType().IsFloat() {
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * stddev)
			if isGain(v.Path()) {
				vals[i]++
			}
		}
		if v.Path() == "/decoder/output_bias/biases" {
			vals[cfg.EOS] += float32(eosBias)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// isGain reports whether a variable path is a LayerNorm gain.
func isGain(path string) bool {
	return len(path) > 5 && path[len(path)-5:] == "/gain"
}

// decodeResult is what runDecode reads back from Decode.
type decodeResult struct {
	ids        [][]int32   // [batch][MaxLen]
	logProb    []float32   // [batch]
	length     []int32     // [batch]
	score      []float32   // [batch]
	beams      [][][]int32 // [batch][beam][MaxLen], beam search only
	beamScores [][]float32 // [batch][beam], beam search only
}

// runDecode runs Decode on the store's model for images and prompt (nil: [BOS]).
func runDecode(t testing.TB, store *model.Store, cfg Config, images *tensors.Tensor, prompt [][]int32, opts Opts) decodeResult {
	t.Helper()
	fn := func(scope *model.Scope, in []*Node) []*Node {
		var p *Node
		if len(in) > 1 {
			p = in[1]
		}
		d := Decode(scope, cfg, in[0], p, opts)
		out := []*Node{d.IDs, d.LogProb, d.Length, d.Score}
		if d.Beams != nil {
			out = append(out, d.Beams, d.BeamScores)
		}
		return out
	}
	inputs := []any{images}
	if prompt != nil {
		inputs = append(inputs, prompt)
	}
	out := testbackend.Run(t, store, fn, inputs...)
	r := decodeResult{
		ids:     out[0].Value().([][]int32),
		logProb: out[1].Value().([]float32),
		length:  out[2].Value().([]int32),
		score:   out[3].Value().([]float32),
	}
	if len(out) > 4 {
		r.beams = out[4].Value().([][][]int32)
		r.beamScores = out[5].Value().([][]float32)
	}
	return r
}

// closeTo reports whether a and b agree within tol (absolute plus relative).
func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*(1+math.Abs(b))
}
