package datasets

import (
	"slices"
	"strings"
	"testing"
)

func TestImagesValidate(t *testing.T) {
	if err := indexSet(5, 2, 3).Validate(); err != nil {
		t.Fatalf("valid set: %v", err)
	}
	cases := []struct {
		name, want string
		edit       func(s *Images)
	}{
		{"zero height", "invalid dimensions", func(s *Images) { s.H = 0 }},
		{"short pixels", "29 pixel bytes, want N*H*W*C = 30", func(s *Images) { s.Pixels = s.Pixels[:29] }},
		{"missing label", "4 labels for 5 images", func(s *Images) { s.Labels = s.Labels[:4] }},
		{"label too big", "label 10 of image 2 out of range", func(s *Images) { s.Labels[2] = 10 }},
		{"negative label", "label -1 of image 0", func(s *Images) { s.Labels[0] = -1 }},
	}
	for _, tc := range cases {
		s := indexSet(5, 2, 3)
		tc.edit(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSubsetAndImage(t *testing.T) {
	s := indexSet(6, 1, 2)
	sub := s.Subset("sub", []int{4, 1})
	if sub.N != 2 || !slices.Equal(sub.Pixels, []uint8{4, 4, 1, 1}) || !slices.Equal(sub.Labels, []int32{4, 1}) {
		t.Errorf("Subset(4, 1) = %d images %v labels %v", sub.N, sub.Pixels, sub.Labels)
	}
	sub.Pixels[0] = 99 // a copy: the source must not change.
	if s.Image(4)[0] != 4 {
		t.Error("Subset shares pixels with its source")
	}
}

func TestSplitValidation(t *testing.T) {
	s := indexSet(20, 1, 1)
	train, val, err := s.SplitValidation(5, 42)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 15 || val.N != 5 {
		t.Fatalf("split sizes %d/%d, want 15/5", train.N, val.N)
	}
	all := append(slices.Clone(train.Pixels), val.Pixels...)
	slices.Sort(all)
	for i, v := range all {
		if int(v) != i {
			t.Fatalf("train ∪ val = %v, want 0..19 once each", all)
		}
	}
	if !slices.IsSorted(train.Pixels) {
		t.Errorf("train keeps the original order, got %v", train.Pixels)
	}
	_, val2, _ := s.SplitValidation(5, 42)
	if !slices.Equal(val.Pixels, val2.Pixels) {
		t.Error("same seed gave a different validation set")
	}
	for _, n := range []int{-1, 20} {
		if _, _, err := s.SplitValidation(n, 1); err == nil {
			t.Errorf("SplitValidation(%d) of 20 images: no error", n)
		}
	}
}

func TestEpochOrderAndStepRNG(t *testing.T) {
	a, b := EpochOrder(1, 3, 100), EpochOrder(1, 3, 100)
	if !slices.Equal(a, b) {
		t.Error("EpochOrder is not deterministic")
	}
	if slices.Equal(a, EpochOrder(1, 4, 100)) || slices.Equal(a, EpochOrder(2, 3, 100)) {
		t.Error("EpochOrder ignores the epoch or the seed")
	}
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("EpochOrder is not a permutation of 0..99: %v", sorted)
		}
	}
	if StepRNG(5, 7).Uint64() != StepRNG(5, 7).Uint64() {
		t.Error("StepRNG is not deterministic")
	}
	if StepRNG(5, 7).Uint64() == StepRNG(5, 8).Uint64() {
		t.Error("StepRNG ignores the step")
	}
}
