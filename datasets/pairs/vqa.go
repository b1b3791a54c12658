package pairs

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// VQAItem is one question about one image of a shapes-world split.
type VQAItem struct {
	Image int
	QA    shapeworld.QA
}

// VQAItems lists every question of the first n images of a split (n <= 0: all),
// image by image.
func VQAItems(split *shapeworld.Split, n int) []VQAItem {
	if n <= 0 || n > len(split.Scenes) {
		n = len(split.Scenes)
	}
	var items []VQAItem
	for i := range n {
		for _, qa := range split.Scenes[i].QA {
			items = append(items, VQAItem{Image: i, QA: qa})
		}
	}
	return items
}

// VQATensors encodes items: inputs images [n, H, W, 3] (normalised with
// shapeworld.Mean and Std), question ids and mask [n, L]; labels [n, 1] int32 (an
// index of shapeworld.Answers).
func VQATensors(split *shapeworld.Split, tok text.Encoder, items []VQAItem) (inputs []*tensors.Tensor, labels *tensors.Tensor) {
	idx := make([]int, len(items))
	questions := make([]string, len(items))
	answers := make([]int32, len(items))
	for j, it := range items {
		idx[j], questions[j], answers[j] = it.Image, it.QA.Question, it.QA.AnswerID
	}
	x := datasets.ImagesTensor(split.Images, idx, shapeworld.Mean[:], shapeworld.Std[:])
	return append([]*tensors.Tensor{x}, TokenTensors(tok, questions)...), tensors.FromFlatDataAndDimensions(answers, len(items), 1)
}

// VQASource yields training batches of (image, question) -> answer, as VQATensors.
// Images follow datasets.Epochs; each step picks one of an image's questions at random.
type VQASource struct {
	split  *shapeworld.Split
	tok    text.Encoder
	epochs datasets.Epochs
}

// NewVQASource returns the VQA source of split in batches of batch.
func NewVQASource(split *shapeworld.Split, tok text.Encoder, batch int, seed uint64) *VQASource {
	return &VQASource{split: split, tok: tok, epochs: datasets.Epochs{Seed: seed, N: split.Images.N, Batch: batch}}
}

// StepsPerEpoch implements train.Source.
func (s *VQASource) StepsPerEpoch() int { return s.epochs.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s *VQASource) BatchSize() int { return s.epochs.Batch }

// Batch implements train.Source.
func (s *VQASource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	idx, err := s.epochs.Indices(step)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.split.Name, err)
	}
	rng := datasets.StepRNG(s.epochs.Seed, step)
	items := make([]VQAItem, len(idx))
	for j, i := range idx {
		qas := s.split.Scenes[i].QA
		items[j] = VQAItem{Image: i, QA: qas[rng.IntN(len(qas))]}
	}
	in, labels := VQATensors(s.split, s.tok, items)
	return in, []*tensors.Tensor{labels}, nil
}

// Blind is the blind baseline of VQA: for each training question its most frequent
// answer (ties to the lower answer id); an unseen question gets the most frequent
// answer of its type. What it scores is what the questions alone tell.
type Blind struct {
	byQuestion map[string]int32
	byKind     [shapeworld.NumQAKinds]int32
}

// FitBlind counts the answers of a training split.
func FitBlind(split *shapeworld.Split) *Blind {
	qCounts := map[string][]int{}
	var kCounts [shapeworld.NumQAKinds][]int
	for k := range kCounts {
		kCounts[k] = make([]int, len(shapeworld.Answers))
	}
	for _, sc := range split.Scenes {
		for _, qa := range sc.QA {
			c, ok := qCounts[qa.Question]
			if !ok {
				c = make([]int, len(shapeworld.Answers))
				qCounts[qa.Question] = c
			}
			c[qa.AnswerID]++
			kCounts[qa.Kind][qa.AnswerID]++
		}
	}
	b := &Blind{byQuestion: map[string]int32{}}
	for q, c := range qCounts {
		b.byQuestion[q] = int32(slices.Index(c, slices.Max(c)))
	}
	for k, c := range kCounts {
		b.byKind[k] = int32(slices.Index(c, slices.Max(c)))
	}
	return b
}

// Answer is the blind answer to qa (an index of shapeworld.Answers).
func (b *Blind) Answer(qa shapeworld.QA) int32 {
	if a, ok := b.byQuestion[qa.Question]; ok {
		return a
	}
	return b.byKind[qa.Kind]
}
