package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
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
	"github.com/mmdna/mmdna/models/vilt"
	"github.com/mmdna/mmdna/weights"
)

// viltModel is a tiny ViLT (8x8 RGB images, a one-stage stem) over questions about
// shapes, its weights spread (normal, stddev 0.5) so that the answers differ by image,
// with preprocessing to [-1, 1] pixels recorded in its spec.
func viltModel(t *testing.T) *weights.Model {
	t.Helper()
	tok, err := text.Fit([]string{"how many shapes are there", "is there a red star", "what colour is the circle"},
		text.Config{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	cfg := vilt.Config{Image: 8, Channels: 3, Patch: 4, Stem: []int{6}, VocabSize: tok.VocabSize(), MaxLen: 8, Dim: 16,
		Depth: 1, Heads: 2, MLPDim: 32}
	answers := []string{"yes", "no", "one", "two", "red"}
	pre := imageproc.Config{Source: "vqa test", Resize: imageproc.Exact, Height: 8, Width: 8, Filter: imageproc.Bilinear,
		Rescale: 1.0 / 255, Mean: imageproc.HalfMean, Std: imageproc.HalfStd}
	store := model.NewStore()
	ids := [][]int32{make([]int32, 8)}
	testbackend.Run(t, store, func(scope *model.Scope, images, ids *Node) *Node {
		return vilt.VQALogits(scope, cfg, vilt.Encode(scope, cfg, images, ids, OnesLike(ids)).Pooled, len(answers))
	}, tensors.FromShape(shapes.Make(dtypes.Float32, 1, 8, 8, 3)), ids)
	rng := rand.New(rand.NewPCG(6, 6))
	for v := range store.IterVariables() {
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.5)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	return &weights.Model{Spec: weights.Spec{Kind: weights.KindViLT, ViLT: cfg, Labels: answers, Preprocess: &pre},
		Store: store, Tokenizer: tok, Preprocess: pre, Layout: weights.LayoutRun}
}

// TestVQAMatchesModel: `infer vqa -json` on a run directory gives, for each image, the
// answers vilt.VQALogits gives on the same preprocessed images with the run's weights
// (the softmax, ranked), whatever the batch.
func TestVQAMatchesModel(t *testing.T) {
	m := viltModel(t)
	dir := writeRun(t, m)
	images := captionImages(t)
	const question = "how many shapes are there"
	qids, qmask := m.Tokenizer.Encode(question)
	side := 8
	x := tensors.FromShape(shapes.Make(dtypes.Float32, len(images), side, side, 3))
	x.MustMutableFlatData(func(flat any) {
		for i, p := range images {
			img, err := imageproc.Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			pix, err := m.ImageInput(img)
			if err != nil {
				t.Fatal(err)
			}
			copy(flat.([]float32)[i*len(pix):], pix)
		}
	})
	cfg := m.ViLT
	q, qm := [][]int32{qids, qids}, [][]int32{qmask, qmask}
	out := testbackend.Run(t, m.Store, func(scope *model.Scope, images, ids, mask *Node) *Node {
		return Softmax(vilt.VQALogits(scope, cfg, vilt.Encode(scope, cfg, images, ids, mask).Pooled, 5))
	}, x, q, qm)
	want := out[0].Value().([][]float32)
	if want[0][0] == want[1][0] {
		t.Fatalf("the two images get the same answer probabilities %v: the test cannot tell them apart", want)
	}
	for _, batch := range []string{"1", "2"} {
		code, stdout, stderr := runInfer(append([]string{"vqa", "-model", dir, "-question", question, "-topk", "5", "-json",
			"-batch", batch}, images...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lines := jsonLines(t, stdout)
		if len(lines) != len(images) {
			t.Fatalf("%d lines for %d images", len(lines), len(images))
		}
		for i, line := range lines {
			var r vqaResult
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			if r.Image != images[i] || r.Question != question || r.Answer != r.Answers[0] || len(r.Answers) != 5 {
				t.Fatalf("line %d: %+v", i, r)
			}
			for k, a := range r.Answers {
				j := indexOf(m.Labels, a)
				if math.Abs(r.Probs[k]-float64(want[i][j])) > 1e-5 {
					t.Errorf("batch %s, image %d: p(%s) = %g, the model gives %g", batch, i, a, r.Probs[k], want[i][j])
				}
				if k > 0 && r.Probs[k] > r.Probs[k-1] {
					t.Errorf("image %d: answers not ranked: %v", i, r.Probs)
				}
			}
		}
	}
	code, stdout, _ := runInfer("vqa", "-model", dir, "-question", question, images[0])
	if code != 0 || !strings.HasPrefix(stdout, images[0]+": ") || strings.Count(stdout, ",") != 2 {
		t.Errorf("plain output (exit %d): %q, want the image and its 3 answers", code, stdout)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestVQABadInput: one line naming the flag, exit 2.
func TestVQABadInput(t *testing.T) {
	m := viltModel(t)
	dir := writeRun(t, m)
	img := captionImages(t)[0]
	capDir := writeRun(t, captionModel(t))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vqa", "-model", dir, img}, "-question is required"},
		{[]string{"vqa", "-model", dir, "-question", "how many giraffes", img}, `"giraffes" is not in the model's vocabulary`},
		{[]string{"vqa", "-model", dir, "-question", "is there a red star is there a red star", img}, "the model reads at most 6"},
		{[]string{"vqa", "-model", dir, "-question", "is there", "-topk", "0", img}, "-topk 0"},
		{[]string{"vqa", "-model", capDir, "-question", "is there", img}, "infer vqa needs a VQA model"},
		{[]string{"vqa", "-model", dir, "-question", "is there", filepath.Join(t.TempDir(), "none.png")}, "none.png"},
	} {
		code, _, stderr := runInfer(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}
