package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mmdna/mmdna/weights"
)

// zeroShotResult is one line of `infer zeroshot -json`.
type zeroShotResult struct {
	Image  string    `json:"image"`
	Labels []string  `json:"labels"`
	Logits []float64 `json:"logits"`
	Probs  []float64 `json:"probs"`
}

func runZeroShot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zeroshot", flag.ContinueOnError)
	var c common
	c.register(fs)
	labelsFlag := fs.String("labels", "", "comma-separated class names, e.g. 'cat,dog,car'")
	template := fs.String("template", "a photo of a {}.", "prompt for each label; {} stands for the label")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	images := fs.Args()
	if err := c.check(true, images); err != nil {
		return err
	}
	var labels []string
	for _, l := range strings.Split(*labelsFlag, ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	if len(labels) < 2 {
		return bad("-labels %q: want at least two comma-separated labels", *labelsFlag)
	}
	if !strings.Contains(*template, "{}") {
		return bad("-template %q: want {} where the label goes", *template)
	}
	if err := checkImages(images); err != nil {
		return err
	}
	s, err := open(c, stderr)
	if err != nil {
		return err
	}
	if err := s.notCaption(c.model); err != nil {
		return err
	}
	if s.m.Kind != weights.KindCLIP {
		return bad("-model %s: zero-shot classification needs a CLIP, this is a %s model", c.model, s.m.Kind)
	}
	prompts := make([]string, len(labels))
	for i, l := range labels {
		prompts[i] = strings.ReplaceAll(*template, "{}", l)
	}
	text, err := s.textEmbeddings(prompts)
	if err != nil {
		return err
	}
	scale, err := s.m.LogitScale()
	if err != nil {
		return err
	}
	return s.forImages(images, stderr, s.m.ImageEmbeddings, func(i int, img []float32) error {
		logits := weights.ZeroShotLogits(scale, img, text)
		res := zeroShotResult{Image: images[i], Labels: labels, Logits: logits, Probs: weights.Probabilities(logits)}
		return printResult(stdout, c.json, res, func() string {
			ranked := top(res.Probs, labels, len(labels))
			parts := make([]string, len(ranked))
			for j, r := range ranked {
				parts[j] = fmt.Sprintf("%s %.3f", r.Label, r.Prob)
			}
			return fmt.Sprintf("%s: %s", res.Image, strings.Join(parts, ", "))
		})
	})
}
