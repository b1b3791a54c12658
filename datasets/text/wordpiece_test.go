package text

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bertVocab is a small hand-made BERT vocabulary; a token's id is its index.
var bertVocab = []string{
	"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
	"the", "cat", "un", "##aff", "##able", // 5-9
	"##s", "!", ",", "'", "s", // 10-14
	"cafe", "猫", "run", "##ning", "a", // 15-19
	"##a", "Cat", "café", // 20-22
}

func loadBERT(t testing.TB, uncased bool) *WordPiece {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.WriteFile(path, []byte(strings.Join(bertVocab, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := LoadWordPiece(path, uncased)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWordPieceTokens(t *testing.T) {
	uncased, cased := loadBERT(t, true), loadBERT(t, false)
	for _, tc := range []struct {
		w    *WordPiece
		text string
		want []int32 // without [CLS] and [SEP]
	}{
		// the cat ' s un ##aff ##able !
		{uncased, "The cat's unaffable!", []int32{5, 6, 13, 14, 7, 8, 9, 11}},
		// lower-cased and accent-stripped: cafe run ##ning
		{uncased, "Café  RUNNING", []int32{15, 17, 18}},
		{uncased, "猫猫", []int32{16, 16}}, // CJK ideographs split apart
		{uncased, "dogs", []int32{1}},    // no first piece: the word is [UNK]
		{uncased, "aaa", []int32{19, 20, 20}},
		{uncased, strings.Repeat("a", 100), append([]int32{19}, slices.Repeat([]int32{20}, 99)...)}, // a ##a ...
		{uncased, strings.Repeat("a", 101), []int32{1}},                                             // over 100 characters
		{uncased, "the\x00\tcat\u200b,", []int32{5, 6, 12}},                                         // NUL and U+200B (Cf) dropped, tab a space
		{uncased, "[MASK]", []int32{1, 1, 1}},                                                       // special tokens in text are split
		{uncased, "", nil},
		{cased, "Cat café", []int32{21, 22}},
		{cased, "cat Cafe", []int32{6, 1}},
	} {
		want := append(append([]int32{2}, tc.want...), 3)
		if got := tc.w.Tokens(tc.text); !slices.Equal(got, want) {
			t.Errorf("Tokens(%.30q) = %v, want %v", tc.text, got, want)
		}
	}
}

func TestWordPieceEncodeDecode(t *testing.T) {
	w := loadBERT(t, true)
	if w.VocabSize() != len(bertVocab) || w.MaxLen() != BERTMaxLen || w.CLS() != 2 || w.SEP() != 3 {
		t.Fatalf("vocab %d, max len %d, cls %d, sep %d", w.VocabSize(), w.MaxLen(), w.CLS(), w.SEP())
	}
	short, err := w.WithMaxLen(6)
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := short.Encode("The cat's unaffable!")
	if !slices.Equal(ids, []int32{2, 5, 6, 13, 14, 3}) || !slices.Equal(mask, []int32{1, 1, 1, 1, 1, 1}) {
		t.Errorf("truncated Encode = %v %v", ids, mask)
	}
	long, _ := w.WithMaxLen(12)
	ids, mask = long.EncodeBatch([]string{"un aff", "cat!"})
	wantIDs := []int32{2, 7, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 11, 3, 0, 0, 0, 0, 0, 0, 0, 0}
	wantMask := []int32{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	if !slices.Equal(ids, wantIDs) || !slices.Equal(mask, wantMask) {
		t.Errorf("EncodeBatch = %v %v", ids, mask)
	}
	if got := w.Decode([]int32{2, 7, 8, 9, 11, 3, 5, 0}); got != "unaffable !" {
		t.Errorf("Decode = %q", got)
	}
	if got := w.Decode([]int32{5, 99, -1}); got != "the [UNK] [UNK]" {
		t.Errorf("Decode of bad ids = %q", got)
	}
	if _, err := w.WithMaxLen(1); err == nil {
		t.Error("WithMaxLen(1): no error")
	}
}

func TestWordPieceMalformed(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"empty", "\n\n", "empty file"},
		{"no sep", "[PAD]\n[UNK]\n[CLS]\nthe\n", "special token [SEP]"},
		{"duplicate", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nthe\n", `line 6: token "the" repeats line 5`},
		{"blank line", "[PAD]\n\n[UNK]\n", `line 2: token ""`},
		{"space", "[PAD]\nthe cat\n", `line 2: token "the cat"`},
	} {
		path := filepath.Join(t.TempDir(), "vocab.txt")
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadWordPiece(path, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", tc.name, err, path, tc.want)
		}
	}
}

func TestLoadDirWordPiece(t *testing.T) {
	vocab := strings.Join(bertVocab, "\n") + "\n"
	cased := writeFiles(t, map[string]string{"vocab.txt": vocab, "tokenizer_config.json": `{"do_lower_case": false}`})
	uncased := writeFiles(t, map[string]string{"vocab.txt": vocab})
	fromJSON := writeFiles(t, map[string]string{"tokenizer.json": `{"normalizer": {"type": "BertNormalizer", "lowercase": false},
		"model": {"type": "WordPiece", "continuing_subword_prefix": "##", "vocab": {` + jsonVocab(bertVocab) + `}}}`})
	for _, tc := range []struct {
		dir  string
		want []int32
	}{{cased, []int32{2, 21, 3}}, {uncased, []int32{2, 6, 3}}, {fromJSON, []int32{2, 21, 3}}} {
		enc, err := LoadDir(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := enc.(*WordPiece)
		if !ok {
			t.Fatalf("LoadDir gave a %T", enc)
		}
		if got := w.Tokens("Cat"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Tokens(Cat) = %v, want %v", tc.dir, got, tc.want)
		}
	}
	bad := writeFiles(t, map[string]string{"vocab.txt": vocab, "tokenizer_config.json": `{"do_lower_case": "yes"`})
	if _, err := LoadDir(bad); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json") {
		t.Errorf("bad tokenizer_config.json: error %v", err)
	}
	badPrefix := writeFiles(t, map[string]string{"tokenizer.json": `{"model": {"type": "WordPiece", "continuing_subword_prefix": "@@", "vocab": {}}}`})
	if _, err := LoadDir(badPrefix); err == nil || !strings.Contains(err.Error(), `"@@"`) {
		t.Errorf("WordPiece with prefix @@: error %v", err)
	}
}

// jsonVocab writes the inside of a JSON object from token to index.
func jsonVocab(tokens []string) string {
	var parts []string
	for i, tok := range tokens {
		parts = append(parts, strconv.Quote(tok)+": "+strconv.Itoa(i))
	}
	return strings.Join(parts, ", ")
}

func FuzzWordPiece(f *testing.F) {
	w := loadBERT(f, true)
	short, _ := w.WithMaxLen(5)
	for _, s := range []string{"The cat's unaffable!", "", "\xff猫\u0301", strings.Repeat("a", 120), "[CLS] [SEP]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := w.Tokens(s)
		if len(toks) < 2 || toks[0] != w.CLS() || toks[len(toks)-1] != w.SEP() ||
			slices.ContainsFunc(toks, func(id int32) bool { return id < 0 || int(id) >= w.VocabSize() }) {
			t.Fatalf("Tokens(%q) = %v", s, toks)
		}
		ids, mask := short.Encode(s)
		n := Length(mask)
		if len(ids) != 5 || n != min(len(toks), 5) || ids[n-1] != w.SEP() || !slices.Equal(ids[:n-1], toks[:n-1]) {
			t.Fatalf("Encode(%q) = %v %v, Tokens %v", s, ids, mask, toks)
		}
		_ = w.Decode(ids)
	})
}
