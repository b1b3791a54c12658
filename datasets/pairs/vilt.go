package pairs

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// Ignored is the label of an example or position a loss skips.
const Ignored int32 = -1

// MaskWords applies BERT's masked-language-model corruption to one encoding (ids and
// mask MaxLen long, from text.Encoder): each word token (not [BOS], [EOS] or padding)
// is chosen with probability prob; a chosen token becomes [MASK] 80% of the time, a
// random word 10% and stays itself 10%, and its label is its original id. Labels of
// the tokens not chosen are Ignored. At least one word is chosen when there is one, so
// every masked example teaches something. vocab is the tokenizer's size; random words
// are drawn from the non-special ids. only, when not nil, restricts the candidates to
// the ids it accepts (the words an image decides, masked whole); an encoding with none
// of them is left as it is.
func MaskWords(rng *rand.Rand, ids, mask []int32, prob float64, vocab int, only func(id int32) bool) (masked, labels []int32) {
	masked, labels = make([]int32, len(ids)), make([]int32, len(ids))
	copy(masked, ids)
	var words []int
	for i, id := range ids {
		labels[i] = Ignored
		if mask[i] != 0 && id != text.BOSID && id != text.EOSID && id != text.PadID && (only == nil || only(id)) {
			words = append(words, i)
		}
	}
	if len(words) == 0 {
		return masked, labels
	}
	chosen := 0
	for _, i := range words {
		if rng.Float64() < prob {
			corrupt(rng, masked, labels, ids, i, vocab)
			chosen++
		}
	}
	if chosen == 0 {
		corrupt(rng, masked, labels, ids, words[rng.IntN(len(words))], vocab)
	}
	return masked, labels
}

func corrupt(rng *rand.Rand, masked, labels, ids []int32, i, vocab int) {
	labels[i] = ids[i]
	switch r := rng.Float64(); {
	case r < 0.8:
		masked[i] = text.MaskID
	case r < 0.9 && vocab > len(text.Specials):
		masked[i] = int32(len(text.Specials) + rng.IntN(vocab-len(text.Specials)))
	}
}

// ViLTSource yields the batches of ViLT's two stages on a shapes world, one graph for
// both: steps below ViLTOptions.Pretrain are image-text matching plus masked language
// modelling on the captions, the later ones VQA on the questions (with
// ViLTOptions.Mix, some caption rows in every batch).
//
// Inputs: images [B, H, W, 3] (normalised), ids [B, L], mask [B, L] int32. Labels:
// itm [B] (1 the caption is the image's, 0 not, Ignored in VQA), mlm [B, L] (the
// original ids of the masked words of matching captions, else Ignored) and answer [B]
// (an index of shapeworld.Answers, Ignored in pre-training); with ViLTOptions.Words a
// fourth, words [B, VocabSize] float32; with ViLTOptions.Ground the next, ground [B, L]
// int32 (at the k-th noun of a question, the cell of the k-th object it names,
// shapeworld.QA.Cells; Ignored elsewhere); with ViLTOptions.Relations a last one,
// relations [B, shapeworld.NumDirections] float32 (a relation question's Holding as 0
// and 1, -1 in every other row).
//
// In pre-training half the captions are the image's own. The other half are ViLT's
// negatives, another image's caption drawn at random, or, for the share
// ViLTOptions.Swapped of them, the image's own caption with one colour or shape
// changed so that it names an object the image does not hold (SwapAttribute): a random
// caption is told apart by how many objects it names, a swapped one only by looking at
// which colour goes with which shape. Every caption is masked, and the masked words of
// the matching ones are the MLM targets: a mismatched caption cannot be recovered from
// its image, and masking only the matching ones would let ITM read the answer off the
// [MASK] tokens.
type ViLTSource struct {
	split  *shapeworld.Split
	tok    text.Encoder
	epochs datasets.Epochs
	opts   ViLTOptions
	words  [][]int32 // per image, the ids ViLTOptions.Words accepts in its captions.
}

// ViLTOptions are the pre-training choices of a ViLTSource.
type ViLTOptions struct {
	Pretrain int     // steps of ITM + MLM before VQA
	MaskProb float64 // probability that a candidate word is masked
	// Only, when not nil, limits the masked words to the ids it accepts (MaskWords).
	Only func(id int32) bool
	// Swapped is the share of ITM negatives made by SwapAttribute, in [0, 1].
	Swapped float64
	// Forbidden tells the colour-shape classes a swapped caption must not name (the
	// held-out pairs, in training); nil: none.
	Forbidden func(class int) bool
	// Mix is the share of the rows of each batch after Pretrain that stay captions for
	// ITM + MLM beside the questions, in [0, 1): the pre-training goes on, at a lower
	// rate, while VQA is learnt.
	Mix float64
	// Words, when not nil, picks the word ids of the fourth label: the multi-hot bag of
	// the words it accepts among the image's captions, in every step (vilt.WordsLoss).
	Words func(id int32) bool
	// Ground, when not nil, accepts the ids of the noun words (shapeworld.NounWords) and
	// adds the label of vilt.GroundLogits: each noun of a question that names objects
	// is labelled with its object's cell.
	Ground func(id int32) bool
	// Relations adds the label of vilt.RelationLoss: which relations hold between the
	// two objects a relation question names.
	Relations bool
}

// NewViLTSource returns the source of split in batches of batch.
func NewViLTSource(split *shapeworld.Split, tok text.Encoder, batch int, seed uint64, opts ViLTOptions) *ViLTSource {
	s := &ViLTSource{split: split, tok: tok, epochs: datasets.Epochs{Seed: seed, N: split.Images.N, Batch: batch}, opts: opts}
	if opts.Words != nil {
		s.words = make([][]int32, len(split.Scenes))
		for i, sc := range split.Scenes {
			seen := map[int32]bool{}
			for _, c := range sc.Captions {
				ids, mask := tok.Encode(c)
				for k, id := range ids {
					if mask[k] != 0 && opts.Words(id) && !seen[id] {
						seen[id] = true
						s.words[i] = append(s.words[i], id)
					}
				}
			}
		}
	}
	return s
}

// StepsPerEpoch implements train.Source.
func (s *ViLTSource) StepsPerEpoch() int { return s.epochs.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s *ViLTSource) BatchSize() int { return s.epochs.Batch }

// Batch implements train.Source.
func (s *ViLTSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	idx, err := s.epochs.Indices(step)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.split.Name, err)
	}
	rng := datasets.StepRNG(s.epochs.Seed, step)
	B, L := len(idx), s.tok.MaxLen()
	itm, answers := make([]int32, B), make([]int32, B)
	texts := make([]string, B)
	cells := make([][]int, B) // per row, the cells of the objects its question names.
	var relations []float32
	if s.opts.Relations {
		relations = make([]float32, B*shapeworld.NumDirections)
		for k := range relations {
			relations[k] = -1
		}
	}
	for j, i := range idx {
		sc := s.split.Scenes[i]
		itm[j], answers[j] = Ignored, Ignored
		// After pre-training, the share Mix of the rows stays ITM + MLM on captions (no
		// draw when Mix is 0: the batches are those of a run without it).
		if step >= s.opts.Pretrain && (s.opts.Mix == 0 || rng.Float64() >= s.opts.Mix) {
			qa := sc.QA[rng.IntN(len(sc.QA))]
			texts[j], answers[j], cells[j] = qa.Question, qa.AnswerID, qa.Cells
			if relations != nil && qa.Kind == shapeworld.RelationQ {
				for r, h := range qa.Holding {
					relations[j*shapeworld.NumDirections+r] = 0
					if h {
						relations[j*shapeworld.NumDirections+r] = 1
					}
				}
			}
			continue
		}
		texts[j], itm[j] = s.caption(rng, i)
	}
	ids, mask := s.tok.EncodeBatch(texts)
	mlm := make([]int32, B*L)
	for j := range B {
		row := ids[j*L : (j+1)*L]
		if itm[j] == Ignored {
			for k := range L {
				mlm[j*L+k] = Ignored
			}
			continue
		}
		// Every caption is masked alike, so a [MASK] does not tell a matching caption
		// from another image's; only the matching ones are scored for MLM.
		masked, labels := MaskWords(rng, row, mask[j*L:(j+1)*L], s.opts.MaskProb, s.tok.VocabSize(), s.opts.Only)
		copy(row, masked)
		if itm[j] == 0 {
			for k := range labels {
				labels[k] = Ignored
			}
		}
		copy(mlm[j*L:], labels)
	}
	x := datasets.ImagesTensor(s.split.Images, idx, shapeworld.Mean[:], shapeworld.Std[:])
	in := []*tensors.Tensor{x, tensors.FromFlatDataAndDimensions(ids, B, L), tensors.FromFlatDataAndDimensions(mask, B, L)}
	labels := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(itm, B), tensors.FromFlatDataAndDimensions(mlm, B, L),
		tensors.FromFlatDataAndDimensions(answers, B)}
	if s.words != nil {
		V := s.tok.VocabSize()
		bag := make([]float32, B*V)
		for j, i := range idx {
			for _, id := range s.words[i] {
				bag[j*V+int(id)] = 1
			}
		}
		labels = append(labels, tensors.FromFlatDataAndDimensions(bag, B, V))
	}
	if s.opts.Ground != nil {
		labels = append(labels, tensors.FromFlatDataAndDimensions(GroundLabels(ids, cells, L, s.opts.Ground), B, L))
	}
	if relations != nil {
		labels = append(labels, tensors.FromFlatDataAndDimensions(relations, B, shapeworld.NumDirections))
	}
	return in, labels, nil
}

// caption draws the pre-training caption of image i: its own (label 1) or a negative
// (label 0). A swapped negative that cannot be made (no caption of the image names a
// colour-shape pair that can change) falls back to another image's caption.
func (s *ViLTSource) caption(rng *rand.Rand, i int) (string, int32) {
	caps := s.split.Scenes[i].Captions
	if rng.IntN(2) == 0 || s.split.Images.N < 2 {
		return caps[rng.IntN(len(caps))], 1
	}
	if rng.Float64() < s.opts.Swapped {
		for _, k := range rng.Perm(len(caps)) {
			if c, ok := SwapAttribute(rng, caps[k], s.split.Scenes[i], s.opts.Forbidden); ok {
				return c, 0
			}
		}
	}
	other := i
	for other == i {
		other = rng.IntN(s.split.Images.N)
	}
	caps = s.split.Scenes[other].Captions
	return caps[rng.IntN(len(caps))], 0
}

// GroundLabels labels the k-th accepted noun of row j of ids [B*L] with cells[j][k],
// the rest Ignored; a row whose nouns do not pair one to one with its cells (a cut
// question) stays unlabelled.
func GroundLabels(ids []int32, cells [][]int, L int, noun func(id int32) bool) []int32 {
	out := make([]int32, len(ids))
	for i := range out {
		out[i] = Ignored
	}
	for j, cs := range cells {
		if len(cs) == 0 {
			continue
		}
		var at []int
		for k, id := range ids[j*L : (j+1)*L] {
			if noun(id) {
				at = append(at, j*L+k)
			}
		}
		if len(at) != len(cs) {
			continue
		}
		for k, i := range at {
			out[i] = int32(cs[k])
		}
	}
	return out
}
