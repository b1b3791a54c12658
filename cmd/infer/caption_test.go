package main

import (
	"encoding/json"
	"image"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/weights"
)

// testCaptions are the captions the test tokenizer is fitted on.
var testCaptions = []string{"a red square on the left", "a blue circle above a green triangle",
	"two small circles", "a photo of a big red star"}

// writeRun writes m as an mmdna run directory: model.json, the word-level tokenizer
// (when m has one), a checkpoint of its variables, and the run's config.json.
func writeRun(t *testing.T, m *weights.Model) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := train.SaveCheckpoint(filepath.Join(dir, "checkpoints"), m.Store, train.CheckpointState{Step: 1}, 0); err != nil {
		t.Fatal(err)
	}
	if err := weights.WriteSpec(dir, m.Spec); err != nil {
		t.Fatal(err)
	}
	if tok, ok := m.Tokenizer.(*text.Tokenizer); ok {
		if err := tok.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"experiment":"caption-test","params":{}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// eosBias is added to the output bias of [EOS] in captionModel: with it, greedy
// captions run to the length limit while beam search and the prompted captions end.
const eosBias = 4

// captionModel is the "tiny" captioner (8x8 RGB images) over testCaptions'
// vocabulary, its weights spread (normal, stddev 0.5) so that the decoding choices are
// far from ties, with preprocessing to [-1, 1] pixels recorded in its spec.
func captionModel(t *testing.T) *weights.Model {
	t.Helper()
	tok, err := text.Fit(testCaptions, text.Config{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := caption.Preset("tiny", tok.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	pre := imageproc.Config{Source: "caption test", Resize: imageproc.Exact, Height: 8, Width: 8, Filter: imageproc.Bilinear,
		Rescale: 1.0 / 255, Mean: imageproc.HalfMean, Std: imageproc.HalfStd}
	m, err := weights.Random(testbackend.Go(), weights.Spec{Kind: weights.KindCaption, Caption: cfg, Preprocess: &pre}, tok, 3)
	if err != nil {
		t.Fatal(err)
	}
	m.Preprocess = pre
	rng := rand.New(rand.NewPCG(5, 5))
	for v := range m.Store.IterVariables() {
		if !v.Trainable {
			continue // the random state.
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.5)
		}
		if v.Path() == "/decoder/output_bias/biases" {
			vals[cfg.EOS] += eosBias // some captions end before the length limit, some do not.
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// captionImages writes an 8x8 PNG and a 13x9 one (resized by the preprocessing).
func captionImages(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(8, 8))
	var paths []string
	for i, size := range [][2]int{{8, 8}, {13, 9}} {
		img := image.NewNRGBA(image.Rect(0, 0, size[0], size[1]))
		for j := range img.Pix {
			img.Pix[j] = uint8(r.IntN(256))
			if j%4 == 3 {
				img.Pix[j] = 255
			}
		}
		paths = append(paths, writePNG(t, filepath.Join(dir, string(rune('a'+i))+".png"), img))
	}
	return paths
}

// directDecode runs caption.Decode on the images as the model preprocesses them, in
// one batch: the reference of `infer caption`.
func directDecode(t *testing.T, m *weights.Model, paths []string, prompt []int32, opts caption.Opts) ([][]int32, []float32, []float32) {
	t.Helper()
	cfg := m.Caption
	side, channels := m.ImageShape()
	x := tensors.FromShape(shapes.Make(dtypes.Float32, len(paths), side, side, channels))
	x.MustMutableFlatData(func(flat any) {
		data := flat.([]float32)
		for i, p := range paths {
			img, err := imageproc.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			pix, err := m.ImageInput(img)
			if err != nil {
				t.Fatal(err)
			}
			copy(data[i*len(pix):], pix)
		}
	})
	prompts := make([][]int32, len(paths))
	for i := range prompts {
		prompts[i] = prompt
	}
	out := testbackend.Run(t, m.Store, func(scope *model.Scope, images, p *Node) []*Node {
		d := caption.Decode(scope, cfg, images, p, opts)
		return []*Node{d.IDs, d.LogProb, d.Score}
	}, x, prompts)
	ids := out[0].Value().([][]int32)
	for i, row := range ids {
		if end := slices.Index(row, cfg.EOS); end >= 0 {
			ids[i] = row[:end+1]
		}
	}
	return ids, out[1].Value().([]float32), out[2].Value().([]float32)
}

// TestCaptionMatchesDecode: `infer caption -json` on a run directory gives the
// captions caption.Decode gives on the same preprocessed images with the run's
// weights, greedy and with beam search, with and without a prompt; the JSON lines
// have the documented schema, and the text is the tokenizer's decoding of the ids.
func TestCaptionMatchesDecode(t *testing.T) {
	m := captionModel(t)
	dir := writeRun(t, m)
	images := captionImages(t)
	tok := m.Tokenizer.(*text.Tokenizer)
	bos := m.Caption.BOS
	ended, cut := 0, 0 // captions that end with [EOS], captions cut at the length limit.
	for _, c := range []struct {
		name   string
		args   []string
		prompt []int32
		opts   caption.Opts
	}{
		{"greedy", []string{"-beam", "1"}, []int32{bos}, caption.Opts{Strategy: caption.StrategyGreedy}},
		{"beam 3", nil, []int32{bos}, caption.Opts{Strategy: caption.StrategyBeam, BeamSize: 3}},
		{"greedy prompt", []string{"-beam", "1", "-prompt", "A photo of"},
			[]int32{bos, tok.ID("a"), tok.ID("photo"), tok.ID("of")}, caption.Opts{Strategy: caption.StrategyGreedy}},
		{"beam prompt maxlen lenpen", []string{"-prompt", "two", "-maxlen", "6", "-lenpen", "0.7"}, []int32{bos, tok.ID("two")},
			caption.Opts{Strategy: caption.StrategyBeam, BeamSize: 3, MaxLen: 6, LengthPenalty: 0.7}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"caption", "-model", dir, "-json", "-batch", "2"}, c.args...)
			code, stdout, stderr := runInfer(append(args, images...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			wantIDs, wantLP, wantScore := directDecode(t, m, images, c.prompt, c.opts)
			lines := jsonLines(t, stdout)
			if len(lines) != len(images) {
				t.Fatalf("%d lines for %d images: %q", len(lines), len(images), stdout)
			}
			for i, line := range lines {
				var keys map[string]json.RawMessage
				if err := json.Unmarshal([]byte(line), &keys); err != nil {
					t.Fatal(err)
				}
				if got, want := slices.Sorted(maps.Keys(keys)), []string{"caption", "ids", "image", "logprob", "score"}; !slices.Equal(got, want) {
					t.Errorf("keys %v, want %v", got, want)
				}
				var res captionResult
				if err := json.Unmarshal([]byte(line), &res); err != nil {
					t.Fatal(err)
				}
				if res.Image != images[i] || !slices.Equal(res.IDs, wantIDs[i]) {
					t.Errorf("%s: ids %v, caption.Decode %v", filepath.Base(res.Image), res.IDs, wantIDs[i])
				}
				if !slices.Equal(res.IDs[:len(c.prompt)], c.prompt) || slices.Contains(res.IDs, m.Caption.PAD) {
					t.Errorf("ids %v: want the prompt %v first and no padding", res.IDs, c.prompt)
				}
				if res.Caption != text.Detokenize(tok.Decode(res.IDs)) || !strings.HasPrefix(res.Caption, text.Detokenize(tok.Decode(c.prompt))) {
					t.Errorf("caption %q: want %q, starting with the prompt", res.Caption, text.Detokenize(tok.Decode(res.IDs)))
				}
				if res.LogProb != float64(wantLP[i]) || res.Score != float64(wantScore[i]) {
					t.Errorf("logprob %v score %v, caption.Decode %v %v", res.LogProb, res.Score, wantLP[i], wantScore[i])
				}
				if res.IDs[len(res.IDs)-1] == m.Caption.EOS {
					ended++
				} else {
					cut++
				}
				t.Logf("%s: %q %v", filepath.Base(res.Image), res.Caption, res.IDs)
			}
		})
	}
	if ended == 0 || cut == 0 {
		t.Errorf("%d captions ended, %d were cut: the test model should give both", ended, cut)
	}
}

// TestCaptionPlainAndBatches: without -json each image gets one line "IMAGE: caption";
// three images in batches of two (the last one padded) caption as in one batch, with
// progress on stderr; a seeded sample repeats.
func TestCaptionPlainAndBatches(t *testing.T) {
	m := captionModel(t)
	dir := writeRun(t, m)
	images := captionImages(t)
	images = append(images, images[0])
	code, stdout, stderr := runInfer(append([]string{"caption", "-model", dir, "-json", "-batch", "3"}, images...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	one := jsonLines(t, stdout)
	code, plain, stderr := runInfer(append([]string{"caption", "-model", dir, "-batch", "2"}, images...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "infer: 3/3 images") {
		t.Errorf("stderr %q: want progress", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(plain, "\n"), "\n")
	if len(lines) != len(images) {
		t.Fatalf("%d lines for %d images: %q", len(lines), len(images), plain)
	}
	for i, line := range lines {
		var res captionResult
		if err := json.Unmarshal([]byte(one[i]), &res); err != nil {
			t.Fatal(err)
		}
		if want := images[i] + ": " + res.Caption; line != want {
			t.Errorf("line %q, want %q (as in one batch)", line, want)
		}
	}
	sample := []string{"caption", "-model", dir, "-json", "-topk", "3", "-seed", "7", images[0]}
	_, first, _ := runInfer(sample...)
	code, again, stderr := runInfer(sample...)
	if code != 0 || first != again || len(jsonLines(t, first)) != 1 {
		t.Errorf("seeded sampling: exit %d (%s), %q then %q", code, stderr, first, again)
	}
}

// TestCaptionBadInput: wrong flags, models and files give one line on stderr, nothing
// on stdout and exit status 2, for infer caption and for the commands a captioner
// does not fit.
func TestCaptionBadInput(t *testing.T) {
	m := captionModel(t)
	dir := writeRun(t, m)
	img := captionImages(t)[0]
	notImage := filepath.Join(t.TempDir(), "notes.png")
	os.WriteFile(notImage, []byte("not an image"), 0o644)
	vitCfg := vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 16, Depth: 1, Heads: 2, MLPDim: 32, Classes: 3, Pool: vit.PoolGAP}
	vm, err := weights.Random(testbackend.Go(), weights.Spec{Kind: weights.KindViT, ViT: vitCfg}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	vitDir := writeRun(t, vm)
	noTok := writeRun(t, m)
	os.Remove(filepath.Join(noTok, "tokenizer.json"))
	otherTok := writeRun(t, m)
	small, _ := text.Fit([]string{"a b"}, text.Config{MaxLen: 8})
	small.Save(filepath.Join(otherTok, "tokenizer.json"))
	badSpec := writeRun(t, m)
	spec := m.Spec
	spec.Caption.Heads = 3
	weights.WriteSpec(badSpec, spec)

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"caption", img}, "-model is required"},
		{[]string{"caption", "-model", dir}, "no images given"},
		{[]string{"caption", "-model", dir, "-beam", "0", img}, "-beam 0: want at least 1"},
		{[]string{"caption", "-model", dir, "-beam", "-2", img}, "-beam -2"},
		{[]string{"caption", "-model", dir, "-maxlen", "1", img}, "-maxlen 1"},
		{[]string{"caption", "-model", dir, "-maxlen", "99", img}, "at most 8 tokens"},
		{[]string{"caption", "-model", dir, "-topk", "3", "-beam", "4", img}, "exclude each other"},
		{[]string{"caption", "-model", dir, "-topk", "3", "-topp", "0.5", img}, "give one"},
		{[]string{"caption", "-model", dir, "-topp", "1.5", img}, "-topp 1.5"},
		{[]string{"caption", "-model", dir, "-seed", "3", img}, "-seed 3"},
		{[]string{"caption", "-model", dir, "-prompt", "a zebra", img}, `"zebra" is not in the model's vocabulary`},
		{[]string{"caption", "-model", dir, "-maxlen", "7", "-prompt", "a red square on the left", img}, "leave no room"},
		{[]string{"caption", "-model", dir, notImage}, "notes.png"},
		{[]string{"caption", "-model", vitDir, img}, "a vit model; infer caption needs a captioner"},
		{[]string{"caption", "-model", noTok, img}, "without tokenizer.json"},
		{[]string{"caption", "-model", otherTok, img}, "not the run's vocabulary"},
		{[]string{"caption", "-model", badSpec, img}, "not divisible by heads 3"},
		{[]string{"classify", "-model", dir, img}, "a caption model; use infer caption"},
		{[]string{"zeroshot", "-model", dir, "-labels", "a,b", img}, "a caption model; use infer caption"},
		{[]string{"embed", "-model", dir, "-text", "a red star"}, "a caption model; use infer caption"},
		{[]string{"export", "-model", dir, "-out", t.TempDir()}, "a caption model"},
	}
	for _, c := range cases {
		code, stdout, stderr := runInfer(c.args...)
		if code != exitBadArgs || stdout != "" || !strings.Contains(stderr, c.want) ||
			strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and one line containing %q",
				c.args, code, stdout, stderr, exitBadArgs, c.want)
		}
	}
}
