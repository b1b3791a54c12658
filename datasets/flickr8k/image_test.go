package flickr8k

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// columns makes a w x h RGBA image whose column x has grey level vals[x].
func columns(vals []uint8, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, len(vals), h))
	for y := range h {
		for x, v := range vals {
			img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	return img
}

// row0 returns the red channel of the first output row.
func row0(pix []uint8, size int) []uint8 {
	r := make([]uint8, size)
	for i := range r {
		r[i] = pix[i*3]
	}
	return r
}

func TestResizeCrop(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals []uint8
		h    int
		size int
		want []uint8
	}{
		// Downscale by 2: triangle of half-width 2 centred at 0.5 weighs columns 0,1,2
		// by .75,.75,.25 -> 255*.25/1.75 = 36.4; symmetric for the second pixel.
		{"down", []uint8{0, 0, 255, 255}, 4, 2, []uint8{36, 219}},
		// Upscale by 2: centres at -0.25, 0.25, 0.75, 1.25 -> 0, 63.75, 191.25, 255.
		{"up", []uint8{0, 255}, 2, 4, []uint8{0, 64, 191, 255}},
		// Landscape 4x2: the centre square is columns 1 and 2.
		{"crop", []uint8{255, 10, 10, 255}, 2, 2, []uint8{10, 10}},
		{"identity", []uint8{1, 2, 3}, 3, 3, []uint8{1, 2, 3}},
	} {
		pix, err := ResizeCrop(columns(tc.vals, tc.h), tc.size)
		if err != nil {
			t.Fatal(err)
		}
		if len(pix) != tc.size*tc.size*3 {
			t.Fatalf("%s: %d bytes", tc.name, len(pix))
		}
		if got := row0(pix, tc.size); !slices.Equal(got, tc.want) {
			t.Errorf("%s: first row %v, want %v", tc.name, got, tc.want)
		}
		// Every row equals the first (the image is constant along y).
		for y := 1; y < tc.size; y++ {
			if !slices.Equal(pix[y*tc.size*3:(y+1)*tc.size*3], pix[:tc.size*3]) {
				t.Errorf("%s: row %d differs from row 0", tc.name, y)
			}
		}
	}
	// Portrait: the centre rows are kept.
	tall := image.NewRGBA(image.Rect(0, 0, 2, 4))
	for y, v := range []uint8{255, 7, 7, 255} {
		for x := range 2 {
			tall.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	if pix, _ := ResizeCrop(tall, 2); pix[0] != 7 || pix[len(pix)-1] != 7 {
		t.Errorf("portrait crop %v", pix)
	}
	if _, err := ResizeCrop(image.NewRGBA(image.Rect(0, 0, 0, 5)), 4); err == nil {
		t.Error("empty image: no error")
	}
}

func TestDecodeResizeColourModels(t *testing.T) {
	// JPEG decodes to YCbCr (colour) or Gray; both paths give the same colours.
	for _, img := range []image.Image{solid(50, 30, color.RGBA{30, 160, 220, 255}), image.NewGray(image.Rect(0, 0, 30, 50))} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		pix, err := DecodeResize(&buf, 10)
		if err != nil {
			t.Fatal(err)
		}
		r, g, b, _ := img.At(0, 0).RGBA()
		want := []int{int(r >> 8), int(g >> 8), int(b >> 8)}
		for c := range 3 {
			if d := int(pix[c]) - want[c]; d < -3 || d > 3 {
				t.Errorf("%T: channel %d = %d, want %d", img, c, pix[c], want[c])
			}
		}
	}
	if _, err := DecodeResize(bytes.NewReader([]byte("GIF89a")), 10); err == nil {
		t.Error("not a JPEG: no error")
	}
}

// TestPNGNamedJPG: images are decoded by content, so a PNG saved as NAME.jpg (common in
// scraped data) is a good image, counted and served like the others.
func TestPNGNamedJPG(t *testing.T) {
	f := writeFixture(t, 4, 24, 16)
	name, c := f.good[1], color.RGBA{20, 120, 220, 255}
	var buf bytes.Buffer
	if err := png.Encode(&buf, solid(24, 16, c)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "Images", name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fixtureConfig(f, 8)
	cfg.TestFrac = 0.01 // everything in train
	d, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 4 good (the PNG among them) + the truncated JPEG, whose header parses.
	if r := d.Report(); r.Images != 5 || r.Corrupt != 1 || strings.Contains(r.String(), name) {
		t.Errorf("report: %s", r)
	}
	pix, err := d.Image(name)
	if err != nil {
		t.Fatalf("%s (a PNG): %v", name, err)
	}
	for i := 0; i < len(pix); i += 3 {
		if pix[i] != c.R || pix[i+1] != c.G || pix[i+2] != c.B {
			t.Fatalf("pixel %d = %v, want %v (PNG is lossless)", i/3, pix[i:i+3], c)
		}
	}
}
