package text

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Encoder turns texts into fixed-length rows of ids with an attention mask. The
// word-level Tokenizer, CLIP's BPE and BERT's WordPiece implement it, so that models and
// cmd/infer take any of them.
//
// Padding ids differ between tokenizers (word-level [PAD]=0, OpenAI's CLIP 0, BERT's
// [PAD]); the mask, 1 on real tokens and 0 on padding, is what models must read.
type Encoder interface {
	// Encode returns the ids of a text and its mask, both MaxLen long.
	Encode(text string) (ids, mask []int32)
	// EncodeBatch encodes texts into flat row-major slices. ids, mask: [len(texts), MaxLen].
	EncodeBatch(texts []string) (ids, mask []int32)
	// Decode turns an encoding back into text (special tokens and padding left out).
	Decode(ids []int32) string
	// VocabSize returns the number of ids (the size of a model's embedding table).
	VocabSize() int
	// MaxLen returns the length of every encoding.
	MaxLen() int
}

var (
	_ Encoder = (*Tokenizer)(nil)
	_ Encoder = (*BPE)(nil)
	_ Encoder = (*WordPiece)(nil)
)

// LoadDir loads the tokenizer a model directory holds, looking in this order for:
//   - tokenizer.json: our word-level tokenizer (Save's format), or Hugging Face's with a
//     CLIP BPE or a WordPiece model;
//   - vocab.json and merges.txt: Hugging Face's CLIPTokenizer files;
//   - bpe_simple_vocab_16e6.txt.gz or bpe_simple_vocab_16e6.txt: OpenAI's CLIP vocabulary;
//   - vocab.txt: a BERT WordPiece vocabulary, uncased unless tokenizer_config.json says
//     "do_lower_case": false.
func LoadDir(dir string) (Encoder, error) {
	has := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("text: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("text: %s is not a directory", dir)
	}
	switch {
	case has("tokenizer.json"):
		return loadTokenizerJSONAny(filepath.Join(dir, "tokenizer.json"))
	case has("vocab.json") && has("merges.txt"):
		return asEncoder(LoadVocabMerges(filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt")))
	case has("bpe_simple_vocab_16e6.txt.gz"):
		return asEncoder(LoadCLIPVocab(filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz")))
	case has("bpe_simple_vocab_16e6.txt"):
		return asEncoder(LoadCLIPVocab(filepath.Join(dir, "bpe_simple_vocab_16e6.txt")))
	case has("vocab.txt"):
		uncased, err := doLowerCase(filepath.Join(dir, "tokenizer_config.json"))
		if err != nil {
			return nil, err
		}
		return asEncoder(LoadWordPiece(filepath.Join(dir, "vocab.txt"), uncased))
	}
	return nil, fmt.Errorf("text: %s: no tokenizer file (tokenizer.json, vocab.json + merges.txt, bpe_simple_vocab_16e6.txt[.gz] or vocab.txt)", dir)
}

// loadTokenizerJSONAny loads a tokenizer.json of any kind we read.
func loadTokenizerJSONAny(path string) (Encoder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	f, err := parseHFJSON(data)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	var e Encoder
	switch {
	case f.Format != "":
		e, err = asEncoder(Parse(data))
	case f.modelType() == "WordPiece":
		e, err = asEncoder(f.wordPiece())
	default:
		e, err = asEncoder(f.bpe())
	}
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	return e, nil
}

// asEncoder returns a loader's result as an Encoder, a nil interface on error (not an
// interface holding a nil pointer).
func asEncoder[T Encoder](t T, err error) (Encoder, error) {
	if err != nil {
		return nil, err
	}
	return t, nil
}

// doLowerCase reads "do_lower_case" from a Hugging Face tokenizer_config.json; a missing
// file or key means true (BERT's default).
func doLowerCase(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("text: %w", err)
	}
	var cfg struct {
		DoLowerCase *bool `json:"do_lower_case"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return false, fmt.Errorf("text: %s: not a JSON object: %s", path, oneLine(err.Error()))
	}
	return cfg.DoLowerCase == nil || *cfg.DoLowerCase, nil
}
