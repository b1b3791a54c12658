package caption

import (
	"math"
	"slices"
	"sort"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestSamplingLimitsAreGreedy (4): top-k with k = 1 and top-p with a tiny p leave only
// the most likely token, so they decode exactly as greedy does, at any temperature.
func TestSamplingLimitsAreGreedy(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 2.5)
	images := randomImages(cfg, 6, 9)
	greedy := runDecode(t, store, cfg, images, nil, Opts{})
	for _, opts := range []Opts{
		{Strategy: StrategyTopK, TopK: 1, Seed: 3},
		{Strategy: StrategyTopK, TopK: 1, Temperature: 2.5, Seed: 4},
		{Strategy: StrategyTopP, TopP: 1e-6, Seed: 5},
		{Strategy: StrategyTopP, TopP: 1e-6, Temperature: 0.3, Seed: 6},
	} {
		got := runDecode(t, store, cfg, images, nil, opts)
		for b := range greedy.ids {
			if !slices.Equal(got.ids[b], greedy.ids[b]) || !closeTo(float64(got.logProb[b]), float64(greedy.logProb[b]), 1e-6) {
				t.Errorf("%+v, image %d: %v (%g), greedy %v (%g)", opts, b, got.ids[b], got.logProb[b], greedy.ids[b],
					greedy.logProb[b])
			}
		}
	}
}

// TestSamplingSeeds (4): one seed gives the same captions in two graphs, another seed
// other captions; seed 0 draws a seed per graph built: two graphs sample differently,
// and one graph run twice repeats itself.
func TestSamplingSeeds(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 0)
	images := randomImages(cfg, 6, 9)
	opts := Opts{Strategy: StrategyTopK, Seed: 7}
	first := runDecode(t, store, cfg, images, nil, opts)
	again := runDecode(t, store, cfg, images, nil, opts)
	opts.Seed = 8
	other := runDecode(t, store, cfg, images, nil, opts)
	if !slices.EqualFunc(first.ids, again.ids, slices.Equal) {
		t.Errorf("seed 7 gave %v, then %v", first.ids, again.ids)
	}
	if slices.EqualFunc(first.ids, other.ids, slices.Equal) {
		t.Errorf("seeds 7 and 8 gave the same captions %v", first.ids)
	}
	seedZero := func() *model.Exec {
		return model.MustNewExec(testbackend.Go(), store, func(scope *model.Scope, images *Node) *Node {
			return Decode(scope, cfg, images, nil, Opts{Strategy: StrategyTopP, TopP: 0.9}).IDs
		})
	}
	e1, e2 := seedZero(), seedZero()
	defer e1.Finalize()
	defer e2.Finalize()
	a := e1.MustExec(images)[0].Value().([][]int32)
	b := e2.MustExec(images)[0].Value().([][]int32)
	repeat := e1.MustExec(images)[0].Value().([][]int32)
	if slices.EqualFunc(a, b, slices.Equal) {
		t.Errorf("seed 0 in two graphs sampled the same captions: %v", a)
	}
	if !slices.EqualFunc(a, repeat, slices.Equal) {
		t.Errorf("seed 0: one graph sampled %v, then %v", a, repeat)
	}
}

// nucleus returns, for logits row (as Decode sees it) at temperature temp, the
// smallest probability a token of the top-p nucleus has.
func nucleus(row []float32, temp, p float64) float64 {
	probs := make([]float64, len(row))
	for i, l := range logSoftmax(scale(row, temp)) {
		probs[i] = math.Exp(l)
	}
	sorted := slices.Clone(probs)
	sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
	before := 0.0
	tau := sorted[0]
	for _, q := range sorted {
		if before >= p {
			break
		}
		tau, before = q, before+q
	}
	return tau
}

// scale divides a row by temp.
func scale(row []float32, temp float64) []float32 {
	out := make([]float32, len(row))
	for i, v := range row {
		out[i] = float32(float64(v) / temp)
	}
	return out
}

// TestSampledTokensInsideCut (4): every sampled token lies in the top-k, or in the
// nucleus, of the teacher-forced logits of its prefix, and LogProb is the sum of the
// tokens' log probabilities at temperature 1.
func TestSampledTokensInsideCut(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 6, 0.5, 1)
	images := randomImages(cfg, 8, 21)
	for _, opts := range []Opts{
		{Strategy: StrategyTopK, TopK: 3, Temperature: 1.5, Seed: 11},
		{Strategy: StrategyTopP, TopP: 0.6, Temperature: 0.7, Seed: 12},
	} {
		got := runDecode(t, store, cfg, images, nil, opts)
		logits := teacherLogits(t, store, cfg, images, got.ids)
		for b, ids := range got.ids {
			lp := 0.0
			for pos := 1; pos < cfg.MaxLen && ids[pos-1] != cfg.EOS; pos++ {
				row, tok := wordRow(cfg, logits[b][pos-1]), ids[pos]
				lp += logSoftmax(row)[tok]
				if opts.Strategy == StrategyTopK {
					better := 0
					for _, v := range row {
						if v > row[tok] {
							better++
						}
					}
					if better >= opts.TopK {
						t.Errorf("top-%d: image %d position %d: token %d has %d likelier tokens", opts.TopK, b, pos, tok, better)
					}
				} else {
					p := math.Exp(logSoftmax(scale(row, opts.Temperature))[tok])
					if tau := nucleus(row, opts.Temperature, opts.TopP); p < tau*(1-1e-5) {
						t.Errorf("top-p: image %d position %d: token %d has probability %g below the nucleus' %g", b, pos, tok, p, tau)
					}
				}
			}
			if !closeTo(float64(got.logProb[b]), lp, 1e-5) {
				t.Errorf("%s: image %d: log prob %g, teacher-forced %g", opts.Strategy, b, got.logProb[b], lp)
			}
		}
	}
}

// TestSamplingDistribution (4): the first token of 4000 captions of one image follows
// the model's distribution restricted to the top-k (or nucleus) and renormalised: each
// frequency within 5 standard errors, and no token outside the cut.
func TestSamplingDistribution(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 6, 0.3, 0)
	const n = 4000
	one := randomImages(cfg, 1, 3).Value().([][][][]float32)[0]
	imgs := make([][][][]float32, n)
	for i := range imgs {
		imgs[i] = one
	}
	images := tensors.FromValue(imgs)
	row := wordRow(cfg, teacherLogits(t, store, cfg, randomImages(cfg, 1, 3), [][]int32{{cfg.BOS}})[0][0])
	for _, opts := range []Opts{
		{Strategy: StrategyTopK, TopK: 3, MaxLen: 2, Seed: 1},
		{Strategy: StrategyTopP, TopP: 0.7, Temperature: 0.5, MaxLen: 2, Seed: 2},
	} {
		temp := opts.resolved(cfg).Temperature
		probs := make([]float64, cfg.Vocab)
		for i, l := range logSoftmax(scale(row, temp)) {
			probs[i] = math.Exp(l)
		}
		kept, total := make([]bool, cfg.Vocab), 0.0
		sorted := slices.Clone(probs)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		for i, p := range probs {
			if opts.Strategy == StrategyTopK {
				kept[i] = p >= sorted[opts.TopK-1]
			} else {
				kept[i] = p >= nucleus(row, temp, opts.TopP)
			}
			if kept[i] {
				total += p
			}
		}
		counts := make([]int, cfg.Vocab)
		for _, ids := range runDecode(t, store, cfg, images, nil, opts).ids {
			counts[ids[1]]++
		}
		for i, c := range counts {
			want := 0.0
			if kept[i] {
				want = probs[i] / total
			}
			got := float64(c) / n
			if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 5*se+1e-9 {
				t.Errorf("%s: token %d drawn %.4f of the time, want %.4f (5 s.e. = %.4f); counts %v", opts.Strategy, i, got,
					want, 5*se, counts)
			}
		}
	}
}

// TestCutLogits: the top-k and nucleus cuts on hand-made distributions. With
// probabilities 0.1, 0.4, 0.2, 0.3: top-2 keeps 0.4 and 0.3; p = 0.4 keeps the 0.4
// alone, p = 0.41 and 0.5 add the 0.3 (0.4 < p <= 0.7), p = 0.95 needs all four. Tokens
// tied with the last one kept are kept: four equal tokens all stay for top-1 and for a
// small p; 0.3, 0.3, 0.2, 0.2 keeps both 0.2s for top-3.
func TestCutLogits(t *testing.T) {
	ln := func(ps ...float64) []float32 {
		out := make([]float32, len(ps))
		for i, p := range ps {
			out[i] = float32(math.Log(p))
		}
		return out
	}
	cfg := tinyConfig(t)
	cfg.Vocab = 4
	topK := func(k int) Opts { return Opts{Strategy: StrategyTopK, TopK: k, Temperature: 1} }
	topP := func(p float64) Opts { return Opts{Strategy: StrategyTopP, TopP: p, Temperature: 1} }
	for _, tc := range []struct {
		probs []float32
		opts  Opts
		kept  []bool
	}{
		{ln(0.1, 0.4, 0.2, 0.3), topK(2), []bool{false, true, false, true}},
		{ln(0.1, 0.4, 0.2, 0.3), topK(1), []bool{false, true, false, false}},
		{ln(0.1, 0.4, 0.2, 0.3), topK(4), []bool{true, true, true, true}},
		{ln(0.1, 0.4, 0.2, 0.3), topP(0.4), []bool{false, true, false, false}},
		{ln(0.1, 0.4, 0.2, 0.3), topP(0.41), []bool{false, true, false, true}},
		{ln(0.1, 0.4, 0.2, 0.3), topP(0.5), []bool{false, true, false, true}},
		{ln(0.1, 0.4, 0.2, 0.3), topP(0.95), []bool{true, true, true, true}},
		{ln(0.25, 0.25, 0.25, 0.25), topK(1), []bool{true, true, true, true}},
		{ln(0.25, 0.25, 0.25, 0.25), topP(0.1), []bool{true, true, true, true}},
		{ln(0.3, 0.2, 0.3, 0.2), topK(3), []bool{true, true, true, true}},
		{ln(0.3, 0.2, 0.3, 0.2), topK(2), []bool{true, false, true, false}},
	} {
		out := testbackend.Run(t, nil, func(_ *model.Scope, logits *Node) *Node {
			return cutLogits(cfg, tc.opts, logits)
		}, [][]float32{tc.probs})
		got := out[0].Value().([][]float32)[0]
		for i, v := range got {
			if kept := !math.IsInf(float64(v), -1); kept != tc.kept[i] || (kept && v != tc.probs[i]) {
				t.Errorf("%s k=%d p=%g over %v: got %v, want kept %v", tc.opts.Strategy, tc.opts.TopK, tc.opts.TopP,
					tc.probs, got, tc.kept)
				break
			}
		}
	}
}
