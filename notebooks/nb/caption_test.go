package nb

import (
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// TestCaptionHelpers: a random "tiny" captioner captions two images with each decoding
// (the prompt kept in front, seeded sampling repeatable), the table shows them, and a
// word outside the vocabulary is an error naming the decoding.
func TestCaptionHelpers(t *testing.T) {
	tok, err := text.Fit([]string{"two shapes: a red square", "a blue circle"}, text.Config{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := caption.Preset("tiny", tok.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	m, err := weights.Random(testbackend.Go(), weights.Spec{Kind: weights.KindCaption, Caption: cfg}, tok, 1)
	if err != nil {
		t.Fatal(err)
	}
	images := []image.Image{image.NewRGBA(image.Rect(0, 0, 8, 8)), DemoImages()[0]}
	topP := caption.Opts{Strategy: caption.StrategyTopP, TopP: 0.9, Seed: 3}
	decodings := []Decoding{
		{Name: "greedy"},
		{Name: "beam 2", Opts: caption.Opts{Strategy: caption.StrategyBeam, BeamSize: 2}},
		{Name: "top-p", Opts: topP},
		{Name: "top-p again", Opts: topP},
		{Name: "prompt", Prompt: "two shapes:"},
	}
	r := m.NewRunner(testbackend.Go(), 2)
	caps, err := CaptionImages(r, images, decodings)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != len(decodings) {
		t.Fatalf("%d decodings captioned, want %d", len(caps), len(decodings))
	}
	for d, row := range caps {
		if len(row) != len(images) {
			t.Fatalf("decoding %q: %d captions", decodings[d].Name, len(row))
		}
		for _, c := range row {
			if len(c.IDs) == 0 || c.IDs[0] != text.BOSID || c.Text != text.Detokenize(tok.Decode(c.IDs)) {
				t.Errorf("decoding %q: caption %+v", decodings[d].Name, c)
			}
		}
	}
	for i := range images {
		if !slices.Equal(caps[2][i].IDs, caps[3][i].IDs) {
			t.Errorf("image %d: top-p with seed 3 gave %v, then %v", i, caps[2][i].IDs, caps[3][i].IDs)
		}
		if !strings.HasPrefix(caps[4][i].Text, "two shapes:") {
			t.Errorf("image %d: prompted caption %q does not continue the prompt", i, caps[4][i].Text)
		}
	}

	md := CaptionTable([]string{"first", "second"}, []string{"a | b", "c"}, decodings, caps)
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "| image | a reference | greedy | beam 2 | top-p | top-p again | prompt |" ||
		lines[1] != "|---|---|---|---|---|---|---|" {
		t.Fatalf("table:\n%s", md)
	}
	if !strings.HasPrefix(lines[2], `| first | a \| b | `) || !strings.Contains(lines[2], "| **two shapes:**") {
		t.Errorf("table row %q: want the escaped reference and the prompt in bold", lines[2])
	}
	if got := CaptionTable([]string{"x"}, nil, decodings[:1], caps[:1]); !strings.HasPrefix(got, "| image | greedy |\n|---|---|\n| x | ") {
		t.Errorf("table without references:\n%s", got)
	}

	if _, err := CaptionImages(r, images, []Decoding{{Name: "green", Prompt: "a green"}}); err == nil ||
		!strings.Contains(err.Error(), `decoding "green"`) || !strings.Contains(err.Error(), `"green" is not in the model's vocabulary`) {
		t.Errorf("unknown prompt word: %v", err)
	}
}

// TestCaptionCell: the prompt is bold only where the caption starts with it, and
// markdown's table and emphasis characters are escaped.
func TestCaptionCell(t *testing.T) {
	for _, c := range []struct{ prompt, caption, want string }{
		{"", "three shapes : a red circle , a blue star", "three shapes: a red circle, a blue star"},
		{"two shapes:", "two shapes : a red circle", "**two shapes:** a red circle"},
		{"A Red", "a red circle", "**a red** circle"},
		{"a blue", "a red circle", "a red circle"},
		{"", "a | b * c", `a \| b \* c`},
	} {
		if got := captionCell(c.prompt, c.caption); got != c.want {
			t.Errorf("captionCell(%q, %q) = %q, want %q", c.prompt, c.caption, got, c.want)
		}
	}
}

// TestNamedObjects: each "colour shape" mention names one object, whatever the case and
// punctuation; the words must be consecutive and in that order (as caption-shapes'
// object_recall counts).
func TestNamedObjects(t *testing.T) {
	objs := []string{"red circle", "red circle", "blue star"}
	for _, c := range []struct {
		caption string
		want    int
	}{
		{"three shapes: a red circle, a red circle and a blue star", 3},
		{"A RED CIRCLE.", 1},
		{"a blue star above a red circle", 2},
		{"circle red", 0},
		{"a red, circle", 1}, // punctuation is dropped, as by PTB tokenisation
		{"", 0},
	} {
		if got := NamedObjects(c.caption, objs); got != c.want {
			t.Errorf("NamedObjects(%q) = %d, want %d", c.caption, got, c.want)
		}
	}
}

// TestCaptionExamples reads the examples detail of results, as decoded from
// results.json (maps of any) and as a run returns it; results without it are an error.
func TestCaptionExamples(t *testing.T) {
	res := &train.Results{Experiment: "caption-shapes", Details: map[string]any{"examples": []any{
		map[string]any{"image": 0.0, "references": []any{"a red circle"}, "greedy": "a red square", "beam": "a red circle"},
	}}}
	ex, err := CaptionExamples(res)
	if err != nil || len(ex) != 1 || ex[0].References[0] != "a red circle" || ex[0].Greedy != "a red square" || ex[0].Beam != "a red circle" {
		t.Errorf("CaptionExamples = %+v, %v", ex, err)
	}
	res.Details["examples"] = []map[string]any{{"image": 1, "references": []string{"x"}, "greedy": "y", "beam": "z"}}
	if ex, err := CaptionExamples(res); err != nil || ex[0].Image != 1 || ex[0].Beam != "z" {
		t.Errorf("CaptionExamples of a run's details = %+v, %v", ex, err)
	}
	if _, err := CaptionExamples(&train.Results{Experiment: "vit-fmnist"}); err == nil || !strings.Contains(err.Error(), "vit-fmnist") {
		t.Errorf("no examples: %v", err)
	}
	if data, err := ImageRow(DemoImages()[:2], []string{"a", "b"}, 2); err != nil || len(data) < 100 {
		t.Errorf("ImageRow: %d bytes, %v", len(data), err)
	}
}
