package text

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// BERTMaxLen is the context length of BERT models: 512 ids, [CLS] and [SEP] included.
const BERTMaxLen = 512

// maxWordChars is BERT's max_input_chars_per_word: a longer word is [UNK].
const maxWordChars = 100

// WordPiece is BERT's tokenizer (Hugging Face's BertTokenizer): a basic tokenizer (drop
// control characters, white space to spaces, spaces around CJK ideographs, NFC, split at
// white space; for uncased models lower-case and strip accents; split off every
// punctuation character), then greedy longest-match WordPiece with "##" on pieces that
// continue a word; a word with no split into vocabulary pieces, or longer than 100
// characters, is [UNK]. An encoding is [CLS] pieces [SEP] [PAD]..., MaxLen long.
//
// Special tokens written in the text ("[MASK]") are split like any text; Hugging Face
// would keep them whole.
//
// A WordPiece is immutable and safe for concurrent use.
type WordPiece struct {
	tokens             []string
	ids                map[string]int32
	cls, sep, pad, unk int32
	lower, stripAccent bool
	maxLen             int
}

// LoadWordPiece reads a BERT vocab.txt (one token per line, the id is the line number
// from 0). uncased lower-cases and strips accents, as bert-base-uncased does; a cased
// model (bert-base-cased) wants false.
func LoadWordPiece(vocabTXT string, uncased bool) (*WordPiece, error) {
	data, err := os.ReadFile(vocabTXT)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("text: %s: empty file", vocabTXT)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\r\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	w, err := newWordPiece(lines, uncased, uncased)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", vocabTXT, err)
	}
	return w, nil
}

// newWordPiece indexes a vocabulary (tokens in id order) that holds [CLS], [SEP], [PAD]
// and [UNK].
func newWordPiece(tokens []string, lower, stripAccent bool) (*WordPiece, error) {
	w := &WordPiece{tokens: tokens, ids: make(map[string]int32, len(tokens)), lower: lower, stripAccent: stripAccent, maxLen: BERTMaxLen}
	for i, tok := range tokens {
		if tok == "" || strings.ContainsFunc(tok, unicode.IsSpace) {
			return nil, fmt.Errorf("line %d: token %q is empty or holds white space", i+1, tok)
		}
		if j, dup := w.ids[tok]; dup {
			return nil, fmt.Errorf("line %d: token %q repeats line %d", i+1, tok, j+1)
		}
		w.ids[tok] = int32(i)
	}
	for _, s := range []struct {
		tok string
		id  *int32
	}{{"[CLS]", &w.cls}, {"[SEP]", &w.sep}, {"[PAD]", &w.pad}, {"[UNK]", &w.unk}} {
		id, ok := w.ids[s.tok]
		if !ok {
			return nil, fmt.Errorf("special token %s is not in the vocabulary", s.tok)
		}
		*s.id = id
	}
	return w, nil
}

// VocabSize returns the number of ids.
func (w *WordPiece) VocabSize() int { return len(w.tokens) }

// MaxLen returns the length of every encoding.
func (w *WordPiece) MaxLen() int { return w.maxLen }

// CLS returns the id of [CLS].
func (w *WordPiece) CLS() int32 { return w.cls }

// SEP returns the id of [SEP].
func (w *WordPiece) SEP() int32 { return w.sep }

// WithMaxLen returns a tokenizer with the same vocabulary that pads and truncates to n ids.
func (w *WordPiece) WithMaxLen(n int) (*WordPiece, error) {
	if n < 2 {
		return nil, fmt.Errorf("text: MaxLen %d: want at least 2 ([CLS] and [SEP])", n)
	}
	c := *w
	c.maxLen = n
	return &c, nil
}

// Tokens returns [CLS], the text's pieces, [SEP]; no truncation, no padding.
func (w *WordPiece) Tokens(text string) []int32 {
	ids := []int32{w.cls}
	for _, word := range w.basicTokens(text) {
		ids = w.appendPieces(ids, word)
	}
	return append(ids, w.sep)
}

// Encode returns the ids and mask of a text, MaxLen long: [CLS] pieces [SEP] then [PAD];
// a longer text keeps its first MaxLen-2 pieces and [SEP].
func (w *WordPiece) Encode(text string) (ids, mask []int32) {
	ids = make([]int32, w.maxLen)
	mask = make([]int32, w.maxLen)
	w.encodeInto(text, ids, mask)
	return ids, mask
}

// EncodeBatch encodes texts into flat row-major slices.
// ids, mask: [len(texts), MaxLen].
func (w *WordPiece) EncodeBatch(texts []string) (ids, mask []int32) {
	l := w.maxLen
	ids = make([]int32, len(texts)*l)
	mask = make([]int32, len(texts)*l)
	for i, s := range texts {
		w.encodeInto(s, ids[i*l:(i+1)*l], mask[i*l:(i+1)*l])
	}
	return ids, mask
}

func (w *WordPiece) encodeInto(text string, ids, mask []int32) {
	toks := w.Tokens(text)
	if len(toks) > w.maxLen {
		toks = append(toks[:w.maxLen-1], w.sep)
	}
	for i := range ids {
		ids[i], mask[i] = w.pad, 0
		if i < len(toks) {
			ids[i], mask[i] = toks[i], 1
		}
	}
}

// Decode joins the pieces with spaces and glues "##" pieces to the one before, as
// Hugging Face's convert_tokens_to_string does; it skips [CLS] and [PAD] and stops at
// the first [SEP]. Ids outside the vocabulary read as [UNK].
func (w *WordPiece) Decode(ids []int32) string {
	var parts []string
	for _, id := range ids {
		if id == w.sep {
			break
		}
		if id == w.cls || id == w.pad {
			continue
		}
		tok := "[UNK]"
		if id >= 0 && int(id) < len(w.tokens) {
			tok = w.tokens[id]
		}
		parts = append(parts, tok)
	}
	return strings.ReplaceAll(strings.Join(parts, " "), " ##", "")
}

// appendPieces appends the WordPiece ids of one word: at each position the longest
// vocabulary piece ("##" after the first), or [UNK] for the whole word if some position
// has none.
func (w *WordPiece) appendPieces(ids []int32, word string) []int32 {
	rs := []rune(word)
	if len(rs) > maxWordChars {
		return append(ids, w.unk)
	}
	start := len(ids)
	for i := 0; i < len(rs); {
		found := false
		for j := len(rs); j > i; j-- {
			piece := string(rs[i:j])
			if i > 0 {
				piece = "##" + piece
			}
			if id, ok := w.ids[piece]; ok {
				ids = append(ids, id)
				i, found = j, true
				break
			}
		}
		if !found {
			return append(ids[:start], w.unk)
		}
	}
	return ids
}

// basicTokens is BERT's BasicTokenizer: the words and punctuation marks of a text.
func (w *WordPiece) basicTokens(text string) []string {
	var b strings.Builder
	for _, r := range toValidUTF8(text) {
		switch {
		case r == 0 || r == 0xFFFD || bertControl(r):
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case cjkIdeograph(r):
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	var out []string
	for _, word := range strings.FieldsFunc(norm.NFC.String(b.String()), pyIsSpace) {
		if w.lower {
			word = pyLower(word)
		}
		if w.stripAccent {
			word = stripAccents(word)
		}
		out = appendPunctSplit(out, word)
	}
	return out
}

// appendPunctSplit appends the parts of a word with every punctuation character split
// off as a part of its own.
func appendPunctSplit(out []string, word string) []string {
	start := 0
	for i, r := range word {
		if bertPunct(r) {
			if start < i {
				out = append(out, word[start:i])
			}
			out = append(out, string(r))
			start = i + len(string(r))
		}
	}
	if start < len(word) {
		out = append(out, word[start:])
	}
	return out
}

// stripAccents removes the combining marks (category Mn) of the NFD form.
func stripAccents(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, norm.NFD.String(s))
}

// bertControl is BERT's _is_control: category C* (unassigned included), except tab, LF
// and CR, which are white space.
func bertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.C) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// bertPunct is BERT's _is_punctuation: ASCII non-alphanumeric symbols and category P*.
func bertPunct(r rune) bool {
	if r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126 {
		return true
	}
	return unicode.IsPunct(r)
}

// cjkIdeograph is BERT's _is_chinese_char: the CJK Unified Ideographs blocks and their
// compatibility blocks (not Hangul, Hiragana or Katakana).
func cjkIdeograph(r rune) bool {
	return 0x4E00 <= r && r <= 0x9FFF || 0x3400 <= r && r <= 0x4DBF || 0x20000 <= r && r <= 0x2A6DF ||
		0x2A700 <= r && r <= 0x2B73F || 0x2B740 <= r && r <= 0x2B81F || 0x2B820 <= r && r <= 0x2CEAF ||
		0xF900 <= r && r <= 0xFAFF || 0x2F800 <= r && r <= 0x2FA1F
}
