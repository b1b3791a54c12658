package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/internal/pyref"
)

// captionTestCorpus is one scored corpus, in the JSON caption_ref.py reads.
type captionTestCorpus struct {
	Refs  map[string][]string `json:"refs"`
	Cands map[string]string   `json:"cands"`
}

// randomCaptionCorpus draws a corpus of tokenised captions over a small vocabulary
// (so that n-grams repeat and match): 1 to 5 references per image of 0 to maxLen
// words, and candidates that are either random or a reference with some words
// replaced. Candidates have at least minCand words; image "img000"'s candidate is its
// first reference made at least 4 words long, so every n-gram order has a match.
func randomCaptionCorpus(r *rand.Rand, images, vocab, maxLen, minCand int) captionTestCorpus {
	word := func() string { return fmt.Sprintf("w%d", r.IntN(vocab)) }
	sentence := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = word()
		}
		return s
	}
	c := captionTestCorpus{Refs: map[string][]string{}, Cands: map[string]string{}}
	for i := range images {
		id := fmt.Sprintf("img%03d", i)
		var refs [][]string
		for range 1 + r.IntN(5) {
			refs = append(refs, sentence(r.IntN(maxLen+1)))
		}
		var cand []string
		switch {
		case i == 0:
			for len(refs[0]) < 4 {
				refs[0] = append(refs[0], word())
			}
			cand = refs[0]
		case r.IntN(2) == 0:
			cand = append([]string(nil), refs[r.IntN(len(refs))]...)
			for j := range cand {
				if r.IntN(4) == 0 {
					cand[j] = word()
				}
			}
		default:
			cand = sentence(r.IntN(maxLen + 1))
		}
		for len(cand) < minCand {
			cand = append(cand, word())
		}
		for _, ref := range refs {
			c.Refs[id] = append(c.Refs[id], strings.Join(ref, " "))
		}
		c.Cands[id] = strings.Join(cand, " ")
	}
	return c
}

// randomCaptionCorpora draws count corpora of 1 to 40 images (a corpus of one image
// has CIDEr-D 0: log(1) weights everything to zero).
func randomCaptionCorpora(seed uint64, count, minCand int) []captionTestCorpus {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]captionTestCorpus, count)
	for i := range out {
		out[i] = randomCaptionCorpus(r, 1+r.IntN(40), 3+r.IntN(15), 12, minCand)
	}
	return out
}

// captionReference runs testdata/caption_ref.py's metric over the corpora and
// decodes its results into out (a pointer to a slice, one entry per corpus).
func captionReference(t *testing.T, metric, checkout string, corpora []captionTestCorpus, out any) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "caption_ref.py"))
	if err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("import runpy, sys; sys.argv = [%q]; runpy.run_path(sys.argv[0], run_name='__main__')", script)
	pyref.Run(t, run, map[string]any{"metric": metric, "pycocoevalcap": checkout, "corpora": corpora}, out)
}

func TestCaptionScoresTokenisesAndIgnoresUnscoredRefs(t *testing.T) {
	refs := map[string][]string{
		"1":     {"A dog runs through the grass.", "The dog's running!"},
		"2":     {"Two people, sitting on a bench.", "people sit on a bench"},
		"3":     {"A man in a black t-shirt."},
		"extra": {"references of an id with no candidate are not scored"},
	}
	cands := map[string]string{"1": "A DOG running in grass .", "2": "two people on a bench", "3": "A man, in a black T-shirt"}
	got, err := CaptionScores(refs, cands)
	if err != nil {
		t.Fatal(err)
	}
	// The same corpus tokenised by hand, without the unscored id.
	tokRefs := map[string][]string{
		"1": {"a dog runs through the grass", "the dog 's running"},
		"2": {"two people sitting on a bench", "people sit on a bench"},
		"3": {"a man in a black t-shirt"},
	}
	tokCands := map[string]string{"1": "a dog running in grass", "2": "two people on a bench", "3": "a man in a black t-shirt"}
	bleu, err := BLEU(tokRefs, tokCands)
	if err != nil {
		t.Fatal(err)
	}
	cider, err := CIDErD(tokRefs, tokCands)
	if err != nil {
		t.Fatal(err)
	}
	want := CaptionScore{BLEU1: bleu[0], BLEU2: bleu[1], BLEU3: bleu[2], BLEU4: bleu[3], CIDEr: cider}
	if got != want {
		t.Fatalf("CaptionScores = %+v, want %+v", got, want)
	}
	// With the extra id scored, CIDEr-D's document frequencies change.
	cands["extra"] = "no candidate"
	withExtra, err := CaptionScores(refs, cands)
	if err != nil {
		t.Fatal(err)
	}
	if withExtra.CIDEr == got.CIDEr {
		t.Fatalf("scoring one more id left CIDEr-D at %v", got.CIDEr)
	}
}

func TestCaptionScoresErrors(t *testing.T) {
	refs := map[string][]string{"a": {"a cat"}, "b": {}, "c": {"a dog"}}
	for _, c := range []struct {
		name  string
		cands map[string]string
		want  string
	}{
		{"no candidates", map[string]string{}, "eval: no candidate captions to score"},
		{"missing ids", map[string]string{"a": "x", "zz": "y", "yy": "z"}, `eval: 2 candidate ids with no references: "yy", "zz"`},
		{"empty reference list", map[string]string{"a": "x", "b": "y"}, `eval: 1 candidate id with an empty reference list: "b"`},
	} {
		for name, score := range map[string]func() error{
			"CaptionScores": func() error { _, err := CaptionScores(refs, c.cands); return err },
			"BLEU":          func() error { _, err := BLEU(refs, c.cands); return err },
			"CIDErD":        func() error { _, err := CIDErD(refs, c.cands); return err },
		} {
			if err := score(); err == nil || err.Error() != c.want {
				t.Errorf("%s, %s: error %v, want %q", c.name, name, err, c.want)
			}
		}
	}
}

func TestQuoteCaptionIDs(t *testing.T) {
	if got, want := quoteCaptionIDs([]string{"d", "b", "a", "c"}, 2), `"a", "b" and 2 more`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// BenchmarkCaptionScores scores 5,000 candidates against 5 references each (captions
// of 8 to 15 words over a Zipf-distributed vocabulary of 3,000 words, as in COCO),
// tokenisation included.
func BenchmarkCaptionScores(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 2, 2999)
	sentence := func() string {
		words := make([]string, 8+r.IntN(8))
		for i := range words {
			words[i] = fmt.Sprintf("word%d", zipf.Uint64())
		}
		return strings.Join(words, " ") + "."
	}
	refs, cands := map[string][]string{}, map[string]string{}
	for i := range 5000 {
		id := fmt.Sprint(i)
		for range 5 {
			refs[id] = append(refs[id], sentence())
		}
		cands[id] = sentence()
	}
	for b.Loop() {
		if _, err := CaptionScores(refs, cands); err != nil {
			b.Fatal(err)
		}
	}
}

func captionClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}
