package imageproc

import "image"

// Lossy WebP (VP8) stores BT.601 limited-range YUV 4:2:0, which x/image/webp returns
// as an image.YCbCr; Go's YCbCr -> RGB (and ToRGB's libjpeg conversion) assume JPEG's
// full range and are off by up to 20 levels. webpToNRGBA converts as libwebp does when
// PIL decodes the file: fancy upsampling (src/dsp/upsampling.c) and 14-bit fixed-point
// colours (src/dsp/yuv.h).

// webpRGB returns the R, G, B of libwebp's VP8YuvToRgb.
func webpRGB(y, u, v int) (r, g, b uint8) {
	mulHi := func(v, c int) int { return (v * c) >> 8 }
	clip := func(v int) uint8 {
		const mask = (256 << 6) - 1
		if v&^mask == 0 {
			return uint8(v >> 6)
		}
		if v < 0 {
			return 0
		}
		return 255
	}
	yy := mulHi(y, 19077)
	return clip(yy + mulHi(v, 26149) - 14234), clip(yy - mulHi(u, 6419) - mulHi(v, 13320) + 8708), clip(yy + mulHi(u, 33050) - 17685)
}

// webpUpsampleRow is one output row of libwebp's UpsampleRgbaLinePair for one chroma
// plane: near is the nearer chroma row, far the other (the same row at the top, and at
// the bottom of an even height); weights 9/16, 3/16, 3/16, 1/16, computed through the
// two diagonals as libwebp does. dst: [w]; near, far: [(w+1)/2].
func webpUpsampleRow(dst, near, far []uint8) {
	w := len(dst)
	n := func(i int) int { return int(near[i]) }
	f := func(i int) int { return int(far[i]) }
	dst[0] = uint8((3*n(0) + f(0) + 2) >> 2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		avg := n(x-1) + n(x) + f(x-1) + f(x) + 8
		dst[2*x-1] = uint8((((avg + 2*(n(x)+f(x-1))) >> 3) + n(x-1)) >> 1)
		dst[2*x] = uint8((((avg + 2*(n(x-1)+f(x))) >> 3) + n(x)) >> 1)
	}
	if w%2 == 0 {
		dst[w-1] = uint8((3*n(last) + f(last) + 2) >> 2)
	}
}

// webpToNRGBA converts a decoded lossy WebP (4:2:0 YCbCr, with alpha for NYCbCrA) to
// straight-alpha RGBA as libwebp's MODE_RGBA output; other images are returned as is.
func webpToNRGBA(img image.Image) image.Image {
	var m *image.YCbCr
	var alpha []uint8
	var alphaStride int
	switch t := img.(type) {
	case *image.YCbCr:
		m = t
	case *image.NYCbCrA:
		m, alpha, alphaStride = &t.YCbCr, t.A, t.AStride
	default:
		return img
	}
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || m.Rect.Min != (image.Point{}) {
		return img
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	u, v := make([]uint8, w), make([]uint8, w)
	for y := range h {
		near := y / 2
		far := near - 1
		if y%2 == 1 {
			far = near + 1
		}
		far = min(max(far, 0), ch-1)
		webpUpsampleRow(u, m.Cb[near*m.CStride:][:cw], m.Cb[far*m.CStride:][:cw])
		webpUpsampleRow(v, m.Cr[near*m.CStride:][:cw], m.Cr[far*m.CStride:][:cw])
		yr := m.Y[y*m.YStride:][:w]
		o := out.Pix[y*out.Stride:][:4*w]
		for x, yv := range yr {
			o[4*x], o[4*x+1], o[4*x+2] = webpRGB(int(yv), int(u[x]), int(v[x]))
			o[4*x+3] = 255
			if alpha != nil {
				o[4*x+3] = alpha[y*alphaStride+x]
			}
		}
	}
	return out
}
