package main

import (
	"flag"
	"fmt"
	"io"
	"math"
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
	return s.r.AnswerProbs(len(images), loader(images), ids, mask, func(i int, row []float32) error {
		probs := make([]float64, len(row))
		for j, p := range row {
			if math.IsNaN(float64(p)) {
				return fmt.Errorf("%s: the model answered NaN", c.model)
			}
			probs[j] = float64(p)
		}
		res := vqaResult{Image: images[i], Question: *question}
		for _, t := range top(probs, s.m.Labels, *topK) {
			res.Answers, res.Probs = append(res.Answers, t.Label), append(res.Probs, t.Prob)
		}
		res.Answer = res.Answers[0]
		return printResult(stdout, c.json, res, func() string {
			parts := make([]string, len(res.Answers))
			for k := range res.Answers {
				parts[k] = fmt.Sprintf("%s %.3f", res.Answers[k], res.Probs[k])
			}
			return fmt.Sprintf("%s: %s", res.Image, strings.Join(parts, ", "))
		})
	})
}
