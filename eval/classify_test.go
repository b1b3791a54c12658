package eval

import (
	"math"
	"strings"
	"testing"
)

// TestClassify on hand-computed logits, 4 examples of 3 classes:
//
//	logits           label  top-1  prediction
//	(2, 0, 0)          0     hit       0
//	(0, 1, 1)          1     1/2       1 (first of the tie)
//	(ln 3, 0, 0)       2     miss      0
//	(0, 0, 5)          2     hit       2
//
// Accuracy (1 + 1/2 + 0 + 1)/4 = 0.625; every label is in the top 3, so Top5 = 1. The
// loss is the mean of log-sum-exp(row) - row[label], written out from the definition.
func TestClassify(t *testing.T) {
	l3 := float32(math.Log(3))
	logits, _ := NewMatrix(4, 3, []float32{2, 0, 0, 0, 1, 1, l3, 0, 0, 0, 0, 5})
	labels := []int32{0, 1, 2, 2}
	c, err := Classify(logits, labels)
	if err != nil {
		t.Fatal(err)
	}
	ce := func(row []float64, l int) float64 {
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		return math.Log(z) - row[l]
	}
	wantLoss := (ce([]float64{2, 0, 0}, 0) + ce([]float64{0, 1, 1}, 1) + ce([]float64{math.Log(3), 0, 0}, 2) +
		ce([]float64{0, 0, 5}, 2)) / 4
	if !near(c.Accuracy, 0.625, 1e-12) || c.Top5 != 1 || !near(c.Loss, wantLoss, 1e-6) {
		t.Errorf("accuracy %v top5 %v loss %v, want 0.625, 1, %v", c.Accuracy, c.Top5, c.Loss, wantLoss)
	}
	// ln(3+2) - 0 for the third row: the hand value of one term.
	if got := ce([]float64{math.Log(3), 0, 0}, 2); !near(got, math.Log(5), 1e-12) {
		t.Errorf("cross-entropy of (ln 3, 0, 0) at class 2 = %v, want ln 5", got)
	}
	want := [][]int{{1, 0, 0}, {0, 1, 0}, {1, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if c.Confusion[i][j] != want[i][j] {
				t.Fatalf("confusion %v, want %v", c.Confusion, want)
			}
		}
	}
	per := c.PerClass([]string{"a", "b", "c"})
	if per["a"] != 1 || per["b"] != 1 || per["c"] != 0.5 || len(per) != 3 {
		t.Errorf("per-class accuracy %v, want a 1, b 1, c 0.5", per)
	}
	if m := c.Metrics(); len(m) != 2 || m["accuracy"] != c.Accuracy || m["loss"] != c.Loss {
		t.Errorf("metrics of 3 classes %v: want accuracy and loss only", m)
	}
	if _, err := Classify(logits, []int32{0, 1, 3, 0}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("label 3 of 3 classes: %v, want a one-line error", err)
	}
}

// TestTopKAccuracy on a hand-made score matrix: 3 images, 4 classes.
func TestTopKAccuracy(t *testing.T) {
	scores, _ := NewMatrix(3, 4, []float32{
		0.9, 0.1, 0.5, 0.2, // label 0: top-1
		0.1, 0.3, 0.8, 0.9, // label 1: rank 3 of 4
		0.4, 0.4, 0.4, 0.4, // label 2: four-way tie
	})
	labels := []int32{0, 1, 2}
	for _, tc := range []struct {
		k         int
		acc, want float64
	}{{1, 0, (1 + 0 + 0.25) / 3}, {2, 0, (1 + 0 + 0.5) / 3}, {3, 0, (1 + 1 + 0.75) / 3}, {5, 0, 1}} {
		acc, chance, err := TopKAccuracy(scores, labels, tc.k, nil)
		if err != nil || !near(acc, tc.want, 1e-9) || !near(chance, min(1, float64(tc.k)/4), 1e-9) {
			t.Errorf("top-%d: accuracy %v chance %v (%v), want %v and %v", tc.k, acc, chance, err, tc.want, float64(tc.k)/4)
		}
	}
	// Removing the classes that outrank image 1's label (2 and 3) makes it top-1; the
	// chance level becomes the mean of 1/4, 1/2, 1/4.
	allowed := func(i, c int) bool { return i != 1 || c < 2 }
	acc, chance, err := TopKAccuracy(scores, labels, 1, allowed)
	if err != nil || !near(acc, (1+1+0.25)/3, 1e-9) || !near(chance, (0.25+0.5+0.25)/3, 1e-9) {
		t.Errorf("restricted top-1: %v, chance %v (%v)", acc, chance, err)
	}
	if got := Predict(scores, allowed); got[1] != 1 {
		t.Errorf("restricted prediction of image 1 = %d, want 1", got[1])
	}
	for name, bad := range map[string]func() error{
		"label count": func() error { _, _, err := TopKAccuracy(scores, []int32{0, 1}, 1, nil); return err },
		"label range": func() error { _, _, err := TopKAccuracy(scores, []int32{0, 1, 4}, 1, nil); return err },
		"k":           func() error { _, _, err := TopKAccuracy(scores, labels, 0, nil); return err },
		"disallowed label": func() error {
			_, _, err := TopKAccuracy(scores, labels, 1, func(i, c int) bool { return c != 2 })
			return err
		},
	} {
		if err := bad(); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want a one-line error", name, err)
		}
	}
}
