package imageproc

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// noiseRGB is a w x h opaque image of uniform random bytes: every resize coefficient
// and rounding shows in it.
func noiseRGB(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

// photo is a w x h image that looks (and compresses) more like a photograph: smooth
// gradients, discs of colour, stripes and grain.
func photo(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	type disc struct{ x, y, r float64 }
	var discs []disc
	for range 5 {
		discs = append(discs, disc{rng.Float64() * float64(w), rng.Float64() * float64(h), 5 + rng.Float64()*float64(h)/3})
	}
	for y := range h {
		for x := range w {
			v := [3]float64{60 + 120*float64(x)/float64(w), 50 + 150*float64(y)/float64(h), 128}
			for k, d := range discs {
				if (float64(x)-d.x)*(float64(x)-d.x)+(float64(y)-d.y)*(float64(y)-d.y) < d.r*d.r {
					v[k%3] += 70
				}
			}
			stripe := 20 * math.Sin(float64(x*x+3*y)*0.03)
			i := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[i+c] = uint8(min(max(v[c]+stripe+rng.Float64()*20-10, 0), 255))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// blocky is a w x h image whose 16x16 blocks are each one random colour: its JPEG has
// only DC coefficients, which every decoder inverts alike.
func blocky(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for by := 0; by < h; by += 16 {
		for bx := 0; bx < w; bx += 16 {
			c := [4]uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
			for y := by; y < min(by+16, h); y++ {
				for x := bx; x < min(bx+16, w); x++ {
					copy(img.Pix[img.PixOffset(x, y):], c[:])
				}
			}
		}
	}
	return img
}

func greyImage(w, h int, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 4))
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

// gray16 has values spread over 0..600, so PIL's clip to 255 shows.
func gray16(w, h int) *image.Gray16 {
	img := image.NewGray16(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray16(x, y, color.Gray16{Y: uint16((x*37 + y*101) % 600)})
		}
	}
	return img
}

// translucent is random colour with alpha from 0 to 255, the extremes included.
func translucent(w, h int, seed uint64) *image.NRGBA {
	img := noiseRGB(w, h, seed)
	for i := 3; i < len(img.Pix); i += 4 {
		switch p := i / 4; p % 5 {
		case 0:
			img.Pix[i] = 0
		case 1:
			img.Pix[i] = 255
		default:
			img.Pix[i] = uint8(p * 29)
		}
	}
	return img
}

// paletted has 16 colours, the last one transparent in the PNG's tRNS.
func paletted(w, h int, seed uint64) *image.Paletted {
	rng := rand.New(rand.NewPCG(seed, 5))
	pal := make(color.Palette, 16)
	for i := range pal {
		a := uint8(255)
		if i == 15 {
			a = 0
		}
		pal[i] = color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), a}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(16))
	}
	return img
}

func writePNG(t testing.TB, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeJPEG(t testing.TB, dir, name string, img image.Image, quality int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, encodeJPEG(t, img, quality), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
