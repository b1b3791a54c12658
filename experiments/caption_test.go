package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/weights"
)

// TestCaptionShapesSmoke: caption-shapes at smoke size trains (the loss falls), scores
// greedy and beam captions, writes its pictures, example PNGs and a loadable model.
func TestCaptionShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "caption-shapes", "smoke=true")
	metrics := []string{"bleu_1", "bleu_4", "cider", "object_recall", "loss"}
	for _, k := range metrics[:4] {
		metrics = append(metrics, "beam_"+k)
	}
	wantRun(t, dir, res.Metrics, metrics, "captions.png", "caption_attention.png", "loss.png", "model.json",
		"tokenizer.json", "images/test_000.png")
	wantLossFalls(t, dir, 1, 0.3)
	m := wantLoadable(t, dir, weights.KindCaption)
	if m.Caption.Encoder.Image != 64 || m.Caption.MaxLen != 26 {
		t.Errorf("model.json: image %d, max_len %d; want 64 and 26", m.Caption.Encoder.Image, m.Caption.MaxLen)
	}
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Details struct {
			Examples []struct {
				References []string `json:"references"`
				Greedy     string   `json:"greedy"`
			} `json:"examples"`
		} `json:"details"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Details.Examples) == 0 || len(r.Details.Examples[0].References) != shapeworld.NumCaptions ||
		strings.TrimSpace(r.Details.Examples[0].Greedy) == "" {
		t.Errorf("results.json examples: %+v; want the references and a non-empty greedy caption", r.Details.Examples)
	}
}

// TestCaptionFlickr8kFixture runs caption-flickr8k on a fixture in the real format.
func TestCaptionFlickr8kFixture(t *testing.T) {
	data := writeClipFlickrFixture(t, 40)
	dir, res := runExp(t, "caption-flickr8k", "smoke=true;steps=80;eval_every=40;ckpt_every=40;log_every=10;data_dir="+data)
	wantRun(t, dir, res.Metrics, []string{"bleu_4", "cider", "loss", "beam_bleu_4", "beam_cider"}, "captions.png",
		"caption_attention.png", "model.json")
	if _, ok := res.Metrics["object_recall"]; ok {
		t.Errorf("object_recall on Flickr8k, which has no scene objects")
	}
	wantLossFalls(t, dir, 1, 0.2)
	if err := prepareErr(t, "caption-flickr8k", "smoke=true"); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("no data_dir: %v, want an error naming data_dir", err)
	}
}

// TestObjectRecall: each mention of "colour shape" names one object; held-out pairs
// are counted apart; punctuation and case do not matter.
func TestObjectRecall(t *testing.T) {
	obj := func(c shapeworld.Colour, s shapeworld.Shape) shapeworld.Object {
		return shapeworld.Object{Colour: c, Shape: s}
	}
	red := shapeworld.Colour(0)
	blue := shapeworld.Colour(5)
	circle, star := shapeworld.Shape(0), shapeworld.Shape(3)
	objs := []shapeworld.Object{obj(red, circle), obj(red, circle), obj(blue, star)}
	held := func(c int) bool { return c == obj(blue, star).Class() }
	cases := []struct {
		caption          string
		named, heldNamed int
	}{
		{"three shapes: a " + objs[0].Name() + ", a " + objs[1].Name() + " and a " + objs[2].Name(), 3, 1},
		{"A " + strings.ToUpper(objs[0].Name()) + ".", 1, 0},
		{"a " + objs[2].Name() + " above a " + objs[0].Name(), 2, 1},
		{objs[0].Shape.String() + " " + objs[0].Colour.String(), 0, 0},
		{"", 0, 0},
	}
	for _, c := range cases {
		all, h := objectRecall(c.caption, objs, held)
		if all.named != c.named || all.total != 3 || h.named != c.heldNamed || h.total != 1 {
			t.Errorf("%q: named %d of %d (held-out %d of %d), want %d of 3 (%d of 1)", c.caption, all.named, all.total,
				h.named, h.total, c.named, c.heldNamed)
		}
	}
}
