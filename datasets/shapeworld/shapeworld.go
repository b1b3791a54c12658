// Package shapeworld generates a captioned world of coloured shapes: the embedded default
// dataset of mmdna, made from a seed with no files.
//
// Each RGB image (32x32 by default, Config.Size for 64x64 and more) shows one to three
// objects on a lightly textured background (a dark, low-saturation base colour, a soft
// gradient and per-pixel noise). An object has a shape (circle, square, triangle, star,
// cross, diamond, hexagon), a colour (red, orange, yellow, green, cyan, blue, purple,
// white; red/orange, blue/purple and green/cyan are close on purpose), a size (small or
// large) and a place on a 3x3 grid (row top/middle/bottom, column left/center/right;
// PositionNames are the answer words: "top left", "top", ..., "center", ...).
// Shapes are drawn anti-aliased from their signed distance functions. Objects sit in
// different grid cells, except in the share Config.OverlapRate of scenes with two or more
// objects, where the second object is pushed onto the first.
//
// Every scene comes with six captions from varied templates ("a red circle on the left",
// "a small blue square above a green triangle", "two shapes: ...") and question-answer
// pairs (count, presence with balanced yes/no, colour, shape, position, size, yes/no
// relations) whose answers come from the closed vocabulary Answers, for VQA as
// classification. Relations are computed from the objects' real centres. The label of an
// image is the colour-shape class of its main object (Objects[0], drawn last, so never
// hidden); ClassNames names the classes.
//
// Compositional hold-out: the colour-shape pairs of Config.HeldOut (by default red star,
// blue circle, green triangle, yellow square, purple cross) appear in no object of any
// train image, and not in the text of train captions or questions either; val and test
// draw them like any other pair (about 1 test image in 6 holds one). Scene.HeldOut and
// Split.HeldOutIndices mark the images that do.
//
// Every image is a pure function of (seed, split, index), so generation runs on all
// cores and gives the same bytes for any number of goroutines.
//
// The sample grid of the docs is written by
//
//	go run ./datasets/shapeworld/cmd/samplegrid -size 64 -out docs/images/shapes_samples.png
package shapeworld

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/mmdna/mmdna/datasets"
)

// Mean and Std normalise shapes-world images per channel, on pixel/255: the images
// are mostly dark backgrounds, and these centre and scale them roughly (exactness does
// not matter to a learned first layer, consistency does).
var (
	Mean = [3]float32{0.25, 0.25, 0.25}
	Std  = [3]float32{0.25, 0.25, 0.25}
)

// Config sets the size of the world and how hard it is.
type Config struct {
	Seed uint64
	// Train, Val, Test are the numbers of images of the splits.
	Train, Val, Test int
	// Size is the height and width of the images in pixels, at least 16.
	Size int
	// MaxObjects is the largest number of objects in a scene, 1 to 3; the number is
	// drawn uniformly from 1..MaxObjects.
	MaxObjects int
	// OverlapRate is the probability that a scene with two or more objects puts its
	// second object over its first (a hard case: partial occlusion).
	OverlapRate float64
	// HeldOut lists "colour shape" pairs that never appear in the train split.
	HeldOut []string
	// Noise is the amplitude of the per-pixel background noise, in 0..255 levels.
	Noise int
	// ColourJitter is the largest per-channel deviation of an object's colour from its
	// nominal RGB value, in 0..255 levels.
	ColourJitter int
	// Workers is the number of goroutines; 0 means GOMAXPROCS. It does not change the
	// result.
	Workers int
}

// DefaultHeldOut are the default held-out pairs: one per core shape, each with a
// different colour, so that every held-out colour and shape is still seen in training.
var DefaultHeldOut = []string{"red star", "blue circle", "green triangle", "yellow square", "purple cross"}

// DefaultConfig is the 32x32 world with 20000/2000/2000 images.
func DefaultConfig() Config {
	return Config{Seed: 1, Train: 20000, Val: 2000, Test: 2000, Size: 32, MaxObjects: 3,
		OverlapRate: 0.2, HeldOut: DefaultHeldOut, Noise: 6, ColourJitter: 12}
}

// Object is one shape in a scene. Positions are in units of the image size, so a scene
// can be drawn at any resolution.
type Object struct {
	Shape  Shape
	Colour Colour
	Large  bool
	X, Y   float64 // centre, in [0, 1) of the image width and height (Y down)
	R      float64 // radius of the circumscribed circle, in units of the image size
	RGB    [3]uint8
}

// Class returns the object's colour-shape class.
func (o Object) Class() int { return Class(o.Colour, o.Shape) }

// Name returns "colour shape".
func (o Object) Name() string { return o.Colour.String() + " " + o.Shape.String() }

// SizeWord returns "small" or "large".
func (o Object) SizeWord() string {
	if o.Large {
		return "large"
	}
	return "small"
}

// Cell returns the object's 3x3 grid cell, row*3+col, from its centre.
func (o Object) Cell() int {
	col := min(int(o.X*3), 2)
	row := min(int(o.Y*3), 2)
	return max(row, 0)*3 + max(col, 0)
}

// Scene is what an image shows and says.
type Scene struct {
	Objects  []Object // Objects[0] is the main object (the label), drawn on top
	Captions []string
	QA       []QA
	Overlap  bool // the second object was placed over the first
	HeldOut  bool // an object has a held-out colour-shape pair
}

// Split is one of train, val and test.
type Split struct {
	Name   string
	Images *datasets.Images // [N, Size, Size, 3]; Labels = class of the main object
	Scenes []Scene          // [N]
}

// HeldOutIndices returns the indices of the images that contain a held-out pair.
func (s *Split) HeldOutIndices() []int {
	var idx []int
	for i, sc := range s.Scenes {
		if sc.HeldOut {
			idx = append(idx, i)
		}
	}
	return idx
}

// ShapeLabels returns the shape of each image's main object, [N], for a shape-only
// classifier (NumShapes classes).
func (s *Split) ShapeLabels() []int32 {
	l := make([]int32, len(s.Scenes))
	for i, sc := range s.Scenes {
		l[i] = int32(sc.Objects[0].Shape)
	}
	return l
}

// ColourLabels returns the colour of each image's main object, [N] (NumColours
// classes).
func (s *Split) ColourLabels() []int32 {
	l := make([]int32, len(s.Scenes))
	for i, sc := range s.Scenes {
		l[i] = int32(sc.Objects[0].Colour)
	}
	return l
}

// AllCaptions returns every caption of the split, image by image: the text to fit a
// tokenizer on (train split only, so that held-out pairs stay unseen).
func (s *Split) AllCaptions() []string {
	var c []string
	for _, sc := range s.Scenes {
		c = append(c, sc.Captions...)
	}
	return c
}

// World is a generated dataset.
type World struct {
	Config           Config
	Train, Val, Test *Split
	HeldOutClasses   []int // classes of Config.HeldOut
	heldOut          [NumClasses]bool
}

// IsHeldOut tells whether a colour-shape class is held out of training.
func (w *World) IsHeldOut(class int) bool {
	return class >= 0 && class < NumClasses && w.heldOut[class]
}

// Generate makes the three splits.
func Generate(cfg Config) (*World, error) {
	w := &World{Config: cfg}
	switch {
	case cfg.Train < 0 || cfg.Val < 0 || cfg.Test < 0:
		return nil, fmt.Errorf("shapes: split sizes %d/%d/%d: must not be negative", cfg.Train, cfg.Val, cfg.Test)
	case cfg.Size < 16:
		return nil, fmt.Errorf("shapes: Size %d: want at least 16", cfg.Size)
	case cfg.MaxObjects < 1 || cfg.MaxObjects > 3:
		return nil, fmt.Errorf("shapes: MaxObjects %d: want 1, 2 or 3", cfg.MaxObjects)
	case cfg.OverlapRate < 0 || cfg.OverlapRate > 1:
		return nil, fmt.Errorf("shapes: OverlapRate %g: want a probability in [0, 1]", cfg.OverlapRate)
	case cfg.Noise < 0 || cfg.Noise > 64 || cfg.ColourJitter < 0 || cfg.ColourJitter > 64:
		return nil, fmt.Errorf("shapes: Noise %d, ColourJitter %d: want 0..64", cfg.Noise, cfg.ColourJitter)
	}
	for _, name := range cfg.HeldOut {
		c, err := ParseClass(name)
		if err != nil {
			return nil, fmt.Errorf("shapes: HeldOut: %w", err)
		}
		if !w.heldOut[c] {
			w.heldOut[c] = true
			w.HeldOutClasses = append(w.HeldOutClasses, c)
		}
	}
	// Each colour and each shape must keep a training pair, or a scene could not be drawn.
	for c := range NumColours {
		for s := range NumShapes {
			if !w.heldOut[Class(Colour(c), Shape(s))] {
				goto ok
			}
		}
	}
	return nil, fmt.Errorf("shapes: HeldOut: every colour-shape pair is held out")
ok:
	w.Train = w.generateSplit("train", 0, cfg.Train)
	w.Val = w.generateSplit("val", 1, cfg.Val)
	w.Test = w.generateSplit("test", 2, cfg.Test)
	return w, nil
}

// generateSplit renders n scenes in parallel; scene i depends only on (seed, split, i).
func (w *World) generateSplit(name string, split, n int) *Split {
	cfg := w.Config
	size := cfg.Size
	img := &datasets.Images{Name: "shapes/" + name, N: n, H: size, W: size, C: 3,
		Pixels: make([]uint8, n*size*size*3), Labels: make([]int32, n), Classes: ClassNames()}
	s := &Split{Name: name, Images: img, Scenes: make([]Scene, n)}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const chunk = 64 // images per work item: large enough to amortise the channel
	items := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			g := newGenerator(w, split == 0)
			for start := range items {
				for i := start; i < min(start+chunk, n); i++ {
					g.reset(cfg.Seed, split, i)
					sc := g.scene()
					g.draw(sc.Objects, img.Image(i))
					s.Scenes[i] = sc
					img.Labels[i] = int32(sc.Objects[0].Class())
				}
			}
		})
	}
	for start := 0; start < n; start += chunk {
		items <- start
	}
	close(items)
	wg.Wait()
	return s
}
