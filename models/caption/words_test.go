package caption

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestWordsLossHandComputed: WordsLoss equals the sigmoid cross-entropy of the head's
// logits against the caption's bag of words, written out in Go from the head's
// weights: summed over the words that are not [PAD], [BOS] or [EOS], averaged over the
// batch; a repeated word is one target.
func TestWordsLossHandComputed(t *testing.T) {
	cfg := tinyConfig(t)
	const batch, tokens, dim = 2, 3, 4
	enc := make([]float32, batch*tokens*dim)
	for i := range enc {
		enc[i] = float32(math.Sin(float64(i)*0.7)) * 2
	}
	ids := [][]int32{{cfg.BOS, 5, 7, 5, cfg.EOS, cfg.PAD, cfg.PAD, cfg.PAD}, {cfg.BOS, 9, cfg.EOS, 0, 0, 0, 0, 0}}
	store := model.NewStore()
	out := testbackend.Run(t, store, func(scope *model.Scope, encoded, ids *Node) *Node {
		return WordsLoss(scope, cfg, encoded, ids)
	}, tensors.FromFlatDataAndDimensions(enc, batch, tokens, dim), ids)
	got := float64(out[0].Value().(float32))

	var w [][]float32
	var b []float32
	for v := range store.IterVariables() {
		switch v.Path() {
		case "/words/dense/weights":
			w = v.MustValue().Value().([][]float32)
		case "/words/dense/biases":
			b = v.MustValue().Value().([]float32)
		}
	}
	if w == nil || b == nil {
		t.Fatalf("no /words/dense variables in the store")
	}
	want := 0.0
	for r := range batch {
		pooled := make([]float64, dim)
		for k := range tokens {
			for d := range dim {
				pooled[d] += float64(enc[(r*tokens+k)*dim+d]) / tokens
			}
		}
		present := map[int32]bool{}
		for _, id := range ids[r] {
			present[id] = true
		}
		for v := range cfg.Vocab {
			if int32(v) == cfg.PAD || int32(v) == cfg.BOS || int32(v) == cfg.EOS {
				continue
			}
			x := float64(b[v])
			for d := range dim {
				x += pooled[d] * float64(w[d][v])
			}
			p := 1 / (1 + math.Exp(-x))
			if present[int32(v)] {
				want -= math.Log(p)
			} else {
				want -= math.Log(1 - p)
			}
		}
	}
	want /= batch
	if math.Abs(got-want) > 1e-5*math.Abs(want) {
		t.Errorf("WordsLoss = %.7f, hand-computed %.7f", got, want)
	}
}
