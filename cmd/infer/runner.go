package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/weights"
)

// session is a loaded model on a backend.
type session struct {
	m       *weights.Model
	backend compute.Backend
	batch   int
	stderr  io.Writer
}

func open(c common, stderr io.Writer) (*session, error) {
	m, err := weights.Load(c.model)
	if err != nil {
		return nil, badInput{err}
	}
	b, err := backend.New(c.backend)
	if err != nil {
		return nil, badInput{err}
	}
	return &session{m: m, backend: b, batch: c.batch, stderr: stderr}, nil
}

// checkImages reads every image's header before any is run, so a bad file stops the
// command before it prints anything.
func checkImages(paths []string) error {
	for _, p := range paths {
		if _, _, err := imageproc.DecodeConfig(p); err != nil {
			return badInput{err}
		}
	}
	return nil
}

// forImages runs fn (images [batch, H, W, C] -> one output [batch, ...]) over paths
// in batches of s.batch, the last one padded so that one compiled graph serves all,
// and calls emit with each image's output row. Progress goes to stderr when there is
// more than one batch.
func (s *session) forImages(paths []string, fn func(scope *model.Scope, images *Node) *Node,
	emit func(i int, row []float32) error) error {
	side, channels := s.m.ImageShape()
	batch := min(s.batch, len(paths))
	exec, err := model.NewExec(s.backend, s.m.Store, fn)
	if err != nil {
		return err
	}
	defer exec.Finalize()
	per := side * side * channels
	start := time.Now()
	for b := 0; b < len(paths); b += batch {
		n := min(batch, len(paths)-b)
		x := tensors.FromShape(shapes.Make(dtypes.Float32, batch, side, side, channels))
		var inputErr error
		x.MustMutableFlatData(func(flat any) {
			data := flat.([]float32)
			for i := range n {
				img, err := imageproc.Decode(paths[b+i])
				if err != nil {
					inputErr = badInput{err}
					return
				}
				pix, err := s.m.ImageInput(img)
				if err != nil {
					inputErr = badInput{fmt.Errorf("%s: %w", paths[b+i], err)}
					return
				}
				copy(data[i*per:], pix)
			}
		})
		if inputErr != nil {
			return inputErr
		}
		out, err := exec.Exec(x)
		if err != nil {
			return err
		}
		flat := tensors.MustCopyFlatData[float32](out[0])
		width := len(flat) / batch
		for i := range n {
			if err := emit(b+i, flat[i*width:(i+1)*width]); err != nil {
				return err
			}
		}
		out[0].FinalizeAll()
		if len(paths) > batch {
			done := b + n
			fmt.Fprintf(s.stderr, "infer: %d/%d images, %.1f images/s\n", done, len(paths),
				float64(done)/time.Since(start).Seconds())
		}
	}
	return nil
}

// textEmbeddings runs the text tower over texts: [len(texts)][dim].
func (s *session) textEmbeddings(texts []string) ([][]float32, error) {
	if s.m.Kind != weights.KindCLIP || s.m.Tokenizer == nil {
		return nil, bad("-model %s: no text tower: a %s model", s.m.Dir, s.m.Kind)
	}
	ids, mask := s.m.Tokenizer.EncodeBatch(texts)
	length := len(ids) / len(texts)
	exec, err := model.NewExec(s.backend, s.m.Store, func(scope *model.Scope, ids, mask *Node) *Node {
		e, _ := s.m.TextEmbeddings(scope, ids, mask) // a CLIP: checked above.
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
