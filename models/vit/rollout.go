package vit

import "fmt"

// Rollout computes attention rollout (Abnar & Zuidema, 2020) from per-block attention
// maps of one image: each block's map is averaged over heads, mixed half and half with
// the identity for the residual connection, renormalised by rows, and the blocks are
// multiplied from the first to the last. Row i of the result says how much each input
// token contributed to output token i.
//
// attn[l]: [heads, tokens, tokens] flattened, for blocks l = 0..L-1. Returns
// [tokens, tokens] flattened.
func Rollout(attn [][]float32, heads, tokens int) ([]float32, error) {
	if len(attn) == 0 || heads <= 0 || tokens <= 0 {
		return nil, fmt.Errorf("vit.Rollout: %d blocks, %d heads, %d tokens", len(attn), heads, tokens)
	}
	n := tokens * tokens
	result := identity(tokens)
	a := make([]float64, n)
	for l, block := range attn {
		if len(block) != heads*n {
			return nil, fmt.Errorf("vit.Rollout: block %d has %d values, want heads*tokens*tokens = %d", l, len(block), heads*n)
		}
		for i := range a {
			a[i] = 0
		}
		for h := range heads {
			for i := range n {
				a[i] += float64(block[h*n+i]) / float64(heads)
			}
		}
		for i := range tokens {
			row := a[i*tokens : (i+1)*tokens]
			var sum float64
			for j := range row {
				row[j] *= 0.5
				if i == j {
					row[j] += 0.5
				}
				sum += row[j]
			}
			for j := range row {
				row[j] /= sum
			}
		}
		result = matMul(a, result, tokens) // a @ result: later blocks act on earlier mixes.
	}
	out := make([]float32, n)
	for i, v := range result {
		out[i] = float32(v)
	}
	return out, nil
}

// PatchImportance reads, from a rollout [tokens, tokens], how much each patch feeds
// the image representation: the cls row for cls pooling (dropping the cls column),
// the mean over patch rows for average pooling. Returns [patches].
func PatchImportance(rollout []float32, tokens int, pool Pooling) []float32 {
	if pool == PoolCLS {
		return append([]float32(nil), rollout[1:tokens]...)
	}
	out := make([]float32, tokens)
	for i := range tokens {
		for j := range tokens {
			out[j] += rollout[i*tokens+j] / float32(tokens)
		}
	}
	return out
}

func identity(n int) []float64 {
	m := make([]float64, n*n)
	for i := range n {
		m[i*n+i] = 1
	}
	return m
}

// matMul returns a @ b for n×n row-major matrices.
func matMul(a, b []float64, n int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		for k := range n {
			aik := a[i*n+k]
			if aik == 0 {
				continue
			}
			for j := range n {
				c[i*n+j] += aik * b[k*n+j]
			}
		}
	}
	return c
}
