package shapeworld

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func pixel(pix []uint8, size, x, y int) [3]uint8 {
	o := (y*size + x) * 3
	return [3]uint8{pix[o], pix[o+1], pix[o+2]}
}

// covered counts the pixels that differ from the background.
func covered(pix []uint8, bg [3]uint8) int {
	n := 0
	for i := 0; i < len(pix); i += 3 {
		if pix[i] != bg[0] || pix[i+1] != bg[1] || pix[i+2] != bg[2] {
			n++
		}
	}
	return n
}

func TestRenderPixels(t *testing.T) {
	const size = 64
	bg := [3]uint8{10, 20, 30}
	red := ColourRGB[Red]
	for s := range Shape(NumShapes) {
		o := Object{Shape: s, Colour: Red, Large: true, X: 0.5, Y: 0.5, R: largeRadius, RGB: red}
		pix := Render([]Object{o}, size, bg)
		if got := pixel(pix, size, 32, 32); got != red {
			t.Errorf("%s: centre pixel %v, want %v", s, got, red)
		}
		for _, p := range [][2]int{{0, 0}, {63, 63}, {32, 5}, {5, 32}, {32, 58}, {58, 32}} {
			if got := pixel(pix, size, p[0], p[1]); got != bg {
				t.Errorf("%s: pixel %v = %v, want background %v", s, p, got, bg)
			}
		}
		// Anti-aliasing: some pixels lie strictly between the two colours.
		mixed := false
		for i := 0; i < len(pix); i += 3 {
			mixed = mixed || (pix[i] > bg[0] && pix[i] < red[0])
		}
		if !mixed {
			t.Errorf("%s: no anti-aliased edge pixel", s)
		}
	}
	if Render(nil, 0, bg) != nil || covered(Render([]Object{{Shape: Shape(99), X: 0.5, Y: 0.5, R: 0.2}}, 8, bg), bg) != 0 {
		t.Error("Render of a bad size or shape drew something")
	}
	// A circle of radius 0.9*R covers about pi*(0.9*R*size)^2 pixels.
	circle := Render([]Object{{Shape: Circle, X: 0.5, Y: 0.5, R: largeRadius, RGB: red}}, size, bg)
	want := 3.14159 * (0.9 * largeRadius * size) * (0.9 * largeRadius * size)
	if got := float64(covered(circle, bg)); got < want || got > want*1.25 {
		t.Errorf("circle covers %.0f pixels (edge included), want about %.0f", got, want)
	}
	// Shape geometry: the square fills its corner region, the circle does not.
	sq := Render([]Object{{Shape: Square, X: 0.5, Y: 0.5, R: largeRadius, RGB: red}}, size, bg)
	if c := pixel(sq, size, 32+6, 32+6); c != red {
		t.Errorf("square corner region pixel %v, want red", c)
	}
	if c := pixel(circle, size, 32+7, 32+7); c != bg {
		t.Errorf("circle corner region pixel %v, want background", c)
	}
}

func TestSizes(t *testing.T) {
	bg := [3]uint8{0, 0, 0}
	for s := range Shape(NumShapes) {
		small := covered(Render([]Object{{Shape: s, X: 0.5, Y: 0.5, R: smallRadius, RGB: [3]uint8{200, 200, 200}}}, 64, bg), bg)
		large := covered(Render([]Object{{Shape: s, X: 0.5, Y: 0.5, R: largeRadius, RGB: [3]uint8{200, 200, 200}}}, 64, bg), bg)
		// Area scales with R^2 = 2.4x; edge pixels pull the ratio down a little.
		if r := float64(large) / float64(small); r < 1.8 || r > 2.6 {
			t.Errorf("%s: large/small area %d/%d = %.2f, want about 2.4", s, large, small, r)
		}
	}
}

func TestGeneratedPixels(t *testing.T) {
	cfg := smallConfig()
	cfg.Size, cfg.Train, cfg.Val, cfg.Test = 64, 300, 0, 0
	w := generate(t, cfg)
	for i, sc := range w.Train.Scenes {
		// The main object is drawn last, so its centre pixel is its own colour.
		m := sc.Objects[0]
		if got := pixel(w.Train.Images.Image(i), 64, int(m.X*64), int(m.Y*64)); got != m.RGB {
			t.Fatalf("image %d: pixel at the centre of the %s is %v, want %v", i, m.Name(), got, m.RGB)
		}
		// The jittered colour stays nearest its nominal colour among the named ones.
		best, bestD := -1, 1<<30
		for c, rgb := range ColourRGB {
			d := 0
			for ch := range 3 {
				d += (int(rgb[ch]) - int(m.RGB[ch])) * (int(rgb[ch]) - int(m.RGB[ch]))
			}
			if d < bestD {
				best, bestD = c, d
			}
		}
		if Colour(best) != m.Colour {
			t.Fatalf("image %d: %s drawn with %v, nearer to %s", i, m.Name(), m.RGB, Colour(best))
		}
	}
}

func TestRelationsHandBuilt(t *testing.T) {
	left := Object{Shape: Circle, Colour: Red, X: 1.0 / 6, Y: 0.5, R: smallRadius}
	right := Object{Shape: Square, Colour: Blue, X: 5.0 / 6, Y: 0.55, R: smallRadius}
	top := Object{Shape: Star, Colour: Green, X: 0.4, Y: 1.0 / 6, R: largeRadius}
	bottomRight := Object{Shape: Cross, Colour: White, X: 0.8, Y: 0.8, R: largeRadius}
	near := Object{Shape: Hexagon, Colour: Cyan, X: 0.4 + 0.15, Y: 1.0/6 + 0.1, R: largeRadius}
	for _, tc := range []struct {
		a, b Object
		want Relation
	}{
		{left, right, LeftOf}, {right, left, RightOf}, {top, left, Above}, {left, top, Below},
		{bottomRight, top, Below}, {top, near, NoRelation},
		// Diagonal: both axes hold; the dominant one (x: 0.63 vs y: 0.3) names it.
		{left, bottomRight, LeftOf},
	} {
		if got := DominantRelation(tc.a, tc.b); got != tc.want {
			t.Errorf("DominantRelation(%s, %s) = %s, want %s", tc.a.Name(), tc.b.Name(), relationWords[got], relationWords[tc.want])
		}
	}
	if !Above.Holds(top, bottomRight) || !LeftOf.Holds(left, bottomRight) || Above.Holds(left, right) || LeftOf.Holds(right, left) {
		t.Error("Holds disagrees with the hand-built positions")
	}
	if !Overlapping(top, near) || Overlapping(left, right) {
		t.Error("Overlapping disagrees with the hand-built positions")
	}
	if left.Cell() != 3 || right.Cell() != 5 || top.Cell() != 1 || bottomRight.Cell() != 8 {
		t.Errorf("cells %d %d %d %d, want 3 5 1 8", left.Cell(), right.Cell(), top.Cell(), bottomRight.Cell())
	}

	// Captions and questions of the hand-built scene [left, right, top].
	g := &generator{cfg: DefaultConfig(), heldOut: &[NumClasses]bool{}}
	g.pcg = rand.NewPCG(1, 2)
	g.rng = rand.New(g.pcg)
	for c := range NumClasses {
		g.allowed = append(g.allowed, c)
	}
	objs := []Object{left, right, top}
	caps := g.captions(objs)
	if !strings.Contains(caps[1], "red circle to the left of a") || !strings.Contains(caps[1], "blue square") {
		t.Errorf("relation caption %q", caps[1])
	}
	if !strings.HasPrefix(caps[2], "three ") && !strings.HasPrefix(caps[2], "an image with") {
		t.Errorf("count caption %q", caps[2])
	}
	if caps[4] != "a red circle on the left, a blue square on the right and a green star at the top" {
		t.Errorf("position caption %q", caps[4])
	}
	if caps[5] != "red circle, blue square and green star" {
		t.Errorf("bare caption %q", caps[5])
	}
	for _, q := range g.questions(objs) {
		if q.Kind == CountQ && q.Answer != "three" {
			t.Errorf("%q -> %q, want three", q.Question, q.Answer)
		}
		if got, err := answer(objs, q); err != nil || got != q.Answer {
			t.Errorf("%q -> %q, want %q (%v)", q.Question, q.Answer, got, err)
		}
	}
}
