package eval

import (
	"math"
	"testing"

	"github.com/mmdna/mmdna/internal/pyref"
)

// TestCIDErDHandComputed checks CIDEr-D on corpora worked out by hand.
func TestCIDErDHandComputed(t *testing.T) {
	// Two images, every n-gram of the references in one image only: each weighs
	// log(2) - log(1) = log(2), and so does the unseen "e" and "c e" (df 0 -> log 1).
	// Image 1, "a b" against "a b": cosine 1 for n = 1, 2 and 0 for n = 3, 4 (no
	// trigrams: the norms are 0 and the sums 0); equal lengths, no penalty. Score
	// (1 + 1 + 0 + 0) / 4 / 1 reference * 10 = 5.
	// Image 2, "c e" against "c d": unigrams c·c = log²2 over norms √2 log2 · √2 log2
	// = 1/2; the bigram "c e" does not match: 0. Score (1/2) / 4 * 10 = 1.25.
	// CIDEr-D = (5 + 1.25) / 2 = 3.125.
	twoImages := captionTestCorpus{
		Refs:  map[string][]string{"1": {"a b"}, "2": {"c d"}},
		Cands: map[string]string{"1": "a b", "2": "c e"},
	}

	// Three images. df(b) = 2 (images 1 and 2), every other n-gram df 1 or 0, so with
	// L = log 3 - log 1 and M = log 3 - log 2 the weights are M for b, L otherwise.
	// Image 1: candidate "a a a b": a 3L, b M | aa 2L, ab L | aaa L, aab L | aaab L,
	// length (bigram count) 3.
	//   ref "a a b": a 2L, b M | aa L, ab L | aab L, length 2, penalty exp(-1/72):
	//     n=1 (min(3L,2L)·2L + M·M) / (√(9L²+M²) √(4L²+M²)) = (4L²+M²)/(...)
	//     n=2 (min(2L,L)·L + L·L) / (√5 L · √2 L) = 2/√10
	//     n=3 (0 + L·L) / (√2 L · L) = 1/√2;  n=4: no reference 4-grams: 0
	//   ref "a b": a L, b M | ab L, length 1, penalty exp(-4/72):
	//     n=1 (min(3L,L)·L + M·M) / (√(9L²+M²) √(L²+M²));  n=2 L·L / (√5 L · L) = 1/√5
	//   score (sum over n and references) / 4 / 2 * 10.
	// Image 2: "b c" against "b c": cosine 1 for n = 1, 2: (1 + 1) / 4 * 10 = 5.
	// Image 3: "d" against "d": (1) / 4 * 10 = 2.5.
	threeImages := captionTestCorpus{
		Refs:  map[string][]string{"1": {"a a b", "a b"}, "2": {"b c"}, "3": {"d"}},
		Cands: map[string]string{"1": "a a a b", "2": "b c", "3": "d"},
	}
	L, M := math.Log(3), math.Log(3)-math.Log(2)
	p1, p2 := math.Exp(-1.0/72), math.Exp(-4.0/72)
	ref1 := p1 * ((4*L*L+M*M)/(math.Sqrt(9*L*L+M*M)*math.Sqrt(4*L*L+M*M)) + 2/math.Sqrt(10) + 1/math.Sqrt2)
	ref2 := p2 * ((L*L+M*M)/(math.Sqrt(9*L*L+M*M)*math.Sqrt(L*L+M*M)) + 1/math.Sqrt(5))
	image1 := (ref1 + ref2) / 4 / 2 * 10

	for _, c := range []struct {
		name   string
		corpus captionTestCorpus
		want   float64
	}{
		{"two images", twoImages, 3.125},
		{"clipping, df and length penalty", threeImages, (image1 + 5 + 2.5) / 3},
		// One image: every weight is log(1) - log(max(1, df)) = 0, so every vector
		// is zero and so is the score.
		{"one image", captionTestCorpus{Refs: map[string][]string{"x": {"a b c"}}, Cands: map[string]string{"x": "a b c"}}, 0},
		// An empty candidate has an empty vector: 0.
		{"empty candidate", captionTestCorpus{Refs: map[string][]string{"x": {"a b"}, "y": {"c"}}, Cands: map[string]string{"x": "", "y": "d"}}, 0},
	} {
		got, err := CIDErD(c.corpus.Refs, c.corpus.Cands)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !captionClose(got, c.want, 1e-12) {
			t.Errorf("%s: CIDEr-D = %.17g, want %.17g", c.name, got, c.want)
		}
	}
}

// TestCIDErDMatchesPycocoevalcap compares CIDEr-D with pycocoevalcap's
// cider_scorer.py (testdata/cider_scorer.py, verbatim) on random corpora, short and
// empty captions included, to 1e-9.
func TestCIDErDMatchesPycocoevalcap(t *testing.T) {
	pyref.Require(t, "numpy")
	corpora := randomCaptionCorpora(4, 40, 0)
	var want []float64
	captionReference(t, "cider", "", corpora, &want)
	if len(want) != len(corpora) {
		t.Fatalf("cider_scorer.py gave %d results for %d corpora", len(want), len(corpora))
	}
	worst := 0.0
	for i, c := range corpora {
		got, err := CIDErD(c.Refs, c.Cands)
		if err != nil {
			t.Fatal(err)
		}
		worst = math.Max(worst, math.Abs(got-want[i]))
		if !captionClose(got, want[i], 1e-9) {
			t.Errorf("corpus %d (%d images): CIDEr-D = %.17g, cider_scorer.py %.17g", i, len(c.Cands), got, want[i])
		}
	}
	t.Logf("largest difference from cider_scorer.py over %d corpora: %.3g", len(corpora), worst)
}
