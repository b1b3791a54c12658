package pairs

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// Image-caption matching, the task of the fusion experiments: does this caption
// describe this image? Examples are half positives, a quarter captions of other images
// and a quarter true captions with one colour or shape word swapped.

// MatchKind is what an image-caption matching example is.
type MatchKind int

// The kinds of matching examples: half positives, a quarter captions of other images
// (easy negatives), a quarter true captions with one colour or shape word swapped so
// that they name an object the image does not have (hard negatives: only a model that
// binds each colour to its shape tells them apart).
const (
	MatchPositive MatchKind = iota
	MatchOther
	MatchSwapped
	NumMatchKinds
)

// MatchKindNames name the kinds in metrics ("accuracy_swapped_word").
var MatchKindNames = [NumMatchKinds]string{"positive", "other_caption", "swapped_word"}

// MatchExample is one (image, caption, label) example.
type MatchExample struct {
	Image   int
	Caption string
	Kind    MatchKind
}

// Label is 1 for a matching caption, 0 otherwise.
func (e MatchExample) Label() float32 {
	if e.Kind == MatchPositive {
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

// SwapAttribute replaces the colour or the shape of one "colour shape" pair of caption
// so that the pair it names is none of the scene's objects and not forbidden (held-out
// pairs, in training). It reports false when the caption has no such pair.
func SwapAttribute(rng *rand.Rand, caption string, sc shapeworld.Scene, forbidden func(class int) bool) (string, bool) {
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

// makeMatch draws an example of kind for image i of sp. A negative that cannot
// be made (an image whose captions have no colour-shape pair, a split of one image)
// falls back to the other kind of negative, then to an error.
func makeMatch(rng *rand.Rand, sp *Split, i int, kind MatchKind, forbidden func(class int) bool) (MatchExample, error) {
	caps := sp.Captions[i]
	switch kind {
	case MatchPositive:
		return MatchExample{i, caps[rng.IntN(len(caps))], kind}, nil
	case MatchSwapped:
		for _, k := range rng.Perm(len(caps)) {
			if c, ok := SwapAttribute(rng, caps[k], sp.Scenes[i], forbidden); ok {
				return MatchExample{i, c, kind}, nil
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
			return MatchExample{i, c, MatchOther}, nil
		}
	}
	return MatchExample{}, fmt.Errorf("%s split: no negative caption found for image %d", sp.Name, i)
}

// MatchEvalSet is the fixed evaluation set of a split: four examples per image (two
// positives with different captions, one caption of another image, one swapped word),
// each drawn from a generator seeded by the image index.
func MatchEvalSet(sp *Split, n int, seed uint64) ([]MatchExample, error) {
	var out []MatchExample
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		caps := sp.Captions[i]
		k := rng.IntN(len(caps))
		out = append(out, MatchExample{i, caps[k], MatchPositive}, MatchExample{i, caps[(k+len(caps)/2)%len(caps)], MatchPositive})
		for _, kind := range []MatchKind{MatchOther, MatchSwapped} {
			e, err := makeMatch(rng, sp, i, kind, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// MatchSource yields training batches for caption-image matching: inputs images
// [B, H, W, C] float32, ids and mask [B, L] int32; labels [B, 1] float32 (1 = match).
// Images follow datasets.Epochs; each example's kind is drawn with probabilities 1/2
// positive, 1/4 other caption, 1/4 swapped word.
type MatchSource struct {
	split     *Split
	tok       text.Encoder
	forbidden func(class int) bool // classes no training caption may name.
	epochs    datasets.Epochs
}

// NewMatchSource returns the matching source of split in batches of batch; no swapped
// caption names a class forbidden reports (nil: none).
func NewMatchSource(split *Split, tok text.Encoder, batch int, seed uint64, forbidden func(class int) bool) *MatchSource {
	return &MatchSource{split: split, tok: tok, forbidden: forbidden, epochs: datasets.Epochs{Seed: seed, N: split.N, Batch: batch}}
}

// StepsPerEpoch implements train.Source.
func (s *MatchSource) StepsPerEpoch() int { return s.epochs.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s *MatchSource) BatchSize() int { return s.epochs.Batch }

// Batch implements train.Source.
func (s *MatchSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	idx, err := s.epochs.Indices(step)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.split.Name, err)
	}
	rng := datasets.StepRNG(s.epochs.Seed, step)
	ex := make([]MatchExample, len(idx))
	for b, i := range idx {
		kind := MatchPositive
		if r := rng.IntN(4); r >= 2 {
			kind = MatchKind(r - 1) // 2 -> other caption, 3 -> swapped word.
		}
		if ex[b], err = makeMatch(rng, s.split, i, kind, s.forbidden); err != nil {
			return nil, nil, err
		}
	}
	in, err := MatchTensors(s.split, s.tok, ex)
	if err != nil {
		return nil, nil, err
	}
	labels := make([]float32, len(ex))
	for b, e := range ex {
		labels[b] = e.Label()
	}
	return in, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, len(ex), 1)}, nil
}

// MatchTensors builds the model inputs (images, ids, mask) of examples.
func MatchTensors(sp *Split, tok text.Encoder, ex []MatchExample) ([]*tensors.Tensor, error) {
	idx := make([]int, len(ex))
	texts := make([]string, len(ex))
	for b, e := range ex {
		idx[b], texts[b] = e.Image, e.Caption
	}
	return sp.Tensors(tok, idx, texts)
}
