package eval

import (
	"math"
	"os"
	"os/exec"
	"testing"

	"github.com/mmdna/mmdna/internal/pyref"
)

// TestBLEUHandComputed checks BLEU on corpora worked out by hand. The scorer's
// constants (1e-15 on numerators, 1e-9 on denominators) move a score with matches by
// about 1e-9 relative at most, hence the tolerances.
func TestBLEUHandComputed(t *testing.T) {
	for _, c := range []struct {
		name  string
		refs  map[string][]string
		cands map[string]string
		want  [4]float64
		rel   bool // compare relative to want (scores near zero)
	}{
		{
			// Every n-gram matches and the lengths are equal: 1 at every order.
			name:  "identical",
			refs:  map[string][]string{"x": {"the cat sat on the mat"}},
			cands: map[string]string{"x": "the cat sat on the mat"},
			want:  [4]float64{1, 1, 1, 1},
		},
		{
			// Papineni et al.'s example. "the" x7 is clipped to 2, the most any one
			// reference holds (the first): p1 = 2/7. No bigram, trigram or 4-gram
			// matches, so p2 = 1e-15/6, p3 = 1e-15/5, p4 = 1e-15/4 (the scorer's tiny
			// over the guesses: small, not zero). The closest reference length is 7
			// (the second), so no brevity penalty.
			name:  "clipping and no higher matches",
			refs:  map[string][]string{"x": {"the cat is on the mat", "there is a cat on the mat"}},
			cands: map[string]string{"x": "the the the the the the the"},
			want: [4]float64{
				2.0 / 7,
				math.Sqrt(2.0 / 7 * 1e-15 / 6),
				math.Cbrt(2.0 / 7 * 1e-15 / 6 * 1e-15 / 5),
				math.Pow(2.0/7*1e-15/6*1e-15/5*1e-15/4, 0.25),
			},
			rel: true,
		},
		{
			// a: candidate "a b c d" (4 words) against references of 5 and 3 words:
			// both 1 away, the tie goes to the shorter, 3. Guesses 4, 3, 2, 1; all
			// match (a b c d, ab bc cd, abc bcd, abcd are in the first reference).
			// b: candidate "x y q" (3 words) against one reference of 6 words.
			// Guesses 3, 2, 1, 0; matches x y, xy: 2, 1, 0, 0.
			// Corpus: correct 6, 4, 2, 1 over guesses 7, 5, 3, 1; candidate length 7
			// against reference length 3 + 6 = 9: BP = exp(1 - 9/7). (Were the tie
			// broken to the longer reference, 11 and exp(1 - 11/7).)
			name: "corpus sums and closest length",
			refs: map[string][]string{
				"a": {"a b c d e", "a b c"},
				"b": {"x y z w v u"},
			},
			cands: map[string]string{"a": "a b c d", "b": "x y q"},
			want: [4]float64{
				6.0 / 7 * math.Exp(1-9.0/7),
				math.Sqrt(6.0/7*4.0/5) * math.Exp(1-9.0/7),
				math.Cbrt(6.0/7*4.0/5*2.0/3) * math.Exp(1-9.0/7),
				math.Pow(6.0/7*4.0/5*2.0/3*1.0/1, 0.25) * math.Exp(1-9.0/7),
			},
		},
		{
			// An empty candidate: ratio 1e-15 / (2 + 1e-9), BP = exp(1 - 2e15) = 0.
			name:  "empty candidate",
			refs:  map[string][]string{"x": {"a b"}},
			cands: map[string]string{"x": ""},
			want:  [4]float64{0, 0, 0, 0},
		},
	} {
		got, err := BLEU(c.refs, c.cands)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for k := range got {
			tol := 1e-9
			if c.rel {
				tol = 1e-6 * c.want[k]
			}
			if !captionClose(got[k], c.want[k], tol) {
				t.Errorf("%s: BLEU-%d = %.17g, want %.17g", c.name, k+1, got[k], c.want[k])
			}
		}
	}
}

// TestBLEUMatchesNLTK compares BLEU-1..4 with nltk's corpus_bleu (Debian's
// python3-nltk) on random corpora. The two agree when called this way: nltk's
// defaults (smoothing method0, auto_reweigh off) with the uniform weights (1,),
// (1/2, 1/2), (1/3, 1/3, 1/3), (1/4, 1/4, 1/4, 1/4); the same clipping, the same
// closest reference length (ties to the shorter) and the same corpus sums. They
// differ in two places the corpora avoid: nltk floors each sentence's guesses at 1
// (so candidates have at least 4 words here), and an order with no match gives 0 in
// nltk but a small positive score in pycocoevalcap (here every order matches: the
// first image's candidate is one of its references). What is left is the scorer's
// 1e-15 and 1e-9, below 1e-9 on these corpora.
func TestBLEUMatchesNLTK(t *testing.T) {
	requireNLTK(t)
	corpora := randomCaptionCorpora(3, 30, 4)
	var want [][4]float64
	captionReference(t, "nltk", "", corpora, &want)
	checkBLEU(t, "nltk", corpora, want, 1e-9)
}

// TestBLEUMatchesPycocoevalcap compares BLEU-1..4 with pycocoevalcap's own
// bleu_scorer.py on random corpora, short and empty candidates included. The file's
// header forbids redistribution, so it is not in testdata: the test runs when
// MMDNA_PYCOCOEVALCAP names a checkout of github.com/salaniz/pycocoevalcap (or the
// pycocoevalcap package is installed) and is skipped otherwise.
func TestBLEUMatchesPycocoevalcap(t *testing.T) {
	checkout := os.Getenv("MMDNA_PYCOCOEVALCAP")
	if checkout == "" && exec.Command(pyref.Python, "-c", "import pycocoevalcap.bleu.bleu_scorer").Run() != nil {
		t.Skip("skipping: set MMDNA_PYCOCOEVALCAP to a checkout of github.com/salaniz/pycocoevalcap (its bleu_scorer.py may not be redistributed, so testdata has no copy)")
	}
	corpora := randomCaptionCorpora(5, 40, 0)
	var want [][4]float64
	captionReference(t, "bleu", checkout, corpora, &want)
	checkBLEU(t, "pycocoevalcap", corpora, want, 1e-12)
}

// checkBLEU compares BLEU on each corpus with a reference's scores, to tol relative
// to the score (scores of orders without a match are tiny).
func checkBLEU(t *testing.T, ref string, corpora []captionTestCorpus, want [][4]float64, tol float64) {
	t.Helper()
	if len(want) != len(corpora) {
		t.Fatalf("%s gave %d results for %d corpora", ref, len(want), len(corpora))
	}
	worst := 0.0
	for i, c := range corpora {
		got, err := BLEU(c.Refs, c.Cands)
		if err != nil {
			t.Fatal(err)
		}
		for k := range got {
			d := math.Abs(got[k]-want[i][k]) / math.Max(want[i][k], 1e-300)
			worst = math.Max(worst, d)
			if !(d <= tol) {
				t.Errorf("corpus %d (%d images): BLEU-%d = %.17g, %s %.17g", i, len(c.Cands), k+1, got[k], ref, want[i][k])
			}
		}
	}
	t.Logf("largest relative difference from %s over %d corpora: %.3g", ref, len(corpora), worst)
}
