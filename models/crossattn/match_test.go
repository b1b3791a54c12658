package crossattn

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
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

const mb, mlen, mvocab = 8, 5, 12

// tinyMatch is a matching model small enough for unit tests: 8x8 images.
func tinyMatch(version, tokens string) MatchConfig {
	img, err := vit.Preset("mu/4", 8, 3)
	if err != nil {
		panic(err)
	}
	img.Pool = vit.PoolGAP
	return MatchConfig{Version: version, Attn: Config{Dim: 16, Heads: 4, Dropout: 0.1}, Image: img,
		Text:   nn.TextEncoderConfig{VocabSize: mvocab, MaxLen: mlen, Dim: 16, Depth: 1, Heads: 2},
		Tokens: tokens}
}

// pairBatch is mb distinct (image, caption) pairs: image i is a constant colour
// pattern, caption i the token sequence [1, 2+i%10, 2+(i/2)%10, 0, 0] with mask 1 1 1 0 0.
func pairBatch() []any {
	images := make([]float32, mb*8*8*3)
	ids := make([]int32, mb*mlen)
	mask := make([]int32, mb*mlen)
	for i := range mb {
		for p := range 8 * 8 {
			for c := range 3 {
				images[(i*64+p)*3+c] = float32((i>>c)&1)*2 - 1 + 0.1*float32(p%3)
			}
		}
		copy(ids[i*mlen:], []int32{1, int32(2 + i%10), int32(2 + (i/2)%10)})
		copy(mask[i*mlen:], []int32{1, 1, 1})
	}
	return []any{tensors.FromFlatDataAndDimensions(images, mb, 8, 8, 3), tensors.FromFlatDataAndDimensions(ids, mb, mlen),
		tensors.FromFlatDataAndDimensions(mask, mb, mlen)}
}

// TestMatchShapes checks the named outputs in both token modes, that the pair scores
// are the diagonal of the logits, and that the loss is the symmetric cross-entropy
// computed by hand from the logits.
func TestMatchShapes(t *testing.T) {
	for _, tokens := range []string{TokensPooled, TokensAll} {
		cfg := tinyMatch("v9", tokens)
		out := testbackend.Run(t, model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
			o := Match(scope, cfg, in[0], in[1], in[2])
			return []*Node{o.ImageFeatures, o.TextFeatures, o.Logits(), o.PairScores(), o.Loss(), o.LogitScale}
		}, pairBatch()...)
		nImg, nTxt := 1, 1
		if tokens == TokensAll {
			nImg, nTxt = 4, mlen // 2x2 patches of 4 pixels (gap pooling: no cls token).
		}
		for i, want := range [][]int{{mb, nImg, 16}, {mb, nTxt, 16}, {mb, mb}, {mb}, {}, {}} {
			if got := out[i].Shape().Dimensions; !slices.Equal(got, want) {
				t.Fatalf("%s: output %d has shape %v, want %v", tokens, i, got, want)
			}
		}
		logits, pairs := matOf(mb, mb, flat(t, out[2])), flat(t, out[3])
		if s := flat(t, out[5])[0]; math.Abs(s-DefaultLogitScale) > 1e-3 {
			t.Errorf("%s: initial logit scale %g, want %g", tokens, s, DefaultLogitScale)
		}
		loss := 0.0
		for i := range mb {
			if math.Abs(pairs[i]-logits.at(i, i)) > 1e-4 {
				t.Fatalf("%s: pair score %d = %g, diagonal logit %g", tokens, i, pairs[i], logits.at(i, i))
			}
			rowMax, colMax := math.Inf(-1), math.Inf(-1)
			for j := range mb {
				rowMax, colMax = math.Max(rowMax, logits.at(i, j)), math.Max(colMax, logits.at(j, i))
			}
			rowSum, colSum := 0.0, 0.0
			for j := range mb {
				rowSum += math.Exp(logits.at(i, j) - rowMax)
				colSum += math.Exp(logits.at(j, i) - colMax)
			}
			loss += (rowMax + math.Log(rowSum) - logits.at(i, i) + colMax + math.Log(colSum) - logits.at(i, i)) / 2
		}
		assertClose(t, tokens+" loss", flat(t, out[4]), []float64{loss / mb}, 1e-4)
	}
}

// TestSameEncodersAcrossVersions: with the same seed every version starts from the
// same encoder and projection weights, so the ablation compares attention only.
func TestSameEncodersAcrossVersions(t *testing.T) {
	values := map[string]map[string][]float64{}
	for _, version := range []string{"v0", "v8", "v10_5"} {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(5))
		cfg := tinyMatch(version, TokensPooled)
		testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{Match(scope, cfg, in[0], in[1], in[2]).Loss()}
		}, pairBatch()...)
		values[version] = map[string][]float64{}
		for v := range store.IterVariables() {
			p := v.Path()
			if strings.HasPrefix(p, "/image_") || strings.HasPrefix(p, "/text_") {
				values[version][p] = varValue(t, store, p)
			}
		}
	}
	if len(values["v0"]) < 10 {
		t.Fatalf("found only %d encoder variables", len(values["v0"]))
	}
	for _, other := range []string{"v8", "v10_5"} {
		for p, want := range values["v0"] {
			assertClose(t, other+" "+p, values[other][p], want, 0)
		}
	}
}

// TestMatchTrainingSmoke trains the tiny model for 12 steps on 8 fixed pairs: the
// contrastive loss (large at the start: random features scaled by 1/0.07) halves and
// ends below chance, ln 8, for the chapter's basic version and for v9.
func TestMatchTrainingSmoke(t *testing.T) {
	for _, version := range []string{"v0", "v9"} {
		cfg := tinyMatch(version, TokensPooled)
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(7))
		trainer := train.NewTrainer(testBackend(), store, func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{Match(scope, cfg, in[0], in[1], in[2]).Loss()}
		}, func(_, pred []*Node) *Node { return pred[0] }, optimizer.Adam().LearningRate(3e-3).Done(), nil, nil)
		var first, last float64
		for step := range 12 {
			batch := pairBatch()
			in := []*tensors.Tensor{batch[0].(*tensors.Tensor), batch[1].(*tensors.Tensor), batch[2].(*tensors.Tensor)}
			m, err := trainer.TrainStep(train.Batch{Inputs: in})
			if err != nil {
				t.Fatal(err)
			}
			l := float64(tensors.ToScalar[float32](m[0]))
			if step == 0 {
				first = l
			}
			last = l
		}
		if !(last < 0.5*first) || !(last < math.Log(mb)) {
			t.Errorf("%s: loss %.4f -> %.4f in 12 steps; want it halved and below chance, ln 8 = %.3f",
				version, first, last, math.Log(mb))
		}
	}
}

func TestMatchConfigValidate(t *testing.T) {
	good := tinyMatch("v2", TokensPooled)
	for _, tc := range []struct {
		name string
		edit func(*MatchConfig)
		want string
	}{
		{"unknown version", func(c *MatchConfig) { c.Version = "v42" }, "unknown version"},
		{"bad tokens", func(c *MatchConfig) { c.Tokens = "all" }, "tokens"},
		{"classifier head", func(c *MatchConfig) { c.Image.Classes = 3 }, "Classes"},
		{"negative scale", func(c *MatchConfig) { c.LogitScale = -1 }, "logit scale"},
		{"no text encoder", func(c *MatchConfig) { c.Text.Dim = 0 }, "text encoder"},
		{"bad heads", func(c *MatchConfig) { c.Attn.Heads = 5 }, "Heads"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error containing %q, got %v", tc.name, tc.want, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}
