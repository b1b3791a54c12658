package datasets

import (
	"slices"
	"testing"
)

// TestEpochs: 10 examples in batches of 3 give 3 steps per epoch (one example left out
// each epoch); step 4 is the second batch of epoch 1, whose order is EpochOrder(seed,
// 1, 10); an epoch's batches are disjoint; a fresh Epochs (a resumed run) gives the
// same batch; too few examples and negative steps are errors.
func TestEpochs(t *testing.T) {
	e := &Epochs{Seed: 7, N: 10, Batch: 3}
	if e.StepsPerEpoch() != 3 {
		t.Fatalf("steps per epoch %d, want 3", e.StepsPerEpoch())
	}
	got, err := e.Indices(4)
	if err != nil {
		t.Fatal(err)
	}
	if want := EpochOrder(7, 1, 10)[3:6]; !slices.Equal(got, want) {
		t.Errorf("step 4 = %v, want %v", got, want)
	}
	seen := map[int]bool{}
	for step := 3; step < 6; step++ {
		idx, _ := e.Indices(step)
		for _, i := range idx {
			if seen[i] || i < 0 || i >= 10 {
				t.Fatalf("epoch 1: example %d repeated or out of range", i)
			}
			seen[i] = true
		}
	}
	if again, _ := (&Epochs{Seed: 7, N: 10, Batch: 3}).Indices(4); !slices.Equal(again, got) {
		t.Errorf("a new Epochs gives %v for step 4, want %v", again, got)
	}
	if _, err := (&Epochs{N: 2, Batch: 3}).Indices(0); err == nil {
		t.Error("2 examples in batches of 3: no error")
	}
	if _, err := e.Indices(-1); err == nil {
		t.Error("negative step: no error")
	}
}
