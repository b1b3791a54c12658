package experiments

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// matchKind is what an image-caption matching example is.
type matchKind int

// The kinds of matching examples: half positives, a quarter captions of other images
// (easy negatives), a quarter true captions with one colour or shape word swapped so
// that they name an object the image does not have (hard negatives: only a model that
// binds each colour to its shape tells them apart).
const (
	matchPositive matchKind = iota
	matchOther
	matchSwapped
	numMatchKinds
)

var matchKindNames = [numMatchKinds]string{"positive", "other_caption", "swapped_word"}

// matchExample is one (image, caption, label) example.
type matchExample struct {
	Image   int
	Caption string
	Kind    matchKind
}

// Label is 1 for a matching caption, 0 otherwise.
func (e matchExample) Label() float32 {
	if e.Kind == matchPositive {
		return 1
	}
	return 0
}

var (
	colourWords = wordIndex(shapeworld.ColourNames[:])
	shapeWords  = wordIndex(shapeworld.ShapeNames[:])
)

func wordIndex(words []string) map[string]int {
	m := make(map[string]int, len(words))
	for i, w := range words {
		m[w] = i
	}
	return m
}

// swapAttribute replaces the colour or the shape of one "colour shape" pair of caption
// so that the pair it names is none of the scene's objects and not forbidden (held-out
// pairs, in training). It reports false when the caption has no such pair.
func swapAttribute(rng *rand.Rand, caption string, sc shapeworld.Scene, forbidden func(class int) bool) (string, bool) {
	words := strings.Split(caption, " ")
	bare := make([]string, len(words))
	for i, w := range words {
		bare[i] = strings.TrimRight(w, ",:.")
	}
	var pairs []int // index of the colour word of each pair.
	for i := 0; i+1 < len(bare); i++ {
		_, c := colourWords[bare[i]]
		_, s := shapeWords[bare[i+1]]
		if c && s {
			pairs = append(pairs, i)
		}
	}
	present := map[int]bool{}
	for _, o := range sc.Objects {
		present[o.Class()] = true
	}
	rng.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
	for _, i := range pairs {
		c, s := colourWords[bare[i]], shapeWords[bare[i+1]]
		type option struct{ colour, shape int }
		var opts []option
		if rng.IntN(2) == 0 { // swap the colour or the shape, with equal chance, when both can be.
			for k := range shapeworld.NumColours {
				opts = append(opts, option{k, s})
			}
		} else {
			for k := range shapeworld.NumShapes {
				opts = append(opts, option{c, k})
			}
		}
		rng.Shuffle(len(opts), func(a, b int) { opts[a], opts[b] = opts[b], opts[a] })
		for _, o := range opts {
			class := shapeworld.Class(shapeworld.Colour(o.colour), shapeworld.Shape(o.shape))
			if present[class] || (forbidden != nil && forbidden(class)) {
				continue
			}
			out := append([]string(nil), words...)
			out[i] = shapeworld.ColourNames[o.colour] + words[i][len(bare[i]):]
			out[i+1] = shapeworld.ShapeNames[o.shape] + words[i+1][len(bare[i+1]):]
			return strings.Join(out, " "), true
		}
	}
	return "", false
}

// makeMatchExample draws an example of kind for image i of sp. A negative that cannot
// be made (an image whose captions have no colour-shape pair, a split of one image)
// falls back to the other kind of negative, then to an error.
func makeMatchExample(rng *rand.Rand, sp *PairSplit, i int, kind matchKind, forbidden func(class int) bool) (matchExample, error) {
	caps := sp.Captions[i]
	switch kind {
	case matchPositive:
		return matchExample{i, caps[rng.IntN(len(caps))], kind}, nil
	case matchSwapped:
		for _, k := range rng.Perm(len(caps)) {
			if c, ok := swapAttribute(rng, caps[k], sp.Scenes[i], forbidden); ok {
				return matchExample{i, c, kind}, nil
			}
		}
	}
	own := map[string]bool{}
	for _, c := range caps {
		own[c] = true
	}
	for range 20 {
		j := rng.IntN(sp.N)
		c := sp.Captions[j][rng.IntN(len(sp.Captions[j]))]
		if j != i && !own[c] {
			return matchExample{i, c, matchOther}, nil
		}
	}
	return matchExample{}, fmt.Errorf("%s split: no negative caption found for image %d", sp.Name, i)
}

// matchEvalSet is the fixed evaluation set of a split: four examples per image (two
// positives with different captions, one caption of another image, one swapped word),
// each drawn from a generator seeded by the image index.
func matchEvalSet(sp *PairSplit, n int, seed uint64) ([]matchExample, error) {
	var out []matchExample
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		caps := sp.Captions[i]
		k := rng.IntN(len(caps))
		out = append(out, matchExample{i, caps[k], matchPositive}, matchExample{i, caps[(k+len(caps)/2)%len(caps)], matchPositive})
		for _, kind := range []matchKind{matchOther, matchSwapped} {
			e, err := makeMatchExample(rng, sp, i, kind, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// matchSource yields training batches for caption-image matching: inputs images
// [B, H, W, C] float32, ids and mask [B, L] int32; labels [B, 1] float32 (1 = match).
// Images follow a seeded per-epoch order; each example's kind is drawn with
// probabilities 1/2 positive, 1/4 other caption, 1/4 swapped word.
type matchSource struct {
	split     *PairSplit
	tok       *text.Tokenizer
	batch     int
	seed      uint64
	forbidden func(class int) bool // classes no training caption may name.
}

// StepsPerEpoch implements train.Source.
func (s *matchSource) StepsPerEpoch() int { return s.split.N / s.batch }

// BatchSize implements train.Source.
func (s *matchSource) BatchSize() int { return s.batch }

// Batch implements train.Source.
func (s *matchSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	per := s.StepsPerEpoch()
	if per < 1 {
		return nil, nil, fmt.Errorf("%s: %d images, fewer than one batch of %d", s.split.Name, s.split.N, s.batch)
	}
	order := datasets.EpochOrder(s.seed, step/per, s.split.N)
	rng := datasets.StepRNG(s.seed, step)
	ex := make([]matchExample, s.batch)
	for b, i := range order[(step%per)*s.batch : (step%per+1)*s.batch] {
		kind := matchPositive
		if r := rng.IntN(4); r >= 2 {
			kind = matchKind(r - 1) // 2 -> other caption, 3 -> swapped word.
		}
		var err error
		if ex[b], err = makeMatchExample(rng, s.split, i, kind, s.forbidden); err != nil {
			return nil, nil, err
		}
	}
	in, err := matchTensors(s.split, s.tok, ex)
	if err != nil {
		return nil, nil, err
	}
	labels := make([]float32, len(ex))
	for b, e := range ex {
		labels[b] = e.Label()
	}
	return in, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, len(ex), 1)}, nil
}

// matchTensors builds the model inputs (images, ids, mask) of examples.
func matchTensors(sp *PairSplit, tok *text.Tokenizer, ex []matchExample) ([]*tensors.Tensor, error) {
	idx := make([]int, len(ex))
	texts := make([]string, len(ex))
	for b, e := range ex {
		idx[b], texts[b] = e.Image, e.Caption
	}
	return PairTensors(sp, tok, idx, texts)
}
