// Command infer runs a model directory: a pretrained model in Hugging Face, timm or
// OpenAI CLIP layout, or an mmdna run directory (package weights reads them all).
//
//	infer classify -model DIR [-topk 5] [-json] IMAGE...
//	infer zeroshot -model DIR -labels 'cat,dog' [-template 'a photo of a {}.'] [-json] IMAGE...
//	infer embed    -model DIR [-text T]... [-json] [IMAGE...]
//	infer caption  -model RUNDIR [-beam 3] [-prompt 'a photo of'] [-json] IMAGE...
//	infer vqa      -model RUNDIR -question 'how many shapes are there?' [-topk 3] [-json] IMAGE...
//	infer tokenize -model DIR [-json] TEXT...
//	infer export   -model RUNDIR -out DIR
//	infer score    -refs refs.json -cands cands.json [-json]
//
// With -json each result is one JSON object on its own line (schemas in
// docs/DESIGN.md). Images are read by content (PNG, JPEG, GIF, BMP, WebP), preprocessed
// as the model's files say, and run in batches (-batch) with progress on stderr.
// Errors are one line on stderr. Exit status: 0 done, 1 the model failed to run, 2 bad
// input (flags, model directory, image files).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitFailed  = 1
	exitBadArgs = 2
)

// badInput marks errors caused by the user's flags or files (exit 2).
type badInput struct{ error }

func (e badInput) Unwrap() error { return e.error }

func bad(format string, args ...any) error { return badInput{fmt.Errorf(format, args...)} }

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"classify": {"top classes of each image (a ViT classifier)", runClassify},
	"zeroshot": {"zero-shot classification of images against labels (a CLIP)", runZeroShot},
	"embed":    {"normalised embeddings of images and texts", runEmbed},
	"caption":  {"captions of images (a captioner run: beam search, greedy or sampling)", runCaption},
	"vqa":      {"answers to a question about images (a ViLT run)", runVQA},
	"tokenize": {"token ids of texts with the model's tokenizer", runTokenize},
	"export":   {"write a model in the layout PyTorch users read (Hugging Face or timm)", runExport},
	"score":    {"BLEU-1..4 and CIDEr-D of candidate captions against references", runScore},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitBadArgs
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "infer: unknown command %q; commands: %s\n", args[0], strings.Join(names(), ", "))
		return exitBadArgs
	}
	err := cmd.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(badInput)):
		fmt.Fprintf(stderr, "infer %s: %v\n", args[0], err)
		return exitBadArgs
	default:
		fmt.Fprintf(stderr, "infer %s: %v\n", args[0], err)
		return exitFailed
	}
}

func names() []string {
	var out []string
	for n := range commands {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: infer COMMAND -model DIR [flags] [ARGS]")
	for _, n := range names() {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "`infer COMMAND -h` lists a command's flags.")
}

// common are the flags every model-running command takes.
type common struct {
	model   string
	json    bool
	batch   int
	backend string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.model, "model", "", "model directory: Hugging Face, timm or OpenAI CLIP layout, or an mmdna run directory")
	fs.BoolVar(&c.json, "json", false, "one JSON object per result line")
	fs.IntVar(&c.batch, "batch", 16, "images per batch")
	fs.StringVar(&c.backend, "backend", "", "compute backend: go (default), xla:cuda, ... (default $GOMLX_BACKEND or go)")
}

// parse parses a command's flags. A flag error is bad input, reported in one line by
// run; -h prints the command's flags.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "usage: infer %s [flags] ...\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return bad("%v (infer %s -h lists the flags)", err, fs.Name())
	}
	return nil
}

func (c *common) check(needImages bool, images []string) error {
	switch {
	case c.model == "":
		return bad("-model is required")
	case c.batch < 1:
		return bad("-batch %d: want at least 1", c.batch)
	case needImages && len(images) == 0:
		return bad("no images given")
	}
	return nil
}
