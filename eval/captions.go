package eval

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// CaptionScore holds the corpus-level caption metrics of pycocoevalcap's COCOEvalCap:
// BLEU-1..4 (Bleu(4)) and CIDEr-D (Cider).
type CaptionScore struct {
	BLEU1 float64 `json:"bleu_1"`
	BLEU2 float64 `json:"bleu_2"`
	BLEU3 float64 `json:"bleu_3"`
	BLEU4 float64 `json:"bleu_4"`
	CIDEr float64 `json:"cider"`
}

// CaptionScores tokenises every caption with CaptionTokens, as COCOEvalCap runs its
// PTBTokenizer over both sides, and scores the candidates against the references:
// BLEU-1..4 as BLEU and CIDEr-D as CIDErD. refs maps an id (an image) to its reference
// captions, cands an id to its one candidate; the corpus is the ids of cands (as
// COCOEvalCap scores the images of the results file): every one needs references,
// references of other ids are ignored.
func CaptionScores(refs map[string][]string, cands map[string]string) (CaptionScore, error) {
	c, err := newCaptionCorpus(refs, cands, CaptionTokens)
	if err != nil {
		return CaptionScore{}, err
	}
	b := c.bleu()
	return CaptionScore{BLEU1: b[0], BLEU2: b[1], BLEU3: b[2], BLEU4: b[3], CIDEr: c.ciderD()}, nil
}

// captionMaxN is the longest n-gram BLEU-4 and CIDEr-D count.
const captionMaxN = 4

// captionCorpus is a scored corpus with its n-grams interned: one entry per id, in
// sorted id order.
type captionCorpus struct {
	cands []captionSentence   // cands[i]: candidate of image i
	refs  [][]captionSentence // refs[i][j]: reference j of image i
	gramN []uint8             // gramN[g]: the n of n-gram id g
}

// captionSentence is one caption's n-gram counts (n = 1..4) over the corpus' n-gram
// ids, in the order pycocoevalcap's precook first meets them (n = 1 first, then left
// to right), so that floating-point sums run in the reference's order.
type captionSentence struct {
	words  int     // number of words
	grams  []int32 // distinct n-gram ids
	counts []int32 // counts[k]: occurrences of grams[k]
}

// newCaptionCorpus checks the ids and splits every caption into words with split.
func newCaptionCorpus(refs map[string][]string, cands map[string]string, split func(string) []string) (*captionCorpus, error) {
	if len(cands) == 0 {
		return nil, fmt.Errorf("eval: no candidate captions to score")
	}
	ids := make([]string, 0, len(cands))
	var missing, empty []string
	for id := range cands {
		ids = append(ids, id)
		switch r, ok := refs[id]; {
		case !ok:
			missing = append(missing, id)
		case len(r) == 0:
			empty = append(empty, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("eval: %s with no references: %s", countCaptionIDs(len(missing)), quoteCaptionIDs(missing, 5))
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("eval: %s with an empty reference list: %s", countCaptionIDs(len(empty)), quoteCaptionIDs(empty, 5))
	}
	sort.Strings(ids)
	in := &captionInterner{vocab: map[string]int32{}, grams: map[uint64]int32{}}
	c := &captionCorpus{cands: make([]captionSentence, len(ids)), refs: make([][]captionSentence, len(ids))}
	for i, id := range ids {
		c.cands[i] = in.sentence(split(cands[id]))
		c.refs[i] = make([]captionSentence, len(refs[id]))
		for j, r := range refs[id] {
			c.refs[i][j] = in.sentence(split(r))
		}
	}
	c.gramN = in.gramN
	return c, nil
}

// captionNgramCount is the number of n-grams (n = 1..4, repeats counted) of a
// sentence of the given number of words.
func captionNgramCount(words int) int {
	total := 0
	for n := 1; n <= captionMaxN; n++ {
		total += max(0, words-n+1)
	}
	return total
}

// captionInterner numbers words and n-grams. An n-gram is numbered through its
// (n-1)-gram prefix and last word, so one map with 8-byte keys holds all orders.
type captionInterner struct {
	vocab map[string]int32 // word -> word id
	grams map[uint64]int32 // prefix n-gram id (-1 for none) << 32 | word id -> n-gram id
	gramN []uint8
	pos   []int32 // pos[g]: 1 + the index of n-gram g in the sentence being counted, else 0
	words []int32 // scratch: the word ids of the sentence
	ids   []int32 // scratch: the n-gram ids starting at each word
}

// sentence counts the n-grams of words.
func (in *captionInterner) sentence(words []string) captionSentence {
	s := captionSentence{words: len(words)}
	in.words = in.words[:0]
	for _, w := range words {
		id, ok := in.vocab[w]
		if !ok {
			id = int32(len(in.vocab))
			in.vocab[w] = id
		}
		in.words = append(in.words, id)
	}
	in.ids = slices.Grow(in.ids[:0], len(words))[:len(words)]
	total := captionNgramCount(len(words)) // a bound on the distinct n-grams
	s.grams, s.counts = make([]int32, 0, total), make([]int32, 0, total)
	for n := 1; n <= captionMaxN; n++ {
		for i := 0; i+n <= len(words); i++ {
			// in.ids[i] holds the (n-1)-gram starting at word i; it becomes the n-gram.
			prefix := int32(-1)
			if n > 1 {
				prefix = in.ids[i]
			}
			key := uint64(uint32(prefix))<<32 | uint64(uint32(in.words[i+n-1]))
			g, ok := in.grams[key]
			if !ok {
				g = int32(len(in.gramN))
				in.grams[key] = g
				in.gramN = append(in.gramN, uint8(n))
				in.pos = append(in.pos, 0)
			}
			in.ids[i] = g
			if p := in.pos[g]; p > 0 {
				s.counts[p-1]++
				continue
			}
			s.grams = append(s.grams, g)
			s.counts = append(s.counts, 1)
			in.pos[g] = int32(len(s.grams))
		}
	}
	for _, g := range s.grams {
		in.pos[g] = 0
	}
	return s
}

func countCaptionIDs(n int) string {
	if n == 1 {
		return "1 candidate id"
	}
	return fmt.Sprintf("%d candidate ids", n)
}

// quoteCaptionIDs lists ids for an error message: sorted, quoted, at most limit of them
// and then how many more.
func quoteCaptionIDs(ids []string, limit int) string {
	s := append([]string(nil), ids...)
	sort.Strings(s)
	var b strings.Builder
	for i, id := range s {
		if i == limit {
			fmt.Fprintf(&b, " and %d more", len(s)-limit)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", id)
	}
	return b.String()
}
