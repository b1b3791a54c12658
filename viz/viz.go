// Package viz draws the pictures mmdna shows in its docs, notebooks and TUI:
// image grids with captions, heatmaps and attention overlays, and line and bar
// charts (through gonum/plot). It is pure Go and writes PNG files atomically,
// so a reader never sees half a picture.
//
// The image helpers take in-memory tensors that the program built itself; like
// the standard image package with bad rectangles, they panic when a buffer's
// length disagrees with the dimensions given. The file writers return errors.
package viz

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
)

// SavePNG writes img to path as a PNG. It writes a temporary file in the same
// directory and renames it over path, so path holds either the old or the new
// picture, never a partial one.
func SavePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("viz: %s: nil image", path)
	}
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic writes path through a temporary file and a rename.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	if path == "" {
		return fmt.Errorf("viz: empty output path")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	// CreateTemp makes the file 0600; pictures are for everyone to read.
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("viz: %s: %v", path, err)
	}
	return nil
}

// FromHWC wraps pixels in [h, w, c] order as an image: c = 1 gives an
// *image.Gray, c = 3 an opaque *image.RGBA. The pixels are copied. It panics
// when c is not 1 or 3 or len(pix) != h*w*c.
func FromHWC(pix []uint8, h, w, c int) image.Image {
	checkHWC("FromHWC", len(pix), h, w, c)
	if c == 1 {
		img := image.NewGray(image.Rect(0, 0, w, h))
		copy(img.Pix, pix)
		return img
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for q := range h * w {
		copy(img.Pix[4*q:4*q+3], pix[3*q:3*q+3])
		img.Pix[4*q+3] = 0xff
	}
	return img
}

// FromHWCFloat is FromHWC for float pixels: each value is clamped to [lo, hi]
// and mapped linearly to 0..255 (NaN maps to 0). Use lo, hi = -mean/std,
// (1-mean)/std to view a normalised batch. When hi <= lo every pixel is 0.
func FromHWCFloat(pix []float32, h, w, c int, lo, hi float32) image.Image {
	checkHWC("FromHWCFloat", len(pix), h, w, c)
	b := make([]uint8, len(pix))
	if hi > lo {
		scale := 255 / float64(hi-lo)
		for q, v := range pix {
			if v != v { // NaN
				continue
			}
			v = min(max(v, lo), hi)
			b[q] = uint8(math.Round(float64(v-lo) * scale))
		}
	}
	return FromHWC(b, h, w, c)
}

func checkHWC(fn string, n, h, w, c int) {
	if c != 1 && c != 3 {
		panic(fmt.Sprintf("viz: %s: %d channels, want 1 or 3", fn, c))
	}
	if h < 0 || w < 0 || n != h*w*c {
		panic(fmt.Sprintf("viz: %s: %d values for [%d, %d, %d]", fn, n, h, w, c))
	}
}

// toRGBA returns c as 8-bit (alpha-premultiplied) RGBA.
func toRGBA(c color.Color) color.RGBA {
	return color.RGBAModel.Convert(c).(color.RGBA)
}
