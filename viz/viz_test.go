package viz

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func rgba(img image.Image, x, y int) color.RGBA { return toRGBA(img.At(x, y)) }

func TestFromHWC(t *testing.T) {
	// [2, 2, 3]: red, green / blue, (10, 20, 30).
	img := FromHWC([]uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30}, 2, 2, 3)
	if b := img.Bounds(); b != image.Rect(0, 0, 2, 2) {
		t.Fatalf("bounds %v, want 2x2", b)
	}
	want := map[image.Point]color.RGBA{
		{0, 0}: {255, 0, 0, 255}, {1, 0}: {0, 255, 0, 255},
		{0, 1}: {0, 0, 255, 255}, {1, 1}: {10, 20, 30, 255},
	}
	for p, w := range want {
		if got := rgba(img, p.X, p.Y); got != w {
			t.Errorf("pixel %v = %v, want %v", p, got, w)
		}
	}
	// [1, 2, 1] grey.
	gray := FromHWC([]uint8{7, 200}, 1, 2, 1)
	if g, ok := gray.(*image.Gray); !ok || g.GrayAt(0, 0).Y != 7 || g.GrayAt(1, 0).Y != 200 {
		t.Errorf("grey image %#v, want *image.Gray with 7, 200", gray)
	}
}

func TestFromHWCFloat(t *testing.T) {
	img := FromHWCFloat([]float32{-1, 0, 0.5, 2, float32(math.NaN()), 0.25}, 1, 6, 1, 0, 1)
	// clamp to [0, 1], times 255: 0, 0, 127.5 → 128, 255, NaN → 0, 63.75 → 64.
	for x, w := range []uint8{0, 0, 128, 255, 0, 64} {
		if got := img.(*image.Gray).GrayAt(x, 0).Y; got != w {
			t.Errorf("x=%d: %d, want %d", x, got, w)
		}
	}
	// lo, hi of a normalised image: -mean/std .. (1-mean)/std.
	img = FromHWCFloat([]float32{-2, 2, 0}, 1, 1, 3, -2, 2)
	if got := rgba(img, 0, 0); got != (color.RGBA{0, 255, 128, 255}) {
		t.Errorf("RGB float pixel %v, want {0 255 128 255}", got)
	}
}

func TestFromHWCPanicsOnBadShape(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, h, w int
		c       int
	}{{"two channels", 8, 2, 2, 2}, {"short", 11, 2, 2, 3}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "viz: FromHWC") {
					t.Errorf("%s: recovered %v, want a viz: FromHWC panic", tc.name, r)
				}
			}()
			FromHWC(make([]uint8, tc.n), tc.h, tc.w, tc.c)
		}()
	}
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	img := FromHWC([]uint8{1, 2, 3, 4, 5, 6}, 1, 2, 3)
	for range 2 { // the second write replaces the first
		if err := SavePNG(path, img); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if rgba(got, 1, 0) != (color.RGBA{4, 5, 6, 255}) {
		t.Errorf("decoded pixel %v, want {4 5 6 255}", rgba(got, 1, 0))
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "a.png" {
		t.Errorf("directory holds %v, want only a.png (no temp file left)", entries)
	}
	if err := SavePNG(filepath.Join(dir, "no", "b.png"), img); err == nil {
		t.Error("SavePNG into a missing directory: no error")
	}
	if err := SavePNG(filepath.Join(dir, "c.png"), nil); err == nil || !strings.Contains(err.Error(), "nil image") {
		t.Errorf("nil image: err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed writes left %v", entries)
	}
}
