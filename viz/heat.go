package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// viridis holds matplotlib's viridis colour map sampled at t = 0, 0.1, …, 1;
// Viridis interpolates linearly between the samples.
var viridis = [...]color.RGBA{
	{68, 1, 84, 255},
	{72, 36, 117, 255},
	{65, 68, 135, 255},
	{53, 95, 141, 255},
	{42, 120, 142, 255},
	{33, 145, 140, 255},
	{34, 168, 132, 255},
	{68, 190, 112, 255},
	{122, 209, 81, 255},
	{189, 223, 38, 255},
	{253, 231, 37, 255},
}

// Viridis maps t in [0, 1] to a viridis-like colour: dark purple at 0, green in
// the middle, yellow at 1. t is clamped to [0, 1]; NaN maps to 0.
func Viridis(t float64) color.RGBA {
	if !(t > 0) { // also NaN
		return viridis[0]
	}
	if t >= 1 {
		return viridis[len(viridis)-1]
	}
	pos := t * float64(len(viridis)-1)
	i := int(pos)
	f := pos - float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// minMax returns the smallest and largest non-NaN values (0, 0 when there are none).
func minMax(values []float32) (lo, hi float32) {
	first := true
	for _, v := range values {
		if v != v {
			continue
		}
		if first {
			lo, hi, first = v, v, false
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// unit maps v from [lo, hi] to [0, 1]; a constant map (hi == lo) gives 0.
func unit(v, lo, hi float32) float64 {
	if !(hi > lo) {
		return 0
	}
	return float64(v-lo) / float64(hi-lo)
}

// Heatmap draws a [rows, cols] matrix (row-major), one pixel per value, with the
// Viridis colour map stretched from its smallest value (t = 0) to its largest
// (t = 1); NaN draws as t = 0. Scale it up with ImageGrid. It panics when
// len(values) != rows*cols.
func Heatmap(values []float32, rows, cols int) image.Image {
	if rows < 0 || cols < 0 || len(values) != rows*cols {
		panic(fmt.Sprintf("viz: Heatmap: %d values for [%d, %d]", len(values), rows, cols))
	}
	lo, hi := minMax(values)
	img := image.NewRGBA(image.Rect(0, 0, cols, rows))
	for q, v := range values {
		img.SetRGBA(q%cols, q/cols, Viridis(unit(v, lo, hi)))
	}
	return img
}

// Overlay blends an attention map over an image: heat, [hh, hw] row-major, is
// upsampled bilinearly to the image's size (pixel centres aligned, edges
// clamped, as torch's interpolate with align_corners=False), stretched to
// [0, 1] as in Heatmap, coloured with Viridis and mixed in as
// (1-alpha)·image + alpha·colour. alpha is clamped to [0, 1]; alpha = 0 returns
// the image's own pixels. It panics when len(heat) != hh*hw or either is 0.
func Overlay(img image.Image, heat []float32, hh, hw int, alpha float64) image.Image {
	if hh <= 0 || hw <= 0 || len(heat) != hh*hw {
		panic(fmt.Sprintf("viz: Overlay: %d heat values for [%d, %d]", len(heat), hh, hw))
	}
	alpha = min(max(alpha, 0), 1)
	if alpha != alpha {
		alpha = 0
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	lo, hi := minMax(heat)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	// Source coordinate and weights for each output column, computed once.
	xs := make([]bilinearTap, w)
	for x := range w {
		xs[x] = tap(x, w, hw)
	}
	for y := range h {
		ty := tap(y, h, hh)
		for x := range w {
			tx := xs[x]
			v := func(r, c int) float64 {
				hv := heat[r*hw+c]
				if hv != hv {
					return 0
				}
				return unit(hv, lo, hi)
			}
			top := (1-tx.f)*v(ty.i0, tx.i0) + tx.f*v(ty.i0, tx.i1)
			bot := (1-tx.f)*v(ty.i1, tx.i0) + tx.f*v(ty.i1, tx.i1)
			col := Viridis((1-ty.f)*top + ty.f*bot)
			src := toRGBA(img.At(b.Min.X+x, b.Min.Y+y))
			blend := func(s, c uint8) uint8 {
				return uint8(math.Round((1-alpha)*float64(s) + alpha*float64(c)))
			}
			out.SetRGBA(x, y, color.RGBA{blend(src.R, col.R), blend(src.G, col.G), blend(src.B, col.B),
				blend(src.A, 255)})
		}
	}
	return out
}

// bilinearTap is where output pixel i reads an n-long source axis: between
// indices i0 and i1, with weight f on i1.
type bilinearTap struct {
	i0, i1 int
	f      float64
}

// tap maps output index i of an out-long axis to an n-long source axis with
// pixel centres aligned: s = (i + 0.5)·n/out - 0.5, clamped to [0, n-1].
func tap(i, out, n int) bilinearTap {
	s := (float64(i)+0.5)*float64(n)/float64(out) - 0.5
	s = min(max(s, 0), float64(n-1))
	i0 := int(s)
	i1 := min(i0+1, n-1)
	return bilinearTap{i0, i1, s - float64(i0)}
}
