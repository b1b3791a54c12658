package shapeworld

import (
	"math"
	"math/rand/v2"
)

// Object radii, in units of the image size. A grid cell is 1/3 wide, so a large object
// (diameter 0.31) nearly fills its cell and two objects in different cells never touch.
const (
	smallRadius = 0.10
	largeRadius = 0.155
)

// relationMargin is how far apart (in image units) two centres must be along an axis for
// "left of" / "above" to hold: half a grid cell.
const relationMargin = 1.0 / 6

// generator makes scenes; one per goroutine, reseeded for every image.
type generator struct {
	cfg     Config
	pcg     *rand.PCG
	rng     *rand.Rand
	allowed []int // classes an object may have in this split
	heldOut *[NumClasses]bool
	train   bool
}

func newGenerator(w *World, train bool) *generator {
	pcg := rand.NewPCG(0, 0)
	g := &generator{cfg: w.Config, pcg: pcg, rng: rand.New(pcg), heldOut: &w.heldOut, train: train}
	for c := range NumClasses {
		if !train || !w.heldOut[c] {
			g.allowed = append(g.allowed, c)
		}
	}
	return g
}

// reset seeds the generator for image i of a split, so that the image does not depend
// on which goroutine makes it.
func (g *generator) reset(seed uint64, split, i int) {
	g.pcg.Seed(seed*0x9e3779b97f4a7c15+uint64(split), uint64(i))
}

// scene draws a random scene and writes its captions and questions.
func (g *generator) scene() Scene {
	n := 1 + g.rng.IntN(g.cfg.MaxObjects)
	overlap := n >= 2 && g.rng.Float64() < g.cfg.OverlapRate
	objs := make([]Object, 0, n)
	var usedCells [9]bool
	for k := range n {
		o := g.object(objs)
		if k == 1 && overlap {
			g.placeOver(&o, objs[0])
		} else {
			g.placeInFreeCell(&o, &usedCells)
		}
		usedCells[o.Cell()] = true
		objs = append(objs, o)
	}
	sc := Scene{Objects: objs, Overlap: overlap}
	for _, o := range objs {
		if g.heldOut[o.Class()] {
			sc.HeldOut = true
		}
	}
	sc.Captions = g.captions(objs)
	sc.QA = g.questions(objs)
	return sc
}

// object draws a colour-shape pair not yet in the scene (so that "the red circle" always
// names one object), a size and a jittered colour.
func (g *generator) object(others []Object) Object {
	var class int
	for {
		class = g.allowed[g.rng.IntN(len(g.allowed))]
		dup := false
		for _, o := range others {
			dup = dup || o.Class() == class
		}
		if !dup {
			break
		}
	}
	c, s := ClassOf(class)
	o := Object{Shape: s, Colour: c, Large: g.rng.IntN(2) == 0, R: smallRadius}
	if o.Large {
		o.R = largeRadius
	}
	j := g.cfg.ColourJitter
	for ch := range 3 {
		o.RGB[ch] = clamp8(int(ColourRGB[c][ch]) + g.rng.IntN(2*j+1) - j)
	}
	return o
}

// placeInFreeCell puts o in a random unused grid cell, jittered so that it stays inside.
func (g *generator) placeInFreeCell(o *Object, used *[9]bool) {
	var free [9]int
	nf := 0
	for c, u := range used {
		if !u {
			free[nf] = c
			nf++
		}
	}
	cell := free[g.rng.IntN(nf)]
	room := 0.6 * max(1.0/6-o.R, 0)
	o.X = (float64(cell%3)+0.5)/3 + room*(2*g.rng.Float64()-1)
	o.Y = (float64(cell/3)+0.5)/3 + room*(2*g.rng.Float64()-1)
}

// placeOver puts o partly over base: centres 50-80% of the sum of radii apart, so that
// both stay recognisable.
func (g *generator) placeOver(o *Object, base Object) {
	a := 2 * math.Pi * g.rng.Float64()
	d := (base.R + o.R) * (0.5 + 0.3*g.rng.Float64())
	o.X = min(max(base.X+d*math.Cos(a), o.R), 1-o.R)
	o.Y = min(max(base.Y+d*math.Sin(a), o.R), 1-o.R)
}

// Relation is how object a lies relative to object b.
type Relation int

// Relations, from a to b ("a is left of b").
const (
	NoRelation Relation = iota // centres closer than relationMargin on both axes
	LeftOf
	RightOf
	Above
	Below
)

// relationPhrases are the caption phrases of the relations.
var relationPhrases = [...]string{"next to", "to the left of", "to the right of", "above", "below"}

// RelationNames are the words of relation phrases and questions that the image decides
// (the rest, "to", "the", "of", a caption's grammar tells): the candidates for masking
// when a model must learn where objects lie relative to each other.
var RelationNames = [...]string{"next", "left", "right", "above", "below", "overlapping"}

// relationWords are the relation words of yes/no questions.
var relationWords = [...]string{"", "left of", "right of", "above", "below"}

// opposite returns the relation of b to a.
func (r Relation) opposite() Relation {
	return [...]Relation{NoRelation, RightOf, LeftOf, Below, Above}[r]
}

// Holds tells whether relation r holds from a to b: the centres are more than half a
// grid cell apart along the relation's axis, in its direction.
func (r Relation) Holds(a, b Object) bool {
	switch r {
	case LeftOf:
		return b.X-a.X > relationMargin
	case RightOf:
		return a.X-b.X > relationMargin
	case Above:
		return b.Y-a.Y > relationMargin
	case Below:
		return a.Y-b.Y > relationMargin
	}
	return false
}

// DominantRelation returns the relation of a to b along the axis on which their centres
// are further apart, or NoRelation when they are within the margin on both axes.
func DominantRelation(a, b Object) Relation {
	dx, dy := b.X-a.X, b.Y-a.Y
	if math.Abs(dx) >= math.Abs(dy) {
		switch {
		case dx > relationMargin:
			return LeftOf
		case -dx > relationMargin:
			return RightOf
		}
	}
	switch {
	case dy > relationMargin:
		return Above
	case -dy > relationMargin:
		return Below
	}
	return NoRelation
}

// Overlapping tells whether two objects' circles overlap by more than a tenth of their
// radii (their drawn outlines then cross or touch).
func Overlapping(a, b Object) bool {
	return math.Hypot(a.X-b.X, a.Y-b.Y) < 0.9*(a.R+b.R)
}
