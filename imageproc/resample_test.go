package imageproc

import (
	"image"
	"slices"
	"strings"
	"testing"
)

// grey returns an RGB8 whose pixel values, row-major, are vals (all three channels).
func grey(w, h int, vals ...uint8) *RGB8 {
	m := NewRGB8(w, h)
	for i, v := range vals {
		m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2] = v, v, v
	}
	return m
}

// channel0 returns the first channel of every pixel.
func channel0(m *RGB8) []uint8 {
	out := make([]uint8, m.W*m.H)
	for i := range out {
		out[i] = m.Pix[3*i]
	}
	return out
}

func TestResizeHandComputed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         *RGB8
		w, h       int
		filter     Filter
		want       []uint8
		derivation string
	}{
		// 2x2 -> 1x1 bicubic: scale 2 widens the support to 4; the two taps sit at
		// distance 0.25 (after scaling), equal weights, 0.5 each = 2^21 in 22-bit fixed
		// point. Each pass gives floor((1 + a + b) / 2): rows 10,20 -> 15 and 30,41 ->
		// 36, then 15,36 -> 26 (the exact mean, 25.25, rounds to 25: PIL rounds twice).
		{"2x2 to 1x1 bicubic", grey(2, 2, 10, 20, 30, 41), 1, 1, Bicubic, []uint8{26}, "two roundings"},
		// The same rule makes 0,1 / 1,2 give 1 then 2, and 2 overall (mean 1).
		{"2x2 to 1x1 double rounding", grey(2, 2, 0, 1, 1, 2), 1, 1, Bicubic, []uint8{2}, "two roundings"},
		// Bilinear 4 -> 2: support 2, centre 1.0; taps 0,1,2 at distances .25,.25,.75
		// weigh .75,.75,.25 (sum 1.75): 255*.25/1.75 = 36.4 -> 36, mirrored 218.6 -> 219.
		{"bilinear 4 to 2", grey(4, 1, 0, 0, 255, 255), 2, 1, Bilinear, []uint8{36, 219}, "triangle"},
		// Nearest 4 -> 2 reads x = 1.0 and 3.0 (half a step of 2, then steps of 2).
		{"nearest 4 to 2", grey(4, 1, 1, 2, 3, 4), 2, 1, Nearest, []uint8{2, 4}, "affine"},
		// Nearest 2 -> 4 reads x = .25, .75, 1.25, 1.75.
		{"nearest 2 to 4", grey(2, 1, 7, 9), 4, 1, Nearest, []uint8{7, 7, 9, 9}, "affine"},
		// Box 4 -> 2 averages pairs: (1+2)/2 = 1.5 -> 2 (half up), (3+6)/2 = 4.5 -> 5.
		{"box 4 to 2", grey(4, 1, 1, 2, 3, 6), 2, 1, Box, []uint8{2, 5}, "box"},
		// Bicubic 2 -> 4 upscale (support 2, no widening). Output 1 is centred at 0.75
		// (pixel centres at 0.5, 1.5): distances .25 and .75 weigh 0.8671875 and
		// 0.2265625, normalised 0.79286 and 0.20714: 255*0.20714 = 52.8 -> 53. Output
		// 0 (at 0.25) weighs 1.0882 and -0.0882: -22.5 clips to 0. Mirrored for 2, 3.
		{"bicubic 2 to 4", grey(2, 1, 0, 255), 4, 1, Bicubic, []uint8{0, 53, 202, 255}, "cubic"},
	} {
		got, err := Resize(tc.in, tc.w, tc.h, tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if g := channel0(got); !slices.Equal(g, tc.want) {
			t.Errorf("%s: %v, want %v (%s)", tc.name, g, tc.want, tc.derivation)
		}
	}
}

// TestResizeConstant: any filter, any size, a constant image stays that constant
// (the fixed-point weights sum to 2^22 within a few units).
func TestResizeConstant(t *testing.T) {
	for _, f := range []Filter{Nearest, Lanczos, Bilinear, Bicubic, Box, Hamming} {
		for _, v := range []uint8{0, 1, 128, 254, 255} {
			in := grey(13, 7)
			for i := range in.Pix {
				in.Pix[i] = v
			}
			for _, size := range [][2]int{{1, 1}, {5, 3}, {13, 20}, {40, 7}, {97, 61}} {
				out, err := Resize(in, size[0], size[1], f)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range out.Pix {
					if p != v {
						t.Fatalf("%v %dx%d of constant %d: byte %d is %d", f, size[0], size[1], v, i, p)
					}
				}
			}
		}
	}
}

// TestResizeSkipsUnchangedAxis: with the width unchanged PIL runs no horizontal pass,
// so columns stay independent; the same size returns an equal copy.
func TestResizeSkipsUnchangedAxis(t *testing.T) {
	in := noisy(9, 6)
	out, err := Resize(in, 9, 3, Bicubic)
	if err != nil {
		t.Fatal(err)
	}
	// Column x of the output depends on column x of the input only.
	col := func(m *RGB8, x int) *RGB8 {
		c := NewRGB8(1, m.H)
		for y := range m.H {
			copy(c.Pix[3*y:3*y+3], m.Pix[(y*m.W+x)*3:])
		}
		return c
	}
	for x := range 9 {
		one, _ := Resize(col(in, x), 1, 3, Bicubic)
		if !slices.Equal(one.Pix, col(out, x).Pix) {
			t.Fatalf("column %d: %v vs %v", x, one.Pix, col(out, x).Pix)
		}
	}
	same, _ := Resize(in, 9, 6, Lanczos)
	if !slices.Equal(same.Pix, in.Pix) || &same.Pix[0] == &in.Pix[0] {
		t.Error("same size: want an equal copy")
	}
}

func noisy(w, h int) *RGB8 {
	m := NewRGB8(w, h)
	for i := range m.Pix {
		m.Pix[i] = uint8(i*97 + i*i*13)
	}
	return m
}

func TestResizeErrors(t *testing.T) {
	in := noisy(4, 4)
	for _, tc := range []struct {
		img    *RGB8
		w, h   int
		filter Filter
		want   string
	}{
		{in, 0, 3, Bicubic, "sizes must be positive"},
		{in, 3, -1, Bicubic, "sizes must be positive"},
		{in, 3, 3, Filter(9), "unknown filter 9"},
		{&RGB8{W: 3, H: 3, Pix: make([]uint8, 5)}, 2, 2, Bicubic, "malformed"},
		{nil, 2, 2, Bicubic, "malformed"},
		{in, 1 << 16, 1 << 16, Bicubic, "pixel limit"},
	} {
		_, err := Resize(tc.img, tc.w, tc.h, tc.filter)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resize to %dx%d %v: error %v, want %q", tc.w, tc.h, tc.filter, err, tc.want)
		}
	}
}

func TestShortestEdgeSize(t *testing.T) {
	for _, tc := range []struct{ w0, h0, size, w, h int }{
		{500, 375, 224, 298, 224}, // 224*500/375 = 298.67, truncated
		{375, 500, 224, 224, 298},
		{224, 224, 224, 224, 224},
		{37, 23, 32, 51, 32}, // 32*37/23 = 51.48
		{1, 1000, 10, 10, 10000},
		{300, 200, 256, 384, 256}, // exact
	} {
		if w, h := ShortestEdgeSize(tc.w0, tc.h0, tc.size); w != tc.w || h != tc.h {
			t.Errorf("%dx%d shortest edge %d: %dx%d, want %dx%d", tc.w0, tc.h0, tc.size, w, h, tc.w, tc.h)
		}
	}
}

// TestResizeWindow: resizing only a window gives the bytes of the full resize there,
// for every filter, up and down, with one axis unchanged or both changed.
func TestResizeWindow(t *testing.T) {
	in := noisy(23, 17)
	for _, f := range []Filter{Nearest, Lanczos, Bilinear, Bicubic, Box, Hamming} {
		for _, size := range [][2]int{{11, 8}, {40, 30}, {23, 9}, {7, 17}, {23, 17}} {
			full, err := Resize(in, size[0], size[1], f)
			if err != nil {
				t.Fatal(err)
			}
			for _, win := range []image.Rectangle{
				image.Rect(0, 0, size[0], size[1]), image.Rect(1, 2, size[0]-1, size[1]), image.Rect(size[0]-1, size[1]-1, size[0], size[1]),
			} {
				got, err := resizeWindow(in, size[0], size[1], f, win)
				if err != nil {
					t.Fatal(err)
				}
				if want := cut(full, win); got.W != want.W || got.H != want.H || !slices.Equal(got.Pix, want.Pix) {
					t.Errorf("%v to %dx%d, window %v: differs from the full resize", f, size[0], size[1], win)
				}
			}
		}
	}
	if _, err := resizeWindow(in, 5, 5, Bicubic, image.Rect(3, 3, 6, 4)); err == nil {
		t.Error("window outside the output: no error")
	}
}
