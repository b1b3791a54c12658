package experiments

// Evaluation of the captioning task: decode captions for a split, score them.

import (
	"fmt"
	"strconv"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/train"
)

// decodeChunk is the number of images decoded at once: the decoder's unrolled steps
// hold [chunk x beam, MaxLen, width] caches per block.
const decodeChunk = 250

// captionResult is what a captioning evaluation wrote: for the first N images of
// Split, the greedy captions and, on the test split, the beam-search ones.
type captionResult struct {
	Split       *pairs.Split
	N           int
	Greedy      []decodedCaption
	Beam        []decodedCaption // nil outside the test split.
	heldOutPair func(class int) bool
}

// decodedCaption is one decoded caption: its ids ([BOS] to [EOS], no padding) and text.
type decodedCaption struct {
	IDs  []int32
	Text string
}

// captionEval captions the first n images of the evaluation's split (0: all) greedily,
// and on the test split by beam search too, and scores them: bleu_1..4 and cider
// against all the image's reference captions, loss (teacher forcing on the captions
// the model learns), object_recall and heldout_object_recall on the shapes world; the
// test split adds the same scores of beam search as beam_*.
func captionEval(ev *train.Evaluation, cfg caption.Config, cd *captionData, beam caption.Opts, n int) (*captionResult, train.Metrics, error) {
	d := cd.d
	split := d.Split(ev.Split)
	if n <= 0 || n > split.N {
		n = split.N
	}
	r := &captionResult{Split: split, N: n}
	if d.World != nil {
		r.heldOutPair = d.World.IsHeldOut
	}
	var err error
	if r.Greedy, err = decodeCaptions(ev, cfg, split, n, d.Tok.Decode, caption.Opts{}); err != nil {
		return nil, nil, err
	}
	m := train.Metrics{}
	if err := r.score(m, "", r.Greedy); err != nil {
		return nil, nil, err
	}
	if ev.Split == "test" {
		if r.Beam, err = decodeCaptions(ev, cfg, split, n, d.Tok.Decode, beam); err != nil {
			return nil, nil, err
		}
		if err := r.score(m, "beam_", r.Beam); err != nil {
			return nil, nil, err
		}
	}
	refSplit := split
	if split == d.Train {
		refSplit = cd.trainSplit
	} else if d.World != nil {
		refSplit = fullCaptions(split)
	}
	if m["loss"], err = teacherForcingLoss(ev, cfg, refSplit, d, n); err != nil {
		return nil, nil, err
	}
	for i := range min(4, n) {
		ev.Sample(fmt.Sprintf("%q -> %q", refSplit.Captions[i][0], r.Greedy[i].Text))
	}
	ev.Detail("decoding", map[string]any{"greedy": "argmax at every step", "beam": map[string]any{
		"size": beam.BeamSize, "length_penalty": beam.LengthPenalty}, "images": n})
	if ev.Split == "test" {
		examples := make([]map[string]any, 0, 8)
		for i := range min(8, n) {
			examples = append(examples, map[string]any{"image": i, "references": split.Captions[i],
				"greedy": r.Greedy[i].Text, "beam": r.Beam[i].Text})
		}
		ev.Detail("examples", examples)
	}
	return r, m, nil
}

// score adds the caption metrics of caps under prefix.
func (r *captionResult) score(m train.Metrics, prefix string, caps []decodedCaption) error {
	refs := make(map[string][]string, r.N)
	cands := make(map[string]string, r.N)
	for i := range r.N {
		id := strconv.Itoa(i)
		refs[id], cands[id] = r.Split.Captions[i], caps[i].Text
	}
	s, err := eval.CaptionScores(refs, cands)
	if err != nil {
		return err
	}
	m[prefix+"bleu_1"], m[prefix+"bleu_2"], m[prefix+"bleu_3"], m[prefix+"bleu_4"] = s.BLEU1, s.BLEU2, s.BLEU3, s.BLEU4
	m[prefix+"cider"] = s.CIDEr
	if r.Split.Scenes == nil {
		return nil
	}
	var all, held recall
	for i := range r.N {
		a, h := objectRecall(caps[i].Text, r.Split.Scenes[i].Objects, r.heldOutPair)
		all.add(a)
		held.add(h)
	}
	m[prefix+"object_recall"] = all.value()
	if held.total > 0 {
		m[prefix+"heldout_object_recall"] = held.value()
	}
	return nil
}

// recall counts named objects out of total.
type recall struct{ named, total int }

func (r *recall) add(o recall) { r.named, r.total = r.named+o.named, r.total+o.total }

func (r recall) value() float64 {
	if r.total == 0 {
		return 0
	}
	return float64(r.named) / float64(r.total)
}

// objectRecall counts the objects of a scene whose colour and shape the caption names
// ("red star" as consecutive words: eval.NamedPhrases, each mention one object): all
// objects, and those whose colour-shape pair is held out of training (heldOut nil:
// none).
func objectRecall(caption string, objs []shapeworld.Object, heldOut func(class int) bool) (all, held recall) {
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.Name()
	}
	for i, ok := range eval.NamedPhrases(caption, names) {
		named := 0
		if ok {
			named = 1
		}
		all.add(recall{named, 1})
		if heldOut != nil && heldOut(objs[i].Class()) {
			held.add(recall{named, 1})
		}
	}
	return all, held
}

// decodeCaptions writes captions for the first n images of split with opts.
func decodeCaptions(ev *train.Evaluation, cfg caption.Config, split *pairs.Split, n int, decode func([]int32) string,
	opts caption.Opts) ([]decodedCaption, error) {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, images *Node) *Node {
		return caption.Decode(scope, cfg, images, nil, opts).IDs
	})
	if err != nil {
		return nil, err
	}
	out := make([]decodedCaption, n)
	err = eval.Stream(exec, n, decodeChunk, func(idx []int) ([]*tensors.Tensor, error) {
		x, err := split.ImagesTensor(idx)
		return []*tensors.Tensor{x}, err
	}, func(start, count int, res []*tensors.Tensor) error {
		ids, err := tensors.CopyFlatData[int32](res[0])
		if err != nil {
			return err
		}
		width := res[0].Shape().Dim(1)
		for k := range count {
			row := caption.Trim(cfg, ids[k*width:(k+1)*width])
			out[start+k] = decodedCaption{IDs: row, Text: text.Detokenize(decode(row))}
		}
		return nil
	})
	return out, err
}

// teacherForcingLoss is the mean per-token cross-entropy of the first caption of each
// of the first n images of split (a view whose captions are those the model learns),
// as caption.Loss computes it over a batch.
func teacherForcingLoss(ev *train.Evaluation, cfg caption.Config, split *pairs.Split, d *pairs.Data, n int) (float64, error) {
	// Per image: the summed token losses and the token count, so that the padding of
	// the last chunk (eval.Run repeats an example) drops out exactly.
	exec, err := train.EvalExec(ev, func(scope *model.Scope, images, ids *Node) (sum, count *Node) {
		nll, keep := caption.TokenLosses(cfg, caption.Build(scope, cfg, images, ids).Logits, ids) // [batch, len-1]
		return ReduceSum(Mul(nll, keep), -1), ReduceSum(keep, -1)
	})
	if err != nil {
		return 0, err
	}
	texts := make([]string, split.N)
	for i := range texts {
		texts[i] = split.Captions[i][0]
	}
	out, err := eval.Run(exec, n, evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		in, err := split.Tensors(d.Tok, idx, eval.Pick(texts, idx))
		if err != nil {
			return nil, err
		}
		return in[:2], nil
	})
	if err != nil {
		return 0, err
	}
	var sum, count float64
	for i := range n {
		sum += float64(out[0].Data[i])
		count += float64(out[1].Data[i])
	}
	if count == 0 {
		return 0, nil
	}
	return sum / count, nil
}
