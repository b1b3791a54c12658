package weights

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/clip"
)

// clipTokenizerFiles are the tokenizer files a CLIP directory may hold, as
// text.LoadDir reads them.
var clipTokenizerFiles = []string{"tokenizer.json", "vocab.json", "merges.txt", "bpe_simple_vocab_16e6.txt.gz",
	"bpe_simple_vocab_16e6.txt"}

// Encoder returns the tokenizer of the model's text tower, or an error that says why
// there is none (the directory holds no tokenizer files: OpenAI's state dicts come
// without one).
func (m *Model) Encoder() (text.Encoder, error) {
	// A captioner's tokenizer (Model.Tokenizer) feeds its decoder, not a text tower.
	if m.Kind != KindCLIP {
		return nil, fmt.Errorf("-model %s: a %s model has no text tower", m.Dir, m.Kind)
	}
	if m.Tokenizer != nil {
		return m.Tokenizer, nil
	}
	return nil, fmt.Errorf("-model %s: no tokenizer: put CLIP's tokenizer files in the directory (%s, e.g. OpenAI's "+
		"bpe_simple_vocab_16e6.txt.gz)", m.Dir, strings.Join(clipTokenizerFiles, ", "))
}

// clipTokenizer loads the directory's CLIP tokenizer, sized to the text tower: its ids
// must be the token embedding's, its end-of-text the largest id when the text is
// pooled at the argmax, and it pads to the position table's length (77 for CLIP).
// A directory without tokenizer files gives nil and a note.
func clipTokenizer(dir string, cfg clip.Config, layout Layout) (*text.BPE, []string, error) {
	var bpe *text.BPE
	var notes []string
	if !slices.ContainsFunc(clipTokenizerFiles, func(n string) bool { return fileIn(dir, n) != "" }) {
		if layout != LayoutOpenAICLIP || cfg.Text.VocabSize != openAIVocabSize {
			return nil, []string{"no tokenizer files: Model.Encoder says which to add"}, nil
		}
		// OpenAI's checkpoints carry no tokenizer: its clip package ships the
		// vocabulary with the code, as mmdna does.
		var err error
		if bpe, err = text.OpenAICLIP(); err != nil {
			return nil, nil, err
		}
		notes = append(notes, "no tokenizer files: OpenAI's vocabulary (embedded in mmdna)")
	} else {
		enc, err := text.LoadDir(dir)
		if err != nil {
			return nil, nil, err
		}
		var ok bool
		if bpe, ok = enc.(*text.BPE); !ok {
			return nil, nil, fmt.Errorf("-model %s: its tokenizer is not CLIP's byte-level BPE (%T); a CLIP text tower reads CLIP's ids", dir, enc)
		}
	}
	t := cfg.Text
	switch {
	case bpe.VocabSize() != t.VocabSize:
		return nil, nil, fmt.Errorf("-model %s: the tokenizer has %d ids, the token embedding %d", dir, bpe.VocabSize(), t.VocabSize)
	case cfg.TextPool == clip.PoolArgmax && int(bpe.EOT()) != t.VocabSize-1:
		return nil, nil, fmt.Errorf("-model %s: the tokenizer's %s is id %d, not the largest id %d, at which the text tower pools",
			dir, text.CLIPEndToken, bpe.EOT(), t.VocabSize-1)
	}
	bpe, err := bpe.WithMaxLen(t.MaxLen)
	if err != nil {
		return nil, nil, fmt.Errorf("-model %s: %w", dir, err)
	}
	return bpe, notes, nil
}

// openAIVocabSize is the number of ids of OpenAI CLIP's tokenizer.
const openAIVocabSize = 49408

// hfCLIPPreprocess reads a CLIPModel's preprocessor_config.json; without one, the
// model gets OpenAI's preprocessing at its image size, with a note.
func hfCLIPPreprocess(dir string, cfg clip.Config) (*imageproc.Config, []string, error) {
	path := fileIn(dir, "preprocessor_config.json")
	if path == "" {
		c := imageproc.CLIPConfig(cfg.ViT.Image)
		return &c, []string{"no preprocessor_config.json: OpenAI CLIP's preprocessing assumed"}, nil
	}
	c, err := imageproc.LoadHFConfig(path)
	if err != nil {
		return nil, nil, err
	}
	return &c, nil, nil
}

// openCLIPPreprocess is OpenAI CLIP's preprocessing at the model's image size with
// what open_clip_config.json's preprocess_cfg changes (mean, std, interpolation,
// resize_mode; open_clip's PreprocessCfg).
func openCLIPPreprocess(path string, p *openCLIPPreprocessCfg, side int) (*imageproc.Config, error) {
	c := imageproc.CLIPConfig(side)
	if p == nil {
		return &c, nil
	}
	c.Source = path + " (preprocess_cfg)"
	if p.Mean != nil {
		c.Mean = p.Mean
	}
	if p.Std != nil {
		c.Std = p.Std
	}
	switch p.Interpolation {
	case "", "bicubic":
	case "bilinear":
		c.Filter = imageproc.Bilinear
	default:
		return nil, fmt.Errorf("%s: preprocess_cfg.interpolation %q: mmdna reads bicubic and bilinear", path, p.Interpolation)
	}
	switch p.ResizeMode {
	case "", "shortest":
	case "squash": // resize to the square, no crop.
		c.Resize, c.Width, c.Height, c.CenterCrop = imageproc.Exact, side, side, false
	default:
		return nil, fmt.Errorf("%s: preprocess_cfg.resize_mode %q: mmdna reads shortest and squash", path, p.ResizeMode)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
