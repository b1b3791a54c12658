package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/weights"
)

// classifyResult is one line of `infer classify -json`.
type classifyResult struct {
	Image  string      `json:"image"`
	Logits []float32   `json:"logits"`
	Top    []rankedOut `json:"top"`
}

type rankedOut struct {
	Label string  `json:"label"`
	Index int     `json:"index"`
	Prob  float64 `json:"prob"`
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	var c common
	c.register(fs)
	topk := fs.Int("topk", 5, "classes to print per image")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	images := fs.Args()
	if err := c.check(true, images); err != nil {
		return err
	}
	if *topk < 1 {
		return bad("-topk %d: want at least 1", *topk)
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
	if err := s.m.CheckClassifier(); err != nil {
		return badInput{err}
	}
	fn := func(scope *model.Scope, x *Node) *Node {
		logits, _ := s.m.Logits(scope, x) // a classifier: checked above.
		return logits
	}
	return s.forImages(images, stderr, fn, func(i int, logits []float32) error {
		probs := weights.Probabilities(float64s(logits))
		res := classifyResult{Image: images[i], Logits: logits, Top: top(probs, s.m.Labels, *topk)}
		return printResult(stdout, c.json, res, func() string {
			parts := make([]string, len(res.Top))
			for j, t := range res.Top {
				parts[j] = fmt.Sprintf("%s %.3f", t.Label, t.Prob)
			}
			return fmt.Sprintf("%s: %s", res.Image, strings.Join(parts, ", "))
		})
	})
}

// top returns the k most probable classes, most probable first (ties by index).
func top(probs []float64, labels []string, k int) []rankedOut {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	out := make([]rankedOut, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		label := fmt.Sprint(i)
		if i < len(labels) {
			label = labels[i]
		}
		out = append(out, rankedOut{Label: label, Index: i, Prob: probs[i]})
	}
	return out
}

// printResult writes v as one JSON line, or text() as one line.
func printResult(w io.Writer, asJSON bool, v any, text func() string) error {
	if asJSON {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	_, err := fmt.Fprintln(w, text())
	return err
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
