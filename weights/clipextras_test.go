package weights

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/imageproc"
)

// byteChars is GPT-2's bytes_to_unicode, which CLIP's BPE shares: the printable bytes
// stand for themselves, the others for the characters from U+0100 on, in byte order.
func byteChars() [256]string {
	var out [256]string
	printable := func(b int) bool { return b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF }
	n := 0
	for b := range 256 {
		if printable(b) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// tinyTokenizerVocab is a CLIP BPE vocabulary in OpenAI's id order: the 256 byte
// tokens, the same with "</w>", two merges (c a -> ca, ca t</w> -> cat</w>) and the
// start and end tokens, 516 ids in all.
func tinyTokenizerVocab() (tokens []string, merges string) {
	chars := byteChars()
	for _, c := range chars {
		tokens = append(tokens, c)
	}
	for _, c := range chars {
		tokens = append(tokens, c+"</w>")
	}
	tokens = append(tokens, "ca", "cat</w>", text.CLIPStartToken, text.CLIPEndToken)
	return tokens, "#version: 0.2\nc a\nca t</w>\n"
}

// writeTokenizer writes vocab.json and merges.txt into dir.
func writeTokenizer(t *testing.T, dir string) {
	t.Helper()
	tokens, merges := tinyTokenizerVocab()
	vocab := map[string]int{}
	for i, tok := range tokens {
		vocab[tok] = i
	}
	data, _ := json.Marshal(vocab)
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "merges.txt"), []byte(merges), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCLIPTokenizer: a CLIP directory's tokenizer files give the model a tokenizer
// padded to the position table; without them Encoder explains; a tokenizer that does
// not fit the text tower is an error.
func TestCLIPTokenizer(t *testing.T) {
	for _, layout := range []string{"openai", "hf"} {
		dir := tinyCLIPDirVocab(t, layout, 516, nil, nil)
		writeTokenizer(t, dir)
		m, err := Load(dir)
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		enc, err := m.Encoder()
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		ids, mask := enc.Encode("a cat")
		// <|startoftext|> a</w> cat</w> <|endoftext|>, padded with 0 to the 5 positions.
		chars := byteChars()
		aw := int32(256 + slices.Index(chars[:], "a"))
		if want := []int32{514, aw, 513, 515, 0}; !slices.Equal(ids, want) || !slices.Equal(mask, []int32{1, 1, 1, 1, 0}) {
			t.Errorf("%s: Encode(\"a cat\") = %v %v, want %v and mask 1 1 1 1 0", layout, ids, mask, want)
		}
		if enc.MaxLen() != m.CLIP.Text.MaxLen {
			t.Errorf("%s: tokenizer length %d, want the position table's %d", layout, enc.MaxLen(), m.CLIP.Text.MaxLen)
		}
	}

	m, err := Load(tinyCLIPDir(t, "openai", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Encoder(); err == nil || !strings.Contains(err.Error(), "bpe_simple_vocab_16e6.txt.gz") {
		t.Errorf("no tokenizer files: Encoder() error %v, want one naming the files to add", err)
	}

	for _, c := range []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"vocabulary size", func(t *testing.T) string {
			dir := tinyCLIPDir(t, "openai", nil, nil)
			writeTokenizer(t, dir)
			return dir
		}, "the tokenizer has 516 ids, the token embedding 10"},
		{"damaged vocab.json", func(t *testing.T) string {
			dir := tinyCLIPDirVocab(t, "openai", 516, nil, nil)
			writeTokenizer(t, dir)
			os.WriteFile(filepath.Join(dir, "vocab.json"), []byte(`{"a": "b"}`), 0o644)
			return dir
		}, "vocab.json"},
		{"eos below the largest id", func(t *testing.T) string {
			dir := tinyCLIPDirVocab(t, "openai", 516, nil, nil)
			writeTokenizer(t, dir)
			tokens, _ := tinyTokenizerVocab()
			vocab := map[string]int{}
			for i, tok := range tokens {
				vocab[tok] = i
			}
			vocab[text.CLIPEndToken], vocab[text.CLIPStartToken] = 514, 515
			data, _ := json.Marshal(vocab)
			os.WriteFile(filepath.Join(dir, "vocab.json"), data, 0o644)
			return dir
		}, "is id 514, not the largest id 515"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.dir(t))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v: want one line containing %q", err, c.want)
			}
		})
	}
}

// hfPreprocessor is openai/clip-vit-base-patch32's preprocessor_config.json at size side.
func hfPreprocessor(side int) map[string]any {
	return map[string]any{"crop_size": map[string]int{"height": side, "width": side}, "do_center_crop": true,
		"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
		"image_mean": []float64{0.48145466, 0.4578275, 0.40821073}, "image_std": []float64{0.26862954, 0.26130258, 0.27577711},
		"image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1.0 / 255,
		"size": map[string]int{"shortest_edge": side}}
}

// TestCLIPPreprocess: each layout's preprocessing comes from its files, OpenAI CLIP's
// at the model's size when they say nothing, and a bad preprocessing file is an error
// naming it.
func TestCLIPPreprocess(t *testing.T) {
	hfDir := tinyCLIPDir(t, "hf", nil, nil)
	pre := hfPreprocessor(8)
	pre["size"] = map[string]int{"shortest_edge": 10} // differs from CLIPConfig(8), OpenAI's at this size.
	data, _ := json.Marshal(pre)
	os.WriteFile(filepath.Join(hfDir, "preprocessor_config.json"), data, 0o644)
	bilinear := func(c map[string]any) {
		c["preprocess_cfg"] = map[string]any{"mean": []float64{0.5, 0.5, 0.5}, "std": []float64{0.25, 0.25, 0.25},
			"interpolation": "bilinear", "resize_mode": "squash"}
	}
	for _, c := range []struct {
		name  string
		dir   string
		check func(p imageproc.Config) bool
	}{
		{"openai", tinyCLIPDir(t, "openai", nil, nil), func(p imageproc.Config) bool {
			return p.Size == 8 && p.CropHeight == 8 && p.Filter == imageproc.Bicubic && p.Mean[0] == imageproc.CLIPMean[0]
		}},
		{"open_clip preprocess_cfg", tinyCLIPDir(t, "openclip", nil, bilinear), func(p imageproc.Config) bool {
			return p.Resize == imageproc.Exact && p.Width == 8 && !p.CenterCrop && p.Filter == imageproc.Bilinear &&
				p.Mean[1] == 0.5 && p.Std[2] == 0.25
		}},
		{"hf preprocessor_config.json", hfDir, func(p imageproc.Config) bool {
			return p.Size == 10 && p.CropWidth == 8 && strings.Contains(p.Source, "preprocessor_config.json")
		}},
	} {
		m, err := Load(c.dir)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Preprocess.Source == "" || !c.check(m.Preprocess) {
			t.Errorf("%s: preprocessing %+v", c.name, m.Preprocess)
		}
	}

	badHF := tinyCLIPDir(t, "hf", nil, nil)
	os.WriteFile(filepath.Join(badHF, "preprocessor_config.json"), []byte(`{"image_mean": "grey"}`), 0o644)
	for _, c := range []struct {
		name, dir, want string
	}{
		{"resize mode", tinyCLIPDir(t, "openclip", nil, func(c map[string]any) {
			c["preprocess_cfg"] = map[string]any{"resize_mode": "longest"}
		}), `open_clip_config.json: preprocess_cfg.resize_mode "longest"`},
		{"mean type", tinyCLIPDir(t, "openclip", nil, func(c map[string]any) {
			c["preprocess_cfg"] = map[string]any{"mean": "grey"}
		}), "open_clip_config.json: not valid JSON for this model"},
		{"hf preprocessor", badHF, "preprocessor_config.json"},
	} {
		_, err := Load(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// TestOpenAIVocabularyEmbedded: an OpenAI-layout directory without tokenizer files and
// with OpenAI's 49,408-id embedding gets OpenAI's tokenizer, embedded in mmdna, with a
// note; other vocabulary sizes get none.
func TestOpenAIVocabularyEmbedded(t *testing.T) {
	m, err := Load(tinyCLIPDirVocab(t, "openai", 49408, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := m.Encoder()
	if err != nil {
		t.Fatal(err)
	}
	ids, mask := enc.Encode("a photo")
	// OpenAI's tokenizer: <|startoftext|> a photo <|endoftext|> (the tiny model's
	// context is 5 tokens).
	want := []int32{49406, 320, 1125, 49407}
	if got := ids[:text.Length(mask)]; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if !slices.ContainsFunc(m.Notes, func(n string) bool { return strings.Contains(n, "OpenAI's vocabulary") }) {
		t.Errorf("notes %q: want one about the embedded vocabulary", m.Notes)
	}
	small, err := Load(tinyCLIPDirVocab(t, "openai", 64, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if small.Tokenizer != nil {
		t.Errorf("a 64-id CLIP got a tokenizer")
	}
}
