package caption

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// teacherLogits runs the teacher-forced model (Build) on ids and returns its logits
// [batch][len][vocab]: the slow reference of the decoding tests.
func teacherLogits(t testing.TB, store *model.Store, cfg Config, images *tensors.Tensor, ids [][]int32) [][][]float32 {
	t.Helper()
	out := testbackend.Run(t, store, func(scope *model.Scope, images, ids *Node) *Node {
		return Build(scope, cfg, images, ids).Logits
	}, images, ids)
	return out[0].Value().([][][]float32)
}

// logSoftmax returns log softmax(x) in float64.
func logSoftmax(x []float32) []float64 {
	m := float64(slices.Max(x))
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(float64(v) - m)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) - m - math.Log(sum)
	}
	return out
}

// slowGreedy decodes by repeated full forward passes: at each step the argmax of the
// teacher-forced logits at the last position over the tokens other than [BOS] and
// [PAD] (the first index on ties, as ArgMax), log probabilities renormalised over them.
// It returns the ids [batch][maxLen] and each row's log probability and length.
func slowGreedy(t testing.TB, store *model.Store, cfg Config, images *tensors.Tensor, prompt [][]int32,
	maxLen int) ([][]int32, []float64, []int32) {
	t.Helper()
	batch := len(prompt)
	ids := make([][]int32, batch)
	for b := range ids {
		ids[b] = make([]int32, maxLen)
		copy(ids[b], prompt[b])
		for i := len(prompt[b]); i < maxLen; i++ {
			ids[b][i] = cfg.PAD
		}
	}
	logProb, length := make([]float64, batch), make([]int32, batch)
	done := make([]bool, batch)
	for pos := len(prompt[0]); pos < maxLen; pos++ {
		// Causality makes the [PAD]s after pos irrelevant (TestCausal).
		logits := teacherLogits(t, store, cfg, images, ids)
		for b := range batch {
			if done[b] {
				continue
			}
			row := wordRow(cfg, logits[b][pos-1])
			tok := int32(slices.Index(row, slices.Max(row)))
			ids[b][pos] = tok
			logProb[b] += logSoftmax(row)[tok]
			length[b]++
			done[b] = tok == cfg.EOS
		}
	}
	return ids, logProb, length
}

// wordRow returns a copy of a logits row with [BOS] and [PAD] at -1e9, as Decode sees it.
func wordRow(cfg Config, row []float32) []float32 {
	row = slices.Clone(row)
	row[cfg.BOS], row[cfg.PAD] = -1e9, -1e9
	return row
}

// TestCachedStepMatchesFull (1): the decoder run with its key/value cache, the prompt
// pass over 3 tokens then one token at a time, gives the teacher-forced decoder's
// logits at every position.
func TestCachedStepMatchesFull(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 1, 0.3, 0)
	images := randomImages(cfg, 2, 5)
	ids := [][]int32{{1, 5, 7, 3, 9, 2, 0}, {1, 4, 4, 11, 6, 8, 10}}
	want := teacherLogits(t, store, cfg, images, ids)
	out := testbackend.Run(t, store, func(scope *model.Scope, images, ids *Node) *Node {
		g := images.Graph()
		cache := newDecoderCache(scope, cfg, Encode(scope, cfg, images), cfg.MaxLen)
		var parts []*Node
		for _, piece := range [][2]int{{0, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}} {
			var logits *Node
			logits, cache = decodeStep(scope, cfg, cache, Slice(ids, AxisRange(), AxisRange(piece[0], piece[1])),
				Scalar(g, dtypes.Int32, piece[0]))
			parts = append(parts, logits)
		}
		return Concatenate(parts, 1)
	}, images, ids)
	got := out[0].Value().([][][]float32)
	spread := 0.0
	for b := range want {
		for i := range want[b] {
			for v := range want[b][i] {
				if d := math.Abs(float64(got[b][i][v] - want[b][i][v])); d > 1e-5 {
					t.Fatalf("logits[%d][%d][%d]: cached %g, full %g", b, i, v, got[b][i][v], want[b][i][v])
				}
				spread = max(spread, math.Abs(float64(want[b][i][v]-want[b][i][0])))
			}
		}
	}
	if spread < 0.5 {
		t.Fatalf("logits spread only %g: the random model is too flat to test anything", spread)
	}
}

// TestGreedyMatchesSlowReference (2): greedy decoding in the graph equals the argmax
// of repeated full forward passes: ids, log probability and length, [PAD] after [EOS].
func TestGreedyMatchesSlowReference(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 2.5)
	const batch = 6
	images := randomImages(cfg, batch, 9)
	prompt := make([][]int32, batch)
	for b := range prompt {
		prompt[b] = []int32{cfg.BOS}
	}
	got := runDecode(t, store, cfg, images, nil, Opts{})
	want, wantLogProb, wantLen := slowGreedy(t, store, cfg, images, prompt, cfg.MaxLen)
	ended, ran := 0, 0
	for b := range batch {
		if !slices.Equal(got.ids[b], want[b]) {
			t.Errorf("image %d: greedy %v, slow reference %v", b, got.ids[b], want[b])
		}
		if got.length[b] != wantLen[b] || !closeTo(float64(got.logProb[b]), wantLogProb[b], 1e-5) {
			t.Errorf("image %d: log prob %g over %d tokens, reference %g over %d", b, got.logProb[b], got.length[b],
				wantLogProb[b], wantLen[b])
		}
		if got.score[b] != got.logProb[b] {
			t.Errorf("image %d: score %g != log prob %g without a length penalty", b, got.score[b], got.logProb[b])
		}
		if i := slices.Index(want[b], cfg.EOS); i >= 0 && i < cfg.MaxLen-1 {
			ended++
		} else {
			ran++
		}
	}
	if ended == 0 || ran == 0 {
		t.Errorf("%d captions ended early and %d ran to max_len: the case should hold both", ended, ran)
	}
}

// TestTrimAndLen: Trim cuts after the first [EOS] (a row without one stays whole, as a
// copy); Opts.Len is MaxLen or the model's.
func TestTrimAndLen(t *testing.T) {
	cfg := tinyConfig(t)
	row := []int32{cfg.BOS, 5, cfg.EOS, cfg.PAD, cfg.PAD}
	if got := Trim(cfg, row); !slices.Equal(got, row[:3]) {
		t.Errorf("Trim(%v) = %v", row, got)
	}
	open := []int32{cfg.BOS, 5, 6}
	got := Trim(cfg, open)
	got[1] = 9
	if open[1] != 5 || len(got) != 3 {
		t.Errorf("Trim of a row without [EOS]: %v (a copy of %v expected)", got, open)
	}
	if n := (Opts{}).Len(cfg); n != cfg.MaxLen {
		t.Errorf("Opts{}.Len = %d, want the model's %d", n, cfg.MaxLen)
	}
	if n := (Opts{MaxLen: 3}).Len(cfg); n != 3 {
		t.Errorf("Opts{MaxLen: 3}.Len = %d", n)
	}
}
