package eval

import (
	"fmt"
	"math"
	"slices"
)

// RetrievalSet says which captions belong to which image in a retrieval benchmark with
// several captions per image (5 in Flickr8k, 6 in the shapes world). Captions are
// numbered image by image: the columns of a similarity matrix.
type RetrievalSet struct {
	Images int
	// Owner is the image of each caption: the one correct answer of text→image.
	Owner []int
	// TextID numbers distinct caption texts: captions with the same text share an id.
	// An image→text hit is any caption whose text is one of the image's captions, so
	// a caption written identically for two images ("red circle") counts for both.
	TextID []int
	// Texts are the captions in column order.
	Texts []string
}

// NewRetrievalSet builds the set from the captions of each image. Every image needs at
// least one non-empty caption.
func NewRetrievalSet(captions [][]string) (*RetrievalSet, error) {
	if len(captions) == 0 {
		return nil, fmt.Errorf("eval: retrieval set has no images")
	}
	s := &RetrievalSet{Images: len(captions)}
	ids := map[string]int{}
	for i, cs := range captions {
		if len(cs) == 0 {
			return nil, fmt.Errorf("eval: retrieval set: image %d has no caption", i)
		}
		for _, c := range cs {
			if c == "" {
				return nil, fmt.Errorf("eval: retrieval set: image %d has an empty caption", i)
			}
			id, ok := ids[c]
			if !ok {
				id = len(ids)
				ids[c] = id
			}
			s.Owner, s.TextID, s.Texts = append(s.Owner, i), append(s.TextID, id), append(s.Texts, c)
		}
	}
	return s, nil
}

// Check reports a similarity matrix that does not fit the set: one row per image and
// one column per caption.
func (s *RetrievalSet) Check(sim Matrix) error {
	if err := sim.Validate(); err != nil {
		return err
	}
	if sim.Rows != s.Images || sim.Cols != len(s.Owner) {
		return fmt.Errorf("eval: retrieval: similarities are %dx%d but the set has %d images and %d captions",
			sim.Rows, sim.Cols, s.Images, len(s.Owner))
	}
	return nil
}

// Recalls holds recall@K in both directions, K as given to Recall, and the median
// rank of the first correct answer (MedR, lower is better; 1 is perfect).
type Recalls struct {
	K        []int
	I2T, T2I []float64 // I2T[i]: recall@K[i] image→text; T2I[i] text→image.
	// MedianRankI2T and MedianRankT2I are the medians over queries of the expected
	// rank of the best-placed correct answer, ties broken at random (see expectedRank).
	MedianRankI2T, MedianRankT2I float64
}

// Metrics names the recalls "r_at_K_i2t" and "r_at_K_t2i", the median ranks
// "median_rank_i2t" and "median_rank_t2i".
func (r Recalls) Metrics() map[string]float64 {
	m := map[string]float64{"median_rank_i2t": r.MedianRankI2T, "median_rank_t2i": r.MedianRankT2I}
	for i, k := range r.K {
		m[fmt.Sprintf("r_at_%d_i2t", k)] = r.I2T[i]
		m[fmt.Sprintf("r_at_%d_t2i", k)] = r.T2I[i]
	}
	return m
}

// Recall computes recall@K for each k in ks from sim [images, captions]:
// image→text, the share of images with one of their captions (by text) among the K
// highest-scoring captions; text→image, the share of captions whose own image is among
// the K highest-scoring images; and the median ranks both ways. Ties are broken at
// random in expectation (see hitProbability), so equal scores never inflate the result.
func Recall(sim Matrix, set *RetrievalSet, ks []int) (Recalls, error) {
	if err := set.Check(sim); err != nil {
		return Recalls{}, err
	}
	if len(ks) == 0 || slices.ContainsFunc(ks, func(k int) bool { return k < 1 }) {
		return Recalls{}, fmt.Errorf("eval: retrieval: K values %v: want at least one, all >= 1", ks)
	}
	r := Recalls{K: slices.Clone(ks), I2T: make([]float64, len(ks)), T2I: make([]float64, len(ks))}
	rankI2T, rankT2I := make([]float64, 0, set.Images), make([]float64, 0, len(set.Owner))
	// Image→text: the correct captions of image i are those whose text the image owns.
	ownTexts := make([][]int, set.Images) // text ids of each image's captions.
	distinct := 0
	for j, i := range set.Owner {
		ownTexts[i] = append(ownTexts[i], set.TextID[j])
		distinct = max(distinct, set.TextID[j]+1)
	}
	own := make([]bool, distinct) // reused: true for the text ids of the current image.
	for i := range set.Images {
		for _, id := range ownTexts[i] {
			own[id] = true
		}
		row := sim.Row(i)
		best := float32(math.Inf(-1))
		for j, v := range row {
			if own[set.TextID[j]] && v > best {
				best = v
			}
		}
		g, e, c := 0, 0, 0
		for j, v := range row {
			switch correct := own[set.TextID[j]]; {
			case v > best:
				g++
			case v == best && correct:
				c++
			case v == best:
				e++
			}
		}
		for q, k := range ks {
			r.I2T[q] += hitProbability(g, e, c, k)
		}
		rankI2T = append(rankI2T, expectedRank(g, e, c))
		for _, id := range ownTexts[i] {
			own[id] = false
		}
	}
	// Text→image: caption j's only correct image is its owner.
	for j, owner := range set.Owner {
		target := sim.Data[owner*sim.Cols+j]
		g, e := 0, 0
		for i := range set.Images {
			switch v := sim.Data[i*sim.Cols+j]; {
			case i == owner:
			case v > target:
				g++
			case v == target:
				e++
			}
		}
		for q, k := range ks {
			r.T2I[q] += hitProbability(g, e, 1, k)
		}
		rankT2I = append(rankT2I, expectedRank(g, e, 1))
	}
	for q := range ks {
		r.I2T[q] /= float64(set.Images)
		r.T2I[q] /= float64(len(set.Owner))
	}
	r.MedianRankI2T, r.MedianRankT2I = median(rankI2T), median(rankT2I)
	return r, nil
}

// expectedRank is the expected 1-based rank of the first correct item when g wrong
// items score higher than the best correct one and e wrong and c correct items tie at
// that score, ties ordered uniformly at random: g + (e+c+1)/(c+1), the expected first
// position of c marked items among e+c shuffled ones. A collapsed model (all scores
// equal, one correct item among n) gets (n+1)/2, the chance level.
func expectedRank(g, e, c int) float64 {
	return float64(g) + float64(e+c+1)/float64(c+1)
}

// median of v (v is reordered); NaN for no values.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Match is one retrieved item with its probability.
type Match struct {
	Index int
	Score float32 // the cosine similarity.
	Prob  float64 // softmax over all candidates of scale·similarity.
}

// TopMatches returns the k best candidates of a row of cosine similarities, best first,
// with their softmax probabilities at the model's logit scale: the chapter's
// generate_example, which prints the top-3 captions of an image and the top-3 images
// of a caption with their probabilities.
func TopMatches(row []float32, k int, scale float64) []Match {
	if len(row) == 0 || k < 1 {
		return nil
	}
	maxV := slices.Max(row)
	var z float64
	for _, v := range row {
		z += math.Exp(scale * float64(v-maxV))
	}
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case row[a] > row[b]:
			return -1
		case row[a] < row[b]:
			return 1
		}
		return 0
	})
	out := make([]Match, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, Match{Index: i, Score: row[i], Prob: math.Exp(scale*float64(row[i]-maxV)) / z})
	}
	return out
}
