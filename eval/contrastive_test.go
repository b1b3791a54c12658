package eval

import (
	"math"
	"testing"
)

// matrixOf builds a rows×cols matrix from f(i, j).
func matrixOf(rows, cols int, f func(i, j int) float32) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range rows {
		for j := range cols {
			m.Data[i*cols+j] = f(i, j)
		}
	}
	return m
}

// TestBlockContrastiveLoss: identical embeddings for every pair give log(batch) in both
// directions; perfectly separated ones at a large scale give about 0; a hand-computed
// 2x2 block: logits scale·[[1, 0], [0.5, 1]] with scale 2, rows give
// (ln(e²+1) - 2 + ln(e+e²) - 2)/2 and columns (ln(e²+e) - 2 + ln(1+e²) - 2)/2.
func TestBlockContrastiveLoss(t *testing.T) {
	id := func(i int) int { return i }
	sim := matrixOf(4, 4, func(i, j int) float32 { return 0.5 })
	if got := BlockContrastiveLoss(sim, 4, id, 10, 4); math.Abs(got-math.Log(4)) > 1e-9 {
		t.Errorf("uniform similarities: %v, want log 4", got)
	}
	eye := matrixOf(4, 4, func(i, j int) float32 {
		if i == j {
			return 1
		}
		return 0
	})
	if got := BlockContrastiveLoss(eye, 4, id, 100, 2); got > 1e-9 {
		t.Errorf("separated pairs at scale 100 in blocks of 2: %v, want about 0", got)
	}
	two, _ := NewMatrix(2, 2, []float32{1, 0, 0.5, 1})
	e := math.E
	rows := (math.Log(e*e+1) - 2 + math.Log(e+e*e) - 2) / 2
	cols := (math.Log(e*e+e) - 2 + math.Log(1+e*e) - 2) / 2
	if got, want := BlockContrastiveLoss(two, 2, id, 2, 8), (rows+cols)/2; math.Abs(got-want) > 1e-6 {
		t.Errorf("2x2 block: %v, want %v", got, want)
	}
	if got := BlockContrastiveLoss(two, 0, id, 2, 8); !math.IsNaN(got) {
		t.Errorf("no images: %v, want NaN", got)
	}
}
