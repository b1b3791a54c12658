package experiments

// The VQA task of perceiver-shapes: one Perceiver over the image's patches and the
// question's tokens (perceiver.Multimodal), answering with a class of
// shapeworld.Answers; evaluation by question type against the blind baseline.

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/perceiver"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// vqaAnswerer is the model in evaluation: images, ids, mask -> the answer logits
// [batch, len(Answers)], then any auxiliary heads whose outputs the evaluation keeps for
// the task's own metrics (vqaResult.heads), all from one forward pass.
type vqaAnswerer func(scope *model.Scope, images, ids, mask *Node) []*Node

// buildPerceiverShapes wires the VQA task on a generated shapes world; the question
// tokenizer, fitted on the training questions, is saved in the run directory.
func buildPerceiverShapes(env *Env) (*train.Task, error) {
	p := env.P
	cfg, err := perceiverConfig(p)
	if err != nil {
		return nil, err
	}
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	var questions []string
	for _, sc := range w.Train.Scenes {
		for _, qa := range sc.QA {
			questions = append(questions, qa.Question)
		}
	}
	tok, err := text.Fit(questions, text.Config{MinFreq: 1, MaxLen: p.Int("max_len")})
	if err != nil {
		return nil, err
	}
	if err := tok.Save(filepath.Join(env.Dir, pairs.TokenizerFile)); err != nil {
		return nil, err
	}
	mm := perceiver.MultimodalConfig{Dim: p.Int("input_dim"), Patch: p.Int("patch"), VocabSize: tok.VocabSize()}
	if mm.Dim <= 0 || mm.Dim%4 != 0 {
		return nil, fmt.Errorf("parameter input_dim=%d: want a positive multiple of 4", mm.Dim)
	}
	if mm.Patch <= 0 || w.Config.Size%mm.Patch != 0 {
		return nil, fmt.Errorf("parameter patch=%d: must divide image_size=%d", mm.Patch, w.Config.Size)
	}
	src := pairs.NewVQASource(w.Train, tok, p.Int("batch_size"), uint64(p.Int("seed")))
	if src.StepsPerEpoch() < 1 {
		return nil, fmt.Errorf("parameter batch_size=%d: more than the %d training images", src.BatchSize(), w.Train.Images.N)
	}
	patches := (w.Config.Size / mm.Patch) * (w.Config.Size / mm.Patch)
	env.Log("VQA: %d questions over %d training images, %d words, %d answers; input array %d patches + %d tokens of width %d",
		len(questions), w.Train.Images.N, tok.VocabSize(), len(shapeworld.Answers), patches, tok.MaxLen(), mm.Dim)
	head := p.String("head")
	answer := func(scope *model.Scope, images, ids, mask *Node) *Node {
		seq, seqMask := perceiver.Multimodal(scope.In("inputs"), mm, images, ids, mask)
		latents, _ := perceiver.Encode(scope, cfg, seq, seqMask)
		return perceiverHead(scope, head, latents, len(shapeworld.Answers))
	}
	blind := pairs.FitBlind(w.Train)
	return &train.Task{
		Model: pairModel(answer, 1),
		Loss:  loss.SparseCategoricalCrossEntropyLogits,
		Data:  src,
		TrainMetrics: []metric.Interface{
			metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "accuracy", 0.05)},
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			return vqaEvaluate(ev, func(scope *model.Scope, images, ids, mask *Node) []*Node {
				return []*Node{answer(scope, images, ids, mask)}
			}, w, p.Int("eval_size"), tok, blind)
		},
		Report: vqaReport,
	}, nil
}

// vqaEvaluate scores answer on the questions of the first evalSize images of the
// validation split (0: all) during training, of the whole test split at the end; it
// leaves a vqaResult for the report.
func vqaEvaluate(ev *train.Evaluation, answer vqaAnswerer, w *shapeworld.World, evalSize int, tok text.Encoder,
	blind *pairs.Blind) (train.Metrics, error) {
	split, n := w.Val, evalSize
	if ev.Split == "test" {
		split, n = w.Test, 0
	}
	items := pairs.VQAItems(split, n)
	out, err := vqaEval(ev, answer, split, tok, items)
	if err != nil {
		return nil, err
	}
	ev.Result = &vqaResult{split: split, items: items, logits: out[0], heads: out[1:]}
	return vqaMetrics(ev, out[0], items, split, blind)
}

// vqaResult is what a VQA evaluation scored: items, their answer logits and the
// answerer's auxiliary heads.
type vqaResult struct {
	split  *shapeworld.Split
	items  []pairs.VQAItem
	logits eval.Matrix   // [len(items), len(Answers)]
	heads  []eval.Matrix // each [len(items), ...], in the answerer's order
}

// vqaEval returns the answerer's outputs on items: the answer logits [len(items),
// len(Answers)], then its auxiliary heads.
func vqaEval(ev *train.Evaluation, answer vqaAnswerer, split *shapeworld.Split, tok text.Encoder, items []pairs.VQAItem) ([]eval.Matrix, error) {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, images, ids, mask *Node) []*Node {
		return answer(scope, images, ids, mask)
	})
	if err != nil {
		return nil, err
	}
	return eval.Run(exec, len(items), evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		in, _ := pairs.VQATensors(split, tok, eval.Pick(items, idx))
		return in, nil
	})
}

// vqaMetrics: accuracy and cross-entropy ("loss"), accuracy per question type
// ("accuracy_<type>"), on images with a held-out colour-shape pair
// ("accuracy_held_out"), and the blind baseline's accuracy, overall and per type
// ("blind_accuracy", "blind_accuracy_<type>").
func vqaMetrics(ev *train.Evaluation, logits eval.Matrix, items []pairs.VQAItem, split *shapeworld.Split, blind *pairs.Blind) (train.Metrics, error) {
	labels := make([]int32, len(items))
	for i, it := range items {
		labels[i] = it.QA.AnswerID
	}
	c, err := eval.Classify(logits, labels)
	if err != nil {
		return nil, err
	}
	m := train.Metrics{"accuracy": c.Accuracy, "loss": c.Loss}
	var right, blindRight, total [shapeworld.NumQAKinds]int
	heldRight, heldTotal, blindAll := 0, 0, 0
	for i, it := range items {
		ok := eval.Argmax(logits.Row(i)) == int(it.QA.AnswerID)
		total[it.QA.Kind]++
		if ok {
			right[it.QA.Kind]++
		}
		if split.Scenes[it.Image].HeldOut {
			heldTotal++
			if ok {
				heldRight++
			}
		}
		if blind.Answer(it.QA) == it.QA.AnswerID {
			blindRight[it.QA.Kind]++
			blindAll++
		}
	}
	perKind, blindKind := map[string]float64{}, map[string]float64{}
	for kind, n := range total {
		if n > 0 {
			name := shapeworld.QAKindNames[kind]
			perKind[name] = float64(right[kind]) / float64(n)
			blindKind[name] = float64(blindRight[kind]) / float64(n)
			m["accuracy_"+name], m["blind_accuracy_"+name] = perKind[name], blindKind[name]
		}
	}
	if heldTotal > 0 {
		m["accuracy_held_out"] = float64(heldRight) / float64(heldTotal)
	}
	m["blind_accuracy"] = float64(blindAll) / float64(len(items))
	if ev != nil {
		ev.Detail("accuracy_per_question_type", perKind)
		ev.Detail("blind_accuracy_per_question_type", blindKind)
		ev.Detail("questions", len(items))
	}
	return m, nil
}

// vqaReport writes vqa.png: test images with a question each (a spread of question
// types), the answer the test evaluation predicted and the true one (red when wrong).
func vqaReport(ev *train.Evaluation) error {
	const n = 12
	r, ok := ev.Result.(*vqaResult)
	if !ok {
		return fmt.Errorf("vqa.png: the test evaluation left no answers (%T)", ev.Result)
	}
	im := r.split.Images
	var cells []viz.Cell
	first := 0 // items are image by image: the first item of image i.
	for i := 0; i < len(r.split.Scenes) && len(cells) < n && first < len(r.items); i++ {
		qas := r.split.Scenes[i].QA
		j := first + (i*5)%len(qas)
		first += len(qas)
		it := r.items[j]
		pred := eval.Argmax(r.logits.Row(j))
		cell := viz.Cell{Img: viz.FromHWC(im.Image(it.Image), im.H, im.W, im.C),
			Caption: fmt.Sprintf("%s\n-> %s (%s)", it.QA.Question, shapeworld.Answers[pred], it.QA.Answer)}
		if pred != int(it.QA.AnswerID) {
			cell.CaptionColor = color.RGBA{R: 200, A: 255}
		}
		cells = append(cells, cell)
	}
	path := filepath.Join(ev.Dir, "vqa.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, 4, int(math.Max(1, 128/float64(im.W))))); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
