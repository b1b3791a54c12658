package eval

import "math"

// BlockContrastiveLoss is the evaluation twin of CLIP's training loss on a similarity
// matrix sim [n, captions]: the mean symmetric cross-entropy over consecutive blocks
// of batch images (the last partial block dropped, as training drops it; one block
// when n < batch), image i paired with caption column col(i), logits scale·similarity.
// It is NaN for n < 1.
func BlockContrastiveLoss(sim Matrix, n int, col func(i int) int, scale float64, batch int) float64 {
	batch = min(batch, n)
	if batch < 1 {
		return math.NaN()
	}
	var total float64
	blocks := n / batch
	logits := make([]float64, batch*batch)
	for b := range blocks {
		for r := range batch {
			i := b*batch + r
			for c := range batch {
				logits[r*batch+c] = scale * float64(sim.Data[i*sim.Cols+col(b*batch+c)])
			}
		}
		total += (diagonalCE(logits, batch, false) + diagonalCE(logits, batch, true)) / 2
	}
	return total / float64(blocks)
}

// diagonalCE is the mean cross-entropy of the rows (or columns) of logits [n, n] with
// the labels on the diagonal.
func diagonalCE(logits []float64, n int, columns bool) float64 {
	at := func(r, c int) float64 {
		if columns {
			return logits[c*n+r]
		}
		return logits[r*n+c]
	}
	var sum float64
	for r := range n {
		mx := math.Inf(-1)
		for c := range n {
			mx = math.Max(mx, at(r, c))
		}
		var z float64
		for c := range n {
			z += math.Exp(at(r, c) - mx)
		}
		sum += math.Log(z) + mx - at(r, r)
	}
	return sum / float64(n)
}
