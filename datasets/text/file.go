package text

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// FileVersion is the version of the JSON file layout written by Save.
const FileVersion = 1

// fileFormat names the layout, so that Load can tell a tokenizer file from other JSON.
const fileFormat = "mmdna/text-tokenizer"

// fileJSON is the on-disk layout: tokens in id order (the id of a token is its index,
// so ids are contiguous by construction).
type fileJSON struct {
	Format      string   `json:"format"`
	Version     int      `json:"version"`
	MaxLen      int      `json:"max_len"`
	Fingerprint string   `json:"fingerprint"`
	Tokens      []string `json:"tokens"`
}

// Fingerprint identifies the vocabulary (the tokens and their ids, not MaxLen): two
// tokenizers with the same fingerprint give every word the same id. A model stores it
// with its checkpoint and checks it with CheckFingerprint when it meets a tokenizer.
func (t *Tokenizer) Fingerprint() string {
	h := sha256.New()
	// Length-prefixed tokens, so that no two token lists hash the same bytes.
	for _, tok := range t.tokens {
		h.Write([]byte(strconv.Itoa(len(tok))))
		h.Write([]byte{':'})
		h.Write([]byte(tok))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// CheckFingerprint returns nil when the tokenizer's vocabulary is the one a model was
// trained with (want = the fingerprint stored with the model), and a one-line error
// otherwise.
func (t *Tokenizer) CheckFingerprint(want string) error {
	if got := t.Fingerprint(); got != want {
		return fmt.Errorf("tokenizer from another vocabulary: fingerprint %s (%d tokens), the model was trained with %s", got, len(t.tokens), want)
	}
	return nil
}

// Save writes the tokenizer as JSON. The file is written to a temporary name in the same
// directory and renamed, so a reader never sees half a file.
func (t *Tokenizer) Save(path string) error {
	data, err := json.MarshalIndent(fileJSON{
		Format: fileFormat, Version: FileVersion, MaxLen: t.maxLen,
		Fingerprint: t.Fingerprint(), Tokens: t.tokens,
	}, "", " ")
	if err != nil {
		return fmt.Errorf("text: %s: %w", path, err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("text: %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("text: %s: %w", path, werr)
	}
	return nil
}

// Load reads a tokenizer written by Save and validates it: format and version, the
// special tokens at their ids, no duplicate or empty token, and the stored fingerprint
// matching the tokens.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	return t, nil
}

// Parse decodes and validates the JSON of a tokenizer file (see Load).
func Parse(data []byte) (*Tokenizer, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a tokenizer JSON file: %s", oneLine(err.Error()))
	}
	if dec.More() {
		return nil, fmt.Errorf("not a tokenizer JSON file: data after the JSON object")
	}
	switch {
	case f.Format != fileFormat:
		return nil, fmt.Errorf("format %q, want %q", f.Format, fileFormat)
	case f.Version != FileVersion:
		return nil, fmt.Errorf("version %d, want %d", f.Version, FileVersion)
	}
	for i, tok := range f.Tokens {
		if strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
			return nil, fmt.Errorf("token %d (%q) contains white space", i, tok)
		}
	}
	t, err := newTokenizer(f.Tokens, f.MaxLen)
	if err != nil {
		return nil, err
	}
	if got := t.Fingerprint(); f.Fingerprint != got {
		return nil, fmt.Errorf("fingerprint %q does not match the tokens (%s): the file was edited", f.Fingerprint, got)
	}
	return t, nil
}

// oneLine keeps error messages from the JSON decoder on one line.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
