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
// are drawn from the non-special ids.
func MaskWords(rng *rand.Rand, ids, mask []int32, prob float64, vocab int) (masked, labels []int32) {
	masked, labels = make([]int32, len(ids)), make([]int32, len(ids))
	copy(masked, ids)
	var words []int
	for i, id := range ids {
		labels[i] = Ignored
		if mask[i] != 0 && id != text.BOSID && id != text.EOSID && id != text.PadID {
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
// both: steps below Pretrain are image-text matching plus masked language modelling on
// the captions, the later ones VQA on the questions.
//
// Inputs: images [B, H, W, 3] (normalised), ids [B, L], mask [B, L] int32. Labels:
// itm [B] (1 the caption is the image's, 0 another image's, Ignored in VQA), mlm [B, L]
// (the original ids of the masked words of matching captions, else Ignored) and answer
// [B] (an index of shapeworld.Answers, Ignored in pre-training).
//
// In pre-training half the captions are the image's own, half a caption of another
// image drawn at random (ViLT's ITM negatives). Every caption is masked, and the masked
// words of the matching ones are the MLM targets: a mismatched caption cannot be
// recovered from its image, and masking only the matching ones would let ITM read
// the answer off the [MASK] tokens.
type ViLTSource struct {
	split    *shapeworld.Split
	tok      text.Encoder
	epochs   datasets.Epochs
	pretrain int
	maskProb float64
}

// NewViLTSource returns the source of split in batches of batch, pre-training for the
// first pretrain steps with words masked with probability maskProb.
func NewViLTSource(split *shapeworld.Split, tok text.Encoder, batch int, seed uint64, pretrain int, maskProb float64) *ViLTSource {
	return &ViLTSource{split: split, tok: tok, epochs: datasets.Epochs{Seed: seed, N: split.Images.N, Batch: batch},
		pretrain: pretrain, maskProb: maskProb}
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
	for j, i := range idx {
		sc := s.split.Scenes[i]
		itm[j], answers[j] = Ignored, Ignored
		if step >= s.pretrain {
			qa := sc.QA[rng.IntN(len(sc.QA))]
			texts[j], answers[j] = qa.Question, qa.AnswerID
			continue
		}
		other := i
		if rng.IntN(2) == 0 && s.split.Images.N > 1 {
			for other == i {
				other = rng.IntN(s.split.Images.N)
			}
		}
		caps := s.split.Scenes[other].Captions
		texts[j] = caps[rng.IntN(len(caps))]
		itm[j] = 0
		if other == i {
			itm[j] = 1
		}
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
		masked, labels := MaskWords(rng, row, mask[j*L:(j+1)*L], s.maskProb, s.tok.VocabSize())
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
	return in, labels, nil
}
