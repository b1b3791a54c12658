package eval

import "math"

// CIDErD returns the corpus CIDEr-D of the candidates against the references, as
// pycocoevalcap's Cider().compute_score computes it (cider_scorer.py, n = 1..4,
// sigma = 6). Captions are tokenised text (see BLEU); the corpus is the ids of cands,
// each with a non-empty list of references.
//
// Every sentence becomes, for each n, a vector over its n-grams g of
//
//	tf(g) * (log(I) - log(max(1, df(g))))
//
// with I the number of images in the corpus and df(g) the number of images whose
// references contain g (n-grams no reference has get the full weight log(I)). Against
// each reference r, a candidate h scores for each n
//
//	sum_g min(h_g, r_g) * r_g / (|h| |r|) * exp(-(len(h) - len(r))^2 / (2 * 6^2))
//
// (the min clips the candidate's counts; the quotient is skipped when a norm is
// zero). An image's score is the mean over n of these, summed over its references,
// divided by their number and multiplied by 10; CIDEr-D is the mean over images.
func CIDErD(refs map[string][]string, cands map[string]string) (float64, error) {
	c, err := newCaptionCorpus(refs, cands, splitCaptionWords)
	if err != nil {
		return 0, err
	}
	return c.ciderD(), nil
}

// ciderSigma is the standard deviation of CIDEr-D's Gaussian length penalty.
const ciderSigma = 6.0

// ciderVector is one sentence's tf-idf vector (cider_scorer's counts2vec).
type ciderVector struct {
	norm [captionMaxN]float64
	// length is what cider_scorer calls the sentence's length: it sums the counts of
	// the n-grams with index n == 1, the bigrams, so it is max(0, words-1). The
	// difference of two lengths equals the difference in words whenever both
	// sentences have words, and the score is 0 otherwise.
	length int
}

// ciderD computes CIDEr-D over the corpus (cider_scorer.py's compute_doc_freq and
// compute_cider).
func (c *captionCorpus) ciderD() float64 {
	weights := c.ciderWeights()
	hypPos := make([]int32, len(c.gramN)) // 1 + the index of an n-gram in the candidate, else 0
	var hypVals, refVals []float64        // [len(cand.grams)]: the vectors' entries at its n-grams
	total := 0.0
	for i, cand := range c.cands {
		// h: the candidate's vector, entry k for its n-gram cand.grams[k].
		hypVals = hypVals[:0]
		var h ciderVector
		for k, g := range cand.grams {
			v := float64(cand.counts[k]) * weights[g]
			hypVals = append(hypVals, v)
			h.norm[c.gramN[g]-1] += v * v
			hypPos[g] = int32(k + 1)
		}
		h.finish(cand.words)
		var score [captionMaxN]float64
		for _, ref := range c.refs[i] {
			// r: the reference's vector; only its entries at h's n-grams enter the
			// dot product, all of them enter its norm.
			refVals = ciderResizeZeroed(refVals, len(cand.grams))
			var r ciderVector
			for k, g := range ref.grams {
				v := float64(ref.counts[k]) * weights[g]
				r.norm[c.gramN[g]-1] += v * v
				if p := hypPos[g]; p > 0 {
					refVals[p-1] = v
				}
			}
			r.finish(ref.words)
			// sim: the clipped cosine per n, in the order the scorer sums it.
			var val [captionMaxN]float64
			for k, g := range cand.grams {
				val[c.gramN[g]-1] += min(hypVals[k], refVals[k]) * refVals[k]
			}
			delta := float64(h.length - r.length)
			penalty := math.Exp(-(delta * delta) / (2 * ciderSigma * ciderSigma))
			for n := range val {
				if h.norm[n] != 0 && r.norm[n] != 0 {
					val[n] /= h.norm[n] * r.norm[n]
				}
				score[n] += val[n] * penalty
			}
		}
		for _, g := range cand.grams {
			hypPos[g] = 0
		}
		mean := (score[0] + score[1] + score[2] + score[3]) / captionMaxN
		total += mean / float64(len(c.refs[i])) * 10
	}
	return total / float64(len(c.cands))
}

// finish turns the summed squares into norms and sets the length of a sentence of
// the given number of words.
func (v *ciderVector) finish(words int) {
	for n := range v.norm {
		v.norm[n] = math.Sqrt(v.norm[n])
	}
	v.length = max(0, words-1)
}

// ciderWeights returns every n-gram's idf, log(I) - log(max(1, df)), where df counts
// the images whose references hold the n-gram and I is the number of images.
func (c *captionCorpus) ciderWeights() []float64 {
	df := make([]int32, len(c.gramN))
	lastImage := make([]int32, len(c.gramN)) // 1 + the last image that counted an n-gram
	for i, refs := range c.refs {
		for _, ref := range refs {
			for _, g := range ref.grams {
				if lastImage[g] != int32(i+1) {
					lastImage[g] = int32(i + 1)
					df[g]++
				}
			}
		}
	}
	refLen := math.Log(float64(len(c.cands)))
	weights := make([]float64, len(df))
	for g, d := range df {
		weights[g] = refLen - math.Log(max(1, float64(d)))
	}
	return weights
}

// ciderResizeZeroed returns s resized to n zeros, reusing its storage when it can.
func ciderResizeZeroed(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}
