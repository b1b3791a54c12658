package text

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadCLIPVocab(t *testing.T) {
	tok := loadCLIP(t)
	if tok.VocabSize() != 49408 || tok.SOT() != 49406 || tok.EOT() != 49407 || tok.MaxLen() != 77 {
		t.Fatalf("vocab %d, sot %d, eot %d, max len %d: want 49408, 49406, 49407, 77",
			tok.VocabSize(), tok.SOT(), tok.EOT(), tok.MaxLen())
	}
	// Ids of SimpleTokenizer.decoder, read in Python.
	for id, want := range map[int32]string{0: "!", 93: "~", 94: "¡", 255: "Ń", 256: "!</w>", 320: "a</w>",
		511: "Ń</w>", 512: "in", 513: "th", 49405: "jekyll</w>", 49406: CLIPStartToken, 49407: CLIPEndToken} {
		if got := tok.Token(id); got != want {
			t.Errorf("Token(%d) = %q, want %q", id, got, want)
		}
	}
	if tok.Token(-1) != "" || tok.Token(49408) != "" {
		t.Error("Token outside the vocabulary is not empty")
	}
}

// hfFiles writes the tokenizer's vocabulary in Hugging Face's formats (vocab.json,
// merges.txt, tokenizer.json with merges as strings or as pairs) under dir.
func hfFiles(t *testing.T, tok *BPE, dir string, pairMerges bool) {
	t.Helper()
	vocab := map[string]int{}
	for id, s := range tok.tokens {
		vocab[s] = id
	}
	merges := make([]string, len(tok.merges))
	for key, m := range tok.merges {
		merges[m.rank] = tok.tokens[key>>32] + " " + tok.tokens[uint32(key)]
	}
	vj, err := json.Marshal(vocab)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("vocab.json", vj)
	write("merges.txt", []byte("#version: 0.2\n"+strings.Join(merges, "\n")+"\n"))
	var jm []any
	for _, m := range merges {
		if pairMerges {
			jm = append(jm, strings.Fields(m))
		} else {
			jm = append(jm, m)
		}
	}
	tj, err := json.Marshal(map[string]any{
		"version": "1.0",
		"added_tokens": []map[string]any{
			{"id": tok.SOT(), "content": CLIPStartToken, "special": true},
			{"id": tok.EOT(), "content": CLIPEndToken, "special": true},
		},
		"model": map[string]any{"type": "BPE", "unk_token": CLIPEndToken, "continuing_subword_prefix": "",
			"end_of_word_suffix": "</w>", "vocab": vocab, "merges": jm},
	})
	if err != nil {
		t.Fatal(err)
	}
	write("tokenizer.json", tj)
}

// The three file formats, and LoadDir on each, give the same ids on the golden texts.
func TestLoadFormatsAgree(t *testing.T) {
	ref := loadCLIP(t)
	dir := t.TempDir()
	hfFiles(t, ref, dir, false)
	pairDir := t.TempDir()
	hfFiles(t, ref, pairDir, true)
	plainDir := t.TempDir()
	gz, err := os.ReadFile(clipVocabPath)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plainDir, "bpe_simple_vocab_16e6.txt"), plain.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	loaders := map[string]func() (Encoder, error){
		"vocab.json+merges.txt": func() (Encoder, error) {
			return asEncoder(LoadVocabMerges(filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt")))
		},
		"tokenizer.json":           func() (Encoder, error) { return asEncoder(LoadTokenizerJSON(filepath.Join(dir, "tokenizer.json"))) },
		"tokenizer.json, pairs":    func() (Encoder, error) { return LoadDir(pairDir) },
		"LoadDir, plain txt":       func() (Encoder, error) { return LoadDir(plainDir) },
		"LoadDir, openai testdata": func() (Encoder, error) { return LoadDir("openai") },
	}
	texts := []string{}
	for _, c := range readGolden(t) {
		texts = append(texts, c.Text)
	}
	wantIDs, wantMask := ref.EncodeBatch(texts)
	for name, load := range loaders {
		enc, err := load()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if enc.VocabSize() != ref.VocabSize() || enc.MaxLen() != ref.MaxLen() {
			t.Errorf("%s: vocab %d, max len %d", name, enc.VocabSize(), enc.MaxLen())
		}
		ids, mask := enc.EncodeBatch(texts)
		if !slices.Equal(ids, wantIDs) || !slices.Equal(mask, wantMask) {
			t.Errorf("%s: ids differ from LoadCLIPVocab's", name)
		}
	}
}

// tinyVocab is a valid small CLIP-style vocabulary: the byte tokens, the merges
// "c a", "ca t</w>", and the special tokens.
func tinyVocab() (tokens []string, merges []string) {
	alphabet := byteAlphabet()
	slices.Sort(alphabet[:])
	tokens = append(tokens, alphabet[:]...)
	for _, c := range alphabet {
		tokens = append(tokens, c+"</w>")
	}
	merges = []string{"c a", "ca t</w>"}
	tokens = append(tokens, "ca", "cat</w>", CLIPStartToken, CLIPEndToken)
	return tokens, merges
}

func TestTinyVocab(t *testing.T) {
	tokens, merges := tinyVocab()
	tok, err := parseCLIPVocab([]byte("#version: 0.2\n" + strings.Join(merges, "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tok.tokens, tokens) {
		t.Fatalf("tokens differ from tinyVocab's")
	}
	// Byte tokens come in code point order from '!' (id 0); "x</w>" is 256 further.
	b := func(c byte) int32 { return int32(c - '!') }
	end := func(c byte) int32 { return 256 + b(c) }
	const ca, cat, sot, eot = 512, 513, 514, 515
	for _, tc := range []struct {
		text string
		want []int32
	}{
		{"cat", []int32{cat}},
		{"cats", []int32{ca, b('t'), end('s')}},
		{"acat", []int32{b('a'), cat}},
		{"caca cat", []int32{ca, b('c'), end('a'), cat}}, // "c a</w>" is not the merge "c a"
		{"ct", []int32{b('c'), end('t')}},
	} {
		got := tok.Tokens(tc.text)
		if want := append(append([]int32{sot}, tc.want...), eot); !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %v, want %v", tc.text, got, want)
		}
	}
}

// writeFiles writes name -> content into a new directory and returns its path.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

func TestLoadBPEMalformed(t *testing.T) {
	tokens, merges := tinyVocab()
	vocab := map[string]int{}
	for i, s := range tokens {
		vocab[s] = i
	}
	vocabJSON := func(edit func(map[string]int)) string {
		v := map[string]int{}
		for k, id := range vocab {
			v[k] = id
		}
		edit(v)
		b, _ := json.Marshal(v)
		return string(b)
	}
	goodMerges := "#version: 0.2\n" + strings.Join(merges, "\n") + "\n"
	goodVocab := vocabJSON(func(map[string]int) {})
	tokJSON := func(model string) string {
		return `{"added_tokens": [], "model": ` + model + `}`
	}
	goodZ := gzipped(goodMerges)
	for _, tc := range []struct {
		name  string
		files map[string]string
		load  string // clip, hf, json
		want  string
	}{
		{"clip empty", map[string]string{"v.txt": ""}, "clip", "empty file"},
		{"clip bad gzip", map[string]string{"v.txt": "\x1f\x8b garbage"}, "clip", "bad gzip data"},
		{"clip truncated gzip", map[string]string{"v.txt": goodZ[:len(goodZ)/2]}, "clip", "bad gzip data"},
		{"clip header only", map[string]string{"v.txt": "#version: 0.2\n"}, "clip", "no merges"},
		{"clip no newline", map[string]string{"v.txt": "#version: 0.2"}, "clip", "no merges"},
		{"clip three symbols", map[string]string{"v.txt": "#v\nc a t\n"}, "clip", `line 2: "c a t": want two symbols`},
		{"clip unknown symbol", map[string]string{"v.txt": "#v\nc a\nca tt\n"}, "clip", `line 3: merge "ca" "tt": "tt" is neither`},
		{"clip repeated merge", map[string]string{"v.txt": "#v\nc a\nc a\n"}, "clip", `token "ca" has two ids`},
		{"clip not utf8", map[string]string{"v.txt": "#v\nc \xffa\n"}, "clip", "not UTF-8"},
		{"vocab not object", map[string]string{"vocab.json": "[1, 2]", "merges.txt": goodMerges}, "hf", "not a JSON object from token to id"},
		{"vocab not json", map[string]string{"vocab.json": "{", "merges.txt": goodMerges}, "hf", "not a JSON object"},
		{"vocab empty", map[string]string{"vocab.json": "{}", "merges.txt": goodMerges}, "hf", "empty vocabulary"},
		{"vocab id gap", map[string]string{"vocab.json": vocabJSON(func(v map[string]int) { v["cat</w>"] = 9999 }), "merges.txt": goodMerges}, "hf", "outside [0, 516)"},
		{"vocab id twice", map[string]string{"vocab.json": vocabJSON(func(v map[string]int) { v["cat</w>"] = 512 }), "merges.txt": goodMerges}, "hf", "given twice"},
		{"vocab no byte token", map[string]string{"vocab.json": vocabJSON(func(v map[string]int) { delete(v, "x</w>"); v["xx"] = vocab["x</w>"] }), "merges.txt": goodMerges}, "hf", `byte token "x</w>"`},
		{"vocab no special", map[string]string{"vocab.json": vocabJSON(func(v map[string]int) { delete(v, CLIPEndToken); v["zz"] = 515 }), "merges.txt": goodMerges}, "hf", "special token <|endoftext|>"},
		{"merge makes unknown", map[string]string{"vocab.json": goodVocab, "merges.txt": "#version: 0.2\nc a\na t\n"}, "hf", `line 3: merge "a" "t" makes "at", which is not in the vocabulary`},
		{"merge unknown symbol", map[string]string{"vocab.json": goodVocab, "merges.txt": "ca t</w>\n"}, "hf", `line 1: merge "ca" "t</w>": "ca" is neither`},
		{"merges empty", map[string]string{"vocab.json": goodVocab, "merges.txt": "#version: 0.2\n"}, "hf", "no merges"},
		{"merges one symbol", map[string]string{"vocab.json": goodVocab, "merges.txt": "#version: 0.2\nca\n"}, "hf", `line 2: "ca": want two symbols`},
		{"json not json", map[string]string{"tokenizer.json": "{]"}, "json", "not a tokenizer.json"},
		{"json empty", map[string]string{"tokenizer.json": " "}, "json", "empty file"},
		{"json no model", map[string]string{"tokenizer.json": `{"version": "1.0"}`}, "json", `no "model"`},
		{"json wordpiece", map[string]string{"tokenizer.json": tokJSON(`{"type": "WordPiece", "vocab": {}}`)}, "json", `model type "WordPiece": want CLIP's "BPE"`},
		{"json gpt2 bpe", map[string]string{"tokenizer.json": tokJSON(`{"type": "BPE", "vocab": {}, "merges": []}`)}, "json", `end_of_word_suffix "</w>"`},
		{"json no vocab", map[string]string{"tokenizer.json": tokJSON(`{"type": "BPE", "end_of_word_suffix": "</w>", "merges": []}`)}, "json", "model.vocab"},
		{"json null vocab", map[string]string{"tokenizer.json": tokJSON(`{"type": "BPE", "end_of_word_suffix": "</w>", "vocab": null}`)}, "json", "model.vocab is missing"},
		{"json bad merge", map[string]string{"tokenizer.json": tokJSON(`{"type": "BPE", "end_of_word_suffix": "</w>", "vocab": ` + goodVocab + `, "merges": ["c a", 7]}`)}, "json", "model.merges[1] = 7"},
		{"json added token clash", map[string]string{"tokenizer.json": `{"added_tokens": [{"id": 3, "content": "<|endoftext|>"}], "model": {"type": "BPE", "end_of_word_suffix": "</w>", "vocab": ` + goodVocab + `, "merges": []}}`}, "json", `added token "<|endoftext|>" has id 3`},
		{"json merge unknown", map[string]string{"tokenizer.json": tokJSON(`{"type": "BPE", "end_of_word_suffix": "</w>", "vocab": ` + goodVocab + `, "merges": [["ca", "t</w>"]]}`)}, "json", `model.merges[0]: merge "ca" "t</w>"`},
	} {
		dir := writeFiles(t, tc.files)
		var err error
		var path string
		switch tc.load {
		case "clip":
			path = filepath.Join(dir, "v.txt")
			_, err = LoadCLIPVocab(path)
		case "hf":
			path = filepath.Join(dir, "vocab.json")
			_, err = LoadVocabMerges(path, filepath.Join(dir, "merges.txt"))
			if err != nil && !strings.Contains(err.Error(), "vocab.json") && !strings.Contains(err.Error(), "merges.txt") {
				t.Errorf("%s: error %q names no file", tc.name, err)
			}
			path = ""
		case "json":
			path = filepath.Join(dir, "tokenizer.json")
			_, err = LoadTokenizerJSON(path)
		}
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.name)
		case !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: error %q, want one line naming the file and containing %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	for name, err := range map[string]error{
		"clip":      second(LoadCLIPVocab(missing)),
		"vocab":     second(LoadVocabMerges(missing, missing)),
		"json":      second(LoadTokenizerJSON(missing)),
		"wordpiece": second(LoadWordPiece(missing, true)),
		"dir":       second(LoadDir(missing)),
		"empty dir": second(LoadDir(dir)),
	} {
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %v, want one naming %s", name, err, dir)
		}
	}
	if _, err := LoadDir(clipVocabPath); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("LoadDir(file): %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// LoadDir reads our own word-level tokenizer.json too.
func TestLoadDirWordLevel(t *testing.T) {
	dir := t.TempDir()
	word := fitTiny(t, Config{MaxLen: 8})
	if err := word.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	enc, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := enc.(*Tokenizer); !ok {
		t.Fatalf("LoadDir gave a %T, want *Tokenizer", enc)
	}
	got, _ := enc.Encode("A red circle.")
	want, _ := word.Encode("A red circle.")
	if !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
}
