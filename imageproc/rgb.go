package imageproc

import (
	"fmt"
	"image"
	"image/color"
)

// RGB8 is an 8-bit RGB image in HWC layout: Pix[(y*W+x)*3+c] is channel c of pixel
// (x, y); Pix: [H, W, 3].
type RGB8 struct {
	W, H int
	Pix  []uint8
}

// NewRGB8 returns a black w x h image.
func NewRGB8(w, h int) *RGB8 {
	return &RGB8{W: w, H: h, Pix: make([]uint8, w*h*3)}
}

// At returns the R, G, B values of pixel (x, y).
func (m *RGB8) At(x, y int) (r, g, b uint8) {
	i := (y*m.W + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// ToRGB converts any image to 8-bit RGB as PIL 9.4's img.convert("RGB") does on the
// image PIL would have opened from the same file:
//   - grey (L) is copied to the three channels;
//   - 16-bit grey (PIL opens it as mode "I") is clipped to 255, not scaled: a 16-bit
//     grey PNG comes out almost white in PIL, and so here (Pillow 9.4 behaviour);
//   - alpha (RGBA, LA, tRNS) is dropped without compositing: a transparent pixel keeps
//     the colour stored under it;
//   - 16-bit colour keeps the high byte of each sample (PIL's "RGB;16B" unpacking);
//   - paletted images look up the palette;
//   - CMYK uses PIL's cmyk2rgb (nk - c*nk/255, rounded);
//   - YCbCr (JPEG) is upsampled and converted as libjpeg-turbo does when PIL decodes a
//     JPEG: fancy (triangular) chroma upsampling and libjpeg's fixed-point tables.
//
// Go's GIF decoder forgets the colour of the transparent palette entry (PIL keeps it),
// so transparent GIF pixels are black here.
func ToRGB(img image.Image) (*RGB8, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("zero-size image (%dx%d)", w, h)
	}
	if int64(w)*int64(h) > int64(MaxPixels) {
		return nil, fmt.Errorf("%dx%d image is larger than the %d-pixel limit (imageproc.MaxPixels)", w, h, MaxPixels)
	}
	out := NewRGB8(w, h)
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			o := out.Pix[y*w*3:][:w*3]
			for x, v := range row {
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			o := out.Pix[y*w*3:][:w*3]
			for x := range w {
				v := uint8(min(int(row[2*x])<<8|int(row[2*x+1]), 255))
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.NRGBA:
		for y := range h {
			copyDropAlpha(out.Pix[y*w*3:][:w*3], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w], 1)
		}
	case *image.NRGBA64:
		for y := range h {
			copyDropAlpha(out.Pix[y*w*3:][:w*3], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:8*w], 2)
		}
	case *image.RGBA:
		if opaque(m) {
			for y := range h {
				copyDropAlpha(out.Pix[y*w*3:][:w*3], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w], 1)
			}
		} else {
			generic(out, img)
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			o := out.Pix[y*w*3:][:w*3]
			for x, idx := range row {
				c := lut[idx]
				o[3*x], o[3*x+1], o[3*x+2] = c[0], c[1], c[2]
			}
		}
	case *image.CMYK:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			o := out.Pix[y*w*3:][:w*3]
			for x := range w {
				c, mg, ye, k := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				nk := 255 - int(k)
				o[3*x], o[3*x+1], o[3*x+2] = cmyk8(c, nk), cmyk8(mg, nk), cmyk8(ye, nk)
			}
		}
	case *image.YCbCr:
		if !yccToRGB(out, m) {
			generic(out, img)
		}
	default:
		generic(out, img)
	}
	return out, nil
}

// copyDropAlpha copies R, G, B from 4-channel pixels of bytesPer bytes per sample
// (1, or 2 big-endian: the high byte is kept) into dst [w, 3].
func copyDropAlpha(dst, src []uint8, bytesPer int) {
	step := 4 * bytesPer
	for x, s := 0, 0; x < len(dst); x, s = x+3, s+step {
		dst[x], dst[x+1], dst[x+2] = src[s], src[s+bytesPer], src[s+2*bytesPer]
	}
}

func opaque(m *image.RGBA) bool {
	for i := 3; i < len(m.Pix); i += 4 {
		if m.Pix[i] != 255 {
			return false
		}
	}
	return true
}

// cmyk8 is PIL's cmyk2rgb for one channel: nk - MULDIV255(v, nk), where MULDIV255 is
// (v*nk + 128 + ((v*nk + 128) >> 8)) >> 8, the rounded product divided by 255.
func cmyk8(v uint8, nk int) uint8 {
	t := int(v)*nk + 128
	return uint8(min(max(nk-(t+(t>>8))>>8, 0), 255))
}

// generic converts any other image through straight (non-premultiplied) colour, so a
// translucent pixel keeps its colour as PIL's RGBA -> RGB does.
func generic(out *RGB8, img image.Image) {
	b := img.Bounds()
	for y := range out.H {
		for x := range out.W {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			i := (y*out.W + x) * 3
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
		}
	}
}
