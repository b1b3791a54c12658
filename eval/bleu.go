package eval

import (
	"math"
	"strings"
)

// BLEU returns corpus BLEU-1..4 of the candidates against the references, as
// pycocoevalcap's Bleu(4).compute_score computes them (bleu_scorer.py, option
// "closest"). Captions are tokenised text: words separated by white space, as
// pycocoevalcap's scorers take them after its tokenizer (CaptionScores tokenises raw
// captions first). The corpus is the ids of cands; each needs a non-empty list of
// references in refs.
//
// For each candidate of length c: its n-gram counts clipped by the largest count of
// that n-gram in any one reference are summed into correct[n], and max(0, c-n+1) into
// guess[n]; its effective reference length is the reference length closest to c (the
// shorter on a tie). Over the corpus, with C and R the summed candidate and reference
// lengths,
//
//	BLEU-N = (prod_{n<=N} (correct[n] + 1e-15) / (guess[n] + 1e-9))^(1/N) * BP
//	BP     = exp(1 - 1/r) if r = (C + 1e-15) / (R + 1e-9) < 1, else 1
//
// The two constants are the scorer's tiny and small: an order with no match gives a
// small positive score instead of zero (nltk's unsmoothed corpus_bleu gives 0 there).
func BLEU(refs map[string][]string, cands map[string]string) ([4]float64, error) {
	c, err := newCaptionCorpus(refs, cands, splitCaptionWords)
	if err != nil {
		return [4]float64{}, err
	}
	return c.bleu(), nil
}

// splitCaptionWords splits tokenised text as Python's str.split() does.
func splitCaptionWords(s string) []string {
	return strings.FieldsFunc(s, isCaptionSpace)
}

// bleu computes BLEU-1..4 over the corpus (bleu_scorer.py's cook_refs, cook_test and
// compute_score).
func (c *captionCorpus) bleu() [4]float64 {
	const (
		small = 1e-9  // bleu_scorer's small: added to denominators
		tiny  = 1e-15 // bleu_scorer's tiny: added to numerators
	)
	var correct, guess [captionMaxN]int
	var testLen, refLen int
	maxCounts := make([]int32, len(c.gramN)) // zero between images
	for i, cand := range c.cands {
		// cook_refs: the largest count of each n-gram in any one reference.
		for _, ref := range c.refs[i] {
			for k, g := range ref.grams {
				maxCounts[g] = max(maxCounts[g], ref.counts[k])
			}
		}
		// cook_test: clipped matches, guesses and the closest reference length.
		for k, g := range cand.grams {
			correct[c.gramN[g]-1] += int(min(maxCounts[g], cand.counts[k]))
		}
		for n := 1; n <= captionMaxN; n++ {
			guess[n-1] += max(0, cand.words-n+1)
		}
		testLen += cand.words
		refLen += bleuClosestRefLen(c.refs[i], cand.words)
		for _, ref := range c.refs[i] {
			for _, g := range ref.grams {
				maxCounts[g] = 0
			}
		}
	}
	var out [4]float64
	prod := 1.0
	for k := range captionMaxN {
		prod *= (float64(correct[k]) + tiny) / (float64(guess[k]) + small)
		out[k] = math.Pow(prod, 1/float64(k+1))
	}
	if ratio := (float64(testLen) + tiny) / (float64(refLen) + small); ratio < 1 {
		bp := math.Exp(1 - 1/ratio)
		for k := range out {
			out[k] *= bp
		}
	}
	return out
}

// bleuClosestRefLen is the length of the reference closest in length to a candidate of
// length n, the shorter one on a tie (Python's min over (abs(l-n), l) pairs).
func bleuClosestRefLen(refs []captionSentence, n int) int {
	best := refs[0].words
	for _, r := range refs[1:] {
		d, bd := captionAbs(r.words-n), captionAbs(best-n)
		if d < bd || (d == bd && r.words < best) {
			best = r.words
		}
	}
	return best
}

func captionAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
