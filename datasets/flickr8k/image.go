package flickr8k

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	"github.com/mmdna/mmdna/imageproc"
)

// ImageNet statistics of RGB in [0, 1], the normalisation pretrained vision models
// (and the chapter's torchvision transform) expect.
var (
	Mean = [3]float32{0.485, 0.456, 0.406}
	Std  = [3]float32{0.229, 0.224, 0.225}
)

// Normalize maps uint8 RGB pixels to (x/255 - Mean) / Std.
// pix: [..., 3] uint8; dst: same length, float32.
func Normalize(pix []uint8, dst []float32) {
	var scale, shift [3]float32
	for c := range 3 {
		scale[c] = 1 / (255 * Std[c])
		shift[c] = -Mean[c] / Std[c]
	}
	for i := 0; i+2 < len(pix); i += 3 {
		dst[i] = float32(pix[i])*scale[0] + shift[0]
		dst[i+1] = float32(pix[i+1])*scale[1] + shift[1]
		dst[i+2] = float32(pix[i+2])*scale[2] + shift[2]
	}
}

// DecodeResize decodes an image file (PNG, JPEG, GIF, BMP or WebP, recognised by its
// content, not its name) and returns it as a square [size, size, 3] RGB image: the
// shorter side resized to size, then the centre cropped (torchvision's Resize(size) +
// CenterCrop(size)).
func DecodeResize(r io.Reader, size int) ([]uint8, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	img, err := imageproc.DecodeBytes("image", data)
	if err != nil {
		return nil, err
	}
	return ResizeCrop(img, size)
}

// ResizeCrop resizes the centre square of img to [size, size, 3] RGB. The filter is a
// triangle (bilinear) widened by the downscale factor, so that downscaling averages all
// source pixels instead of aliasing (like PIL's BILINEAR). JPEG's YCbCr images are
// resampled plane by plane at their own resolution (chroma is often subsampled) and
// converted to RGB at the output size, which costs a fraction of converting first.
func ResizeCrop(img image.Image, size int) ([]uint8, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || size <= 0 {
		return nil, fmt.Errorf("resize %dx%d image to %d", w, h, size)
	}
	// The centre square, in source pixel coordinates: [ox, ox+m) x [oy, oy+m).
	m := min(w, h)
	ox, oy, span := float64((w-m)/2), float64((h-m)/2), float64(m)
	out := make([]uint8, size*size*3)
	if yc, ok := img.(*image.YCbCr); ok && b.Min == (image.Point{}) {
		if hs, vs, ok := subsampling(yc.SubsampleRatio); ok {
			cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
			fh, fv := float64(hs), float64(vs)
			yp := resamplePlane(yc.Y, yc.YStride, w, h, ox, oy, span, span, size)
			cb := resamplePlane(yc.Cb, yc.CStride, cw, ch, ox/fh, oy/fv, span/fh, span/fv, size)
			cr := resamplePlane(yc.Cr, yc.CStride, cw, ch, ox/fh, oy/fv, span/fh, span/fv, size)
			for i := range yp {
				// JFIF YCbCr -> RGB, as image/color.YCbCrToRGB.
				y, u, v := yp[i], cb[i]-128, cr[i]-128
				out[3*i] = round8(y + 1.402*v)
				out[3*i+1] = round8(y - 0.344136*u - 0.714136*v)
				out[3*i+2] = round8(y + 1.772*u)
			}
			return out, nil
		}
	}
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) {
		yp := resamplePlane(g.Pix, g.Stride, w, h, ox, oy, span, span, size)
		for i, y := range yp {
			out[3*i], out[3*i+1], out[3*i+2] = round8(y), round8(y), round8(y)
		}
		return out, nil
	}
	planes := rgbPlanes(img)
	for c, p := range planes {
		res := resamplePlane(p, w, w, h, ox, oy, span, span, size)
		for i, v := range res {
			out[3*i+c] = round8(v)
		}
	}
	return out, nil
}

// subsampling returns the horizontal and vertical chroma subsampling factors.
func subsampling(r image.YCbCrSubsampleRatio) (hs, vs int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

func round8(v float32) uint8 { return uint8(min(max(v+0.5, 0), 255)) }

// resamplePlane resamples the region [ox, ox+sx) x [oy, oy+sy) of a one-channel plane
// (w x h pixels, row stride stride) to size x size, separably: rows first, then columns.
// Returns [size, size] float32.
func resamplePlane(src []uint8, stride, w, h int, ox, oy, sx, sy float64, size int) []float32 {
	xw := resampleWeights(w, ox, sx, size)
	yw := resampleWeights(h, oy, sy, size)
	rows := yw.hi - yw.lo
	tmp := make([]float32, rows*size) // [rows, size]: the source rows the column pass reads
	t := xw.taps
	for r := range rows {
		row := src[(yw.lo+r)*stride : (yw.lo+r)*stride+w]
		dst := tmp[r*size : (r+1)*size]
		for i := range dst {
			px := row[xw.start[i] : xw.start[i]+t]
			wt := xw.w[i*t : i*t+t]
			var acc float32
			for k, p := range px {
				acc += wt[k] * float32(p)
			}
			dst[i] = acc
		}
	}
	out := make([]float32, size*size)
	t = yw.taps
	for j := range size {
		o := out[j*size : (j+1)*size]
		for k, wt := range yw.w[j*t : j*t+t] {
			if wt == 0 {
				continue
			}
			r := yw.start[j] + k - yw.lo
			src := tmp[r*size : (r+1)*size]
			for i := range o {
				o[i] += wt * src[i]
			}
		}
	}
	return out
}

// weights holds, for each output pixel along one axis, the first source index and the
// normalised filter weights of the taps source pixels from there on (zero-padded, so
// every output pixel has the same number of taps and the inner loops have fixed bounds).
type weights struct {
	start  []int
	w      []float32 // [size, taps]
	taps   int
	lo, hi int // source range read by any output pixel
}

// resampleWeights maps the source span [off, off+span) of an axis of n pixels onto
// size output pixels (coordinates are continuous: pixel j covers [j, j+1)).
func resampleWeights(n int, off, span float64, size int) weights {
	scale := span / float64(size) // source pixels per output pixel
	support := math.Max(scale, 1) // half-width of the triangle filter
	taps := min(int(math.Ceil(2*support))+1, n)
	ws := weights{start: make([]int, size), w: make([]float32, size*taps), taps: taps, lo: n, hi: 0}
	for i := range size {
		c := off + (float64(i)+0.5)*scale - 0.5 // centre in source pixel indices
		lo := max(int(math.Ceil(c-support)), 0)
		hi := min(int(math.Floor(c+support)), n-1, lo+taps-1)
		if hi < lo { // support entirely outside: take the nearest pixel
			lo = min(max(int(math.Round(c)), 0), n-1)
			hi = lo
		}
		// Keep all taps inside the axis: move the window left near the end.
		start := min(lo, n-taps)
		wt := ws.w[i*taps : (i+1)*taps]
		var sum float64
		for j := lo; j <= hi; j++ {
			v := math.Max(0, 1-math.Abs(float64(j)-c)/support)
			wt[j-start] = float32(v)
			sum += v
		}
		if sum == 0 {
			wt[lo-start], sum = 1, 1
		}
		for k := range wt {
			wt[k] = float32(float64(wt[k]) / sum)
		}
		ws.start[i] = start
		ws.lo, ws.hi = min(ws.lo, start), max(ws.hi, start+taps)
	}
	return ws
}

// rgbPlanes returns the R, G and B planes of any image, [h, w] each.
func rgbPlanes(img image.Image) [3][]uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var p [3][]uint8
	for c := range p {
		p[c] = make([]uint8, w*h)
	}
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			i := y*w + x
			p[0][i], p[1][i], p[2][i] = c.R, c.G, c.B
		}
	}
	return p
}
