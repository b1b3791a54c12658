package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/weights"
)

// tokenizeResult is one line of `infer tokenize -json`: the ids from the start token
// to the end token, no padding.
type tokenizeResult struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	model := fs.String("model", "", "model directory (or a directory of tokenizer files)")
	asJSON := fs.Bool("json", false, "one JSON object per text")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	texts := fs.Args()
	switch {
	case *model == "":
		return bad("-model is required")
	case len(texts) == 0:
		return bad("no texts given")
	}
	tok, err := text.LoadDir(*model)
	if err != nil {
		// A model directory whose tokenizer comes with its layout (OpenAI CLIP's
		// vocabulary) has no tokenizer files of its own.
		m, lerr := weights.Load(*model)
		if lerr != nil || m.Tokenizer == nil {
			return bad("-model %s: no tokenizer: %v", *model, err)
		}
		tok = m.Tokenizer
	}
	for _, t := range texts {
		ids, mask := tok.Encode(t)
		ids = ids[:text.Length(mask)]
		res := tokenizeResult{Text: t, IDs: ids}
		if err := printResult(stdout, *asJSON, res, func() string {
			parts := make([]string, len(ids))
			for i, id := range ids {
				parts[i] = fmt.Sprint(id)
			}
			return fmt.Sprintf("%q: %s", t, strings.Join(parts, " "))
		}); err != nil {
			return err
		}
	}
	return nil
}
