package viz

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestViridis(t *testing.T) {
	cases := []struct {
		t    float64
		want color.RGBA
	}{
		{0, color.RGBA{68, 1, 84, 255}},
		{1, color.RGBA{253, 231, 37, 255}},
		{0.5, color.RGBA{33, 145, 140, 255}},
		// Halfway between the first two samples: 68+2, 1+17.5, 84+16.5, rounded.
		{0.05, color.RGBA{70, 19, 101, 255}},
		{-3, color.RGBA{68, 1, 84, 255}},
		{7, color.RGBA{253, 231, 37, 255}},
		{math.NaN(), color.RGBA{68, 1, 84, 255}},
	}
	for _, tc := range cases {
		if got := Viridis(tc.t); got != tc.want {
			t.Errorf("Viridis(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestHeatmap(t *testing.T) {
	// [2, 3]: min 1 at (row 0, col 1), max 5 at (row 1, col 2), 3 halfway.
	img := Heatmap([]float32{3, 1, 2, 4, 3, 5}, 2, 3)
	if b := img.Bounds(); b != image.Rect(0, 0, 3, 2) {
		t.Fatalf("bounds %v, want 3 wide, 2 high", b)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{{1, 0, Viridis(0)}, {2, 1, Viridis(1)}, {0, 0, Viridis(0.5)}, {1, 1, Viridis(0.5)}, {2, 0, Viridis(0.25)}} {
		if got := rgba(img, c.x, c.y); got != c.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// A constant map has no range: everything at the low end.
	if got := rgba(Heatmap([]float32{2, 2}, 1, 2), 1, 0); got != Viridis(0) {
		t.Errorf("constant map pixel %v, want %v", got, Viridis(0))
	}
}

// testImage is a w×h RGB image with distinct pixels.
func testImage(w, h int) image.Image {
	pix := make([]uint8, w*h*3)
	for q := range pix {
		pix[q] = uint8(q * 37)
	}
	return FromHWC(pix, h, w, 3)
}

func TestOverlayAlphaZeroIsTheImage(t *testing.T) {
	img := testImage(5, 3)
	out := Overlay(img, []float32{0, 1, 2, 3}, 2, 2, 0)
	for y := range 3 {
		for x := range 5 {
			if got, want := rgba(out, x, y), rgba(img, x, y); got != want {
				t.Errorf("pixel (%d, %d) = %v, want the image's %v", x, y, got, want)
			}
		}
	}
}

func TestOverlayBilinear(t *testing.T) {
	// A [1, 2] map [0, 1] over a 4×1 image: output x samples the map at
	// (x+0.5)·2/4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
	out := Overlay(testImage(4, 1), []float32{0, 1}, 1, 2, 1)
	for x, tv := range []float64{0, 0.25, 0.75, 1} {
		if got := rgba(out, x, 0); got != Viridis(tv) {
			t.Errorf("x=%d: %v, want Viridis(%v) = %v", x, got, tv, Viridis(tv))
		}
	}
	// Half and half over black: (0 + 68)/2, (0 + 1)/2 → 1 (rounded half up), 84/2.
	black := FromHWC([]uint8{0, 0, 0}, 1, 1, 3)
	if got := rgba(Overlay(black, []float32{5}, 1, 1, 0.5), 0, 0); got != (color.RGBA{34, 1, 42, 255}) {
		t.Errorf("alpha 0.5 over black: %v, want {34 1 42 255}", got)
	}
}

func TestOverlayOffsetBounds(t *testing.T) {
	// A sub-image starts at (1, 1); the overlay starts at (0, 0) with its pixels.
	full := testImage(4, 4).(*image.RGBA)
	sub := full.SubImage(image.Rect(1, 1, 3, 3))
	out := Overlay(sub, []float32{1}, 1, 1, 0)
	if b := out.Bounds(); b != image.Rect(0, 0, 2, 2) {
		t.Fatalf("bounds %v, want 2x2 at the origin", b)
	}
	if got, want := rgba(out, 1, 0), rgba(full, 2, 1); got != want {
		t.Errorf("pixel (1, 0) = %v, want the sub-image's (2, 1) %v", got, want)
	}
}
