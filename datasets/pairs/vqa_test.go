package pairs

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

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
	b := FitBlind(vqaWorld())
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
		got := b.Answer(shapeworld.QA{Question: tc.question, Kind: tc.kind})
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
	src := NewVQASource(split, tok, 2, 3)
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
