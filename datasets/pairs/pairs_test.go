package pairs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// loadShapes loads a small shapes world with a tokenizer of maxLen tokens; the
// tokenizer file is written to a temporary directory.
func loadShapes(t *testing.T, train, val, test, maxLen int) *Data {
	t.Helper()
	w := shapeworld.DefaultConfig()
	w.Train, w.Val, w.Test = train, val, test
	dir := t.TempDir()
	d, err := Load(Config{World: w, Text: text.Config{MinFreq: 1, MaxLen: maxLen}}, dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TokenizerFile)); err != nil {
		t.Errorf("tokenizer not saved: %v", err)
	}
	return d
}

// TestSourceShapes: a contrastive batch holds images, ids and mask of the batch size,
// no labels, [BOS] first, and is the same at every call of the same step.
func TestSourceShapes(t *testing.T) {
	d := loadShapes(t, 256, 64, 64, 12)
	src := NewSource(d.Train, d.Tok, 32, 1)
	if src.StepsPerEpoch() != 8 {
		t.Errorf("steps per epoch = %d, want 8", src.StepsPerEpoch())
	}
	in, labels, err := src.Batch(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 3 || len(labels) != 0 {
		t.Fatalf("%d inputs and %d labels, want 3 and 0", len(in), len(labels))
	}
	for i, want := range [][]int{{32, 32, 32, 3}, {32, 12}, {32, 12}} {
		if got := in[i].Shape().Dimensions; len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("input %d shape %v, want %v", i, got, want)
		}
	}
	again, _, _ := src.Batch(3)
	a, b := tensors.MustCopyFlatData[int32](in[1]), tensors.MustCopyFlatData[int32](again[1])
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("Batch(3) differs between calls: resume would not be exact")
		}
	}
	mask := tensors.MustCopyFlatData[int32](in[2])
	if mask[0] != 1 || a[0] != 1 { // [BOS] first, attended.
		t.Errorf("first token %d mask %d, want [BOS]=1 with mask 1", a[0], mask[0])
	}
}
