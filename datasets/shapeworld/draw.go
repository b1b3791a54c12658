package shapeworld

import "math"

// unitPolygons holds the vertices of the polygonal shapes for radius 1, centred on the
// origin, y pointing down. Shapes fit in the circle of radius 1 (R of the object).
var unitPolygons = func() [NumShapes][][2]float64 {
	var p [NumShapes][][2]float64
	regular := func(n int, r, start, dy float64) [][2]float64 {
		v := make([][2]float64, n)
		for i := range v {
			a := start + 2*math.Pi*float64(i)/float64(n)
			v[i] = [2]float64{r * math.Cos(a), r*math.Sin(a) + dy}
		}
		return v
	}
	// Triangle pointing up, moved down a little so that it looks centred.
	p[Triangle] = regular(3, 1, -math.Pi/2, 0.15)
	p[Diamond] = regular(4, 1, -math.Pi/2, 0)
	p[Hexagon] = regular(6, 0.95, 0, 0)
	star := make([][2]float64, 10)
	for i := range star {
		r := 1.0
		if i%2 == 1 {
			r = 0.45
		}
		a := -math.Pi/2 + math.Pi*float64(i)/5
		star[i] = [2]float64{r * math.Cos(a), r*math.Sin(a) + 0.05}
	}
	p[Star] = star
	return p
}()

// sdf returns the signed distance from (x, y) (relative to the centre, in pixels) to
// the outline of a shape of radius r pixels: negative inside.
func sdf(s Shape, x, y, r float64) float64 {
	switch s {
	case Circle:
		return math.Hypot(x, y) - 0.9*r
	case Square:
		return sdBox(x, y, 0.72*r, 0.72*r)
	case Cross:
		return min(sdBox(x, y, 0.9*r, 0.3*r), sdBox(x, y, 0.3*r, 0.9*r))
	default:
		return r * sdPolygon(unitPolygons[s], x/r, y/r)
	}
}

// sdBox is the signed distance to an axis-aligned box of half sizes (hx, hy).
func sdBox(x, y, hx, hy float64) float64 {
	dx, dy := math.Abs(x)-hx, math.Abs(y)-hy
	return math.Hypot(max(dx, 0), max(dy, 0)) + min(max(dx, dy), 0)
}

// sdPolygon is the signed distance to a simple polygon (after Inigo Quilez): the
// distance to the nearest edge, negative when a ray crossing count says inside.
func sdPolygon(v [][2]float64, x, y float64) float64 {
	d := (x-v[0][0])*(x-v[0][0]) + (y-v[0][1])*(y-v[0][1])
	sign := 1.0
	for i, j := 0, len(v)-1; i < len(v); j, i = i, i+1 {
		ex, ey := v[j][0]-v[i][0], v[j][1]-v[i][1]
		wx, wy := x-v[i][0], y-v[i][1]
		t := min(max((wx*ex+wy*ey)/(ex*ex+ey*ey), 0), 1)
		bx, by := wx-ex*t, wy-ey*t
		d = min(d, bx*bx+by*by)
		c1, c2, c3 := y >= v[i][1], y < v[j][1], ex*wy > ey*wx
		if (c1 && c2 && c3) || (!c1 && !c2 && !c3) {
			sign = -sign
		}
	}
	return sign * math.Sqrt(d)
}

// drawBackground fills pix ([size, size, 3]) with a dark low-saturation base colour, a
// linear gradient and per-pixel noise.
func (g *generator) drawBackground(pix []uint8, size int) {
	base := 25 + g.rng.IntN(70)
	var rgb [3]float64
	for c := range rgb {
		rgb[c] = float64(base + g.rng.IntN(15) - 7)
	}
	// Gradient of up to ±8 levels along a random direction.
	a := g.rng.Float64() * 2 * math.Pi
	amp := 16 * g.rng.Float64() / float64(size)
	gx, gy := amp*math.Cos(a), amp*math.Sin(a)
	noise := g.cfg.Noise
	span := uint64(2*noise + 1)
	state := g.rng.Uint64() | 1
	half := float64(size) / 2
	for y := range size {
		rowShade := gy * (float64(y) - half)
		for x := range size {
			shade := gx*(float64(x)-half) + rowShade
			o := (y*size + x) * 3
			// xorshift64: a cheap deterministic noise stream per image; each of the
			// three channels takes 21 of its bits, scaled to [0, span) without a division.
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			bits := state
			for c := range 3 {
				v := int(rgb[c] + shade + 0.5)
				if noise > 0 {
					v += int(((bits&0x1fffff)*span)>>21) - noise
					bits >>= 21
				}
				pix[o+c] = clamp8(v)
			}
		}
	}
}

// drawObject blends one anti-aliased object into pix ([size, size, 3]); the coverage of
// a pixel is its centre's signed distance mapped to [0, 1] over one pixel.
func drawObject(pix []uint8, size int, o Object) {
	if o.Shape < 0 || int(o.Shape) >= NumShapes {
		return // not a shape of this world: nothing to draw
	}
	s := float64(size)
	cx, cy, r := o.X*s, o.Y*s, o.R*s
	x0, x1 := max(int(cx-r-1), 0), min(int(cx+r+2), size)
	y0, y1 := max(int(cy-r-1), 0), min(int(cy+r+2), size)
	col := [3]float64{float64(o.RGB[0]), float64(o.RGB[1]), float64(o.RGB[2])}
	for y := y0; y < y1; y++ {
		py := float64(y) + 0.5 - cy
		for x := x0; x < x1; x++ {
			cover := 0.5 - sdf(o.Shape, float64(x)+0.5-cx, py, r)
			if cover <= 0 {
				continue
			}
			cover = min(cover, 1)
			p := pix[(y*size+x)*3:]
			for c := range 3 {
				p[c] = uint8(float64(p[c])*(1-cover) + col[c]*cover + 0.5)
			}
		}
	}
}

// draw renders a scene: background, then the objects from last to first, so that the
// main object Objects[0] is on top.
func (g *generator) draw(objs []Object, pix []uint8) {
	size := g.cfg.Size
	g.drawBackground(pix, size)
	for i := len(objs) - 1; i >= 0; i-- {
		drawObject(pix, size, objs[i])
	}
}

// Render draws objects on a plain background of the given colour into a new
// [size, size, 3] image; tests and custom scenes use it. A size below 1 gives nil.
func Render(objs []Object, size int, background [3]uint8) []uint8 {
	if size < 1 {
		return nil
	}
	pix := make([]uint8, size*size*3)
	for i := 0; i < len(pix); i += 3 {
		copy(pix[i:i+3], background[:])
	}
	for i := len(objs) - 1; i >= 0; i-- {
		drawObject(pix, size, objs[i])
	}
	return pix
}

func clamp8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}
