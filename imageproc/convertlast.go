package imageproc

import "image"

// convertLast runs resize and crop before the conversion to RGB, as OpenAI CLIP's
// _transform does with a PIL image of any mode. Only three kinds of input give a
// different result from converting first, and each follows PIL 9.4 here:
//   - paletted images (PIL modes P and 1) are resized with Nearest, whatever the filter;
//   - images with translucent pixels (RGBA, LA) are resized premultiplied ("RGBa"):
//     colour times alpha, resized, then divided by the resized alpha;
//   - CMYK images are resized in CMYK and converted afterwards.
//
// Everything else (RGB, grey, JPEG's YCbCr) resizes channel by channel either way.
// 16-bit grey (PIL mode I, resized in 32-bit arithmetic before the clip to 255) is not
// reproduced: it is converted first.
func (c Config) convertLast(img image.Image) (*RGB8, error) {
	rgb, err := ToRGB(img) // also checks the size
	if err != nil {
		return nil, err
	}
	if _, ok := img.(*image.Paletted); ok {
		return c.resizeCrop(rgb, Nearest)
	}
	if cm, ok := img.(*image.CMYK); ok {
		cmy, k, err := c.resizeCrop4(splitCMYK(cm))
		if err != nil {
			return nil, err
		}
		return joinCMYK(cmy, k), nil
	}
	alpha, translucent := alphaPlane(img)
	if !translucent || c.Filter == Nearest || !c.resizes(rgb.W, rgb.H) {
		return c.ResizeCrop(rgb)
	}
	premultiply(rgb, alpha)
	rgb, alpha, err = c.resizeCrop4(rgb, alpha)
	if err != nil {
		return nil, err
	}
	unpremultiply(rgb, alpha)
	return rgb, nil
}

// resizes reports whether the resize step changes a w x h image's size (PIL returns an
// unchanged size as a copy, without the premultiplied round trip).
func (c Config) resizes(w, h int) bool {
	switch c.Resize {
	case ShortestEdge:
		nw, nh := ShortestEdgeSize(w, h, c.Size)
		return nw != w || nh != h
	case Exact:
		return c.Width != w || c.Height != h
	case KeepRatio:
		nw, nh := KeepRatioSize(w, h, c.Width, c.Height)
		return nw != w || nh != h
	}
	return false
}

// resizeCrop4 resizes and crops a four-channel image held as two RGB8 (the fourth
// channel repeated in b's three): PIL filters every channel alike.
func (c Config) resizeCrop4(a, b *RGB8) (*RGB8, *RGB8, error) {
	a, err := c.ResizeCrop(a)
	if err != nil {
		return nil, nil, err
	}
	b, err = c.ResizeCrop(b)
	return a, b, err
}

// alphaPlane returns the alpha channel of an image with straight alpha as a grey
// RGB8, and whether any pixel is translucent.
func alphaPlane(img image.Image) (*RGB8, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var at func(x, y int) uint8
	switch m := img.(type) {
	case *image.NRGBA:
		at = func(x, y int) uint8 { return m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)+3] }
	case *image.NRGBA64:
		at = func(x, y int) uint8 { return m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)+6] }
	default:
		return nil, false
	}
	out, translucent := NewRGB8(w, h), false
	for y := range h {
		for x := range w {
			a := at(x, y)
			translucent = translucent || a != 255
			i := (y*w + x) * 3
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = a, a, a
		}
	}
	return out, translucent
}

// muldiv255 is PIL's MULDIV255: a*b/255, rounded.
func muldiv255(a, b uint8) uint8 {
	t := int(a)*int(b) + 128
	return uint8((t + t>>8) >> 8)
}

// premultiply is PIL's RGBA -> RGBa (rgba2rgbA).
func premultiply(rgb, alpha *RGB8) {
	for i, v := range rgb.Pix {
		rgb.Pix[i] = muldiv255(v, alpha.Pix[i])
	}
}

// unpremultiply is PIL's RGBa -> RGBA (rgbA2rgba): v*255/alpha truncated, except at
// alpha 0 and 255 where the value is kept.
func unpremultiply(rgb, alpha *RGB8) {
	for i, v := range rgb.Pix {
		if a := int(alpha.Pix[i]); a != 0 && a != 255 {
			rgb.Pix[i] = uint8(min(255*int(v)/a, 255))
		}
	}
}

// splitCMYK returns the C, M, Y channels and K (repeated three times) of m.
func splitCMYK(m *image.CMYK) (cmy, k *RGB8) {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	cmy, k = NewRGB8(w, h), NewRGB8(w, h)
	for y := range h {
		row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		for x := range w {
			i := (y*w + x) * 3
			copy(cmy.Pix[i:i+3], row[4*x:4*x+3])
			v := row[4*x+3]
			k.Pix[i], k.Pix[i+1], k.Pix[i+2] = v, v, v
		}
	}
	return cmy, k
}

// joinCMYK converts resized C, M, Y and K planes to RGB with PIL's cmyk2rgb.
func joinCMYK(cmy, k *RGB8) *RGB8 {
	out := NewRGB8(cmy.W, cmy.H)
	for i, v := range cmy.Pix {
		out.Pix[i] = cmyk8(v, 255-int(k.Pix[i]))
	}
	return out
}
