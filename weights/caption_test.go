package weights

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/models/vit"
)

// randomCaptioner is the "tiny" captioner over a small vocabulary, freshly initialised.
func randomCaptioner(t *testing.T) *Model {
	t.Helper()
	tok, err := text.Fit([]string{"a red square", "a photo of a blue circle"}, text.Config{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := caption.Preset("tiny", tok.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Random(testbackend.Go(), Spec{Kind: KindCaption, Caption: cfg}, tok, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Dir = "run"
	return m
}

// TestCaptionModel: a captioner's prompt ids, its captions' structure through
// Runner.Captions, and the errors of the options it refuses.
func TestCaptionModel(t *testing.T) {
	m := randomCaptioner(t)
	tok := m.Tokenizer.(*text.Tokenizer)
	ids, err := m.PromptIDs("A photo of")
	if want := []int32{text.BOSID, tok.ID("a"), tok.ID("photo"), tok.ID("of")}; err != nil || !slices.Equal(ids, want) {
		t.Errorf("PromptIDs: %v, %v; want %v", ids, err, want)
	}
	if ids, err := m.PromptIDs(" "); err != nil || !slices.Equal(ids, []int32{text.BOSID}) {
		t.Errorf("empty prompt: %v, %v; want [BOS] alone", ids, err)
	}
	if _, err := m.PromptIDs("a green square"); err == nil || !strings.Contains(err.Error(), `"green" is not in the model's vocabulary`) {
		t.Errorf("unknown word: %v", err)
	}

	r := m.NewRunner(testbackend.Go(), 2)
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	load := func(int) (image.Image, error) { return img, nil }
	var got []Caption
	err = r.Captions(3, load, ids, caption.Opts{Strategy: caption.StrategyBeam, BeamSize: 2},
		func(i int, c Caption) error { got = append(got, c); return nil })
	if err != nil || len(got) != 3 {
		t.Fatalf("Captions: %d captions, %v", len(got), err)
	}
	for _, c := range got {
		body := c.IDs[len(ids):]
		if !slices.Equal(c.IDs[:len(ids)], ids) || len(c.IDs) > m.Caption.MaxLen || slices.Contains(c.IDs, m.Caption.PAD) ||
			(len(c.IDs) < m.Caption.MaxLen && body[len(body)-1] != m.Caption.EOS) || c.Text != text.Detokenize(tok.Decode(c.IDs)) {
			t.Errorf("caption %+v: want the prompt, words, [EOS] unless cut at %d, no padding", c, m.Caption.MaxLen)
		}
		if !slices.Equal(c.IDs, got[0].IDs) || c.LogProb > 0 {
			t.Errorf("caption %+v of the same image as %+v", c, got[0])
		}
	}

	for _, c := range []struct {
		prompt []int32
		opts   caption.Opts
		want   string
	}{
		{[]int32{tok.ID("a")}, caption.Opts{}, "want [BOS]"},
		{[]int32{text.BOSID, text.EOSID}, caption.Opts{}, "not [EOS] or [PAD]"},
		{ids, caption.Opts{MaxLen: 4}, "leave no room"},
		{nil, caption.Opts{MaxLen: 9}, "max_len 9"},
		{nil, caption.Opts{Strategy: caption.StrategyTopP, TopP: 2}, "top-p 2"},
	} {
		err := r.Captions(1, load, c.prompt, c.opts, func(int, Caption) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("prompt %v, %+v: error %v, want %q", c.prompt, c.opts, err, c.want)
		}
	}
}

// TestCaptionKindErrors: a captioner is refused, with an error naming it, by every use
// that needs another kind of model, and the caption methods refuse other kinds.
func TestCaptionKindErrors(t *testing.T) {
	m := randomCaptioner(t)
	r := m.NewRunner(testbackend.Go(), 1)
	_, embedErr := r.ImageEmbeddings([]image.Image{image.NewRGBA(image.Rect(0, 0, 8, 8))})
	_, textErr := r.TextEmbeddings([]string{"a red square"})
	_, logitsErr := r.Logits(nil)
	out := filepath.Join(t.TempDir(), "out")
	_, exportErr := Export(m, out)
	_, _, _, initErr := m.StartFrom(8, 3, 0)
	for name, err := range map[string]error{"ImageEmbeddings": embedErr, "TextEmbeddings": textErr, "Logits": logitsErr,
		"Export": exportErr, "StartFrom": initErr} {
		if err == nil || !strings.Contains(err.Error(), "caption") {
			t.Errorf("%s of a captioner: %v, want an error naming it", name, err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("Export of a captioner created %s", out)
	}

	v, err := Random(testbackend.Go(), Spec{Kind: KindViT, ViT: vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 16,
		Depth: 1, Heads: 2, MLPDim: 32, Pool: vit.PoolGAP}}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.PromptIDs("a"); err == nil || !strings.Contains(err.Error(), "not a caption model") {
		t.Errorf("PromptIDs of a ViT: %v", err)
	}
	// Both are refused before the graph is touched.
	if _, err := v.Captions(nil, nil, nil, caption.Opts{}); err == nil || !strings.Contains(err.Error(), "not a caption model") {
		t.Errorf("Captions of a ViT: %v", err)
	}
	if _, err := m.Captions(nil, nil, nil, caption.Opts{BeamSize: -1, Strategy: caption.StrategyBeam}); err == nil {
		t.Error("Captions with beam size -1: no error")
	}
	if _, err := Random(testbackend.Go(), Spec{Kind: KindCaption, Caption: m.Caption}, nil, 1); err == nil {
		t.Error("Random captioner without a tokenizer: no error")
	}
}

// TestLoadRunKinds: a run directory whose model.json names an unknown kind, or a
// captioner that does not validate, is an error before any checkpoint is read.
func TestLoadRunKinds(t *testing.T) {
	m := randomCaptioner(t)
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Kind: "gan"}, `model kind "gan"`},
		{Spec{Kind: KindCaption, Caption: caption.Config{Encoder: m.Caption.Encoder, Vocab: 5, MaxLen: 1}}, "max_len 1"},
	} {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "checkpoints"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteSpec(dir, c.spec); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), SpecFile) {
			t.Errorf("kind %q: %v, want an error naming %s and containing %q", c.spec.Kind, err, SpecFile, c.want)
		}
	}
}
