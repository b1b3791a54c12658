package shapeworld

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// smallConfig is a world small enough for -short tests.
func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Train, cfg.Val, cfg.Test = 600, 100, 400
	return cfg
}

func generate(t testing.TB, cfg Config) *World {
	t.Helper()
	w, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func splits(w *World) []*Split { return []*Split{w.Train, w.Val, w.Test} }

func TestDeterminism(t *testing.T) {
	cfg := smallConfig()
	cfg.Workers = 1
	a := generate(t, cfg)
	cfg.Workers = 5
	b := generate(t, cfg)
	for i, sa := range splits(a) {
		sb := splits(b)[i]
		if !bytes.Equal(sa.Images.Pixels, sb.Images.Pixels) {
			t.Errorf("%s: pixels differ between 1 and 5 workers", sa.Name)
		}
		if !reflect.DeepEqual(sa.Scenes, sb.Scenes) || !reflect.DeepEqual(sa.Images.Labels, sb.Images.Labels) {
			t.Errorf("%s: scenes or labels differ between 1 and 5 workers", sa.Name)
		}
	}
	cfg.Seed++
	c := generate(t, cfg)
	if bytes.Equal(a.Train.Images.Pixels, c.Train.Images.Pixels) || reflect.DeepEqual(a.Train.Scenes[0].Captions, c.Train.Scenes[0].Captions) && reflect.DeepEqual(a.Train.Scenes[1].Captions, c.Train.Scenes[1].Captions) {
		t.Error("seeds 1 and 2 give the same train split")
	}
	if bytes.Equal(a.Train.Images.Image(0), a.Val.Images.Image(0)) {
		t.Error("image 0 of train and val are the same: splits share a seed")
	}
}

func TestSplitsAndLabels(t *testing.T) {
	w := generate(t, smallConfig())
	names := ClassNames()
	for _, s := range splits(w) {
		if err := s.Images.Validate(); err != nil {
			t.Fatal(err)
		}
		if s.Images.H != 32 || s.Images.W != 32 || s.Images.C != 3 || len(s.Scenes) != s.Images.N {
			t.Fatalf("%s: %dx%dx%d, %d scenes for %d images", s.Name, s.Images.H, s.Images.W, s.Images.C, len(s.Scenes), s.Images.N)
		}
		shapes, colours := s.ShapeLabels(), s.ColourLabels()
		if got := len(s.AllCaptions()); got != NumCaptions*s.Images.N {
			t.Fatalf("%s: %d captions for %d images", s.Name, got, s.Images.N)
		}
		counts := [4]int{}
		overlaps := 0
		for i, sc := range s.Scenes {
			m := sc.Objects[0]
			if int(s.Images.Labels[i]) != m.Class() || names[m.Class()] != m.Name() ||
				Class(Colour(colours[i]), Shape(shapes[i])) != m.Class() {
				t.Fatalf("%s[%d]: label %d (%s), main object %s", s.Name, i, s.Images.Labels[i], names[s.Images.Labels[i]], m.Name())
			}
			counts[len(sc.Objects)]++
			if sc.Overlap {
				overlaps++
			}
			seen := map[int]bool{}
			for j, o := range sc.Objects {
				if seen[o.Class()] {
					t.Fatalf("%s[%d]: %s twice", s.Name, i, o.Name())
				}
				seen[o.Class()] = true
				if o.X-o.R < -1e-9 || o.X+o.R > 1+1e-9 || o.Y-o.R < -1e-9 || o.Y+o.R > 1+1e-9 {
					t.Fatalf("%s[%d]: %s at (%.3f, %.3f) r %.3f leaves the image", s.Name, i, o.Name(), o.X, o.Y, o.R)
				}
				if want := map[bool]float64{false: smallRadius, true: largeRadius}[o.Large]; o.R != want {
					t.Fatalf("%s[%d]: %s %s has radius %g, want %g", s.Name, i, o.SizeWord(), o.Name(), o.R, want)
				}
				// Outside overlap scenes objects have cells of their own and do not touch.
				for _, p := range sc.Objects[:j] {
					if !sc.Overlap && (p.Cell() == o.Cell() || Overlapping(p, o)) {
						t.Fatalf("%s[%d]: %s and %s share cell %d or overlap in a scene without overlap", s.Name, i, p.Name(), o.Name(), o.Cell())
					}
				}
			}
			if sc.Overlap && !Overlapping(sc.Objects[0], sc.Objects[1]) {
				t.Fatalf("%s[%d]: overlap scene whose first two objects do not overlap", s.Name, i)
			}
		}
		// 1..3 objects drawn uniformly; overlap in ~20% of the scenes with 2 or 3.
		n := float64(s.Images.N)
		for k := 1; k <= 3; k++ {
			if f := float64(counts[k]) / n; f < 0.2 || f > 0.47 {
				t.Errorf("%s: %.2f of the scenes have %d objects, want about 1/3", s.Name, f, k)
			}
		}
		if f := float64(overlaps) / float64(counts[2]+counts[3]); f < 0.08 || f > 0.35 {
			t.Errorf("%s: overlap in %.2f of multi-object scenes, want about 0.2", s.Name, f)
		}
	}
}

func TestHeldOut(t *testing.T) {
	w := generate(t, smallConfig())
	if len(w.HeldOutClasses) != len(DefaultHeldOut) {
		t.Fatalf("HeldOutClasses = %v", w.HeldOutClasses)
	}
	for _, sc := range w.Train.Scenes {
		for _, o := range sc.Objects {
			if w.IsHeldOut(o.Class()) {
				t.Fatalf("train object %s is held out", o.Name())
			}
		}
		// Train text never names a held-out pair either (negative questions included).
		text := strings.Join(sc.Captions, "|")
		for _, q := range sc.QA {
			text += "|" + q.Question
		}
		for _, h := range DefaultHeldOut {
			if strings.Contains(text, h) {
				t.Fatalf("train text names held-out %q: %s", h, text)
			}
		}
	}
	for _, s := range []*Split{w.Val, w.Test} {
		present := map[int]bool{}
		idx := s.HeldOutIndices()
		marked := map[int]bool{}
		for _, i := range idx {
			marked[i] = true
		}
		for i, sc := range s.Scenes {
			has := false
			for _, o := range sc.Objects {
				if w.IsHeldOut(o.Class()) {
					has, present[o.Class()] = true, true
				}
			}
			if has != marked[i] || has != sc.HeldOut {
				t.Fatalf("%s[%d]: HeldOut flag %v, objects say %v", s.Name, i, sc.HeldOut, has)
			}
		}
		if s.Name == "test" && len(present) != len(DefaultHeldOut) {
			t.Errorf("test holds %d of the %d held-out pairs", len(present), len(DefaultHeldOut))
		}
		if len(idx) == 0 {
			t.Errorf("%s: no image with a held-out pair", s.Name)
		}
	}
}

func TestSingleObjectWorld(t *testing.T) {
	cfg := smallConfig()
	cfg.MaxObjects, cfg.HeldOut, cfg.Size = 1, nil, 64
	w := generate(t, cfg)
	for _, sc := range w.Test.Scenes {
		if len(sc.Objects) != 1 || sc.Overlap || sc.HeldOut {
			t.Fatalf("scene %+v in a one-object world without hold-out", sc)
		}
	}
	if w.Test.Images.H != 64 {
		t.Errorf("Size 64 gave %d", w.Test.Images.H)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Train = -1 }, "split sizes"},
		{func(c *Config) { c.Size = 8 }, "Size 8"},
		{func(c *Config) { c.MaxObjects = 4 }, "MaxObjects 4"},
		{func(c *Config) { c.MaxObjects = 0 }, "MaxObjects 0"},
		{func(c *Config) { c.OverlapRate = 1.5 }, "OverlapRate"},
		{func(c *Config) { c.Noise = -1 }, "Noise"},
		{func(c *Config) { c.HeldOut = []string{"red stars"} }, `"red stars"`},
		{func(c *Config) { c.HeldOut = ClassNames() }, "every colour-shape pair"},
	} {
		cfg := smallConfig()
		tc.edit(&cfg)
		_, err := Generate(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %v, want one line containing %q", err, tc.want)
		}
	}
}

func TestClassNames(t *testing.T) {
	names := ClassNames()
	if len(names) != NumClasses || names[0] != "red circle" || names[NumShapes+3] != "orange star" {
		t.Fatalf("ClassNames = %q", names)
	}
	for i, n := range names {
		c, err := ParseClass(n)
		if err != nil || c != i {
			t.Errorf("ParseClass(%q) = %d, %v, want %d", n, c, err, i)
		}
	}
}
