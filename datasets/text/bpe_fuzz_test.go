package text

import (
	"slices"
	"strings"
	"testing"
)

// checkBPE checks the invariants of a tokenizer's output on any text: ids in range,
// Tokens framed by the special tokens, Encode MaxLen long with <|endoftext|> last among
// the real tokens and equal to Tokens up to truncation.
func checkBPE(t *testing.T, tok *BPE, s string) {
	toks := tok.Tokens(s)
	if len(toks) < 2 || toks[0] != tok.SOT() || toks[len(toks)-1] != tok.EOT() {
		t.Fatalf("Tokens(%q) = %v: not framed by <|startoftext|> ... <|endoftext|>", s, toks)
	}
	for _, id := range toks {
		if id < 0 || int(id) >= tok.VocabSize() {
			t.Fatalf("Tokens(%q) = %v: id %d out of range", s, toks, id)
		}
	}
	ids, mask := tok.Encode(s)
	l := tok.MaxLen()
	n := Length(mask)
	if len(ids) != l || len(mask) != l || n != min(len(toks), l) || ids[n-1] != tok.EOT() {
		t.Fatalf("Encode(%q) = %v %v: want %d ids, %d real ending in <|endoftext|>", s, ids, mask, l, min(len(toks), l))
	}
	if !slices.Equal(ids[:n-1], toks[:n-1]) || slices.ContainsFunc(ids[n:], func(id int32) bool { return id != 0 }) ||
		slices.Contains(mask[:n], 0) {
		t.Fatalf("Encode(%q) = %v %v, Tokens = %v", s, ids, mask, toks)
	}
	_ = tok.Decode(ids)
}

func FuzzBPE(f *testing.F) {
	tok := loadCLIP(f)
	short, err := tok.WithMaxLen(6)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "a photo of a cat.", "I'm ΟΔΟΣ İ &amp;amp; ﬁ ＡＢＣ", "\xff\xe2\x82 \xed\xa0\x80",
		"<|endoftext|><|startoftext|>", "\x1b[31m\u0085\u0093", strings.Repeat("ab", 500), "🐈\u200d⬛ 👍🏽 \u0345"} {
		f.Add(s)
	}
	for i := range 20 {
		f.Add(randomText(uint64(i)))
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkBPE(t, tok, s)
		checkBPE(t, short, s)
	})
}

// FuzzLoadVocab feeds arbitrary bytes to the three vocabulary parsers: an error is one
// line; whatever loads encodes text within its vocabulary.
func FuzzLoadVocab(f *testing.F) {
	tokens, merges := tinyVocab()
	f.Add([]byte("#version: 0.2\n" + strings.Join(merges, "\n") + "\n"))
	f.Add([]byte(gzipped("#version: 0.2\nc a\n")))
	f.Add([]byte("#v\nc a\nca tt\n"))
	f.Add([]byte(`{"model": {"type": "BPE", "end_of_word_suffix": "</w>", "vocab": {"a": 0}, "merges": ["a a"]}}`))
	f.Add([]byte(`{"a": 0, "b": 1}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		var loaded []*BPE
		if tok, err := parseCLIPVocab(data); err == nil {
			loaded = append(loaded, tok)
		} else if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error on several lines: %q", err)
		}
		if f, err := parseHFJSON(data); err == nil {
			if tok, err := f.bpe(); err == nil {
				loaded = append(loaded, tok)
			} else if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
		}
		// The same bytes as merges.txt with the tiny vocabulary.
		if ml, err := parseMergesTXT(data); err == nil {
			if tok, err := buildBPE(tokens, ml.pairs, func(i int) string { return "" }); err == nil {
				loaded = append(loaded, tok)
			}
		}
		for _, tok := range loaded {
			checkBPE(t, tok, "a photo of a cat. ΟΔΟΣ 👍🏽 <|endoftext|>")
		}
	})
}
