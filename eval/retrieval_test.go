package eval

import (
	"math"
	"strings"
	"testing"
)

func TestHitProbability(t *testing.T) {
	for _, tc := range []struct {
		g, e, c, k int
		want       float64
	}{
		{0, 0, 1, 1, 1},       // alone at the top.
		{1, 0, 1, 1, 0},       // one wrong item above.
		{1, 0, 1, 2, 1},       // ... but within the top 2.
		{0, 2, 1, 1, 1.0 / 3}, // three-way tie for one place.
		{0, 2, 1, 2, 2.0 / 3}, // 1 - C(2,2)/C(3,2).
		{0, 2, 2, 1, 0.5},     // two of four tied items are correct.
		{0, 3, 2, 2, 0.7},     // 1 - C(3,2)/C(5,2) = 1 - 3/10.
		{2, 5, 1, 2, 0},       // two wrong above fill the top 2.
	} {
		if got := hitProbability(tc.g, tc.e, tc.c, tc.k); !near(got, tc.want, 1e-12) {
			t.Errorf("hitProbability(g=%d, e=%d, c=%d, k=%d) = %v, want %v", tc.g, tc.e, tc.c, tc.k, got, tc.want)
		}
	}
}

// TestRecallHandComputed: 3 images with 2, 1 and 2 captions (columns a0 a1 | b0 | c0 c1).
//
//	        a0   a1   b0   c0   c1
//	img 0  0.9  0.1  0.8  0.2  0.3   best own caption a0 ranks 1st      -> i2t hit@1
//	img 1  0.7  0.2  0.6  0.1  0.5   own b0 ranks 2nd (below a0)        -> hit@5 only
//	img 2  0.1  0.9  0.2  0.3  0.4   own c1 0.4 below a1 0.9            -> rank 2 (c1 beats c0)
//
// Image→text: R@1 = 1/3, R@2 = 1 (img 2: a1 above c1, then c1). Text→image, column by
// column: a0 -> img 0 (0.9 beats 0.7): hit@1; a1 -> img 0 (0.1, worst of 3): rank 3;
// b0 -> img 1 (0.6 < 0.8): rank 2; c0 -> img 2 (0.3 best): hit@1; c1 -> img 2 (0.4 <
// 0.5): rank 2. R@1 = 2/5, R@2 = 4/5, R@3 = 1.
func TestRecallHandComputed(t *testing.T) {
	set, err := NewRetrievalSet([][]string{{"a0", "a1"}, {"b0"}, {"c0", "c1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Owner; len(got) != 5 || got[0] != 0 || got[1] != 0 || got[2] != 1 || got[3] != 2 || got[4] != 2 {
		t.Fatalf("owners %v, want [0 0 1 2 2]", got)
	}
	sim, _ := NewMatrix(3, 5, []float32{
		0.9, 0.1, 0.8, 0.2, 0.3,
		0.7, 0.2, 0.6, 0.1, 0.5,
		0.1, 0.9, 0.2, 0.3, 0.4,
	})
	r, err := Recall(sim, set, []int{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	wantI2T, wantT2I := []float64{1.0 / 3, 1, 1}, []float64{2.0 / 5, 4.0 / 5, 1}
	for q := range r.K {
		if !near(r.I2T[q], wantI2T[q], 1e-12) || !near(r.T2I[q], wantT2I[q], 1e-12) {
			t.Errorf("R@%d: i2t %v t2i %v, want %v and %v", r.K[q], r.I2T[q], r.T2I[q], wantI2T[q], wantT2I[q])
		}
	}
	// Ranks of the first correct answer: image→text 1, 2, 2 (median 2); text→image
	// 1, 3, 2, 1, 2 (median 2).
	if r.MedianRankI2T != 2 || r.MedianRankT2I != 2 {
		t.Errorf("median ranks i2t %v t2i %v, want 2 and 2", r.MedianRankI2T, r.MedianRankT2I)
	}
	m := r.Metrics()
	if !near(m["r_at_1_i2t"], 1.0/3, 1e-12) || !near(m["r_at_3_t2i"], 1, 1e-12) || m["median_rank_t2i"] != 2 || len(m) != 8 {
		t.Errorf("metrics %v", m)
	}
}

// TestRecallSharedText: a caption written identically for two images counts as a hit
// for both in image→text; text→image still wants the caption's own image.
func TestRecallSharedText(t *testing.T) {
	set, err := NewRetrievalSet([][]string{{"red circle"}, {"red circle", "a red circle on the left"}})
	if err != nil {
		t.Fatal(err)
	}
	if set.TextID[0] != set.TextID[1] || set.TextID[2] == set.TextID[0] {
		t.Fatalf("text ids %v: want the two \"red circle\" captions to share one", set.TextID)
	}
	// Identical texts have identical embeddings, so equal scores within a row.
	sim, _ := NewMatrix(2, 3, []float32{0.9, 0.9, 0.1, 0.5, 0.5, 0.7})
	r, err := Recall(sim, set, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	// i2t: image 0's top caption is a "red circle" (either copy): hit. Image 1's top is
	// its own third caption: hit. t2i: column 0 -> img 0 (0.9 > 0.5) hit; column 1 ->
	// img 1 (0.5 < 0.9) miss; column 2 -> img 1 (0.7 > 0.1) hit.
	if !near(r.I2T[0], 1, 1e-12) || !near(r.T2I[0], 2.0/3, 1e-12) {
		t.Errorf("i2t %v t2i %v, want 1 and 2/3", r.I2T[0], r.T2I[0])
	}
}

// TestRecallCollapsed: when every score is equal (a collapsed model), recall is at
// chance, not perfect: with 4 single-caption images, R@1 is 1/4 both ways and R@2 1/2.
func TestRecallCollapsed(t *testing.T) {
	set, _ := NewRetrievalSet([][]string{{"a"}, {"b"}, {"c"}, {"d"}})
	sim, _ := NewMatrix(4, 4, make([]float32, 16))
	r, err := Recall(sim, set, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.I2T[0], 0.25, 1e-12) || !near(r.T2I[0], 0.25, 1e-12) || !near(r.I2T[1], 0.5, 1e-12) {
		t.Errorf("collapsed: i2t %v t2i %v, want chance 0.25 and 0.5", r.I2T, r.T2I)
	}
	if r.MedianRankI2T != 2.5 || r.MedianRankT2I != 2.5 {
		t.Errorf("collapsed: median ranks %v, %v, want chance (4+1)/2", r.MedianRankI2T, r.MedianRankT2I)
	}
}

// TestRetrievalErrors: a set whose captions do not match its images is a one-line error.
func TestRetrievalErrors(t *testing.T) {
	for name, captions := range map[string][][]string{
		"no images":     nil,
		"image no text": {{"a"}, {}},
		"empty caption": {{"a", ""}},
	} {
		if _, err := NewRetrievalSet(captions); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want a one-line error", name, err)
		}
	}
	set, _ := NewRetrievalSet([][]string{{"a0", "a1"}, {"b0"}})
	for name, sim := range map[string]Matrix{
		"captions": {Rows: 2, Cols: 2, Data: make([]float32, 4)},
		"images":   {Rows: 3, Cols: 3, Data: make([]float32, 9)},
		"data":     {Rows: 2, Cols: 3, Data: make([]float32, 5)},
	} {
		_, err := Recall(sim, set, []int{1})
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s mismatch: %v, want a one-line error", name, err)
		}
	}
	good := Matrix{Rows: 2, Cols: 3, Data: make([]float32, 6)}
	if _, err := Recall(good, set, []int{0}); err == nil {
		t.Error("R@0 accepted")
	}
	if _, err := Recall(good, set, nil); err == nil {
		t.Error("no K accepted")
	}
	if _, err := Similarity(Matrix{Rows: 1, Cols: 2, Data: []float32{1, 0}}, Matrix{Rows: 1, Cols: 3, Data: []float32{1, 0, 0}}); err == nil {
		t.Error("Similarity of widths 2 and 3 accepted")
	}
}

// TestTopMatches: scores (0.1, 0.5, 0.3) at scale 10 are logits (1, 5, 3); the softmax
// gives e^5/Z, e^3/Z, e^1/Z with Z = e + e^3 + e^5.
func TestTopMatches(t *testing.T) {
	got := TopMatches([]float32{0.1, 0.5, 0.3}, 2, 10)
	z := math.E + math.Exp(3) + math.Exp(5)
	if len(got) != 2 || got[0].Index != 1 || got[1].Index != 2 ||
		!near(got[0].Prob, math.Exp(5)/z, 1e-6) || !near(got[1].Prob, math.Exp(3)/z, 1e-6) {
		t.Errorf("TopMatches = %+v, want indices 1, 2 with %v, %v", got, math.Exp(5)/z, math.Exp(3)/z)
	}
	if all := TopMatches([]float32{0.2}, 3, 10); len(all) != 1 || all[0].Prob != 1 {
		t.Errorf("one candidate: %+v", all)
	}
	m, _ := NewMatrix(2, 2, []float32{1, 2, 3, 4})
	if c := m.Column(1); c[0] != 2 || c[1] != 4 {
		t.Errorf("Column(1) = %v", c)
	}
}
