package nn

import (
	"fmt"
	"math"
)

// Interpolation names how a learned position table is resized to another grid (ViT
// fine-tuning at another resolution). Each is separable: one [out, in] matrix per axis.
type Interpolation string

// The resize modes of the libraries whose pretrained weights mmdna loads.
const (
	// InterpBilinear is PyTorch's interpolate(mode="bilinear", align_corners=False),
	// mmdna's default (the zero value means it too).
	InterpBilinear Interpolation = "bilinear"
	// InterpBicubic is PyTorch's interpolate(mode="bicubic", align_corners=False): Keys'
	// cubic with a = -0.75 on the 4 nearest source positions, indices clamped at the
	// borders. Hugging Face's ViTEmbeddings.interpolate_pos_encoding uses it.
	InterpBicubic Interpolation = "bicubic"
	// InterpBicubicAA is PyTorch's interpolate(mode="bicubic", antialias=True), PIL's
	// filter: a = -0.5, its support widened by the downscale factor, weights
	// renormalised near the borders. timm's resample_abs_pos_embed uses it.
	InterpBicubicAA Interpolation = "bicubic_aa"
)

// ParseInterpolation checks a mode name.
func ParseInterpolation(name string) (Interpolation, error) {
	switch Interpolation(name) {
	case "", InterpBilinear:
		return InterpBilinear, nil
	case InterpBicubic, InterpBicubicAA:
		return Interpolation(name), nil
	}
	return "", fmt.Errorf("interpolation %q: want bilinear, bicubic or bicubic_aa", name)
}

// InterpolationMatrix returns the [out][in] matrix that resizes a length-in axis to
// length out with mode.
func InterpolationMatrix(mode Interpolation, out, in int) [][]float64 {
	switch mode {
	case InterpBicubic:
		return bicubicMatrix(out, in)
	case InterpBicubicAA:
		return bicubicAAMatrix(out, in)
	}
	return BilinearMatrix(out, in)
}

// cubic is Keys' cubic convolution kernel with parameter a.
func cubic(x, a float64) float64 {
	x = math.Abs(x)
	switch {
	case x <= 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

// bicubicMatrix follows ATen's upsample_bicubic2d with align_corners=False: the
// source coordinate (i+0.5)·in/out - 0.5 is not clamped, its four neighbours are.
func bicubicMatrix(out, in int) [][]float64 {
	const a = -0.75
	m := make([][]float64, out)
	scale := float64(in) / float64(out)
	for i := range m {
		m[i] = make([]float64, in)
		src := (float64(i)+0.5)*scale - 0.5
		x0 := math.Floor(src)
		t := src - x0
		for k := -1; k <= 2; k++ {
			j := min(max(int(x0)+k, 0), in-1)
			m[i][j] += cubic(t-float64(k), a)
		}
	}
	return m
}

// bicubicAAMatrix follows ATen's antialiased bicubic (_upsample_bicubic2d_aa), itself
// PIL's ImagingResample: support 2·max(scale, 1) around the centre (i+0.5)·scale,
// kernel arguments divided by max(scale, 1), weights normalised to sum to 1.
func bicubicAAMatrix(out, in int) [][]float64 {
	const a = -0.5
	m := make([][]float64, out)
	scale := float64(in) / float64(out)
	stretch := max(scale, 1)
	support := 2 * stretch
	for i := range m {
		m[i] = make([]float64, in)
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), in)
		var total float64
		for j := lo; j < hi; j++ {
			w := cubic((float64(j)-center+0.5)/stretch, a)
			m[i][j] = w
			total += w
		}
		if total != 0 {
			for j := lo; j < hi; j++ {
				m[i][j] /= total
			}
		}
	}
	return m
}
