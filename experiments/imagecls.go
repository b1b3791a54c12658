package experiments

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// classifierTask is the train.Task of an image classifier trained with cross-entropy:
// the training step runs classify in p's "branches", evaluation reports ClassMetrics on
// the split's images, and report (optional) writes the run's pictures.
func classifierTask(p *Params, d *imageData, batcher *datasets.ImageBatcher, classify Classifier,
	report func(ev *train.Evaluation) error) *train.Task {
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			return []*Node{nn.Branches(scope, p.Int("branches"), in[0], classify)}
		},
		Loss: loss.SparseCategoricalCrossEntropyLogits,
		Data: ImageSource{B: batcher},
		TrainMetrics: []metric.Interface{
			metric.NewMovingAverageSparseCategoricalAccuracy("Moving Average Accuracy", "accuracy", 0.05)},
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			set := d.evalSet(ev.Split)
			logits, err := ClassifierEval(ev, classify, set, d.mean, d.std, 500)
			if err != nil {
				return nil, err
			}
			return ClassMetrics(ev, logits, set.Labels, set.Classes), nil
		},
		Report: report,
	}
}

// ImageSource adapts a datasets.ImageBatcher to train.Source: inputs
// [batch, H, W, C] float32, labels [batch, 1] int32.
type ImageSource struct{ B *datasets.ImageBatcher }

// StepsPerEpoch implements train.Source.
func (s ImageSource) StepsPerEpoch() int { return s.B.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s ImageSource) BatchSize() int { return s.B.BatchSize }

// Batch implements train.Source.
func (s ImageSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	set := s.B.Set
	x := tensors.FromShape(tensorShape(s.B.BatchSize, set.H, set.W, set.C))
	y := tensors.FromShape(labelShape(s.B.BatchSize))
	var err error
	x.MustMutableFlatData(func(fx any) {
		y.MustMutableFlatData(func(fy any) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("batch %d: %v", step, p)
				}
			}()
			s.B.BatchInto(step, fx.([]float32), fy.([]int32))
		})
	})
	return []*tensors.Tensor{x}, []*tensors.Tensor{y}, err
}

// Classifier is a model function for image classification: images -> logits.
type Classifier func(scope *model.Scope, images *Node) *Node

// ClassifierEval runs a classifier over a whole image set in batches and returns the
// logits [N, classes]. Images are normalised with mean/std (nil: pixel/255).
func ClassifierEval(ev *train.Evaluation, fn Classifier, set *datasets.Images, mean, std []float32, batch int) ([]float32, error) {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x *Node) *Node { return fn(scope, x) })
	if err != nil {
		return nil, err
	}
	var logits []float32
	x := make([]float32, batch*set.ImageSize())
	for start := 0; start < set.N; start += batch {
		n := min(batch, set.N-start)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = start + i
		}
		datasets.Normalize(set, idx, mean, std, x[:n*set.ImageSize()])
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x[:n*set.ImageSize()], n, set.H, set.W, set.C))
		if err != nil {
			return nil, err
		}
		logits = append(logits, tensors.MustCopyFlatData[float32](out[0])...)
		out[0].FinalizeAll()
	}
	return logits, nil
}

// ClassMetrics summarises logits [N, k] against labels: accuracy, mean
// cross-entropy ("loss"), top-5 accuracy when k > 5, and, as details, per-class
// accuracy and the confusion matrix (rows: true class, columns: predicted).
func ClassMetrics(ev *train.Evaluation, logits []float32, labels []int32, classes []string) train.Metrics {
	k := len(classes)
	m := classificationMetrics(logits, labels, k)
	confusion := make([][]int, k)
	for i := range confusion {
		confusion[i] = make([]int, k)
	}
	top5 := 0
	for i, l := range labels {
		row := logits[i*k : (i+1)*k]
		pred, higher := argmax(row), 0
		confusion[l][pred]++
		for _, v := range row {
			if v > row[l] {
				higher++
			}
		}
		if higher < 5 {
			top5++
		}
	}
	if k > 5 {
		m["top5_accuracy"] = float64(top5) / float64(len(labels))
	}
	perClass := map[string]float64{}
	for c, name := range classes {
		total := 0
		for _, n := range confusion[c] {
			total += n
		}
		if total > 0 {
			perClass[name] = float64(confusion[c][c]) / float64(total)
		}
	}
	if ev != nil {
		ev.Detail("per_class_accuracy", perClass)
		ev.Detail("confusion_matrix", map[string]any{"classes": classes, "rows_true_cols_predicted": confusion})
	}
	return m
}

func argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// PredictionGrid writes a PNG of the first n images of set with their predicted and
// true classes (red when wrong) to dir/name.
func PredictionGrid(dir, name string, set *datasets.Images, logits []float32, n, cols, scale int) (string, error) {
	k := len(set.Classes)
	cells := make([]viz.Cell, 0, n)
	for i := range min(n, set.N) {
		pred := argmax(logits[i*k : (i+1)*k])
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

// classificationMetrics returns accuracy and mean cross-entropy of logits [n, k]
// against labels [n].
func classificationMetrics(logits []float32, labels []int32, k int) train.Metrics {
	correct, nll := 0, 0.0
	for i, l := range labels {
		row := logits[i*k : (i+1)*k]
		best := argmax(row)
		if best == int(l) {
			correct++
		}
		mx := row[best]
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		nll += math.Log(sum) - float64(row[l]-mx)
	}
	n := float64(len(labels))
	return train.Metrics{"accuracy": float64(correct) / n, "loss": nll / n}
}

func tensorShape(b, h, w, c int) shapes.Shape { return shapes.Make(dtypes.Float32, b, h, w, c) }
func labelShape(b int) shapes.Shape           { return shapes.Make(dtypes.Int32, b, 1) }
