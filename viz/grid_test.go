package viz

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

func solid(w, h int, c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for q := 0; q < len(img.Pix); q += 4 {
		img.Pix[q], img.Pix[q+1], img.Pix[q+2], img.Pix[q+3] = c.R, c.G, c.B, c.A
	}
	return img
}

var white = color.RGBA{255, 255, 255, 255}

func TestImageGridGeometry(t *testing.T) {
	// Cell 0 has four distinct pixels; cells 1 and 2 are solid. Two columns,
	// scale 3: cells are 6×6, at x = 4 and 14, y = 4 and 14; the grid is 24×24.
	quad := FromHWC([]uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9}, 2, 2, 3)
	green := color.RGBA{0, 128, 0, 255}
	blue := color.RGBA{0, 0, 200, 255}
	g := ImageGrid([]Cell{{Img: quad}, {Img: solid(2, 2, green)}, {Img: solid(2, 2, blue)}}, 2, 3)
	if b := g.Bounds(); b != image.Rect(0, 0, 24, 24) {
		t.Fatalf("bounds %v, want 24x24", b)
	}
	checks := []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, white}, {3, 3, white}, {10, 5, white}, {23, 23, white}, // frame and gaps
		{4, 4, color.RGBA{255, 0, 0, 255}}, {6, 6, color.RGBA{255, 0, 0, 255}}, // (0,0) as a 3×3 block
		{7, 4, color.RGBA{0, 255, 0, 255}}, {9, 6, color.RGBA{0, 255, 0, 255}}, // (1,0)
		{4, 7, color.RGBA{0, 0, 255, 255}}, {9, 9, color.RGBA{9, 9, 9, 255}}, // (0,1), (1,1)
		{14, 4, green}, {19, 9, green}, {20, 9, white},
		{4, 14, blue}, {9, 19, blue},
		{14, 14, white}, {19, 19, white}, // the empty fourth slot
	}
	for _, c := range checks {
		if got := g.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

func TestImageGridCaptions(t *testing.T) {
	// 4×4 images at scale 7 are 28 px wide: 4 characters a line. "ab cdefgh"
	// wraps to 3 lines, so every caption area is 2 + 3·13 = 41 px high.
	red := color.RGBA{255, 0, 0, 255}
	cells := []Cell{
		{Img: solid(4, 4, white), Caption: "ab cdefgh", CaptionColor: red},
		{Img: solid(4, 4, white), Caption: "x"},
	}
	g := ImageGrid(cells, 2, 7)
	if b := g.Bounds(); b != image.Rect(0, 0, 2*28+3*GridGap, 28+41+2*GridGap) {
		t.Fatalf("bounds %v, want 68x77", b)
	}
	count := func(r image.Rectangle, c color.RGBA) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if g.RGBAAt(x, y) == c {
					n++
				}
			}
		}
		return n
	}
	capTop := GridGap + 28 + CaptionPad
	// Each of the three lines of cell 0 has red glyph pixels.
	for l := range 3 {
		line := image.Rect(GridGap, capTop+l*LineHeight, GridGap+28, capTop+(l+1)*LineHeight)
		if count(line, red) == 0 {
			t.Errorf("caption line %d of cell 0 has no red pixel", l)
		}
	}
	if n := count(g.Bounds(), red) - count(image.Rect(GridGap, capTop, GridGap+28, capTop+3*LineHeight), red); n != 0 {
		t.Errorf("%d red pixels outside cell 0's caption", n)
	}
	black := color.RGBA{0, 0, 0, 255}
	cell1Line0 := image.Rect(2*GridGap+28, capTop, 2*GridGap+56, capTop+LineHeight)
	if count(cell1Line0, black) == 0 || count(g.Bounds(), black) != count(cell1Line0, black) {
		t.Error("cell 1's black caption is not (only) on its first line")
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		text  string
		width int
		want  []string
	}{
		{"ab cdefgh", 4, []string{"ab", "cdef", "gh"}},
		{"Ankle boot", 8, []string{"Ankle", "boot"}},
		{"Ankle boot", 10, []string{"Ankle boot"}},
		{"T-shirt/top", 8, []string{"T-shirt/", "top"}},
		{"a\nb c", 10, []string{"a", "b c"}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
		{"p=0.93 ✓", 6, []string{"p=0.93", "✓"}},
		{"", 5, nil},
		{"   ", 5, nil},
	}
	for _, tc := range cases {
		if got := wrap(tc.text, tc.width); !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
	}
}
