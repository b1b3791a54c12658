package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

type textList []string

func (t *textList) String() string     { return strings.Join(*t, "|") }
func (t *textList) Set(v string) error { *t = append(*t, v); return nil }

// embedResult is one line of `infer embed -json`: Image or Text is set.
type embedResult struct {
	Image     string    `json:"image,omitempty"`
	Text      *string   `json:"text,omitempty"`
	Embedding []float32 `json:"embedding"`
}

func runEmbed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	var c common
	c.register(fs)
	var texts textList
	fs.Var(&texts, "text", "a text to embed (repeatable; needs a CLIP)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	images := fs.Args()
	if err := c.check(false, images); err != nil {
		return err
	}
	if len(images) == 0 && len(texts) == 0 {
		return bad("nothing to embed: give images and/or -text")
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
	if len(texts) > 0 {
		rows, err := s.textEmbeddings(texts)
		if err != nil {
			return err
		}
		for i, row := range rows {
			res := embedResult{Text: &texts[i], Embedding: row}
			if err := printResult(stdout, c.json, res, func() string { return textLine(fmt.Sprintf("%q", texts[i]), row) }); err != nil {
				return err
			}
		}
	}
	if len(images) == 0 {
		return nil
	}
	return s.forImages(images, stderr, s.m.ImageEmbeddings,
		func(i int, row []float32) error {
			res := embedResult{Image: images[i], Embedding: row}
			return printResult(stdout, c.json, res, func() string { return textLine(images[i], row) })
		})
}

// textLine shows an embedding briefly: its size and first values.
func textLine(what string, v []float32) string {
	n := min(4, len(v))
	parts := make([]string, n)
	for i := range n {
		parts[i] = fmt.Sprintf("%.4f", v[i])
	}
	return fmt.Sprintf("%s: %d values [%s ...] (-json prints them all)", what, len(v), strings.Join(parts, " "))
}
