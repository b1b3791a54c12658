package pairs

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets/shapeworld"
)

// The labels of ViLT's auxiliary losses on relation and other questions naming objects.

// TestViLTSourceRelations: with Relations the last label holds a relation question's
// Holding as 0 and 1 in its row and -1 in every other row: caption rows, other
// questions, and every row of pre-training.
func TestViLTSourceRelations(t *testing.T) {
	sp, tok := captionedWorld(t)
	holding := [shapeworld.NumDirections]bool{true, false, true, false}
	rel := shapeworld.QA{Question: "is the star left of the circle?", Answer: "yes", AnswerID: shapeworld.AnswerID("yes"),
		Kind: shapeworld.RelationQ, Holding: holding}
	sp.Scenes[0].QA = []shapeworld.QA{rel} // image 0 (black) is asked only this.
	words := func(id int32) bool { return id == tok.ID("star") }
	src := NewViLTSource(sp, tok, 2, 5, ViLTOptions{Pretrain: 3, MaskProb: 0.3, Words: words, Relations: true})
	seen := 0
	for step := range 12 {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != 5 {
			t.Fatalf("step %d: %d labels, want 5 (itm, mlm, answer, words, relations)", step, len(labels))
		}
		if d := labels[4].Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != shapeworld.NumDirections {
			t.Fatalf("step %d: relations label %s, want [2, %d]", step, labels[4].Shape(), shapeworld.NumDirections)
		}
		got := tensors.MustCopyFlatData[float32](labels[4])
		for j := range 2 {
			black := tensors.MustCopyFlatData[float32](in[0])[j*16*16*3] < 0
			for r := range shapeworld.NumDirections {
				want := float32(-1)
				if step >= 3 && black {
					want = 0
					if holding[r] {
						want = 1
					}
				}
				if got[j*shapeworld.NumDirections+r] != want {
					t.Fatalf("step %d, row %d (black %v): relations %v, want %g at %d", step, j, black,
						got[j*shapeworld.NumDirections:(j+1)*shapeworld.NumDirections], want, r)
				}
			}
			if step >= 3 && black {
				seen++
			}
		}
	}
	if seen == 0 {
		t.Fatal("no relation question drawn in 9 VQA steps")
	}
}

// TestViLTSourceGround: with Ground, the noun of a question that names an object is
// labelled with the object's cell, every other token and every row of other questions,
// captions and pre-training Ignored; a question whose nouns and cells do not pair up
// stays unlabelled.
func TestViLTSourceGround(t *testing.T) {
	sp, tok := captionedWorld(t)
	sp.Scenes[0].QA = []shapeworld.QA{{Question: "where is the star?", Answer: "center", AnswerID: shapeworld.AnswerID("center"),
		Kind: shapeworld.PositionQ, Cells: []int{4}}}
	star := tok.ID("star")
	nouns := func(id int32) bool { return id == star || id == tok.ID("circle") }
	src := NewViLTSource(sp, tok, 2, 5, ViLTOptions{Pretrain: 3, MaskProb: 0.3, Ground: nouns})
	labelled := 0
	for step := range 12 {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != 4 {
			t.Fatalf("step %d: %d labels, want 4 (itm, mlm, answer, ground)", step, len(labels))
		}
		ids, ground := tensors.MustCopyFlatData[int32](in[1]), tensors.MustCopyFlatData[int32](labels[3])
		for j := range 2 {
			black := tensors.MustCopyFlatData[float32](in[0])[j*16*16*3] < 0
			for k := range 8 {
				want := Ignored
				if step >= 3 && black && ids[j*8+k] == star {
					want = 4
				}
				if ground[j*8+k] != want {
					t.Fatalf("step %d, row %d (black %v), token %d (%s): label %d, want %d", step, j, black, k,
						tok.Token(ids[j*8+k]), ground[j*8+k], want)
				}
				if want == 4 {
					labelled++
				}
			}
		}
	}
	if labelled == 0 {
		t.Fatal("no noun labelled in 9 VQA steps")
	}
	// Two nouns, one cell: the row stays unlabelled; one noun, one cell: labelled.
	other := star + 1
	ids := []int32{star, star, other, star, other, other}
	got := GroundLabels(ids, [][]int{{3}, {7}}, 3, func(id int32) bool { return id == star })
	if want := []int32{Ignored, Ignored, Ignored, 7, Ignored, Ignored}; !slices.Equal(got, want) {
		t.Errorf("groundLabels %v, want %v", got, want)
	}
}
