package weights

import (
	"fmt"
	"image"
	"path/filepath"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/caption"
)

// captionTokenizer loads a caption run's word-level tokenizer (tokenizer.json, written
// by text.Tokenizer.Save) and checks that it is the captioner's vocabulary: as many
// ids as the decoder's embedding table has rows, and the special ids the decoder
// starts, ends and pads with at datasets/text's ids, which its Decode assumes.
func captionTokenizer(dir string, cfg caption.Config) (*text.Tokenizer, error) {
	path := fileIn(dir, "tokenizer.json")
	if path == "" {
		return nil, fmt.Errorf("-model %s: a caption run without tokenizer.json (the vocabulary of its captions)", dir)
	}
	tok, err := text.Load(path)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != cfg.Vocab {
		return nil, fmt.Errorf("%s: %d tokens, the captioner has %d: not the run's vocabulary", path, tok.VocabSize(), cfg.Vocab)
	}
	if cfg.BOS != text.BOSID || cfg.EOS != text.EOSID || cfg.PAD != text.PadID {
		return nil, fmt.Errorf("%s: the captioner's [BOS], [EOS], [PAD] are ids %d, %d, %d; the word-level tokenizer's are %d, %d, %d",
			filepath.Join(dir, SpecFile), cfg.BOS, cfg.EOS, cfg.PAD, text.BOSID, text.EOSID, text.PadID)
	}
	return tok, nil
}

// checkCaptioner reports whether the model is a captioner with its tokenizer.
func (m *Model) checkCaptioner() (*text.Tokenizer, error) {
	if m.Kind != KindCaption {
		return nil, fmt.Errorf("%s: not a caption model (%s)", m.Dir, m.describe())
	}
	tok, ok := m.Tokenizer.(*text.Tokenizer)
	if !ok {
		return nil, fmt.Errorf("%s: a caption model without its word-level tokenizer (%T)", m.Dir, m.Tokenizer)
	}
	return tok, nil
}

// Captions is a captioner's decoding graph (caption.Decode): images [batch, H, W, C]
// and prompt [batch, P] int ids ([BOS] first; nil for [BOS] alone) give the captions
// [batch, MaxLen] with their log probabilities and scores [batch]. opts are checked
// here, so that bad options are an error rather than a graph-building panic.
func (m *Model) Captions(scope *model.Scope, images, prompt *Node, opts caption.Opts) (*caption.Decoded, error) {
	if _, err := m.checkCaptioner(); err != nil {
		return nil, err
	}
	if err := opts.Validate(m.Caption); err != nil {
		return nil, err
	}
	return caption.Decode(scope, m.Caption, images, prompt, opts), nil
}

// PromptIDs encodes the start of captions: [BOS] and the ids of prompt's words (as
// text.Words splits it), without [EOS], so that decoding continues it. A word outside
// the captioner's vocabulary is an error naming it: [UNK] would steer the decoder
// with a token it learned only as "some rare word".
func (m *Model) PromptIDs(prompt string) ([]int32, error) {
	tok, err := m.checkCaptioner()
	if err != nil {
		return nil, err
	}
	words, err := m.wordIDs(tok, prompt)
	if err != nil {
		return nil, err
	}
	return append([]int32{m.Caption.BOS}, words...), nil
}

// wordIDs returns the ids of the words of s (text.Words), or an error naming the first
// word outside tok's vocabulary: a run's word-level models (captioner, ViLT) would read
// it as [UNK], a token they learned only as "some rare word".
func (m *Model) wordIDs(tok *text.Tokenizer, s string) ([]int32, error) {
	var ids []int32
	for _, w := range text.Words(s) {
		id := tok.ID(w)
		if id == text.UNKID {
			return nil, fmt.Errorf("%q is not in the model's vocabulary (%d words; infer tokenize -model %s shows the ids of a text)",
				w, tok.VocabSize()-len(text.Specials), m.Dir)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Caption is one image's caption, as Runner.Captions gives it.
type Caption struct {
	// IDs run from [BOS] (the prompt's ids first) through [EOS], without padding; a
	// caption cut at the length limit has no [EOS].
	IDs []int32
	// Text is the tokenizer's decoding of the ids between [BOS] and [EOS], prompt
	// words included, joined by spaces.
	Text string
	// LogProb is the log probability of the generated tokens ([EOS] included, the
	// prompt not); Score is LogProb divided by the length penalty (caption.Decoded).
	LogProb, Score float64
}

// Captions captions n images, which load(i) provides, Batch at a time: each caption
// continues prompt (PromptIDs; nil for [BOS] alone) as opts say, and emit gets them
// in order.
func (r *Runner) Captions(n int, load func(i int) (image.Image, error), prompt []int32, opts caption.Opts,
	emit func(i int, c Caption) error) error {
	tok, err := r.M.checkCaptioner()
	if err != nil {
		return err
	}
	cfg := r.M.Caption
	if err := opts.Validate(cfg); err != nil {
		return err
	}
	if prompt == nil {
		prompt = []int32{cfg.BOS}
	}
	if err := checkPrompt(cfg, opts, prompt); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	exec, err := model.NewExec(r.Backend, r.M.Store, func(scope *model.Scope, images *Node) []*Node {
		// The same prompt for every image: [1, P] broadcast to [batch, P].
		p := BroadcastToDims(Const(images.Graph(), [][]int32{prompt}), images.Shape().Dim(0), len(prompt))
		d := caption.Decode(scope, cfg, images, p, opts) // opts and prompt checked above.
		return []*Node{d.IDs, d.LogProb, d.Score}
	})
	if err != nil {
		return err
	}
	defer exec.Finalize()
	return eval.Stream(exec, n, r.Batch, r.imageBatches(load), func(start, count int, outs []*tensors.Tensor) error {
		ids, err := tensors.CopyFlatData[int32](outs[0]) // [batch, MaxLen]
		if err != nil {
			return err
		}
		logProb, err := tensors.CopyFlatData[float32](outs[1]) // [batch]
		if err != nil {
			return err
		}
		score, err := tensors.CopyFlatData[float32](outs[2]) // [batch]
		if err != nil {
			return err
		}
		width := len(ids) / outs[0].Shape().Dim(0)
		for k := range count {
			row := caption.Trim(cfg, ids[k*width:(k+1)*width])
			c := Caption{IDs: row, Text: text.Detokenize(tok.Decode(row)), LogProb: float64(logProb[k]), Score: float64(score[k])}
			if err := emit(start+k, c); err != nil {
				return err
			}
		}
		if r.Progress != nil {
			r.Progress(start+count, n)
		}
		return nil
	})
}

// checkPrompt reports a prompt caption.Decode would refuse: it must start with [BOS],
// hold no [EOS] or [PAD], use the vocabulary's ids, and leave room for at least one
// generated token within the decoding length.
func checkPrompt(cfg caption.Config, opts caption.Opts, prompt []int32) error {
	maxLen := opts.Len(cfg)
	switch {
	case len(prompt) == 0 || prompt[0] != cfg.BOS:
		return fmt.Errorf("caption prompt %v: want [BOS] (id %d) first", prompt, cfg.BOS)
	case len(prompt) >= maxLen:
		return fmt.Errorf("caption prompt of %d tokens ([BOS] included): captions of %d tokens leave no room for a word",
			len(prompt), maxLen)
	case slices.ContainsFunc(prompt, func(id int32) bool { return id == cfg.EOS || id == cfg.PAD || id < 0 || int(id) >= cfg.Vocab }):
		return fmt.Errorf("caption prompt %v: ids must be words of the vocabulary [0, %d), not [EOS] or [PAD]", prompt, cfg.Vocab)
	}
	return nil
}
