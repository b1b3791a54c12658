package eval

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Inputs builds an executor's inputs for the examples idx of a set (a batch of
// images, token ids and masks, noise, ...), each with len(idx) as its leading axis.
type Inputs func(idx []int) ([]*tensors.Tensor, error)

// Run runs exec over the n examples of a set in chunks and returns each of its
// outputs over the whole set, in example order: an output [chunk, d1, d2, ...] becomes
// a Matrix of n rows of d1·d2·... values; an output of rank 0 (a value that does not
// depend on the examples, such as CLIP's logit scale) a 1x1 Matrix, from the last
// chunk. Outputs must be float32.
//
// The padding policy, the same for every evaluation: every chunk holds min(chunk, n)
// examples, so one compiled graph serves the whole set (a graph is compiled per input
// shape); the last chunk is filled up by repeating its last example, and the rows of
// the repeats are dropped. The executor must therefore treat examples independently
// (no in-batch contrastive loss: that one needs its batches as they are).
func Run(exec *model.Exec, n, chunk int, inputs Inputs) ([]Matrix, error) {
	var out []Matrix
	err := Stream(exec, n, chunk, inputs, func(start, count int, res []*tensors.Tensor) error {
		if out == nil {
			out = make([]Matrix, len(res))
		}
		return appendRows(out, res, min(chunk, n), count)
	})
	return out, err
}

// Stream is Run without collecting: it calls emit with each chunk's outputs (whose
// first count rows are examples start..start+count-1, the rest padding), for callers
// that handle results as they come (cmd/infer prints them). The outputs are freed when
// emit returns.
func Stream(exec *model.Exec, n, chunk int, inputs Inputs, emit func(start, count int, outs []*tensors.Tensor) error) error {
	if n < 1 || chunk < 1 {
		return fmt.Errorf("eval.Run: %d examples in chunks of %d: want at least one of each", n, chunk)
	}
	chunk = min(chunk, n)
	idx := make([]int, chunk)
	for start := 0; start < n; start += chunk {
		count := min(chunk, n-start)
		for k := range idx {
			idx[k] = start + min(k, count-1)
		}
		in, err := inputs(idx)
		if err != nil {
			return err
		}
		args := make([]any, len(in))
		for i, t := range in {
			args[i] = t
		}
		res, err := exec.Exec(args...)
		if err != nil {
			return err
		}
		err = emit(start, count, res)
		for _, t := range res {
			err = errors.Join(err, t.FinalizeAll())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// appendRows appends the first count rows of each result (chunk rows each) to out.
func appendRows(out []Matrix, res []*tensors.Tensor, chunk, count int) error {
	for i, t := range res {
		v, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return fmt.Errorf("eval.Run: output %d: %w", i, err)
		}
		if t.Shape().Rank() == 0 {
			out[i] = Matrix{Rows: 1, Cols: 1, Data: v}
			continue
		}
		if t.Shape().Dim(0) != chunk {
			return fmt.Errorf("eval.Run: output %d has shape %s: want the chunk (%d examples) as its leading axis",
				i, t.Shape(), chunk)
		}
		width := len(v) / chunk
		out[i].Rows += count
		out[i].Cols = width
		out[i].Data = append(out[i].Data, v[:count*width]...)
	}
	return nil
}

// Pick returns the items at idx, in idx order: the examples of a chunk when an Inputs
// function indexes a list (questions, pairs, captions).
func Pick[T any](items []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = items[i]
	}
	return out
}
