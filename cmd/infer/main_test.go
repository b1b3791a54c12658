package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/internal/pyref"
)

// writeImages writes a colour PNG, a grey PNG, an RGBA PNG and a JPEG of odd sizes
// into dir and returns their paths.
func writeImages(t *testing.T, dir string) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	rgba := image.NewNRGBA(image.Rect(0, 0, 41, 29))
	grey := image.NewGray(image.Rect(0, 0, 20, 33))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(r.IntN(256))
	}
	for i := range grey.Pix {
		grey.Pix[i] = uint8(r.IntN(256))
	}
	opaque := image.NewNRGBA(rgba.Rect)
	copy(opaque.Pix, rgba.Pix)
	for i := 3; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i] = 255
	}
	var paths []string
	for name, img := range map[string]image.Image{"colour.png": opaque, "grey.png": grey, "alpha.png": rgba} {
		paths = append(paths, writePNG(t, filepath.Join(dir, name), img))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, opaque, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(paths, p)
}

func writePNG(t *testing.T, path string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runInfer(args ...string) (code int, stdout, stderr string) {
	var out, errw bytes.Buffer
	code = run(args, &out, &errw)
	return code, out.String(), errw.String()
}

func weightsTestdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "weights", "testdata", name)
}

// TestClassifyMatchesPyTorch is the end-to-end check: a Hugging Face ViT
// directory made from torchvision's ViT with random weights, and image files
// preprocessed by PIL as ViTImageProcessor does, give PyTorch's logits through
// `infer classify -json`.
func TestClassifyMatchesPyTorch(t *testing.T) {
	pyref.Require(t, "torch", "torchvision", "PIL", "numpy")
	dir := t.TempDir()
	images := writeImages(t, t.TempDir())
	var refs []struct {
		Logits []float64 `json:"logits"`
	}
	script := "import runpy, sys; sys.argv = ['" + weightsTestdata("vit_ref.py") + "']; runpy.run_path(sys.argv[0], run_name='__main__')"
	pyref.Run(t, script, []map[string]any{{"dir": dir, "layout": "hf", "image": 16, "patch": 4, "depth": 2,
		"heads": 2, "dim": 16, "mlp": 32, "classes": 5, "dtype": "F32", "pngs": images, "seed": 11}}, &refs)
	code, stdout, stderr := runInfer(append([]string{"classify", "-model", dir, "-json", "-batch", "3"}, images...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != len(images) {
		t.Fatalf("%d result lines for %d images", len(lines), len(images))
	}
	const classes = 5
	for i, line := range lines {
		var res classifyResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatal(err)
		}
		if res.Image != images[i] || len(res.Logits) != classes || len(res.Top) != 5 {
			t.Fatalf("line %d: %s", i, line)
		}
		want := refs[0].Logits[i*classes : (i+1)*classes]
		var scale, worst float64
		for _, w := range want {
			scale = math.Max(scale, math.Abs(w))
		}
		for j, w := range want {
			worst = math.Max(worst, math.Abs(float64(res.Logits[j])-w)/scale)
		}
		// JPEG decoders differ (Go's and libjpeg's IDCT): a looser bound for photo.jpg.
		tol := 1e-4
		if strings.HasSuffix(res.Image, ".jpg") {
			tol = 0.05
		}
		if worst > tol {
			t.Errorf("%s: logits max relative error %.2g against PyTorch (tolerance %g)", filepath.Base(res.Image), worst, tol)
		}
		t.Logf("%s: max relative error %.2g", filepath.Base(res.Image), worst)
		if res.Top[0].Prob < res.Top[1].Prob || !strings.HasPrefix(res.Top[0].Label, "class_") {
			t.Errorf("top classes %+v", res.Top)
		}
	}
}

func jsonLines(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		out = append(out, sc.Text())
	}
	return out
}

// TestBadInput: flags, model directories and image files that are wrong give one line
// on stderr, nothing on stdout and exit status 2.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.png")
	os.WriteFile(text, []byte("just some text, not an image"), 0o644)
	good := writePNG(t, filepath.Join(dir, "ok.png"), image.NewGray(image.Rect(0, 0, 4, 4)))
	empty := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "usage: infer COMMAND"},
		{[]string{"paint"}, `unknown command "paint"`},
		{[]string{"classify", good}, "-model is required"},
		{[]string{"classify", "-model", empty}, "no images given"},
		{[]string{"classify", "-model", empty, "-topk", "0", good}, "-topk 0"},
		{[]string{"classify", "-model", empty, "-bogus", good}, "flag provided but not defined: -bogus"},
		{[]string{"classify", "-model", empty, text}, "notes.png"},
		{[]string{"classify", "-model", empty, filepath.Join(dir, "missing.png")}, "missing.png"},
		{[]string{"classify", "-model", empty, good}, "no weights"},
		{[]string{"zeroshot", "-model", empty, "-labels", "cat", good}, "want at least two"},
		{[]string{"zeroshot", "-model", empty, "-labels", "a,b", "-template", "x", good}, "-template"},
		{[]string{"embed", "-model", empty}, "nothing to embed"},
		{[]string{"tokenize", "-model", empty, "hello"}, "no tokenizer"},
		{[]string{"export", "-model", empty}, "-out is required"},
		{[]string{"export", "-model", empty, "-out", t.TempDir()}, "no weights"},
	}
	for _, c := range cases {
		code, stdout, stderr := runInfer(c.args...)
		if code != exitBadArgs {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, exitBadArgs, stderr)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", c.args, stdout)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q, want it to contain %q", c.args, stderr, c.want)
		}
		if c.args != nil && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: stderr is not one line: %q", c.args, stderr)
		}
	}
}

// TestZeroShotMatchesPyTorch: an OpenAI-layout CLIP with random weights (OpenAI's
// vocabulary, so the embedded tokenizer serves) gives PyTorch's zero-shot logits through
// `infer zeroshot -json`, its images preprocessed by OpenAI's _transform (torchvision on
// PIL) on the PyTorch side. The prompts' ids come from mmdna's tokenizer, whose ids equal
// OpenAI's (datasets/text's golden tests).
func TestZeroShotMatchesPyTorch(t *testing.T) {
	pyref.Require(t, "torch", "torchvision", "PIL")
	dir := t.TempDir()
	images := writeImages(t, t.TempDir())
	labels := []string{"cat", "dog", "red star"}
	tok, err := text.OpenAICLIP()
	if err != nil {
		t.Fatal(err)
	}
	var prompts []string
	for _, l := range labels {
		prompts = append(prompts, "a photo of a "+l+".")
	}
	flat, _ := tok.EncodeBatch(prompts)
	ids := make([][]int32, len(prompts))
	for i := range ids {
		ids[i] = flat[i*tok.MaxLen() : (i+1)*tok.MaxLen()]
	}
	var refs []struct {
		Logits []float64 `json:"logits"`
	}
	script := "import runpy, sys; sys.argv = ['" + weightsTestdata("clip_ref.py") + "']; runpy.run_path(sys.argv[0], run_name='__main__')"
	pyref.Run(t, script, []map[string]any{{"dir": dir, "layout": "openai", "dtype": "F32", "seed": 5, "image": 32,
		"patch": 8, "vdim": 64, "vdepth": 2, "vheads": 1, "vmlp": 256, "tdim": 64, "tdepth": 2, "theads": 1,
		"tmlp": 256, "vocab": 49408, "ctx": 77, "embed": 32, "vact": "quick_gelu", "tact": "quick_gelu",
		"veps": 1e-5, "teps": 1e-5, "vpool": "tok", "final_ln_after_pool": false, "ln_pre": true, "tpool": "argmax",
		"eos": 49407, "pngs": images, "ids": ids, "resize": 0}}, &refs)
	code, stdout, stderr := runInfer(append([]string{"zeroshot", "-model", dir, "-json", "-labels", strings.Join(labels, ","),
		"-template", "a photo of a {}."}, images...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != len(images) {
		t.Fatalf("%d lines for %d images", len(lines), len(images))
	}
	for i, line := range lines {
		var res zeroShotResult
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatal(err)
		}
		want := refs[0].Logits[i*len(labels) : (i+1)*len(labels)]
		var worst, sum float64
		for j, w := range want {
			worst = math.Max(worst, math.Abs(res.Logits[j]-w)/math.Max(math.Abs(w), 1))
			sum += res.Probs[j]
		}
		tol := 1e-4
		if strings.HasSuffix(res.Image, ".jpg") {
			tol = 0.05 // JPEG decoders differ (see TestClassifyMatchesPyTorch).
		}
		if worst > tol || math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: logits %v, PyTorch %v (max error %.2g); probs sum %v", filepath.Base(res.Image), res.Logits, want, worst, sum)
		}
		t.Logf("%s: max error %.2g", filepath.Base(res.Image), worst)
	}
}
