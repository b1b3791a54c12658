package eval

import (
	"fmt"
	"math"
)

// Matrix is a row-major float32 matrix read back from a graph: embeddings or logits
// [rows = examples, cols = dim or classes], or similarities [rows = images, cols =
// texts]. Run returns one per output of an executor.
type Matrix struct {
	Rows, Cols int
	Data       []float32 // len Rows*Cols.
}

// NewMatrix wraps data as a rows×cols matrix; it checks the length.
func NewMatrix(rows, cols int, data []float32) (Matrix, error) {
	m := Matrix{Rows: rows, Cols: cols, Data: data}
	return m, m.Validate()
}

// Validate checks that the dimensions are non-negative and match the data.
func (m Matrix) Validate() error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("eval: matrix %dx%d holds %d values, want %d", m.Rows, m.Cols, len(m.Data), m.Rows*m.Cols)
	}
	return nil
}

// Row returns row i (a slice of Data, not a copy).
func (m Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Column returns column j of a matrix (the scores of every image for caption j).
func (m Matrix) Column(j int) []float32 {
	col := make([]float32, m.Rows)
	for i := range col {
		col[i] = m.Data[i*m.Cols+j]
	}
	return col
}

// NormalizeRows scales every row to unit L2 norm in place; a zero row stays zero (as
// nn.NormalizeL2).
func (m Matrix) NormalizeRows() {
	for i := range m.Rows {
		normalize(m.Row(i))
	}
}

func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for j := range v {
		v[j] *= inv
	}
}

// Similarity returns a·bᵀ: [a.Rows, b.Rows], the cosine similarities when both hold
// normalised embeddings. The widths must agree.
func Similarity(a, b Matrix) (Matrix, error) {
	if err := a.Validate(); err != nil {
		return Matrix{}, err
	}
	if err := b.Validate(); err != nil {
		return Matrix{}, err
	}
	if a.Cols != b.Cols {
		return Matrix{}, fmt.Errorf("eval: similarity of embeddings of width %d and %d", a.Cols, b.Cols)
	}
	out := Matrix{Rows: a.Rows, Cols: b.Rows, Data: make([]float32, a.Rows*b.Rows)}
	for i := range a.Rows {
		ai, row := a.Row(i), out.Row(i)
		for j := range b.Rows {
			bj := b.Row(j)
			var s float32
			for d, x := range ai {
				s += x * bj[d]
			}
			row[j] = s
		}
	}
	return out, nil
}

// hitProbability is the probability that a correct item lands in the top k when the
// items are ranked by score and ties are broken uniformly at random: g wrong items
// score strictly higher than the best correct one, e wrong items tie with it and c
// correct items (c >= 1) share that best score. With m = k-g free places, it is
// 1 - C(e, m)/C(e+c, m), the chance that the m places are not all taken by wrong items.
// Counting ties this way keeps a collapsed model (all scores equal) at chance, where
// counting only strictly higher scores would give it perfect recall.
func hitProbability(g, e, c, k int) float64 {
	m := k - g
	if m <= 0 {
		return 0
	}
	if m > e {
		return 1
	}
	allWrong := 1.0
	for t := range m {
		allWrong *= float64(e-t) / float64(e+c-t)
	}
	return 1 - allWrong
}
