package weights

import (
	"fmt"
	"image"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/eval"
)

// Runner runs a model's graphs on a backend over many inputs, Batch at a time; the last
// batch is padded so that one compiled graph serves every batch. cmd/infer and the
// notebooks use it.
type Runner struct {
	M       *Model
	Backend compute.Backend
	Batch   int
	// Progress, when set, is called after each batch with the inputs done so far.
	Progress func(done, total int)
}

// NewRunner returns a Runner of m on backend, batch inputs at a time.
func (m *Model) NewRunner(backend compute.Backend, batch int) *Runner {
	return &Runner{M: m, Backend: backend, Batch: max(batch, 1)}
}

// ImageGraph is a graph over a batch of images [batch, H, W, C] with one output
// [batch, ...].
type ImageGraph func(scope *model.Scope, images *Node) *Node

// ForImages runs fn over n images, which load(i) provides, and calls emit with each
// image's output row, in order. The batches are eval.Stream's: every one Batch images
// (at most n), the last filled up by repeating its last image. A load error stops the
// run with that error.
func (r *Runner) ForImages(n int, load func(i int) (image.Image, error), fn ImageGraph,
	emit func(i int, row []float32) error) error {
	if n == 0 {
		return nil
	}
	exec, err := model.NewExec(r.Backend, r.M.Store, func(scope *model.Scope, images *Node) *Node { return fn(scope, images) })
	if err != nil {
		return err
	}
	defer exec.Finalize()
	inputs := r.imageBatches(load)
	return eval.Stream(exec, n, r.Batch, inputs, func(start, count int, outs []*tensors.Tensor) error {
		flat, err := tensors.CopyFlatData[float32](outs[0])
		if err != nil {
			return err
		}
		width := len(flat) / outs[0].Shape().Dim(0)
		for k := range count {
			if err := emit(start+k, flat[k*width:(k+1)*width]); err != nil {
				return err
			}
		}
		if r.Progress != nil {
			r.Progress(start+count, n)
		}
		return nil
	})
}

// imageBatches gives eval.Stream the batches of images that load provides: each a
// [len(idx), side, side, channels] float32 tensor of the model's inputs, padding
// (eval.Stream's repeated last index) copied from the image before it.
func (r *Runner) imageBatches(load func(i int) (image.Image, error)) eval.Inputs {
	side, channels := r.M.ImageShape()
	per := side * side * channels
	return func(idx []int) ([]*tensors.Tensor, error) {
		x := tensors.FromShape(shapes.Make(dtypes.Float32, len(idx), side, side, channels))
		var inputErr error
		x.MustMutableFlatData(func(flat any) {
			data := flat.([]float32)
			for k, i := range idx {
				if k > 0 && i == idx[k-1] { // padding: the previous image again.
					copy(data[k*per:(k+1)*per], data[(k-1)*per:k*per])
					continue
				}
				img, err := load(i)
				if err != nil {
					inputErr = err
					return
				}
				pix, err := r.M.ImageInput(img)
				if err != nil {
					inputErr = fmt.Errorf("image %d: %w", i, err)
					return
				}
				copy(data[k*per:], pix)
			}
		})
		return []*tensors.Tensor{x}, inputErr
	}
}

// collect runs fn over images and returns every output row.
func (r *Runner) collect(images []image.Image, fn ImageGraph) ([][]float32, error) {
	rows := make([][]float32, len(images))
	err := r.ForImages(len(images), func(i int) (image.Image, error) { return images[i], nil }, fn,
		func(i int, row []float32) error { rows[i] = append([]float32(nil), row...); return nil })
	return rows, err
}

// Logits returns a ViT classifier's logits for each image: [len(images)][classes].
func (r *Runner) Logits(images []image.Image) ([][]float32, error) {
	if err := r.M.CheckClassifier(); err != nil {
		return nil, err
	}
	return r.collect(images, func(scope *model.Scope, x *Node) *Node {
		logits, _ := r.M.Logits(scope, x) // a classifier: checked above.
		return logits
	})
}

// ImageEmbeddings returns the L2-normalised embedding of each image.
func (r *Runner) ImageEmbeddings(images []image.Image) ([][]float32, error) {
	if err := r.M.CheckImageEmbeddings(); err != nil {
		return nil, err
	}
	return r.collect(images, r.M.ImageEmbeddings)
}

// TextEmbeddings returns a CLIP's L2-normalised embedding of each text.
func (r *Runner) TextEmbeddings(texts []string) ([][]float32, error) {
	tok, err := r.M.Encoder()
	if err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return nil, nil
	}
	ids, mask := tok.EncodeBatch(texts)
	length := len(ids) / len(texts)
	exec, err := model.NewExec(r.Backend, r.M.Store, func(scope *model.Scope, ids, mask *Node) *Node {
		e, _ := r.M.TextEmbeddings(scope, ids, mask) // a CLIP: Encoder succeeded.
		return e
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, len(texts), length),
		tensors.FromFlatDataAndDimensions(mask, len(texts), length))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](out[0])
	dim := len(flat) / len(texts)
	rows := make([][]float32, len(texts))
	for i := range rows {
		rows[i] = flat[i*dim : (i+1)*dim]
	}
	return rows, nil
}

// ZeroShotLogits is CLIP's zero-shot score of an image embedding against label
// embeddings: the logit scale times each cosine similarity (both are unit vectors).
func ZeroShotLogits(scale float64, image []float32, labels [][]float32) []float64 {
	logits := make([]float64, len(labels))
	for j, t := range labels {
		var dot float64
		for k := range image {
			dot += float64(image[k]) * float64(t[k])
		}
		logits[j] = scale * dot
	}
	return logits
}

// Probabilities returns the softmax of logits, in float64.
func Probabilities(logits []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, v)
	}
	out := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
