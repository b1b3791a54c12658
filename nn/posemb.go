package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// LearnedPosEmbedding returns the learnable positional embedding of a gridH×gridW grid
// of tokens, row-major: [gridH*gridW, dim]. Its variable "embeddings" [h0, w0, dim]
// under scope is created at the first use with h0, w0 = gridH, gridW and initialised
// from a truncated normal with stddev 0.02 (ViT). Used later at another grid size (ViT
// fine-tuning at another resolution), the stored grid is resized by bilinear
// interpolation with half-pixel centres (PyTorch's interpolate with
// align_corners=False), which stays differentiable so fine-tuning updates the stored
// grid. The cls token has no slot here: it carries its own learned vector (PrependCLS),
// so it is never interpolated.
func LearnedPosEmbedding(scope *model.Scope, g *Graph, dtype dtypes.DType, gridH, gridW, dim int) *Node {
	return LearnedPosEmbeddingResized(scope, g, dtype, gridH, gridW, dim, InterpBilinear)
}

// LearnedPosEmbeddingResized is LearnedPosEmbedding with another resize mode for a
// table stored at another grid (Hugging Face's ViT resizes with InterpBicubic, timm
// with InterpBicubicAA).
func LearnedPosEmbeddingResized(scope *model.Scope, g *Graph, dtype dtypes.DType, gridH, gridW, dim int, mode Interpolation) *Node {
	if gridH <= 0 || gridW <= 0 || dim <= 0 {
		exceptions.Panicf("nn.LearnedPosEmbedding: grid %dx%d and dim %d must be positive", gridH, gridW, dim)
	}
	shape := shapes.Make(dtype, gridH, gridW, dim)
	if v := scope.GetVariable("embeddings"); v != nil {
		shape = v.Shape()
		if shape.Rank() != 3 || shape.Dim(2) != dim || shape.DType != dtype {
			exceptions.Panicf("nn.LearnedPosEmbedding: stored embeddings %s do not fit dim %d (%s)", shape, dim, dtype)
		}
	}
	table := scope.WithInitializer(TruncatedNormalInit(scope, 0.02)).
		VariableWithShape("embeddings", shape).NodeValue(g) // [h0, w0, dim]
	h0, w0 := shape.Dim(0), shape.Dim(1)
	if h0 != gridH {
		table = Einsum("ia,abd->ibd", Const(g, CastMatrix(dtype, InterpolationMatrix(mode, gridH, h0))), table)
	}
	if w0 != gridW {
		table = Einsum("jb,ibd->ijd", Const(g, CastMatrix(dtype, InterpolationMatrix(mode, gridW, w0))), table)
	}
	return Reshape(table, gridH*gridW, dim)
}

// CastMatrix converts a float64 matrix to a Go value of dtype (float32 or float64).
func CastMatrix(dtype dtypes.DType, m [][]float64) any {
	if dtype == dtypes.Float64 {
		return m
	}
	out := make([][]float32, len(m))
	for i, row := range m {
		out[i] = make([]float32, len(row))
		for j, v := range row {
			out[i][j] = float32(v)
		}
	}
	return out
}

// BilinearMatrix returns the [out, in] matrix that resizes a length-in axis to length
// out by linear interpolation with half-pixel centres, clamped at the borders:
// PyTorch's interpolate(mode="bilinear", align_corners=False) along one axis.
func BilinearMatrix(out, in int) [][]float64 {
	m := make([][]float64, out)
	scale := float64(in) / float64(out)
	for i := range m {
		m[i] = make([]float64, in)
		src := max(0, (float64(i)+0.5)*scale-0.5)
		i0 := min(int(math.Floor(src)), in-1)
		i1 := min(i0+1, in-1)
		frac := src - float64(i0)
		m[i][i0] += 1 - frac
		m[i][i1] += frac
	}
	return m
}

// SinCos1DValues is MAE's get_1d_sincos_pos_embed_from_grid on positions 0..length-1:
// row p is [sin(p·ω_0..ω_{d/2-1}), cos(p·ω_0..ω_{d/2-1})] with ω_i = 1/10000^(2i/dim)
// (sines and cosines in two halves, not interleaved). dim must be even.
// Returns [length][dim].
func SinCos1DValues(length, dim int) ([][]float64, error) {
	if length <= 0 || dim <= 0 || dim%2 != 0 {
		return nil, fmt.Errorf("nn: 1-D sin-cos embedding needs a positive length and a positive even dim, got length %d, dim %d", length, dim)
	}
	half := dim / 2
	out := make([][]float64, length)
	for p := range out {
		out[p] = make([]float64, dim)
		for i := range half {
			angle := float64(p) / math.Pow(10000, float64(i)/float64(half))
			out[p][i] = math.Sin(angle)
			out[p][half+i] = math.Cos(angle)
		}
	}
	return out, nil
}

// SinCos2DValues is MAE's get_2d_sincos_pos_embed for a gridH×gridW grid (MAE uses
// square grids): token n = i*gridW + j (row i, column j) gets the 1-D embedding of its
// column j in the first dim/2 features and of its row i in the last dim/2 (MAE's
// meshgrid puts the width coordinate first). dim must be divisible by 4.
// Returns [gridH*gridW][dim].
func SinCos2DValues(gridH, gridW, dim int) ([][]float64, error) {
	if gridH <= 0 || gridW <= 0 || dim <= 0 || dim%4 != 0 {
		return nil, fmt.Errorf("nn: 2-D sin-cos embedding needs a positive grid and dim divisible by 4, got %dx%d, dim %d", gridH, gridW, dim)
	}
	cols, err := SinCos1DValues(gridW, dim/2)
	if err != nil {
		return nil, err
	}
	rows, err := SinCos1DValues(gridH, dim/2)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, 0, gridH*gridW)
	for i := range gridH {
		for j := range gridW {
			out = append(out, append(append(make([]float64, 0, dim), cols[j]...), rows[i]...))
		}
	}
	return out, nil
}

// SinCos2D is SinCos2DValues as a graph constant [gridH*gridW, dim] of dtype.
func SinCos2D(g *Graph, dtype dtypes.DType, gridH, gridW, dim int) *Node {
	v, err := SinCos2DValues(gridH, gridW, dim)
	if err != nil {
		exceptions.Panicf("%v", err)
	}
	return Const(g, CastMatrix(dtype, v))
}

// SinCos1D is SinCos1DValues as a graph constant [length, dim] of dtype (positions for
// text).
func SinCos1D(g *Graph, dtype dtypes.DType, length, dim int) *Node {
	v, err := SinCos1DValues(length, dim)
	if err != nil {
		exceptions.Panicf("%v", err)
	}
	return Const(g, CastMatrix(dtype, v))
}
