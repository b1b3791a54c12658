package pairs

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// TestMaskWords: specials and padding are never chosen, labels hold the original ids
// of the chosen words only, and over many draws the chosen share is prob and the
// corruption 80% [MASK], 10% another word, 10% unchanged.
func TestMaskWords(t *testing.T) {
	ids := []int32{text.BOSID, 7, 8, 9, 10, 11, text.EOSID, text.PadID}
	mask := []int32{1, 1, 1, 1, 1, 1, 1, 0}
	const vocab, draws, prob = 40, 20000, 0.15
	rng := rand.New(rand.NewPCG(1, 2))
	var chosen, masked, random, kept int
	for range draws {
		out, labels := MaskWords(rng, ids, mask, prob, vocab, nil)
		n := 0
		for i, l := range labels {
			if i == 0 || i >= 6 {
				if l != Ignored || out[i] != ids[i] {
					t.Fatalf("position %d (special or padding) was chosen: out %v labels %v", i, out, labels)
				}
				continue
			}
			if l == Ignored {
				if out[i] != ids[i] {
					t.Fatalf("position %d changed without a label: out %v labels %v", i, out, labels)
				}
				continue
			}
			if l != ids[i] {
				t.Fatalf("label %d at %d, want the original id %d", l, i, ids[i])
			}
			n++
			switch {
			case out[i] == text.MaskID:
				masked++
			case out[i] == ids[i]:
				kept++
			default:
				if int(out[i]) < len(text.Specials) || int(out[i]) >= vocab {
					t.Fatalf("random replacement %d outside the words [%d, %d)", out[i], len(text.Specials), vocab)
				}
				random++
			}
		}
		if n == 0 {
			t.Fatalf("no word chosen: %v", labels)
		}
		chosen += n
	}
	// The at-least-one rule lifts the share a little above prob: P(none of 5) = 0.85^5.
	want := 5*prob + math.Pow(1-prob, 5)
	if got := float64(chosen) / draws; math.Abs(got-want) > 0.03 {
		t.Errorf("%.3f words chosen per caption, want %.3f", got, want)
	}
	// Random replacements may draw the word itself (1 in 36), counted as kept.
	for name, c := range map[string]struct{ got, want float64 }{
		"[MASK]": {float64(masked) / float64(chosen), 0.8}, "random": {float64(random) / float64(chosen), 0.1 * 35 / 36},
		"kept": {float64(kept) / float64(chosen), 0.1 + 0.1/36},
	} {
		if math.Abs(c.got-c.want) > 0.015 {
			t.Errorf("%s share %.3f, want %.3f", name, c.got, c.want)
		}
	}
}

// TestMaskWordsOnly: with a candidate filter only the accepted words are chosen (at
// least one when there is one), and an encoding with none of them is left unchanged.
func TestMaskWordsOnly(t *testing.T) {
	ids := []int32{text.BOSID, 7, 8, 9, 10, 11, text.EOSID, text.PadID}
	mask := []int32{1, 1, 1, 1, 1, 1, 1, 0}
	only := func(id int32) bool { return id == 8 || id == 10 }
	rng := rand.New(rand.NewPCG(3, 4))
	var chosen [12]int
	for range 2000 {
		_, labels := MaskWords(rng, ids, mask, 0.15, 40, only)
		n := 0
		for i, l := range labels {
			if l != Ignored {
				chosen[ids[i]]++
				n++
			}
		}
		if n == 0 {
			t.Fatalf("no word chosen: %v", labels)
		}
	}
	for id, n := range chosen {
		if (n > 0) != (id == 8 || id == 10) {
			t.Errorf("word %d chosen %d times; want only 8 and 10", id, n)
		}
	}
	none := func(int32) bool { return false }
	out, labels := MaskWords(rng, ids, mask, 0.9, 40, none)
	for i := range ids {
		if out[i] != ids[i] || labels[i] != Ignored {
			t.Fatalf("no candidate: out %v labels %v, want the encoding unchanged", out, labels)
		}
	}
}

// TestViLTSourceSwapped: with Swapped 1 every negative is the image's own caption with
// one word of a colour-shape pair changed to name an object the image lacks, and
// Forbidden classes are never named.
func TestViLTSourceSwapped(t *testing.T) {
	sp := vqaWorld()
	sp.Scenes[0].Captions = []string{"a red star", "one red star on black"}
	sp.Scenes[0].Objects = []shapeworld.Object{{Colour: shapeworld.Red, Shape: shapeworld.Star}}
	sp.Scenes[1].Captions = []string{"a blue circle", "one blue circle on white"}
	forbidden := func(class int) bool { return class == shapeworld.Class(shapeworld.Green, shapeworld.Star) }
	src := NewViLTSource(sp, nil, 2, 5, ViLTOptions{Pretrain: 50, MaskProb: 0.3, Swapped: 1, Forbidden: forbidden})
	rng := rand.New(rand.NewPCG(5, 6))
	negatives := 0
	for range 400 {
		c, label := src.caption(rng, 0)
		if label == 1 {
			if !slices.Contains(sp.Scenes[0].Captions, c) {
				t.Fatalf("matching caption %q is not one of the image's", c)
			}
			continue
		}
		negatives++
		if strings.Contains(c, "green star") {
			t.Fatalf("swapped caption %q names a forbidden pair", c)
		}
		diff := -1
		for _, own := range sp.Scenes[0].Captions {
			a, b := strings.Fields(own), strings.Fields(c)
			if len(a) != len(b) {
				continue
			}
			d := 0
			for k := range a {
				if a[k] != b[k] {
					d++
				}
			}
			if diff < 0 || d < diff {
				diff = d
			}
		}
		if diff != 1 {
			t.Fatalf("negative %q differs from the image's captions in %d words, want 1", c, diff)
		}
	}
	if negatives < 150 {
		t.Errorf("%d negatives of 400, want about half", negatives)
	}
}

// TestViLTSourceWords: with Words the fourth label is the multi-hot bag of the
// accepted words of the image's own captions, in both stages.
func TestViLTSourceWords(t *testing.T) {
	sp, tok := captionedWorld(t)
	content := map[int32]string{tok.ID("red"): "red", tok.ID("star"): "star", tok.ID("blue"): "blue", tok.ID("circle"): "circle"}
	words := func(id int32) bool { _, ok := content[id]; return ok }
	src := NewViLTSource(sp, tok, 2, 5, ViLTOptions{Pretrain: 1, MaskProb: 0.3, Words: words})
	V := tok.VocabSize()
	for _, step := range []int{0, 1} {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != 4 {
			t.Fatalf("step %d: %d labels, want 4", step, len(labels))
		}
		bag := tensors.MustCopyFlatData[float32](labels[3])
		for j := range 2 {
			first := tensors.MustCopyFlatData[float32](in[0])[j*16*16*3] // image 1 is white, image 0 black.
			want := map[string]bool{"red": true, "star": true}
			if first > 0 {
				want = map[string]bool{"blue": true, "circle": true}
			}
			for id := range V {
				w, isContent := content[int32(id)]
				if got, exp := bag[j*V+id] == 1, isContent && want[w]; got != exp {
					t.Errorf("step %d, example %d: word %q (%d) in bag %v, want %v", step, j, tok.Token(int32(id)), id, got, exp)
				}
			}
		}
	}
}

// TestViLTSourceStages: pre-training batches carry ITM labels (both kinds) and MLM
// labels only on matching captions, with masking on every caption; VQA batches carry
// answers only.
func TestViLTSourceStages(t *testing.T) {
	src := stagesSource(t, ViLTOptions{Pretrain: 50, MaskProb: 0.3})
	var itmSeen [2]int
	maskedIn := [2]int{}
	for step := range 50 {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		ids := tensors.MustCopyFlatData[int32](in[1])
		itm, mlm, ans := tensors.MustCopyFlatData[int32](labels[0]), tensors.MustCopyFlatData[int32](labels[1]),
			tensors.MustCopyFlatData[int32](labels[2])
		for j := range 2 {
			if ans[j] != Ignored || (itm[j] != 0 && itm[j] != 1) {
				t.Fatalf("step %d: pre-training example %d has answer %d, itm %d", step, j, ans[j], itm[j])
			}
			itmSeen[itm[j]]++
			scored := 0
			for k := range 8 {
				if ids[j*8+k] == text.MaskID {
					maskedIn[itm[j]]++
				}
				if mlm[j*8+k] != Ignored {
					scored++
				}
			}
			if itm[j] == 0 && scored > 0 {
				t.Fatalf("step %d: a mismatched caption has %d MLM targets", step, scored)
			}
			if itm[j] == 1 && scored == 0 {
				t.Fatalf("step %d: a matching caption has no MLM target", step)
			}
		}
	}
	if itmSeen[0] < 20 || itmSeen[1] < 20 {
		t.Errorf("ITM labels over 100 examples: %d mismatched, %d matching; want about half each", itmSeen[0], itmSeen[1])
	}
	if maskedIn[0] == 0 || maskedIn[1] == 0 {
		t.Errorf("[MASK] tokens in mismatched %d, matching %d captions: both kinds must be masked", maskedIn[0], maskedIn[1])
	}
	_, labels, err := src.Batch(50)
	if err != nil {
		t.Fatal(err)
	}
	itm, mlm, ans := tensors.MustCopyFlatData[int32](labels[0]), tensors.MustCopyFlatData[int32](labels[1]),
		tensors.MustCopyFlatData[int32](labels[2])
	for j := range 2 {
		if itm[j] != Ignored || ans[j] < 0 {
			t.Errorf("VQA example %d: itm %d, answer %d", j, itm[j], ans[j])
		}
	}
	for _, l := range mlm {
		if l != Ignored {
			t.Fatalf("VQA batch has MLM targets: %v", mlm)
		}
	}
}

// stagesSource is a ViLTSource of batch 2 over captionedWorld.
func stagesSource(t *testing.T, opts ViLTOptions) *ViLTSource {
	t.Helper()
	sp, tok := captionedWorld(t)
	return NewViLTSource(sp, tok, 2, 5, opts)
}

// captionedWorld is vqaWorld with two captions per image (a red star on black, a blue
// circle on white) and a tokenizer fitted on its captions and questions, text 8 tokens
// long.
func captionedWorld(t *testing.T) (*shapeworld.Split, *text.Tokenizer) {
	t.Helper()
	sp := vqaWorld()
	sp.Scenes[0].Captions = []string{"a red star", "one red star on black"}
	sp.Scenes[1].Captions = []string{"a blue circle", "one blue circle on white"}
	var texts []string
	for _, sc := range sp.Scenes {
		texts = append(texts, sc.Captions...)
		for _, qa := range sc.QA {
			texts = append(texts, qa.Question)
		}
	}
	tok, err := text.Fit(texts, text.Config{MinFreq: 1, MaxLen: 8})
	if err != nil {
		t.Fatal(err)
	}
	return sp, tok
}

// TestViLTSourceMix: after pre-training, about the share Mix of the rows are captions
// (ITM label, MLM targets when they match, no answer) and the rest questions (an
// answer, no ITM or MLM label); without Mix every row is a question.
func TestViLTSourceMix(t *testing.T) {
	for _, mix := range []float64{0, 0.25} {
		src := stagesSource(t, ViLTOptions{Pretrain: 10, MaskProb: 0.3, Mix: mix})
		captions, rows := 0, 0
		for step := 10; step < 410; step++ {
			_, labels, err := src.Batch(step)
			if err != nil {
				t.Fatal(err)
			}
			itm, mlm, ans := tensors.MustCopyFlatData[int32](labels[0]), tensors.MustCopyFlatData[int32](labels[1]),
				tensors.MustCopyFlatData[int32](labels[2])
			for j := range 2 {
				rows++
				scored := 0
				for _, l := range mlm[j*8 : (j+1)*8] {
					if l != Ignored {
						scored++
					}
				}
				switch {
				case itm[j] == Ignored && ans[j] >= 0 && scored == 0:
				case (itm[j] == 0 || itm[j] == 1) && ans[j] == Ignored && (scored > 0) == (itm[j] == 1):
					captions++
				default:
					t.Fatalf("mix %g, step %d, row %d: itm %d, answer %d, %d MLM targets: neither a question nor a caption row",
						mix, step, j, itm[j], ans[j], scored)
				}
			}
		}
		if share := float64(captions) / float64(rows); share < mix-0.07 || share > mix+0.07 {
			t.Errorf("mix %g: %d of %d rows after pre-training are captions (%.3f)", mix, captions, rows, share)
		}
	}
}
