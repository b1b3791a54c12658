package main

import (
	"fmt"
	"image"
	"io"
	"time"

	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/weights"
)

// session is a loaded model with its runner.
type session struct {
	m *weights.Model
	r *weights.Runner
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
	return &session{m: m, r: m.NewRunner(b, c.batch)}, nil
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

// forImages runs fn over the image files in batches and calls emit with each image's
// output row. Progress goes to stderr when there is more than one batch.
func (s *session) forImages(paths []string, stderr io.Writer, fn weights.ImageGraph, emit func(i int, row []float32) error) error {
	s.progress(len(paths), stderr)
	return s.r.ForImages(len(paths), loader(paths), fn, emit)
}

// progress reports the runner's progress on stderr when n images take more than one
// batch.
func (s *session) progress(n int, stderr io.Writer) {
	start := time.Now()
	if n > s.r.Batch {
		s.r.Progress = func(done, total int) {
			fmt.Fprintf(stderr, "infer: %d/%d images, %.1f images/s\n", done, total, float64(done)/time.Since(start).Seconds())
		}
	}
}

// loader decodes the image files; a file that fails is bad input.
func loader(paths []string) func(i int) (image.Image, error) {
	return func(i int) (image.Image, error) {
		img, err := imageproc.Decode(paths[i])
		if err != nil {
			return nil, badInput{err}
		}
		return img, nil
	}
}

// notCaption refuses a caption model in the commands that need an image classifier or
// embedder: a captioner's output is text (infer caption).
func (s *session) notCaption(dir string) error {
	if s.m.Kind == weights.KindCaption {
		return bad("-model %s: a caption model; use infer caption", dir)
	}
	return nil
}

// textEmbeddings runs a CLIP's text tower over texts.
func (s *session) textEmbeddings(texts []string) ([][]float32, error) {
	if _, err := s.m.Encoder(); err != nil {
		return nil, badInput{err}
	}
	return s.r.TextEmbeddings(texts)
}
