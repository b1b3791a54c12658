package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mmdna/mmdna/weights"
)

// vqaResult is one line of `infer vqa -json`: the answers ranked by probability.
type vqaResult struct {
	Image    string    `json:"image"`
	Question string    `json:"question"`
	Answer   string    `json:"answer"`
	Answers  []string  `json:"answers"`
	Probs    []float64 `json:"probs"`
}

func runVQA(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vqa", flag.ContinueOnError)
	var c common
	c.register(fs)
	question := fs.String("question", "", "the question asked about every image, in the run's vocabulary, e.g. 'how many shapes are there?'")
	topK := fs.Int("topk", 3, "answers shown per image, most probable first")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	images := fs.Args()
	if err := c.check(true, images); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(*question) == "":
		return bad("-question is required")
	case *topK < 1:
		return bad("-topk %d: want at least 1", *topK)
	}
	if err := checkImages(images); err != nil {
		return err
	}
	s, err := open(c, stderr)
	if err != nil {
		return err
	}
	if s.m.Kind != weights.KindViLT {
		return bad("-model %s: a %s model; infer vqa needs a VQA model (a vilt-* run directory)", c.model, s.m.Kind)
	}
	ids, mask, err := s.m.EncodeQuestion(*question)
	if err != nil {
		return bad("-question %q: %v", *question, err)
	}
	s.progress(len(images), stderr)
	return s.r.Answers(len(images), loader(images), ids, mask, *topK, func(i int, a weights.Answer) error {
		res := vqaResult{Image: images[i], Question: *question, Answer: a.Answers[0], Answers: a.Answers, Probs: a.Probs}
		return printResult(stdout, c.json, res, func() string {
			parts := make([]string, len(a.Answers))
			for k := range a.Answers {
				parts[k] = fmt.Sprintf("%s %.3f", a.Answers[k], a.Probs[k])
			}
			return fmt.Sprintf("%s: %s", res.Image, strings.Join(parts, ", "))
		})
	})
}
