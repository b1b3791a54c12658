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
	start := time.Now()
	if len(paths) > s.r.Batch {
		s.r.Progress = func(done, total int) {
			fmt.Fprintf(stderr, "infer: %d/%d images, %.1f images/s\n", done, total, float64(done)/time.Since(start).Seconds())
		}
	}
	load := func(i int) (image.Image, error) {
		img, err := imageproc.Decode(paths[i])
		if err != nil {
			return nil, badInput{err}
		}
		return img, nil
	}
	return s.r.ForImages(len(paths), load, fn, emit)
}

// textEmbeddings runs a CLIP's text tower over texts.
func (s *session) textEmbeddings(texts []string) ([][]float32, error) {
	if _, err := s.m.Encoder(); err != nil {
		return nil, badInput{err}
	}
	return s.r.TextEmbeddings(texts)
}
