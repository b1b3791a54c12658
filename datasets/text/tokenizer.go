package text

import (
	"fmt"
	"slices"
	"strings"
)

// Config says how a tokenizer is fitted.
type Config struct {
	// MinFreq is the number of times a word must occur in the training captions to get
	// an id of its own; rarer words encode as [UNK]. Values below 1 mean 1.
	MinFreq int
	// MaxVocab caps the vocabulary size, special tokens included (the most frequent
	// words are kept, ties broken alphabetically). 0 means no cap.
	MaxVocab int
	// MaxLen is the length of every encoding, [BOS] and [EOS] included; at least 2.
	MaxLen int
}

// DefaultConfig suits captions of a few to twenty words (shapes and Flickr8k).
func DefaultConfig() Config { return Config{MinFreq: 1, MaxVocab: 0, MaxLen: 32} }

// Tokenizer maps words to ids and back. It is immutable after Fit or Load, so one
// tokenizer can be shared by many goroutines.
type Tokenizer struct {
	tokens []string         // id -> token; tokens[:len(Specials)] == Specials
	ids    map[string]int32 // token -> id
	maxLen int
}

// Fit builds a vocabulary from training captions: the special tokens, then the words
// that occur at least cfg.MinFreq times, most frequent first.
func Fit(captions []string, cfg Config) (*Tokenizer, error) {
	if cfg.MaxLen < 2 {
		return nil, fmt.Errorf("text: MaxLen %d: want at least 2 ([BOS] and [EOS])", cfg.MaxLen)
	}
	if cfg.MaxVocab != 0 && cfg.MaxVocab < len(Specials) {
		return nil, fmt.Errorf("text: MaxVocab %d: want 0 (no cap) or at least %d (the special tokens)", cfg.MaxVocab, len(Specials))
	}
	minFreq := max(cfg.MinFreq, 1)
	counts := map[string]int{}
	for _, c := range captions {
		for _, w := range Words(c) {
			counts[w]++
		}
	}
	type wc struct {
		w string
		n int
	}
	var kept []wc
	for w, n := range counts {
		if n >= minFreq && !slices.Contains(Specials, w) {
			kept = append(kept, wc{w, n})
		}
	}
	slices.SortFunc(kept, func(a, b wc) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.w, b.w)
	})
	if cfg.MaxVocab > 0 && len(Specials)+len(kept) > cfg.MaxVocab {
		kept = kept[:cfg.MaxVocab-len(Specials)]
	}
	tokens := slices.Clone(Specials)
	for _, k := range kept {
		tokens = append(tokens, k.w)
	}
	return newTokenizer(tokens, cfg.MaxLen)
}

// newTokenizer checks a token list (specials first, no duplicates, no empty token) and
// indexes it.
func newTokenizer(tokens []string, maxLen int) (*Tokenizer, error) {
	if maxLen < 2 {
		return nil, fmt.Errorf("max_len %d: want at least 2", maxLen)
	}
	if len(tokens) < len(Specials) {
		return nil, fmt.Errorf("%d tokens: want at least the %d special tokens", len(tokens), len(Specials))
	}
	for i, s := range Specials {
		if tokens[i] != s {
			return nil, fmt.Errorf("token %d is %q, want special token %q", i, tokens[i], s)
		}
	}
	ids := make(map[string]int32, len(tokens))
	for i, tok := range tokens {
		if tok == "" {
			return nil, fmt.Errorf("token %d is empty", i)
		}
		if j, dup := ids[tok]; dup {
			return nil, fmt.Errorf("duplicate token %q at ids %d and %d", tok, j, i)
		}
		ids[tok] = int32(i)
	}
	return &Tokenizer{tokens: tokens, ids: ids, maxLen: maxLen}, nil
}

// VocabSize returns the number of ids, special tokens included.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// MaxLen returns the length of every encoding.
func (t *Tokenizer) MaxLen() int { return t.maxLen }

// WithMaxLen returns a tokenizer with the same vocabulary (and fingerprint) that pads
// and truncates to n ids.
func (t *Tokenizer) WithMaxLen(n int) (*Tokenizer, error) {
	if n < 2 {
		return nil, fmt.Errorf("text: MaxLen %d: want at least 2 ([BOS] and [EOS])", n)
	}
	return &Tokenizer{tokens: t.tokens, ids: t.ids, maxLen: n}, nil
}

// Tokens returns the vocabulary in id order (a copy).
func (t *Tokenizer) Tokens() []string { return slices.Clone(t.tokens) }

// ID returns the id of a token, [UNK]'s id for a token outside the vocabulary.
func (t *Tokenizer) ID(token string) int32 {
	if id, ok := t.ids[token]; ok {
		return id
	}
	return UNKID
}

// Token returns the token of an id, "[UNK]" for an id outside [0, VocabSize).
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return UNKToken
	}
	return t.tokens[id]
}

// Encode returns the ids of a text, [BOS] words [EOS] padded with [PAD] to MaxLen, and
// the attention mask (1 on real tokens, 0 on padding); both have MaxLen entries.
func (t *Tokenizer) Encode(s string) (ids, mask []int32) {
	return encodeRows(t.maxLen, []string{s}, t.encodeInto)
}

// EncodeBatch encodes texts into flat row-major slices.
// ids, mask: [len(texts), MaxLen].
func (t *Tokenizer) EncodeBatch(texts []string) (ids, mask []int32) {
	return encodeRows(t.maxLen, texts, t.encodeInto)
}

// encodeInto writes one encoding into ids and mask, both of length MaxLen.
func (t *Tokenizer) encodeInto(s string, ids, mask []int32) {
	words := Words(s)
	if room := t.maxLen - 2; len(words) > room {
		words = words[:room] // truncation keeps [EOS]
	}
	ids[0] = BOSID
	for i, w := range words {
		ids[1+i] = t.ID(w)
	}
	n := len(words) + 2
	ids[n-1] = EOSID
	for i := range ids {
		if i < n {
			mask[i] = 1
		} else {
			ids[i], mask[i] = PadID, 0
		}
	}
}

// Length returns the number of real tokens of an encoding, [BOS] and [EOS] included:
// the index of [EOS] plus one (the pooling position of an [EOS]-pooled encoder).
func Length(mask []int32) int {
	n := 0
	for _, m := range mask {
		if m != 0 {
			n++
		}
	}
	return n
}

// Decode turns ids back into text: the tokens joined by single spaces, [PAD] and [BOS]
// left out, stopping at the first [EOS]. Ids outside the vocabulary read as [UNK].
func (t *Tokenizer) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		if id == EOSID {
			break
		}
		if id == PadID || id == BOSID {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Token(id))
	}
	return b.String()
}

// encodeRows encodes texts with into, each into its own MaxLen-long row of flat
// row-major slices. ids, mask: [len(texts), maxLen].
func encodeRows(maxLen int, texts []string, into func(text string, ids, mask []int32)) (ids, mask []int32) {
	ids = make([]int32, len(texts)*maxLen)
	mask = make([]int32, len(texts)*maxLen)
	for i, s := range texts {
		into(s, ids[i*maxLen:(i+1)*maxLen], mask[i*maxLen:(i+1)*maxLen])
	}
	return ids, mask
}
