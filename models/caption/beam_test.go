package caption

import (
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBeamOneIsGreedy (3): one beam is greedy decoding, with or without a length
// penalty (the candidates of one beam all have the same length).
func TestBeamOneIsGreedy(t *testing.T) {
	cfg := tinyConfig(t)
	store := randomModel(t, cfg, 2, 0.5, 2.5)
	images := randomImages(cfg, 6, 9)
	greedy := runDecode(t, store, cfg, images, nil, Opts{})
	for _, alpha := range []float64{0, 0.7} {
		beam := runDecode(t, store, cfg, images, nil, Opts{Strategy: StrategyBeam, BeamSize: 1, LengthPenalty: alpha})
		for b := range greedy.ids {
			if !slices.Equal(beam.ids[b], greedy.ids[b]) || beam.length[b] != greedy.length[b] ||
				!closeTo(float64(beam.logProb[b]), float64(greedy.logProb[b]), 1e-6) {
				t.Errorf("alpha %g, image %d: beam 1 %v (log prob %g), greedy %v (%g)", alpha, b, beam.ids[b],
					beam.logProb[b], greedy.ids[b], greedy.logProb[b])
			}
			want := float64(greedy.logProb[b]) / LengthPenalty(int(greedy.length[b]), alpha)
			if !closeTo(float64(beam.score[b]), want, 1e-6) {
				t.Errorf("alpha %g, image %d: score %g, want %g", alpha, b, beam.score[b], want)
			}
		}
	}
}

// hypothesis is a caption the brute-force search scores.
type hypothesis struct {
	ids   []int32
	score float64
}

// allCaptions lists every caption of maxLen ids Decode can write after [BOS] with the
// words of vocab ids 3..vocab-1: words then [EOS] then [PAD]s, or maxLen-1 words.
func allCaptions(cfg Config, maxLen int) [][]int32 {
	var out [][]int32
	var grow func(prefix []int32)
	grow = func(prefix []int32) {
		if len(prefix) == maxLen {
			out = append(out, slices.Clone(prefix))
			return
		}
		ended := append(slices.Clone(prefix), cfg.EOS)
		for len(ended) < maxLen {
			ended = append(ended, cfg.PAD)
		}
		out = append(out, ended)
		for w := int32(3); w < int32(cfg.Vocab); w++ {
			grow(append(slices.Clone(prefix), w))
		}
	}
	grow([]int32{cfg.BOS})
	return out
}

// bruteForce scores every caption of one image with the teacher-forced model and
// returns them best first by log probability / lp(length).
func bruteForce(t *testing.T, store *model.Store, cfg Config, image *tensors.Tensor, maxLen int, alpha float64) []hypothesis {
	t.Helper()
	caps := allCaptions(cfg, maxLen)
	one := image.Value().([][][][]float32)[0]
	imgs := make([][][][]float32, len(caps))
	for i := range imgs {
		imgs[i] = one
	}
	logits := teacherLogits(t, store, cfg, tensors.FromValue(imgs), caps)
	hyps := make([]hypothesis, len(caps))
	for i, c := range caps {
		lp, n := 0.0, 0
		for pos := 1; pos < maxLen && (pos == 1 || c[pos-1] != cfg.EOS); pos++ {
			lp += logSoftmax(wordRow(cfg, logits[i][pos-1]))[c[pos]]
			n++
		}
		hyps[i] = hypothesis{ids: c, score: lp / LengthPenalty(n, alpha)}
	}
	sort.SliceStable(hyps, func(a, b int) bool { return hyps[a].score > hyps[b].score })
	return hyps
}

// TestBeamExhaustive (3): with a vocabulary of two words and beams for every caption
// (31 captions of up to 4 tokens), beam search keeps every hypothesis: its beams are
// all captions, sorted by score as a brute-force search over teacher-forced passes
// sorts them, so its best is the best there is, and at least greedy's score.
func TestBeamExhaustive(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Vocab, cfg.MaxLen = 5, 5
	store := randomModel(t, cfg, 4, 0.5, 0.5)
	images := randomImages(cfg, 2, 13)
	imgs := images.Value().([][][][]float32)
	greedy := runDecode(t, store, cfg, images, nil, Opts{})
	for _, alpha := range []float64{0, 1} {
		beam := runDecode(t, store, cfg, images, nil, Opts{Strategy: StrategyBeam, BeamSize: 31, LengthPenalty: alpha})
		for b := range imgs {
			want := bruteForce(t, store, cfg, tensors.FromValue(imgs[b:b+1]), cfg.MaxLen, alpha)
			if len(want) != 31 {
				t.Fatalf("brute force has %d captions, want 31", len(want))
			}
			for i, h := range want {
				if !closeTo(float64(beam.beamScores[b][i]), h.score, 1e-5) {
					t.Fatalf("alpha %g, image %d: beam %d scores %g, brute force %g (%v)", alpha, b, i,
						beam.beamScores[b][i], h.score, h.ids)
				}
			}
			if !slices.Equal(beam.ids[b], want[0].ids) || !slices.Equal(beam.beams[b][0], want[0].ids) {
				t.Errorf("alpha %g, image %d: beam's best %v, brute force's %v", alpha, b, beam.ids[b], want[0].ids)
			}
			greedyScore := float64(greedy.logProb[b]) / LengthPenalty(int(greedy.length[b]), alpha)
			if float64(beam.score[b]) < greedyScore-1e-6 {
				t.Errorf("alpha %g, image %d: beam's best scores %g below greedy's %g", alpha, b, beam.score[b], greedyScore)
			}
		}
	}
}

// bigramModel is a hand-built captioner whose next-token logits depend only on the
// current token: logits[next] = table[current][next]. Every attention and MLP output
// projection is zero (each block is the identity), the positions are zero, token i
// embeds as e_i - e_{i+V} in 2V dimensions (whose LayerNorm is √V times itself), and
// the untied head maps it to table[i]/√V·√V.
func bigramModel(t *testing.T, table [][]float64) (Config, *model.Store) {
	t.Helper()
	vocab := len(table)
	cfg := tinyConfig(t)
	cfg.Vocab, cfg.Dim, cfg.Depth, cfg.Heads, cfg.MLPDim, cfg.MaxLen = vocab, 2*vocab, 1, 2, 8, 3
	cfg.UntieEmbeddings = true
	store := randomModel(t, cfg, 5, 0.3, 0)
	set := func(path string, f func(i, j int) float64) {
		v := store.GetVariable(path)
		if v == nil {
			t.Fatalf("no variable %s", path)
		}
		dims := v.Shape().Dimensions
		vals := make([]float32, v.Shape().Size())
		for k := range vals {
			i, j := k, 0
			if len(dims) == 2 {
				i, j = k/dims[1], k%dims[1]
			}
			vals[k] = float32(f(i, j))
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, dims...)); err != nil {
			t.Fatal(err)
		}
	}
	zero := func(int, int) float64 { return 0 }
	for _, p := range []string{"self_attn/to_out", "cross/attn/to_out", "cross/ff/fc2"} {
		set("/decoder/block_00/"+p+"/dense/weights", zero)
		set("/decoder/block_00/"+p+"/dense/biases", zero)
	}
	set("/decoder/pos_embed/embeddings", zero)
	set("/decoder/output_bias/biases", zero)
	set("/decoder/ln_final/gain", func(int, int) float64 { return 1 })
	set("/decoder/ln_final/offset", zero)
	set("/decoder/token_embed/embeddings", func(i, d int) float64 {
		switch d {
		case i:
			return 1
		case i + vocab:
			return -1
		}
		return 0
	})
	set("/decoder/head/dense/weights", func(d, j int) float64 {
		if d < vocab {
			return table[d][j] / math.Sqrt(float64(vocab))
		}
		return 0
	})
	return cfg, store
}

// TestBeamBeatsGreedyHandBuilt (3): a greedy trap. After [BOS], "a" is likelier (0.5)
// than "b" (0.4), but after "a" every continuation has probability 1/4, while "b"
// ends with [EOS] at 0.9. Greedy writes "a [EOS]" (0.5·0.25 = 0.125; the first of the
// tied tokens, [EOS], has the lowest id); two beams find "b [EOS]" (0.4·0.9 = 0.36).
func TestBeamBeatsGreedyHandBuilt(t *testing.T) {
	const pad, bos, eos, a, b, c = 0, 1, 2, 3, 4, 5
	ln := math.Log
	table := make([][]float64, 6)
	for i := range table {
		table[i] = []float64{0, 0, ln(1.0 / 3), ln(1.0 / 3), ln(1.0 / 3), -30}
	}
	table[bos] = []float64{0, 0, -30, ln(0.5), ln(0.4), ln(0.1)}
	table[a] = []float64{0, 0, ln(0.25), ln(0.25), ln(0.25), ln(0.25)}
	table[b] = []float64{0, 0, ln(0.9), ln(0.05), ln(0.05), -30}
	cfg, store := bigramModel(t, table)
	images := randomImages(cfg, 1, 1)
	greedy := runDecode(t, store, cfg, images, nil, Opts{})
	beam := runDecode(t, store, cfg, images, nil, Opts{Strategy: StrategyBeam, BeamSize: 2})
	if want := []int32{bos, a, eos}; !slices.Equal(greedy.ids[0], want) || !closeTo(float64(greedy.logProb[0]), ln(0.125), 1e-4) {
		t.Errorf("greedy: %v log prob %g, want %v and ln 0.125 = %g", greedy.ids[0], greedy.logProb[0], want, ln(0.125))
	}
	if want := []int32{bos, b, eos}; !slices.Equal(beam.ids[0], want) || !closeTo(float64(beam.logProb[0]), ln(0.36), 1e-4) {
		t.Errorf("beam: %v log prob %g, want %v and ln 0.36 = %g", beam.ids[0], beam.logProb[0], want, ln(0.36))
	}
	// The second beam is "a" and its best continuation ([EOS], first of the ties).
	if want := []int32{bos, a, eos}; !slices.Equal(beam.beams[0][1], want) || !closeTo(float64(beam.beamScores[0][1]), ln(0.125), 1e-4) {
		t.Errorf("second beam: %v score %g, want %v and %g", beam.beams[0][1], beam.beamScores[0][1], want, ln(0.125))
	}
}
