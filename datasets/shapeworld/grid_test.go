package shapeworld

import (
	"testing"

	"github.com/mmdna/mmdna/viz"
)

func TestSampleGrid(t *testing.T) {
	cfg := smallConfig()
	cfg.Train, cfg.Val, cfg.Test = 0, 0, 40
	w := generate(t, cfg)
	grid := SampleGrid(w.Test, 4, 2)
	// 32-pixel images are upscaled 6x to 192-pixel cells.
	if got, want := grid.Bounds().Dx(), 2*192+3*viz.GridGap; got != want {
		t.Errorf("grid width %d, want %d", got, want)
	}
	// Pixel (x, y) of image 0 fills a 6x6 block from the top-left gap.
	for _, p := range [][2]int{{0, 0}, {16, 16}, {31, 20}} {
		src := w.Test.Images.Image(0)[(p[1]*32+p[0])*3:]
		c := grid.RGBAAt(viz.GridGap+p[0]*6+3, viz.GridGap+p[1]*6+3)
		if c.R != src[0] || c.G != src[1] || c.B != src[2] {
			t.Errorf("grid pixel of image pixel %v = %v, want %v", p, c, src[:3])
		}
	}
	// A held-out image's caption is written in red.
	idx := w.Test.HeldOutIndices()
	if len(idx) == 0 {
		t.Fatal("no held-out image among 40 test images")
	}
	g := SampleGrid(w.Test, idx[0]+1, idx[0]+1)
	x0 := viz.GridGap + idx[0]*(192+viz.GridGap)
	red := false
	for y := viz.GridGap + 192; y < g.Bounds().Dy(); y++ {
		for x := x0; x < x0+192; x++ {
			red = red || g.RGBAAt(x, y) == heldOutCaption
		}
	}
	if !red {
		t.Error("no red caption pixel under the held-out image")
	}
	if empty := SampleGrid(w.Test, -1, 3); empty == nil {
		t.Error("SampleGrid with n < 0 returned nil")
	}
}
