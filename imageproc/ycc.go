package imageproc

import "image"

// libjpeg's YCbCr -> RGB tables (jdcolor.c, build_ycc_rgb_table): 16-bit fixed point,
// R = Y + round(1.402 Cr'), B = Y + round(1.772 Cb'),
// G = Y + ((-0.34414 Cb' - 0.71414 Cr') * 2^16 + 2^15) >> 16, with Cb' = Cb - 128.
// Go's color.YCbCrToRGB rounds differently and can be off by one.
var crR, cbB, crG, cbG [256]int32

func init() {
	const scale, half = 16, 1 << 15
	fix := func(x float64) int32 { return int32(x*(1<<scale) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + half) >> scale
		cbB[i] = (fix(1.77200)*x + half) >> scale
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + half
	}
}

func clamp8(v int32) uint8 { return uint8(min(max(v, 0), 255)) }

// yccToRGB converts a decoded JPEG's YCbCr planes to out as libjpeg-turbo (PIL's
// decoder) does: chroma subsampled 2:1 across (4:2:2) or across and down (4:2:0) is
// upsampled with its "fancy" triangle filter, other integral ratios (4:1:1, 4:1:0) by
// replication, and the colours are converted with libjpeg's tables. It returns false,
// leaving the conversion to Go, for 4:4:0 and images that do not start at (0, 0).
func yccToRGB(out *RGB8, m *image.YCbCr) bool {
	if m.Rect.Min != (image.Point{}) {
		return false
	}
	w, h := out.W, out.H
	var hs, vs int
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio411:
		hs, vs = 4, 1
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	default:
		return false
	}
	// The chroma planes' real size (libjpeg's downsampled_width and _height).
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	fancy := hs == 2 && cw > 2
	cb := make([]uint8, w) // one upsampled chroma row each: [w]
	cr := make([]uint8, w)
	for y := range h {
		cy := y / vs
		switch {
		case fancy && vs == 2:
			// The next nearest chroma row: above for even rows, below for odd ones;
			// libjpeg repeats the first and last rows at the image's edges.
			ny := cy - 1
			if y%2 == 1 {
				ny = cy + 1
			}
			ny = min(max(ny, 0), ch-1)
			fancyH2V2(cb, m.Cb[cy*m.CStride:][:cw], m.Cb[ny*m.CStride:][:cw])
			fancyH2V2(cr, m.Cr[cy*m.CStride:][:cw], m.Cr[ny*m.CStride:][:cw])
		case fancy:
			fancyH2V1(cb, m.Cb[cy*m.CStride:][:cw])
			fancyH2V1(cr, m.Cr[cy*m.CStride:][:cw])
		default:
			rowCb, rowCr := m.Cb[cy*m.CStride:][:cw], m.Cr[cy*m.CStride:][:cw]
			for x := range w {
				cb[x], cr[x] = rowCb[x/hs], rowCr[x/hs]
			}
		}
		yr := m.Y[y*m.YStride:][:w]
		o := out.Pix[y*w*3:][:w*3]
		for x, yv := range yr {
			Y, b, r := int32(yv), cb[x], cr[x]
			o[3*x] = clamp8(Y + crR[r])
			o[3*x+1] = clamp8(Y + (cbG[b]+crG[r])>>16)
			o[3*x+2] = clamp8(Y + cbB[b])
		}
	}
	return true
}

// fancyH2V2 is libjpeg-turbo's h2v2_fancy_upsample for one output row: near is the
// nearest chroma row, far the next nearest; weights 9/16, 3/16, 3/16, 1/16 with the
// biases 8 and 7 alternating. dst: [w] with w <= 2*len(near); len(near) >= 3.
func fancyH2V2(dst, near, far []uint8) {
	n := len(near)
	col := func(i int) int { return 3*int(near[i]) + int(far[i]) }
	put := func(i int, v int) {
		if i < len(dst) {
			dst[i] = uint8(v >> 4)
		}
	}
	this, next := col(0), col(1)
	put(0, this*4+8)
	put(1, this*3+next+7)
	last := this
	this = next
	for i := 1; i < n-1; i++ {
		next = col(i + 1)
		put(2*i, this*3+last+8)
		put(2*i+1, this*3+next+7)
		last, this = this, next
	}
	put(2*(n-1), this*3+last+8)
	put(2*(n-1)+1, this*4+7)
}

// fancyH2V1 is libjpeg-turbo's h2v1_fancy_upsample for one row: 3/4 of the nearer
// chroma sample and 1/4 of the further one, biases 1 and 2 alternating.
func fancyH2V1(dst, in []uint8) {
	n := len(in)
	put := func(i int, v int) {
		if i < len(dst) {
			dst[i] = uint8(v)
		}
	}
	put(0, int(in[0]))
	put(1, (3*int(in[0])+int(in[1])+2)>>2)
	for i := 1; i < n-1; i++ {
		v := 3 * int(in[i])
		put(2*i, (v+int(in[i-1])+1)>>2)
		put(2*i+1, (v+int(in[i+1])+2)>>2)
	}
	put(2*(n-1), (3*int(in[n-1])+int(in[n-2])+1)>>2)
	put(2*(n-1)+1, int(in[n-1]))
}
