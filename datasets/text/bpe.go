package text

import (
	"fmt"
	"strings"
	"sync"
)

// CLIPContext is the context length of every CLIP model: 77 ids, start and end tokens
// included.
const CLIPContext = 77

// BPE is CLIP's byte-level BPE tokenizer (OpenAI's simple_tokenizer.py and clip.tokenize,
// Hugging Face's CLIPTokenizer). Its ids equal OpenAI's; see TestCLIPGolden.
//
// A text is cleaned (cleanCLIP: ftfy's well-defined fixes, HTML entities decoded twice,
// white space collapsed, lower-cased), cut into pieces by CLIP's pattern (preTokenize),
// and each piece's UTF-8 bytes, written as one vocabulary character per byte with "</w>"
// on the last, are merged by rank. A special token written in the text
// ("<|endoftext|>") keeps its special id, as in OpenAI's tokenizer.
//
// Padding: Encode pads with 0, as clip.tokenize does; Hugging Face pads CLIP with
// <|endoftext|>. The mask (1 on real tokens) makes the two equivalent for a model that
// masks attention and pools at the last real token (Length(mask)-1), as nn.PoolEOS
// does. OpenAI's CLIP pools at argmax(ids) instead, the first <|endoftext|>: the same
// position unless the text itself holds "<|endoftext|>".
//
// A BPE is immutable and safe for concurrent use; it caches the tokens of the pieces it
// has seen.
type BPE struct {
	tokens []string         // id -> token, byte-level ("cat</w>")
	ids    map[string]int32 // token -> id
	raw    [][]byte         // id -> the bytes the token stands for ("Ã©</w>" → "é</w>")
	// byteID and byteEndID are the ids of each byte's character alone and with "</w>".
	byteID, byteEndID [256]int32
	merges            map[uint64]merge // left id << 32 | right id -> merge
	sot, eot          int32
	maxLen            int
	cache             *pieceCache
}

// merge is one BPE merge: its rank (lower merges first) and the id it produces.
type merge struct{ rank, id int32 }

// VocabSize returns the number of ids, special tokens included (49408 for CLIP).
func (t *BPE) VocabSize() int { return len(t.tokens) }

// MaxLen returns the length of every encoding (CLIPContext unless changed by WithMaxLen).
func (t *BPE) MaxLen() int { return t.maxLen }

// SOT returns the id of <|startoftext|>.
func (t *BPE) SOT() int32 { return t.sot }

// EOT returns the id of <|endoftext|>.
func (t *BPE) EOT() int32 { return t.eot }

// Token returns the byte-level token of an id ("cat</w>"), "" outside [0, VocabSize).
func (t *BPE) Token(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// WithMaxLen returns a tokenizer with the same vocabulary (and cache) that pads and
// truncates to n ids.
func (t *BPE) WithMaxLen(n int) (*BPE, error) {
	if n < 2 {
		return nil, fmt.Errorf("text: MaxLen %d: want at least 2 (<|startoftext|> and <|endoftext|>)", n)
	}
	c := *t
	c.maxLen = n
	return &c, nil
}

// Tokens returns all the ids of a text: <|startoftext|>, the text's tokens,
// <|endoftext|>; no truncation, no padding.
func (t *BPE) Tokens(text string) []int32 {
	return t.tokensUpTo(text, -1)
}

// tokensUpTo returns <|startoftext|>, the text's tokens, <|endoftext|>, stopping after
// limit text tokens when limit >= 0 (the first limit tokens do not depend on the rest).
func (t *BPE) tokensUpTo(text string, limit int) []int32 {
	ids := []int32{t.sot}
	preTokenize(cleanCLIP(text), func(piece string) bool {
		ids = t.appendPiece(ids, piece)
		return limit < 0 || len(ids)-1 < limit
	})
	if limit >= 0 && len(ids)-1 > limit {
		ids = ids[:limit+1]
	}
	return append(ids, t.eot)
}

// Encode returns the ids of a text and its mask, both MaxLen long: <|startoftext|>, the
// text's tokens, <|endoftext|>, then 0s; a longer text is truncated to its first
// MaxLen-2 tokens, <|endoftext|> kept last (clip.tokenize with truncate=True).
func (t *BPE) Encode(text string) (ids, mask []int32) {
	return encodeRows(t.maxLen, []string{text}, t.encodeInto)
}

// EncodeBatch encodes texts into flat row-major slices.
// ids, mask: [len(texts), MaxLen].
func (t *BPE) EncodeBatch(texts []string) (ids, mask []int32) {
	return encodeRows(t.maxLen, texts, t.encodeInto)
}

// encodeInto writes one encoding into ids and mask (MaxLen long, zeroed).
func (t *BPE) encodeInto(text string, ids, mask []int32) {
	toks := t.tokensUpTo(text, t.maxLen-2)
	copy(ids, toks)
	for i := range toks {
		mask[i] = 1
	}
}

// Decode turns ids back into text the way OpenAI's SimpleTokenizer.decode does (bytes
// joined, read as UTF-8 with U+FFFD for broken characters, each "</w>" a space), without
// its trailing space. It skips <|startoftext|> and stops at the first <|endoftext|>, so
// an Encode row decodes whole; ids outside the vocabulary read as U+FFFD.
func (t *BPE) Decode(ids []int32) string {
	var body []int32
	for _, id := range ids {
		if id == t.eot {
			break
		}
		if id != t.sot {
			body = append(body, id)
		}
	}
	return strings.TrimRight(t.decodeTokens(body), " ")
}

// decodeTokens is SimpleTokenizer.decode: every id's bytes, read as UTF-8 the way
// Python's errors="replace" does, with each "</w>" replaced by a space.
func (t *BPE) decodeTokens(ids []int32) string {
	var buf []byte
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.raw) {
			buf = append(buf, "\uFFFD"...)
			continue
		}
		buf = append(buf, t.raw[id]...)
	}
	return strings.ReplaceAll(toValidUTF8(string(buf)), "</w>", " ")
}

// appendPiece appends the tokens of one pre-tokenized piece.
func (t *BPE) appendPiece(ids []int32, piece string) []int32 {
	switch piece {
	case CLIPStartToken:
		return append(ids, t.sot)
	case CLIPEndToken:
		return append(ids, t.eot)
	}
	if toks, ok := t.cache.get(piece); ok {
		return append(ids, toks...)
	}
	toks := t.mergePiece(piece)
	if len(piece) <= maxCachedPiece {
		t.cache.put(piece, toks)
	}
	return append(ids, toks...)
}

// pieceCache maps pieces to their tokens. It is emptied when full, so memory stays
// bounded however many distinct pieces a long-running process meets.
type pieceCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

// pieceCacheSize and maxCachedPiece bound the cache's memory: captions use a few tens
// of thousands of distinct words, and a piece of more than 64 bytes is rare (a URL, a
// long number-free run of symbols) and cheap to merge again.
const (
	pieceCacheSize = 1 << 16
	maxCachedPiece = 64
)

func (c *pieceCache) get(piece string) ([]int32, bool) {
	c.mu.RLock()
	toks, ok := c.m[piece]
	c.mu.RUnlock()
	return toks, ok
}

func (c *pieceCache) put(piece string, toks []int32) {
	c.mu.Lock()
	if len(c.m) >= pieceCacheSize {
		c.m = make(map[string][]int32)
	}
	c.m[piece] = toks
	c.mu.Unlock()
}
