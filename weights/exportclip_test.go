package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/clip"
)

// TestExportCLIPRoundTrip exports an OpenAI-layout CLIP as Hugging Face's CLIPModel and
// loads it back: the same logits, embeddings and features (the Hugging Face loader is
// itself checked against PyTorch in TestCLIPLayoutsMatchTorch), OpenAI's vocabulary
// written beside it, and its preprocessing kept.
func TestExportCLIPRoundTrip(t *testing.T) {
	src, err := Load(tinyCLIPDirVocab(t, "openai", 49408, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	layout, err := Export(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if layout != LayoutHFCLIP {
		t.Fatalf("exported as %s", layout)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Layout != LayoutHFCLIP || back.Tokenizer == nil {
		t.Fatalf("reloaded as %s, tokenizer %v", back.Layout, back.Tokenizer)
	}
	if _, err := os.Stat(filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz")); err != nil {
		t.Errorf("no vocabulary written: %v", err)
	}
	if back.Preprocess.Size != src.Preprocess.Size || back.Preprocess.Filter != imageproc.Bicubic {
		t.Errorf("preprocessing %+v, want %+v", back.Preprocess, src.Preprocess)
	}
	side := src.CLIP.ViT.Image
	images := randomImages(2, side, 3)
	ids, mask := clipTexts(3, src.CLIP.Text.MaxLen, src.CLIP.Text.VocabSize, 4)
	want := runCLIP(t, src, images, ids, mask)
	got := runCLIP(t, back, images, ids, mask)
	for i := range want {
		if e := maxRelErr(got[i], toF64(want[i])); e > 1e-6 {
			t.Errorf("output %d: max relative error %.2g after the round trip", i, e)
		}
	}
}

// TestExportCLIPMisfits: a CLIP whose towers CLIPModel cannot express (clip-shapes' conv
// tower and mean-pooled, non-causal text tower) is refused with the reasons.
func TestExportCLIPMisfits(t *testing.T) {
	cfg, err := clip.Preset("small", 32, 3, 40, 16)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tower, cfg.TextPool = clip.TowerConv, clip.PoolMean
	_, err = Export(&Model{Spec: Spec{Kind: KindCLIP, CLIP: cfg}}, t.TempDir())
	for _, want := range []string{"does not fit Hugging Face's CLIPModel", "convolutional image tower", "causal mask", `pooled by "mean"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want it to say %q", err, want)
		}
	}
}
