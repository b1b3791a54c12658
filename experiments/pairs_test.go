package experiments

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func TestPairSourceShapes(t *testing.T) {
	p := newParams(append(CommonParams(), PairParams()...))
	for k, v := range map[string]string{"shapes_train": "256", "shapes_val": "64", "shapes_test": "64", "max_len": "12"} {
		if err := p.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	d, err := LoadPairs(&Env{P: p, Dir: t.TempDir(), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	src := &PairSource{Split: d.Train, Tok: d.Tok, BatchN: 32, Seed: 1}
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
