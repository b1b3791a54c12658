package text

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// hfTokenizerJSON is the part of a Hugging Face tokenizer.json that we read.
type hfTokenizerJSON struct {
	Format      string `json:"format"` // set in our own word-level tokenizer files only
	AddedTokens []struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type         string `json:"type"`
		Lowercase    *bool  `json:"lowercase"`
		StripAccents *bool  `json:"strip_accents"`
	} `json:"normalizer"`
	Model *struct {
		Type            string            `json:"type"`
		Vocab           json.RawMessage   `json:"vocab"`
		Merges          []json.RawMessage `json:"merges"`
		EndOfWordSuffix *string           `json:"end_of_word_suffix"`
		SubwordPrefix   *string           `json:"continuing_subword_prefix"`
	} `json:"model"`
}

// LoadTokenizerJSON reads a Hugging Face tokenizer.json whose model is CLIP's BPE
// ("type": "BPE", "end_of_word_suffix": "</w>"), as openai/clip-vit-base-patch32 ships.
// Merges may be written "a b" or ["a", "b"]; all of them are used. The text goes through
// OpenAI's cleanup, not the file's normalizer (NFC, white space, lower case), which
// differs on HTML entities, curly quotes, ligatures and full-width forms.
func LoadTokenizerJSON(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	f, err := parseHFJSON(data)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	t, err := f.bpe()
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	return t, nil
}

// parseHFJSON decodes a tokenizer.json far enough to tell its model.
func parseHFJSON(data []byte) (*hfTokenizerJSON, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	var f hfTokenizerJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json: %s", oneLine(err.Error()))
	}
	if f.Model == nil && f.Format == "" {
		return nil, fmt.Errorf("not a Hugging Face tokenizer.json: no \"model\"")
	}
	return &f, nil
}

// bpe builds CLIP's tokenizer from the file's BPE model.
func (f *hfTokenizerJSON) bpe() (*BPE, error) {
	m := f.Model
	if m == nil || m.Type != "BPE" {
		return nil, fmt.Errorf("model type %q: want CLIP's \"BPE\"", f.modelType())
	}
	if m.EndOfWordSuffix == nil || *m.EndOfWordSuffix != "</w>" {
		return nil, fmt.Errorf("BPE without end_of_word_suffix \"</w>\": not CLIP's byte-level BPE")
	}
	tokens, err := f.vocab()
	if err != nil {
		return nil, err
	}
	merges := make([][2]string, len(m.Merges))
	for i, raw := range m.Merges {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			pair = strings.Fields(s)
		case json.Unmarshal(raw, &pair) == nil:
		}
		if len(pair) != 2 || pair[0] == "" || pair[1] == "" {
			return nil, fmt.Errorf("model.merges[%d] = %s: want \"a b\" or [\"a\", \"b\"]", i, oneLine(string(raw)))
		}
		merges[i] = [2]string{pair[0], pair[1]}
	}
	return buildBPE(tokens, merges, func(i int) string { return fmt.Sprintf("model.merges[%d]", i) })
}

// wordPiece builds BERT's tokenizer from the file's WordPiece model; lower-casing and
// accent stripping come from its BertNormalizer (strip_accents null follows lowercase).
func (f *hfTokenizerJSON) wordPiece() (*WordPiece, error) {
	m := f.Model
	if m == nil || m.Type != "WordPiece" {
		return nil, fmt.Errorf("model type %q: want \"WordPiece\"", f.modelType())
	}
	if m.SubwordPrefix != nil && *m.SubwordPrefix != "##" {
		return nil, fmt.Errorf("continuing_subword_prefix %q: want \"##\"", *m.SubwordPrefix)
	}
	tokens, err := f.vocab()
	if err != nil {
		return nil, err
	}
	lower := true
	if n := f.Normalizer; n != nil && n.Type == "BertNormalizer" && n.Lowercase != nil {
		lower = *n.Lowercase
	}
	strip := lower
	if n := f.Normalizer; n != nil && n.StripAccents != nil {
		strip = *n.StripAccents
	}
	return newWordPiece(tokens, lower, strip)
}

// vocab returns the model's tokens in id order, with the added tokens (special tokens
// placed after the model's vocabulary) filled in.
func (f *hfTokenizerJSON) vocab() ([]string, error) {
	var vocab map[string]int64
	if err := json.Unmarshal(f.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model.vocab is not an object from token to id: %s", oneLine(err.Error()))
	}
	if vocab == nil {
		return nil, fmt.Errorf("model.vocab is missing")
	}
	for _, a := range f.AddedTokens {
		if id, ok := vocab[a.Content]; ok && id != a.ID {
			return nil, fmt.Errorf("added token %q has id %d, the vocabulary gives it %d", a.Content, a.ID, id)
		}
		vocab[a.Content] = a.ID
	}
	tokens, err := vocabTokens(vocab)
	if err != nil {
		return nil, fmt.Errorf("model.vocab: %w", err)
	}
	return tokens, nil
}

func (f *hfTokenizerJSON) modelType() string {
	if f.Model == nil {
		return ""
	}
	return f.Model.Type
}
