package imageproc

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

func TestToRGB(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	for x, v := range []uint16{200, 255, 300} {
		g16.SetGray16(x, 0, color.Gray16{Y: v})
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 0}) // invisible: PIL keeps the colour
	nrgba.SetNRGBA(1, 0, color.NRGBA{40, 50, 60, 128})
	n64 := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
	n64.SetNRGBA64(0, 0, color.NRGBA64{0x12ff, 0x3400, 0x56aa, 0}) // high bytes
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.SetRGBA(0, 0, color.RGBA{5, 10, 15, 51}) // premultiplied: straight 25, 50, 75
	cmyk := image.NewCMYK(image.Rect(0, 0, 3, 1))
	cmyk.SetCMYK(0, 0, color.CMYK{0, 0, 0, 0})
	cmyk.SetCMYK(1, 0, color.CMYK{0, 0, 0, 255})
	cmyk.SetCMYK(2, 0, color.CMYK{100, 255, 0, 50}) // nk 205: 205 - round(100*205/255) = 125
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{1, 2, 3, 255}, color.NRGBA{7, 8, 9, 0}})
	pal.Pix[0], pal.Pix[1] = 1, 0
	ycc := image.NewYCbCr(image.Rect(0, 0, 2, 1), image.YCbCrSubsampleRatio444)
	copy(ycc.Y, []uint8{128, 0})
	copy(ycc.Cb, []uint8{128, 128})
	copy(ycc.Cr, []uint8{128, 255})
	for _, tc := range []struct {
		name string
		img  image.Image
		want []uint8
	}{
		{"gray16 clips at 255 (PIL mode I)", g16, []uint8{200, 200, 200, 255, 255, 255, 255, 255, 255}},
		{"NRGBA drops alpha", nrgba, []uint8{10, 20, 30, 40, 50, 60}},
		{"NRGBA64 keeps high bytes", n64, []uint8{0x12, 0x34, 0x56}},
		{"RGBA un-premultiplies", rgba, []uint8{25, 50, 75}},
		{"CMYK as cmyk2rgb", cmyk, []uint8{255, 255, 255, 0, 0, 0, 125, 0, 205}},
		{"paletted looks up, alpha dropped", pal, []uint8{7, 8, 9, 1, 2, 3}},
		// Y 0, Cr 255: R = round(1.402 * 127) = 178; G = (-0.71414*127*2^16 + 2^15)>>16 < 0 -> 0.
		{"YCbCr with libjpeg's tables", ycc, []uint8{128, 128, 128, 178, 0, 0}},
	} {
		got, err := ToRGB(tc.img)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got.Pix, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got.Pix, tc.want)
		}
	}
	if _, err := ToRGB(image.NewGray(image.Rect(0, 0, 0, 4))); err == nil {
		t.Error("zero-size image: no error")
	}
}

// TestToRGBSubImage: images that do not start at (0, 0) convert like the same pixels
// copied out.
func TestToRGBSubImage(t *testing.T) {
	full := noiseRGB(9, 7, 3)
	rect := image.Rect(2, 1, 8, 6)
	sub, err := ToRGB(full.SubImage(rect))
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := ToRGB(full)
	want, _ := CenterCrop(whole, 5, 6, TorchvisionCrop) // offsets round(1) and round(1.5) = 2
	if sub.W != 6 || sub.H != 5 || !slices.Equal(sub.Pix, want.Pix) {
		t.Errorf("sub-image %dx%d differs from the copied pixels", sub.W, sub.H)
	}
	g := greyImage(6, 4, 1)
	gsub, _ := ToRGB(g.SubImage(image.Rect(1, 1, 3, 2)))
	if !slices.Equal(channel0(gsub), g.Pix[g.PixOffset(1, 1):g.PixOffset(3, 1)]) {
		t.Errorf("grey sub-image: %v", channel0(gsub))
	}
}

// TestWebPColours: lossy WebP's YUV is limited range (libwebp's 14-bit formulas): Y 16
// is black and 235 white, where JPEG's full-range conversion would give 16 and 235.
func TestWebPColours(t *testing.T) {
	for _, tc := range []struct {
		y, u, v int
		want    [3]uint8
	}{
		{16, 128, 128, [3]uint8{0, 0, 0}},
		{235, 128, 128, [3]uint8{255, 255, 255}},
		// 19077*126>>8 = 9389; R 9389+13074-14234 = 8229 >> 6 = 128; B 9389+16525-17685 = 8229 -> 128.
		{126, 128, 128, [3]uint8{128, 128, 128}},
	} {
		r, g, b := webpRGB(tc.y, tc.u, tc.v)
		if got := [3]uint8{r, g, b}; got != tc.want {
			t.Errorf("YUV %d,%d,%d: %v, want %v", tc.y, tc.u, tc.v, got, tc.want)
		}
	}
	// A 3x3 image: chroma 2x2; the middle row and column mix 9-3-3-1.
	m := image.NewYCbCr(image.Rect(0, 0, 3, 3), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = 126
	}
	copy(m.Cb, []uint8{128, 128})
	copy(m.Cb[m.CStride:], []uint8{128, 128})
	copy(m.Cr, []uint8{0, 128})
	copy(m.Cr[m.CStride:], []uint8{128, 128})
	out := webpToNRGBA(m).(*image.NRGBA)
	// Pixel (1, 1): rows near 0, far 1; Cr avg = 0+128+128+128+8 = 392,
	// diag (392 + 2*(128+128)) >> 3 = 113, then (113 + 0) >> 1 = 56 for Cr.
	// R = 9389 + (56*26149 >> 8 = 5720) - 14234 = 875 >> 6 = 13.
	if r := out.Pix[out.PixOffset(1, 1)]; r != 13 {
		t.Errorf("pixel (1,1) red %d, want 13", r)
	}
	// Pixel (0, 0): row 0 mirrors chroma row 0: Cr (3*0 + 0 + 2) >> 2 = 0: R = 0.
	if r := out.Pix[0]; r != 0 {
		t.Errorf("pixel (0,0) red %d, want 0", r)
	}
}
