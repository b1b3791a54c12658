package text

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var tinyCaptions = []string{"A red circle.", "a blue circle", "A red square!"}

func fitTiny(t testing.TB, cfg Config) *Tokenizer {
	t.Helper()
	tok, err := Fit(tinyCaptions, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"A Dog's ball.", []string{"a", "dog", "'", "s", "ball", "."}},
		{"  two\tshapes:\r\na red,star ", []string{"two", "shapes", ":", "a", "red", ",", "star"}},
		{"[PAD] x", []string{"[", "pad", "]", "x"}},
		{"ÉCOLE über", []string{"école", "über"}},
		{"a\x00b", []string{"a", "b"}},
		{"bad\xffbyte", []string{"bad", "\uFFFD", "byte"}},
		{"", nil},
	} {
		if got := Words(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFitVocabulary(t *testing.T) {
	// Counts: a 3, circle 2, red 2, then "!" "." blue square once each; ties broken
	// alphabetically ("!" < "." < letters).
	want := append(slices.Clone(Specials), "a", "circle", "red", "!", ".", "blue", "square")
	if got := fitTiny(t, Config{MaxLen: 8}).Tokens(); !slices.Equal(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
	minFreq := append(slices.Clone(Specials), "a", "circle", "red")
	if got := fitTiny(t, Config{MinFreq: 2, MaxLen: 8}).Tokens(); !slices.Equal(got, minFreq) {
		t.Errorf("MinFreq 2: tokens = %q, want %q", got, minFreq)
	}
	capped := append(slices.Clone(Specials), "a", "circle")
	if got := fitTiny(t, Config{MaxVocab: 7, MaxLen: 8}).Tokens(); !slices.Equal(got, capped) {
		t.Errorf("MaxVocab 7: tokens = %q, want %q", got, capped)
	}
	// A special token in the captions is split, so it never gets a second id.
	tok, err := Fit([]string{"[UNK] [UNK]"}, Config{MaxLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Tokens(); !slices.Equal(got, append(slices.Clone(Specials), "[", "]", "unk")) {
		t.Errorf("tokens = %q", got)
	}
}

func TestFitBadConfig(t *testing.T) {
	for _, cfg := range []Config{{MaxLen: 1}, {MaxLen: 0}, {MaxLen: 8, MaxVocab: 3}} {
		if _, err := Fit(tinyCaptions, cfg); err == nil {
			t.Errorf("Fit with %+v: no error", cfg)
		}
	}
}

func TestEncode(t *testing.T) {
	tok := fitTiny(t, Config{MaxLen: 8})
	for _, tc := range []struct {
		in         string
		ids, mask  []int32
		maxLen     int
		minFreqTok bool
	}{
		{in: "A red circle.", ids: []int32{1, 5, 7, 6, 9, 2, 0, 0}, mask: []int32{1, 1, 1, 1, 1, 1, 0, 0}},
		{in: "", ids: []int32{1, 2, 0, 0, 0, 0, 0, 0}, mask: []int32{1, 1, 0, 0, 0, 0, 0, 0}},
		{in: "a GREEN star", ids: []int32{1, 5, 3, 3, 2, 0, 0, 0}, mask: []int32{1, 1, 1, 1, 1, 0, 0, 0}},
		{in: "a red circle . a", maxLen: 4, ids: []int32{1, 5, 7, 2}, mask: []int32{1, 1, 1, 1}},
		{in: "a red circle", maxLen: 2, ids: []int32{1, 2}, mask: []int32{1, 1}},
		{in: "a blue circle", minFreqTok: true, ids: []int32{1, 5, 3, 6, 2, 0, 0, 0}, mask: []int32{1, 1, 1, 1, 1, 0, 0, 0}},
	} {
		tk := tok
		if tc.maxLen > 0 {
			var err error
			if tk, err = tok.WithMaxLen(tc.maxLen); err != nil {
				t.Fatal(err)
			}
		}
		if tc.minFreqTok {
			tk = fitTiny(t, Config{MinFreq: 2, MaxLen: 8})
		}
		ids, mask := tk.Encode(tc.in)
		if !slices.Equal(ids, tc.ids) || !slices.Equal(mask, tc.mask) {
			t.Errorf("Encode(%q) = %v %v, want %v %v", tc.in, ids, mask, tc.ids, tc.mask)
		}
		if got, want := Length(mask), int(slices.Index(ids, EOSID))+1; got != want {
			t.Errorf("Length = %d, want %d", got, want)
		}
	}
}

func TestEncodeBatchAndDecode(t *testing.T) {
	tok := fitTiny(t, Config{MaxLen: 6})
	texts := []string{"A red circle.", "blue square", "a red circle a red circle"}
	ids, mask := tok.EncodeBatch(texts)
	if len(ids) != 3*6 || len(mask) != 3*6 {
		t.Fatalf("len = %d %d, want 18", len(ids), len(mask))
	}
	wantIDs := []int32{1, 5, 7, 6, 9, 2, 1, 10, 11, 2, 0, 0, 1, 5, 7, 6, 5, 2}
	wantMask := []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}
	if !slices.Equal(ids, wantIDs) || !slices.Equal(mask, wantMask) {
		t.Errorf("EncodeBatch = %v %v, want %v %v", ids, mask, wantIDs, wantMask)
	}
	for i, want := range []string{"a red circle .", "blue square", "a red circle a"} {
		if got := tok.Decode(ids[i*6 : (i+1)*6]); got != want {
			t.Errorf("Decode(row %d) = %q, want %q", i, got, want)
		}
	}
	if got := tok.Decode([]int32{1, 5, 3, 4, 99, -1, 2, 7}); got != "a [UNK] [MASK] [UNK] [UNK]" {
		t.Errorf("Decode with special and out-of-range ids = %q", got)
	}
}

func TestRoundTrip(t *testing.T) {
	caps := []string{"A child in a pink dress is climbing up a set of stairs in an entry way .",
		"Two dogs, one black and one white, play on the grass!"}
	tok, err := Fit(caps, Config{MaxLen: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		ids, _ := tok.Encode(c)
		if got, want := tok.Decode(ids), strings.Join(Words(c), " "); got != want {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", c, got, want)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	tok := fitTiny(t, Config{MaxLen: 8})
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Tokens(), tok.Tokens()) || got.MaxLen() != 8 || got.Fingerprint() != tok.Fingerprint() {
		t.Errorf("loaded %q maxLen %d, want %q maxLen 8", got.Tokens(), got.MaxLen(), tok.Tokens())
	}
	if err := got.CheckFingerprint(tok.Fingerprint()); err != nil {
		t.Error(err)
	}
	other := fitTiny(t, Config{MinFreq: 2, MaxLen: 8})
	err = other.CheckFingerprint(tok.Fingerprint())
	if err == nil || !strings.HasPrefix(err.Error(), "tokenizer from another vocabulary: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("CheckFingerprint across vocabularies: %v", err)
	}
	// MaxLen is not part of the vocabulary.
	long, _ := tok.WithMaxLen(64)
	if long.Fingerprint() != tok.Fingerprint() {
		t.Error("WithMaxLen changed the fingerprint")
	}
	// No temporary file is left next to the saved one.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want 1", len(entries))
	}
}

func TestLoadMalformed(t *testing.T) {
	tok := fitTiny(t, Config{MaxLen: 8})
	fp := tok.Fingerprint()
	good := `{"format":"mmdna/text-tokenizer","version":1,"max_len":8,"fingerprint":"` + fp + `","tokens":` + jsonList(tok.Tokens()) + `}`
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("the well-formed file fails: %v", err)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "empty file"},
		{"blank", " \n", "empty file"},
		{"not json", "hello", "not a tokenizer JSON file"},
		{"truncated", good[:len(good)/2], "not a tokenizer JSON file"},
		{"array", "[1,2]", "not a tokenizer JSON file"},
		{"trailing", good + "{}", "data after"},
		{"unknown field", strings.Replace(good, `"version"`, `"extra":1,"version"`, 1), "unknown field"},
		{"wrong format", strings.Replace(good, "mmdna/text-tokenizer", "bert", 1), "format"},
		{"wrong version", strings.Replace(good, `"version":1`, `"version":2`, 1), "version 2"},
		{"max_len", strings.Replace(good, `"max_len":8`, `"max_len":1`, 1), "max_len 1"},
		{"missing specials", `{"format":"mmdna/text-tokenizer","version":1,"max_len":8,"fingerprint":"x","tokens":["[PAD]","[BOS]"]}`, "special tokens"},
		{"special moved", strings.Replace(good, `"[BOS]","[EOS]"`, `"[EOS]","[BOS]"`, 1), "want special token"},
		{"duplicate", strings.Replace(good, `"blue"`, `"red"`, 1), "duplicate token"},
		{"empty token", strings.Replace(good, `"blue"`, `""`, 1), "empty"},
		{"space", strings.Replace(good, `"blue"`, `"bl ue"`, 1), "white space"},
		{"edited", strings.Replace(good, `"blue"`, `"green"`, 1), "does not match"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Load error %v, want one line naming %s and containing %q", tc.name, err, path, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

func jsonList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ",") + "]"
}

func FuzzEncode(f *testing.F) {
	tok := fitTiny(f, Config{MaxLen: 6})
	for _, s := range []string{"A red circle.", "", "\xff\xfe", "[PAD][EOS]", "a a a a a a a a a a", "ǅ\u0301!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, mask := tok.Encode(s)
		if len(ids) != 6 || len(mask) != 6 || ids[0] != BOSID {
			t.Fatalf("Encode(%q) = %v %v", s, ids, mask)
		}
		n := Length(mask)
		if n < 2 || ids[n-1] != EOSID {
			t.Fatalf("Encode(%q) = %v %v: [EOS] not at the end of the mask", s, ids, mask)
		}
		for i := range ids {
			if (i < n) != (mask[i] == 1) || (i >= n && ids[i] != PadID) || ids[i] < 0 || int(ids[i]) >= tok.VocabSize() {
				t.Fatalf("Encode(%q) = %v %v", s, ids, mask)
			}
			if i > 0 && i < n-1 && (ids[i] == PadID || ids[i] == BOSID || ids[i] == EOSID) {
				t.Fatalf("Encode(%q) = %v: a word encoded as a special token", s, ids)
			}
		}
		_ = tok.Decode(ids)
	})
}

func FuzzLoad(f *testing.F) {
	tok := fitTiny(f, Config{MaxLen: 8})
	path := filepath.Join(f.TempDir(), "t.json")
	if err := tok.Save(path); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add([]byte(""))
	f.Add([]byte(`{"format":"mmdna/text-tokenizer","version":1,"max_len":2,"tokens":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
			return
		}
		// Whatever loads must be a usable tokenizer.
		if got.VocabSize() < len(Specials) || got.MaxLen() < 2 {
			t.Fatalf("loaded vocab %d maxLen %d", got.VocabSize(), got.MaxLen())
		}
		ids, _ := got.Encode("a red circle")
		_ = got.Decode(ids)
	})
}
