package nb

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
	"github.com/mmdna/mmdna/weights"
)

// Decoding is one way of writing captions: a column of CaptionTable.
type Decoding struct {
	// Name heads the column ("beam 3").
	Name string
	// Prompt holds the words every caption starts with, from the captioner's
	// vocabulary (weights.Model.PromptIDs); "" starts from [BOS] alone.
	Prompt string
	// Opts are the strategy and its settings (caption.Decode).
	Opts caption.Opts
}

// CaptionImages captions images with a captioner run (a weights.Load of its directory)
// once per decoding, through weights.Runner.Captions: out[d][i] is the caption of
// image i by decodings[d]. An error names the decoding.
func CaptionImages(r *weights.Runner, images []image.Image, decodings []Decoding) ([][]weights.Caption, error) {
	load := func(i int) (image.Image, error) { return images[i], nil }
	out := make([][]weights.Caption, len(decodings))
	for d, dec := range decodings {
		prompt, err := r.M.PromptIDs(dec.Prompt)
		if err != nil {
			return nil, fmt.Errorf("nb: decoding %q: %w", dec.Name, err)
		}
		out[d] = make([]weights.Caption, len(images))
		err = r.Captions(len(images), load, prompt, dec.Opts, func(i int, c weights.Caption) error {
			out[d][i] = c
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("nb: decoding %q: %w", dec.Name, err)
		}
	}
	return out, nil
}

// CaptionTable is a markdown table of captions with a row per image and a column per
// decoding: names[i] names image i, refs[i] (when refs is not nil) is a reference
// caption of it, and caps are CaptionImages' captions. Captions read as text
// (text.Detokenize), a prompt's words in bold.
func CaptionTable(names, refs []string, decodings []Decoding, caps [][]weights.Caption) string {
	var b strings.Builder
	b.WriteString("| image |")
	sep := "|---|"
	if refs != nil {
		b.WriteString(" a reference |")
		sep += "---|"
	}
	for _, d := range decodings {
		b.WriteString(" " + cellText(d.Name) + " |")
		sep += "---|"
	}
	b.WriteString("\n" + sep + "\n")
	for i, name := range names {
		b.WriteString("| " + cellText(name) + " |")
		if refs != nil {
			b.WriteString(" " + cellText(refs[i]) + " |")
		}
		for d, dec := range decodings {
			b.WriteString(" " + captionCell(dec.Prompt, caps[d][i].Text) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// captionCell is a caption as a table cell: detokenized, with the prompt's words (when
// the caption starts with them) in bold.
func captionCell(prompt, caption string) string {
	c := text.Detokenize(caption)
	p := text.Detokenize(strings.Join(text.Words(prompt), " "))
	if p != "" && strings.HasPrefix(c, p) {
		return "**" + cellText(p) + "**" + cellText(c[len(p):])
	}
	return cellText(c)
}

// cellText escapes the characters that would end or format a markdown table cell.
func cellText(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "*", `\*`)
	return strings.ReplaceAll(s, "\n", " ")
}

// CaptionExample is one test image of a caption run's results.json (the detail
// "examples" that caption-shapes and caption-flickr8k write): its reference captions
// and the greedy and beam-search captions of the final evaluation.
type CaptionExample struct {
	Image      int      `json:"image"`
	References []string `json:"references"`
	Greedy     string   `json:"greedy"`
	Beam       string   `json:"beam"`
}

// CaptionExamples reads the examples of a caption run's results.
func CaptionExamples(res *train.Results) ([]CaptionExample, error) {
	var ex []CaptionExample
	ok, err := res.Detail("examples", &ex)
	if err != nil {
		return nil, fmt.Errorf("nb: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("nb: the results of %s hold no caption examples", res.Experiment)
	}
	return ex, nil
}

// NamedObjects counts the objects (colour-shape names such as "red circle") that
// caption names, as caption-shapes' object_recall counts them: the two words
// consecutive after eval.CaptionTokens (case and punctuation do not matter), each
// mention naming one object, so two red circles need two mentions.
func NamedObjects(caption string, objects []string) int {
	named := 0
	for _, ok := range eval.NamedPhrases(caption, objects) {
		if ok {
			named++
		}
	}
	return named
}

// ImageRow renders images in one row, each upscaled by scale and labelled, as a PNG.
func ImageRow(images []image.Image, labels []string, scale int) ([]byte, error) {
	cells := make([]viz.Cell, len(images))
	for i, img := range images {
		cells[i] = viz.Cell{Img: img, Caption: labels[i]}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, viz.ImageGrid(cells, len(cells), scale)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
