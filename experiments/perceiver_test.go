package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// perceiverTiny shrinks the Perceiver experiments to a few seconds; two repeats
// with shared weights and the IO head take the less common code paths.
const perceiverTiny = "smoke=true;steps=6;eval_every=3;ckpt_every=3;log_every=3;batch_size=32;num_latents=4;" +
	"latent_dim=16;latent_heads=2;cross_dim_head=16;mlp_dim=32;depth=1;repeats=3;share_weights=true;"

// TestPerceiverShapesSmoke runs perceiver-shapes end to end at a tiny size.
func TestPerceiverShapesSmoke(t *testing.T) {
	dir, res := mpRun(t, "perceiver-shapes", perceiverTiny+"head=io;input_dim=16;shapes_train=128;shapes_val=32;shapes_test=32;eval_size=16")
	mpWant(t, dir, res.Metrics, []string{"loss", "accuracy", "blind_accuracy", "acc_count", "acc_colour", "acc_position"},
		"vqa.png", "tokenizer.json")
	if a := res.Metrics["accuracy"]; a < 0 || a > 1 {
		t.Errorf("accuracy %v out of [0, 1]", a)
	}
}

// TestPerceiverFMNISTSmoke runs perceiver-fmnist on a few hundred images (skipped
// without the Debian package's files, and in -short).
func TestPerceiverFMNISTSmoke(t *testing.T) {
	if _, err := os.Stat(filepath.Join(fmnist.DefaultDir, fmnist.TrainImages+".gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed in %s", fmnist.DefaultDir)
	}
	if testing.Short() {
		t.Skip("loads all of Fashion-MNIST")
	}
	dir, res := mpRun(t, "perceiver-fmnist", perceiverTiny+"positions=learned;train_size=256;val_size=64;test_size=64")
	mpWant(t, dir, res.Metrics, []string{"loss", "accuracy"}, "predictions.png", "cross_attention.png")
}

// TestPerceiverBadParams: bad values are refused with the parameter's name.
func TestPerceiverBadParams(t *testing.T) {
	for sets, want := range map[string]string{
		"head=max":                      "head",
		"positions=sine":                "positions",
		"latent_heads=3":                "latent_dim",
		"input_dim=6":                   "input_dim",
		"patch=5":                       "patch",
		"shapes_train=16;batch_size=32": "batch_size",
	} {
		name := "perceiver-shapes"
		if strings.HasPrefix(sets, "positions") {
			name = "perceiver-fmnist"
			if _, err := os.Stat(filepath.Join(fmnist.DefaultDir, fmnist.TrainImages+".gz")); err != nil {
				continue
			}
		}
		_, err := Prepare(Request{Name: name, Sets: []string{"smoke=true;" + sets}, Out: filepath.Join(t.TempDir(), "run"), Backend: mpBackend()})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s: error %v, want one naming %q", name, sets, err, want)
		}
	}
}

// vqaWorld is a hand-made split of two scenes for the VQA data tests.
func vqaWorld() *shapeworld.Split {
	q := func(kind shapeworld.QAKind, question, answer string) shapeworld.QA {
		return shapeworld.QA{Question: question, Answer: answer, AnswerID: shapeworld.AnswerID(answer), Kind: kind}
	}
	im := &datasets.Images{Name: "vqa", N: 2, H: 16, W: 16, C: 3, Pixels: make([]uint8, 2*16*16*3), Labels: []int32{0, 0}}
	for i := range 16 * 16 * 3 {
		im.Pixels[16*16*3+i] = 255 // image 1 is white, image 0 black.
	}
	return &shapeworld.Split{Name: "vqa", Images: im, Scenes: []shapeworld.Scene{
		{QA: []shapeworld.QA{q(shapeworld.CountQ, "how many shapes are there?", "two"), q(shapeworld.PresenceQ, "is there a red star?", "yes")}},
		{QA: []shapeworld.QA{q(shapeworld.CountQ, "how many shapes are there?", "two"), q(shapeworld.PresenceQ, "is there a red star?", "no"),
			q(shapeworld.PresenceQ, "is there a blue circle?", "no")}},
	}}
}

// TestBlindBaseline: the blind answer is the most frequent answer to the same
// question (ties to the lower answer id: "yes" before "no"), and for an unseen
// question the most frequent answer of its type.
func TestBlindBaseline(t *testing.T) {
	b := fitBlind(vqaWorld())
	for _, tc := range []struct {
		question string
		kind     shapeworld.QAKind
		want     string
	}{
		{"how many shapes are there?", shapeworld.CountQ, "two"},
		{"is there a red star?", shapeworld.PresenceQ, "yes"},
		{"is there a blue circle?", shapeworld.PresenceQ, "no"},
		{"is there a green cross?", shapeworld.PresenceQ, "no"}, // unseen: presence answers are 1 yes, 2 no.
	} {
		got := b.answer(shapeworld.QA{Question: tc.question, Kind: tc.kind})
		if shapeworld.Answers[got] != tc.want {
			t.Errorf("blind answer to %q = %q, want %q", tc.question, shapeworld.Answers[got], tc.want)
		}
	}
}

// TestVQASource: batches hold an image, a question and its answer that belong
// together, and depend only on the step.
func TestVQASource(t *testing.T) {
	split := vqaWorld()
	tok, err := text.Fit([]string{"how many shapes are there?", "is there a red star?", "is there a blue circle?"}, text.Config{MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	src := &vqaSource{split: split, tok: tok, batch: 2, seed: 3}
	for step := range 6 {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		again, labels2, _ := src.Batch(step)
		x, ids, y := tensors.MustCopyFlatData[float32](in[0]), tensors.MustCopyFlatData[int32](in[1]), tensors.MustCopyFlatData[int32](labels[0])
		ids2, y2 := tensors.MustCopyFlatData[int32](again[1]), tensors.MustCopyFlatData[int32](labels2[0])
		for j := range 2 {
			img := 0
			if x[j*16*16*3] > 0.5 {
				img = 1
			}
			q := tok.Decode(ids[j*8 : (j+1)*8])
			found := false
			for _, qa := range split.Scenes[img].QA {
				found = found || (strings.Join(text.Words(qa.Question), " ") == q && qa.AnswerID == y[j])
			}
			if !found {
				t.Errorf("step %d example %d: image %d, question %q, answer %d do not belong together", step, j, img, q, y[j])
			}
			if y[j] != y2[j] || ids[j*8+1] != ids2[j*8+1] {
				t.Errorf("step %d: Batch differs between calls", step)
			}
		}
	}
}
