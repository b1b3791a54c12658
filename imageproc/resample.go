package imageproc

import (
	"fmt"
	"image"
	"math"
)

// Filter is a resampling filter, numbered as PIL's Image.Resampling enum (the
// "resample" integers of Hugging Face preprocessor configs).
type Filter int

// PIL's filters.
const (
	Nearest  Filter = 0
	Lanczos  Filter = 1
	Bilinear Filter = 2
	Bicubic  Filter = 3
	Box      Filter = 4
	Hamming  Filter = 5
)

// String returns the filter's name as timm and torchvision spell it.
func (f Filter) String() string {
	switch f {
	case Nearest:
		return "nearest"
	case Lanczos:
		return "lanczos"
	case Bilinear:
		return "bilinear"
	case Bicubic:
		return "bicubic"
	case Box:
		return "box"
	case Hamming:
		return "hamming"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// kernel returns the filter's function and support (half-width at scale 1), as
// libImaging/Resample.c defines them.
func (f Filter) kernel() (func(float64) float64, float64, bool) {
	switch f {
	case Box:
		return boxFilter, 0.5, true
	case Bilinear:
		return bilinearFilter, 1, true
	case Hamming:
		return hammingFilter, 1, true
	case Bicubic:
		return bicubicFilter, 2, true
	case Lanczos:
		return lanczosFilter, 3, true
	}
	return nil, 0, false
}

// The filter functions. Products are wrapped in float64() so that Go never fuses
// them into FMA instructions (it may on arm64): PIL's C is compiled without FMA on
// x86-64, and a fused rounding could change a coefficient's last bit.

func boxFilter(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func bilinearFilter(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

func hammingFilter(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x = float64(x * math.Pi)
	// 0.54f and 0.46f are float constants in PIL's C, promoted to double.
	return float64(math.Sin(x)/x) * (float64(float32(0.54)) + float64(float64(float32(0.46))*math.Cos(x)))
}

// bicubicFilter is Keys' cubic convolution with a = -0.5.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	if x < 1 {
		return float64(float64(float64((a+2)*x)-(a+3))*x)*x + 1
	}
	if x < 2 {
		return float64(float64(float64(float64(x-5)*x)+8)*x-4) * a
	}
	return 0
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x = float64(x * math.Pi)
	return math.Sin(x) / x
}

func lanczosFilter(x float64) float64 {
	if -3 <= x && x < 3 {
		return float64(sinc(x) * sinc(x/3))
	}
	return 0
}

// precisionBits is PIL's PRECISION_BITS: coefficients are fixed point with 22
// fractional bits, leaving 8 bits for the value and 2 for overshoot in an int32.
const precisionBits = 32 - 8 - 2

// coeffs holds, for each output pixel along one axis, the first source pixel, the
// number of source pixels read and their fixed-point weights.
type coeffs struct {
	start, n []int
	k        []int32 // [out, ksize]
	ksize    int
}

// precomputeCoeffs ports PIL's precompute_coeffs + normalize_coeffs_8bpc for the
// source span [0, inSize) mapped onto outSize pixels.
func precomputeCoeffs(inSize, outSize int, filter func(float64) float64, support float64) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support *= filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{start: make([]int, outSize), n: make([]int, outSize), k: make([]int32, outSize*ksize), ksize: ksize}
	kk := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := range outSize {
		center := float64(float64(xx)+0.5) * scale
		// C's (int) truncates toward zero; negative values are clamped to 0 anyway.
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		var ww float64
		for x := range xmax {
			w := filter(float64(float64(x+xmin)-center+0.5) * ss)
			kk[x] = w
			ww += w
		}
		k := c.k[xx*ksize:][:ksize]
		for x := range xmax {
			v := kk[x]
			if ww != 0 {
				v /= ww
			}
			// normalize_coeffs_8bpc: round half away from zero, then truncate.
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		c.start[xx], c.n[xx] = xmin, max(xmax, 0)
	}
	return c
}

// clip8 is PIL's clip8: drop the fractional bits (the accumulator starts at one half,
// so this rounds) and saturate to [0, 255].
func clip8(v int32) uint8 {
	return uint8(min(max(v>>precisionBits, 0), 255))
}

// Resize resamples img to w x h with PIL 9.4's Image.resize(filter) (no box, no
// reducing_gap, as torchvision and Hugging Face call it): the same output bytes.
// Antialiased filters widen their support by the downscale factor; the horizontal pass
// runs first, over only the rows the vertical pass reads, and each pass rounds to 8
// bits (clip8). A pass whose size does not change is skipped, and an unchanged size
// returns a copy. Nearest follows PIL's affine nearest-neighbour path instead.
func Resize(img *RGB8, w, h int, filter Filter) (*RGB8, error) {
	return resizeWindow(img, w, h, filter, image.Rect(0, 0, w, h))
}

// resizeWindow returns the part win of img resized to w x h, computing only those
// output pixels: each depends on its own coefficients alone, so the bytes are those
// Resize gives, and a resize followed by a crop costs only what the crop keeps.
func resizeWindow(img *RGB8, w, h int, filter Filter, win image.Rectangle) (*RGB8, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
		return nil, fmt.Errorf("resize: empty or malformed image")
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("resize %dx%d image to %dx%d: sizes must be positive", img.W, img.H, w, h)
	}
	if int64(w)*int64(h) > int64(MaxPixels) {
		return nil, fmt.Errorf("resize %dx%d image to %dx%d: more than the %d-pixel limit (imageproc.MaxPixels)", img.W, img.H, w, h, MaxPixels)
	}
	if win.Empty() || !win.In(image.Rect(0, 0, w, h)) {
		return nil, fmt.Errorf("resize: window %v outside the %dx%d output", win, w, h)
	}
	if w == img.W && h == img.H {
		return cut(img, win), nil // PIL returns a copy
	}
	if filter == Nearest {
		return resizeNearest(img, w, h, win), nil
	}
	fn, support, ok := filter.kernel()
	if !ok {
		return nil, fmt.Errorf("resize: unknown filter %d (want 0-5, PIL's numbering)", int(filter))
	}
	// The source rows [first, last) that the vertical pass reads.
	first, last := win.Min.Y, win.Max.Y
	var vert coeffs
	if h != img.H {
		vert = precomputeCoeffs(img.H, h, fn, support).window(win.Min.Y, win.Max.Y)
		n := len(vert.start)
		first, last = vert.start[0], vert.start[n-1]+vert.n[n-1]
	}
	var tmp *RGB8
	if w != img.W {
		horiz := precomputeCoeffs(img.W, w, fn, support).window(win.Min.X, win.Max.X)
		tmp = NewRGB8(win.Dx(), last-first)
		resampleRows(tmp, img, first, horiz)
	} else {
		tmp = cut(img, image.Rect(win.Min.X, first, win.Max.X, last))
	}
	if h == img.H {
		return tmp, nil
	}
	for i := range vert.start {
		vert.start[i] -= first
	}
	out := NewRGB8(tmp.W, win.Dy())
	resampleCols(out, tmp, vert)
	return out, nil
}

// window keeps the coefficients of output pixels [a, b).
func (c coeffs) window(a, b int) coeffs {
	return coeffs{start: c.start[a:b], n: c.n[a:b], k: c.k[a*c.ksize : b*c.ksize], ksize: c.ksize}
}

// cut copies the rectangle r (inside the image) out of img.
func cut(img *RGB8, r image.Rectangle) *RGB8 {
	out := NewRGB8(r.Dx(), r.Dy())
	for y := range out.H {
		copy(out.Pix[y*out.W*3:][:out.W*3], img.Pix[((r.Min.Y+y)*img.W+r.Min.X)*3:])
	}
	return out
}

// resampleRows is ImagingResampleHorizontal_8bpc: out row y is source row y+offset
// filtered along x. out: [H', w, 3]; in: [H, W, 3].
func resampleRows(out, in *RGB8, offset int, c coeffs) {
	for y := range out.H {
		row := in.Pix[(y+offset)*in.W*3:][:in.W*3]
		o := out.Pix[y*out.W*3:][:out.W*3]
		for xx := range out.W {
			k := c.k[xx*c.ksize:][:c.n[xx]]
			px := row[c.start[xx]*3:][:3*len(k)]
			r, g, b := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			for x, kx := range k {
				p := px[3*x : 3*x+3 : 3*x+3]
				r += int32(p[0]) * kx
				g += int32(p[1]) * kx
				b += int32(p[2]) * kx
			}
			q := o[3*xx : 3*xx+3 : 3*xx+3]
			q[0], q[1], q[2] = clip8(r), clip8(g), clip8(b)
		}
	}
}

// resampleCols is ImagingResampleVertical_8bpc: out row yy mixes the source rows
// c.start[yy] ... with the row's weights. out: [h, W, 3]; in: [H, W, 3].
func resampleCols(out, in *RGB8, c coeffs) {
	n := in.W * 3
	acc := make([]int32, n)
	for yy := range out.H {
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for y, ky := range c.k[yy*c.ksize:][:c.n[yy]] {
			row := in.Pix[(c.start[yy]+y)*n:][:n]
			for i, p := range row {
				acc[i] += int32(p) * ky
			}
		}
		o := out.Pix[yy*n:][:n]
		for i, v := range acc {
			o[i] = clip8(v)
		}
	}
}

// resizeNearest is PIL's NEAREST resize, for the output pixels in win: an affine scale
// (ImagingScaleAffine) whose source coordinate starts at half a step and accumulates
// the step in float64; a coordinate that falls outside the source (it cannot, short of
// rounding) stays black.
func resizeNearest(img *RGB8, w, h int, win image.Rectangle) *RGB8 {
	out := NewRGB8(win.Dx(), win.Dy())
	ax, ay := float64(img.W)/float64(w), float64(img.H)/float64(h)
	xin := make([]int, win.Max.X)
	xo := float64(ax * 0.5)
	for x := range xin {
		xin[x] = coord(xo)
		xo += ax
	}
	xin = xin[win.Min.X:]
	yo := float64(ay * 0.5)
	for y := range win.Max.Y {
		sy := coord(yo)
		yo += ay
		if y < win.Min.Y || sy < 0 || sy >= img.H {
			continue
		}
		row := img.Pix[sy*img.W*3:][:img.W*3]
		o := out.Pix[(y-win.Min.Y)*out.W*3:][:out.W*3]
		for x, sx := range xin {
			if sx >= 0 && sx < img.W {
				copy(o[3*x:3*x+3], row[3*sx:3*sx+3])
			}
		}
	}
	return out
}

// coord is PIL's COORD: truncation toward zero, and -1 for negative values.
func coord(v float64) int {
	if v < 0 {
		return -1
	}
	return int(v)
}

// ResizeShortestEdge resizes img so that its shorter side is size and the longer one
// int(size * long / short) (truncated), the rule torchvision 0.14's Resize(int) and
// Hugging Face's get_resize_output_image_size(default_to_square=False) share.
func ResizeShortestEdge(img *RGB8, size int, filter Filter) (*RGB8, error) {
	if img == nil || img.W <= 0 || img.H <= 0 {
		return nil, fmt.Errorf("resize: empty image")
	}
	w, h := ShortestEdgeSize(img.W, img.H, size)
	return Resize(img, w, h, filter)
}

// ShortestEdgeSize returns the w x h that ResizeShortestEdge gives a w0 x h0 image.
func ShortestEdgeSize(w0, h0, size int) (w, h int) {
	if w0 <= h0 {
		return size, int(float64(size*h0) / float64(w0))
	}
	return int(float64(size*w0) / float64(h0)), size
}
