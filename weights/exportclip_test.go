package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
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

// TestRandomExportLoad: a random CLIP and ViT export, load back and give the same
// outputs; Random is seeded.
func TestRandomExportLoad(t *testing.T) {
	b := testbackend.Go()
	cfg, err := clip.Preset("tiny", 16, 3, 49408, 77)
	if err != nil {
		t.Fatal(err)
	}
	cfg = clipArch(cfg.ViT, cfg.Text, cfg.EmbedDim)
	cfg.ViT.Pool = vit.PoolCLS
	m, err := Random(b, Spec{Kind: KindCLIP, CLIP: cfg}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Random(b, Spec{Kind: KindCLIP, CLIP: cfg}, nil, 1)
	images := randomImages(2, 16, 6)
	ids, mask := clipTexts(2, 77, 49408, 1)
	first, second := runCLIP(t, m, images, ids, mask), runCLIP(t, again, images, ids, mask)
	if e := maxRelErr(first[0], toF64(second[0])); e != 0 {
		t.Errorf("two Random models of one seed differ: %.2g", e)
	}
	dir := t.TempDir()
	if _, err := Export(m, dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxRelErr(runCLIP(t, back, images, ids, mask)[0], toF64(first[0])); e > 1e-6 {
		t.Errorf("exported random CLIP: logits differ by %.2g", e)
	}
}
