package main

import (
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/weights"
)

// captionResult is one line of `infer caption -json`.
type captionResult struct {
	Image   string `json:"image"`
	Caption string `json:"caption"`
	// IDs run from [BOS] through [EOS], prompt included, without padding.
	IDs     []int32 `json:"ids"`
	LogProb float64 `json:"logprob"`
	Score   float64 `json:"score"`
}

// captionFlags are the decoding flags of infer caption.
type captionFlags struct {
	beam, maxLen, topK int
	topP, lenPen       float64
	seed               int64
	prompt             string
	set                map[string]bool // the flags given on the command line.
}

func (f *captionFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.beam, "beam", 3, "beam size of beam search; 1 decodes greedily")
	fs.StringVar(&f.prompt, "prompt", "", "words every caption starts with, from the run's vocabulary, e.g. 'a photo of'")
	fs.IntVar(&f.maxLen, "maxlen", 0, "longest caption in tokens, [BOS] and [EOS] included (0: the model's)")
	fs.Float64Var(&f.lenPen, "lenpen", 0, "GNMT length penalty α: score = logprob / ((5+n)/6)^α; beam search ranks by score")
	fs.IntVar(&f.topK, "topk", 0, "sample each word from the K most likely instead of searching")
	fs.Float64Var(&f.topP, "topp", 0, "sample each word from the most likely words of total probability P instead of searching")
	fs.Int64Var(&f.seed, "seed", 0, "seed of -topk/-topp sampling (0: a new draw each run)")
}

// opts turns the flags into decoding options, checking what needs no model.
func (f *captionFlags) opts() (caption.Opts, error) {
	o := caption.Opts{MaxLen: f.maxLen, LengthPenalty: f.lenPen, Seed: f.seed}
	sampling := f.set["topk"] || f.set["topp"]
	switch {
	case f.beam < 1:
		return o, bad("-beam %d: want at least 1 (1: greedy decoding)", f.beam)
	case f.maxLen < 0 || f.maxLen == 1:
		return o, bad("-maxlen %d: want 0 (the model's) or at least 2 ([BOS] and [EOS])", f.maxLen)
	case math.IsNaN(f.lenPen) || math.IsInf(f.lenPen, 0):
		return o, bad("-lenpen %g: want a finite number", f.lenPen)
	case f.set["topk"] && f.set["topp"]:
		return o, bad("-topk and -topp are two ways of sampling: give one")
	case f.set["topk"] && f.topK < 1:
		return o, bad("-topk %d: want at least 1 (-topp 1 samples from every word)", f.topK)
	case f.set["topp"] && !(f.topP > 0 && f.topP <= 1):
		return o, bad("-topp %g: want a probability in (0, 1]", f.topP)
	case sampling && f.beam > 1 && f.set["beam"]:
		return o, bad("-beam %d searches and -topk/-topp sample: they exclude each other; drop -beam to sample", f.beam)
	case f.set["seed"] && !sampling:
		return o, bad("-seed %d: only sampling (-topk or -topp) draws at random", f.seed)
	}
	switch {
	case f.set["topk"]:
		o.Strategy, o.TopK = caption.StrategyTopK, f.topK
	case f.set["topp"]:
		o.Strategy, o.TopP = caption.StrategyTopP, f.topP
	case f.beam > 1:
		o.Strategy, o.BeamSize = caption.StrategyBeam, f.beam
	default:
		o.Strategy = caption.StrategyGreedy
	}
	return o, nil
}

// forModel checks the options that depend on the captioner and returns the prompt's
// ids ([BOS] and its words).
func (f *captionFlags) forModel(m *weights.Model, o caption.Opts) ([]int32, error) {
	cfg := m.Caption
	if f.maxLen > cfg.MaxLen {
		return nil, bad("-maxlen %d: the model's captions are at most %d tokens", f.maxLen, cfg.MaxLen)
	}
	if o.Strategy == caption.StrategyTopK && f.topK > cfg.Vocab {
		return nil, bad("-topk %d: the model has %d ids", f.topK, cfg.Vocab)
	}
	prompt, err := m.PromptIDs(f.prompt)
	if err != nil {
		return nil, bad("-prompt %q: %v", f.prompt, err)
	}
	maxLen := o.Len(cfg)
	if len(prompt) >= maxLen {
		return nil, bad("-prompt %q: %d tokens with [BOS] leave no room for a word in captions of %d tokens (-maxlen)",
			f.prompt, len(prompt), maxLen)
	}
	return prompt, nil
}

func runCaption(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("caption", flag.ContinueOnError)
	var c common
	c.register(fs)
	f := captionFlags{set: map[string]bool{}}
	f.register(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	images := fs.Args()
	if err := c.check(true, images); err != nil {
		return err
	}
	opts, err := f.opts()
	if err != nil {
		return err
	}
	if err := checkImages(images); err != nil {
		return err
	}
	s, err := open(c, stderr)
	if err != nil {
		return err
	}
	if s.m.Kind != weights.KindCaption {
		return bad("-model %s: a %s model; infer caption needs a captioner (a caption-* run directory)", c.model, s.m.Kind)
	}
	prompt, err := f.forModel(s.m, opts)
	if err != nil {
		return err
	}
	s.progress(len(images), stderr)
	return s.r.Captions(len(images), loader(images), prompt, opts, func(i int, out weights.Caption) error {
		res := captionResult{Image: images[i], Caption: out.Text, IDs: out.IDs, LogProb: out.LogProb, Score: out.Score}
		return printResult(stdout, c.json, res, func() string { return fmt.Sprintf("%s: %s", res.Image, res.Caption) })
	})
}
