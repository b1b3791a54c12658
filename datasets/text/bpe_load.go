package text

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// clipMerges is the number of merges CLIP's vocabulary uses: 49152 BPE tokens less the
// 256 byte tokens and the 2 special tokens (the file holds 262,144 merges; OpenAI's and
// Hugging Face's CLIPTokenizer both read only these).
const clipMerges = 49152 - 256 - 2

// LoadCLIPVocab reads OpenAI's bpe_simple_vocab_16e6.txt.gz (gzipped or not): a header
// line, then one merge per line ("i n"). The vocabulary is built as simple_tokenizer.py
// builds it: the 256 byte characters, the same with "</w>", the first 48,894 merges,
// <|startoftext|> and <|endoftext|> (49,408 ids; 49406 and 49407 for the specials).
//
// A file with fewer merges makes a smaller vocabulary; a blank last line (the file's
// final newline) is not a merge. (OpenAI's code would make that blank line a token "".)
func LoadCLIPVocab(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	t, err := parseCLIPVocab(data)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", path, err)
	}
	return t, nil
}

// parseCLIPVocab builds the tokenizer from the bytes of an OpenAI vocabulary file.
func parseCLIPVocab(data []byte) (*BPE, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("bad gzip data: %v", err)
		}
		// The real file unpacks to 1.6 MB and only its first 400 kB are read; a cap keeps
		// a hostile file from filling memory.
		if data, err = io.ReadAll(io.LimitReader(zr, 16<<20)); err != nil {
			return nil, fmt.Errorf("bad gzip data: %v", err)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("not UTF-8 text")
	}
	// The header line, the merges used, and the rest of the file in one piece.
	lines := strings.SplitN(string(data), "\n", clipMerges+2)[1:]
	if len(lines) > clipMerges {
		lines = lines[:clipMerges]
	} else if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("no merges after the header line")
	}
	// The byte tokens come in the order of their characters (bytes_to_unicode's order),
	// then the same with "</w>".
	alphabet := byteAlphabet()
	slices.Sort(alphabet[:])
	tokens := make([]string, 0, 2*256+len(lines)+2)
	tokens = append(tokens, alphabet[:]...)
	for _, c := range alphabet {
		tokens = append(tokens, c+"</w>")
	}
	merges := make([][2]string, len(lines))
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: %q: want two symbols separated by a space", i+2, line)
		}
		merges[i] = [2]string{f[0], f[1]}
		tokens = append(tokens, f[0]+f[1])
	}
	tokens = append(tokens, CLIPStartToken, CLIPEndToken)
	return buildBPE(tokens, merges, func(i int) string { return fmt.Sprintf("line %d", i+2) })
}

// LoadVocabMerges reads Hugging Face's CLIPTokenizer files: vocab.json (a JSON object
// from token to id) and merges.txt (an optional "#version" header line, then one merge
// per line). As CLIPTokenizer does, only the first 48,894 merges are used.
func LoadVocabMerges(vocabJSON, mergesTXT string) (*BPE, error) {
	vdata, err := os.ReadFile(vocabJSON)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	mdata, err := os.ReadFile(mergesTXT)
	if err != nil {
		return nil, fmt.Errorf("text: %w", err)
	}
	tokens, err := parseVocabJSON(vdata)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", vocabJSON, err)
	}
	merges, err := parseMergesTXT(mdata)
	if err != nil {
		return nil, fmt.Errorf("text: %s: %w", mergesTXT, err)
	}
	t, err := buildBPE(tokens, merges.pairs, func(i int) string { return fmt.Sprintf("line %d", i+merges.firstLine) })
	if err != nil {
		return nil, fmt.Errorf("text: %s and %s: %w", vocabJSON, mergesTXT, err)
	}
	return t, nil
}

// parseVocabJSON reads a token -> id object whose ids are 0..n-1, each once, and returns
// the tokens in id order.
func parseVocabJSON(data []byte) ([]string, error) {
	var vocab map[string]int64
	if err := json.Unmarshal(data, &vocab); err != nil {
		return nil, fmt.Errorf("not a JSON object from token to id: %s", oneLine(err.Error()))
	}
	return vocabTokens(vocab)
}

// vocabTokens checks that a vocabulary's ids are 0..n-1, each once, and returns its
// tokens in id order.
func vocabTokens(vocab map[string]int64) ([]string, error) {
	if len(vocab) == 0 {
		return nil, fmt.Errorf("empty vocabulary")
	}
	tokens := make([]string, len(vocab))
	for tok, id := range vocab {
		if id < 0 || id >= int64(len(vocab)) {
			return nil, fmt.Errorf("token %q has id %d, outside [0, %d): ids must be 0..n-1", tok, id, len(vocab))
		}
		if tokens[id] != "" || tok == "" {
			return nil, fmt.Errorf("id %d is given twice or to an empty token", id)
		}
		tokens[id] = tok
	}
	return tokens, nil
}

// mergeList is a parsed merges.txt: the pairs and the line number of the first.
type mergeList struct {
	pairs     [][2]string
	firstLine int
}

// parseMergesTXT reads merges.txt: an optional "#" header line, then "a b" lines; blank
// lines at the end are ignored. At most clipMerges merges are kept.
func parseMergesTXT(data []byte) (mergeList, error) {
	if !utf8.Valid(data) {
		return mergeList{}, fmt.Errorf("not UTF-8 text")
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n\r "), "\n")
	first := 1
	if strings.HasPrefix(lines[0], "#") {
		lines, first = lines[1:], 2
	}
	if len(lines) > clipMerges {
		lines = lines[:clipMerges]
	}
	if len(lines) == 0 || len(lines) == 1 && lines[0] == "" {
		return mergeList{}, fmt.Errorf("no merges")
	}
	pairs := make([][2]string, len(lines))
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 2 {
			return mergeList{}, fmt.Errorf("line %d: %q: want two symbols separated by a space", i+first, line)
		}
		pairs[i] = [2]string{f[0], f[1]}
	}
	return mergeList{pairs, first}, nil
}

// buildBPE indexes a vocabulary (tokens in id order) and its merges (in rank order) and
// checks what encoding relies on: no duplicate token; every byte's character, alone and
// with "</w>", is a token; both special tokens are; each merge joins two symbols that are
// byte tokens or made by an earlier merge, into a token of the vocabulary that no other
// merge or byte makes; no pair is merged twice. where(i) names merge i in errors.
func buildBPE(tokens []string, merges [][2]string, where func(int) string) (*BPE, error) {
	ids := make(map[string]int32, len(tokens))
	for i, tok := range tokens {
		if j, dup := ids[tok]; dup {
			return nil, fmt.Errorf("token %q has two ids, %d and %d", tok, j, i)
		}
		ids[tok] = int32(i)
	}
	t := &BPE{tokens: tokens, ids: ids, maxLen: CLIPContext, cache: &pieceCache{m: map[string][]int32{}}}
	made := make([]bool, len(tokens)) // tokens a byte or an earlier merge makes
	for b, c := range byteAlphabet() {
		for _, tok := range []string{c, c + "</w>"} {
			id, ok := ids[tok]
			if !ok {
				return nil, fmt.Errorf("byte token %q (byte %d) is not in the vocabulary", tok, b)
			}
			made[id] = true
		}
		t.byteID[b], t.byteEndID[b] = ids[c], ids[c+"</w>"]
	}
	var ok bool
	if t.sot, ok = ids[CLIPStartToken]; !ok {
		return nil, fmt.Errorf("special token %s is not in the vocabulary", CLIPStartToken)
	}
	if t.eot, ok = ids[CLIPEndToken]; !ok {
		return nil, fmt.Errorf("special token %s is not in the vocabulary", CLIPEndToken)
	}
	t.merges = make(map[uint64]merge, len(merges))
	for rank, m := range merges {
		var side [2]int32
		for k, sym := range m {
			id, ok := ids[sym]
			if !ok || !made[id] {
				return nil, fmt.Errorf("%s: merge %q %q: %q is neither a byte token nor made by an earlier merge", where(rank), m[0], m[1], sym)
			}
			side[k] = id
		}
		id, ok := ids[m[0]+m[1]]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: merge %q %q makes %q, which is not in the vocabulary", where(rank), m[0], m[1], m[0]+m[1])
		case made[id]:
			return nil, fmt.Errorf("%s: merge %q %q makes %q, which a byte or an earlier merge already makes", where(rank), m[0], m[1], m[0]+m[1])
		}
		made[id] = true
		t.merges[uint64(side[0])<<32|uint64(side[1])] = merge{rank: int32(rank), id: id}
	}
	t.raw = make([][]byte, len(tokens))
	decoder := map[rune]byte{}
	for b, c := range byteAlphabet() {
		decoder[[]rune(c)[0]] = byte(b)
	}
	for i, tok := range tokens {
		t.raw[i] = tokenBytes(tok, decoder)
	}
	return t, nil
}

// tokenBytes is the byte string a byte-level token stands for. A character outside the
// byte alphabet (possible only in an added token) stands for its own UTF-8.
func tokenBytes(tok string, decoder map[rune]byte) []byte {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		if b, ok := decoder[r]; ok {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// byteAlphabet returns the character that stands for each byte (GPT-2's bytes_to_unicode):
// printable Latin-1 bytes stand for themselves, the others for U+0100 onwards in byte
// order, so that no token holds white space or a control character.
func byteAlphabet() [256]string {
	var a [256]string
	next := rune(0x100)
	for b := 0; b < 256; b++ {
		if '!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF {
			a[b] = string(rune(b))
		} else {
			a[b] = string(next)
			next++
		}
	}
	return a
}
