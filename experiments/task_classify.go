package experiments

// The image classifiers' task (ViT, Perceiver on pixels): cross-entropy training,
// evaluation by eval.Classify on the whole split, and the pictures they share.

import (
	"fmt"
	"image/color"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// classifierTask is the train.Task of an image classifier trained with cross-entropy:
// the training step runs classify in p's "branches", evaluation reports the
// classification metrics of the split's images (eval.Classify; the logits stay in
// ev.Result), and report (optional) writes the run's pictures.
func classifierTask(p *Params, d *imageData, batcher *datasets.ImageBatcher, classify Classifier,
	report func(ev *train.Evaluation) error) *train.Task {
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return []*Node{nn.Branches(scope, p.Int("branches"), in[0], classify)}
		},
		Loss: loss.SparseCategoricalCrossEntropyLogits,
		Data: datasets.ImageSource{B: batcher},
		TrainMetrics: []metric.Interface{
			metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "accuracy", 0.05)},
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			set := d.evalSet(ev.Split)
			logits, err := ClassifierEval(ev, classify, set, d.mean, d.std)
			if err != nil {
				return nil, err
			}
			ev.Result = logits
			return classMetrics(ev, logits, set.Labels, set.Classes)
		},
		Report: report,
	}
}

// Classifier is a model function for image classification: images -> logits.
type Classifier func(scope *model.Scope, images *Node) *Node

// evalChunk is the number of examples an evaluation executor takes at once:
// inference only, so larger than training batches.
const evalChunk = 500

// ClassifierEval runs a classifier over a whole image set and returns the logits
// [N, classes]. Images are normalised with mean/std (nil: pixel/255).
func ClassifierEval(ev *train.Evaluation, fn Classifier, set *datasets.Images, mean, std []float32) (eval.Matrix, error) {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) *Node { return fn(scope, x) })
	if err != nil {
		return eval.Matrix{}, err
	}
	out, err := eval.Run(exec, set.N, evalChunk, func(idx []int) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{datasets.ImagesTensor(set, idx, mean, std)}, nil
	})
	if err != nil {
		return eval.Matrix{}, err
	}
	return out[0], nil
}

// classMetrics is eval.Classify's metrics, with its per-class accuracy and confusion
// matrix as details of ev.
func classMetrics(ev *train.Evaluation, logits eval.Matrix, labels []int32, classes []string) (train.Metrics, error) {
	c, err := eval.Classify(logits, labels)
	if err != nil {
		return nil, err
	}
	for k, v := range c.Details(classes) {
		ev.Detail(k, v)
	}
	return c.Metrics(), nil
}

// PredictionGrid writes a PNG of the first n images of set with their predicted and
// true classes (red when wrong) to dir/name; logits [>= n, classes] are set's.
func PredictionGrid(dir, name string, set *datasets.Images, logits eval.Matrix, n, cols, scale int) (string, error) {
	cells := make([]viz.Cell, 0, n)
	for i := range min(n, set.N, logits.Rows) {
		pred := eval.Argmax(logits.Row(i))
		cell := viz.Cell{Img: viz.FromHWC(set.Image(i), set.H, set.W, set.C),
			Caption: fmt.Sprintf("%s (true: %s)", set.Classes[pred], set.Classes[set.Labels[i]])}
		if pred != int(set.Labels[i]) {
			cell.CaptionColor = color.RGBA{R: 200, A: 255}
		}
		cells = append(cells, cell)
	}
	path := filepath.Join(dir, name)
	return path, viz.SavePNG(path, viz.ImageGrid(cells, cols, scale))
}

// predictionReport writes predictions.png: the first n images of the test set with
// the classes the test evaluation's logits (ev.Result) predict.
func predictionReport(ev *train.Evaluation, test *datasets.Images, n int) error {
	logits, ok := ev.Result.(eval.Matrix)
	if !ok {
		return fmt.Errorf("predictions.png: the test evaluation left no logits (%T)", ev.Result)
	}
	path, err := PredictionGrid(ev.Dir, "predictions.png", test, logits, n, 8, 4)
	if err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
