package pairs

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets/shapeworld"
)

// scene builds a scene of "colour shape" objects.
func fusionScene(t *testing.T, names ...string) shapeworld.Scene {
	t.Helper()
	var sc shapeworld.Scene
	for _, n := range names {
		c, err := shapeworld.ParseClass(n)
		if err != nil {
			t.Fatal(err)
		}
		col, sh := shapeworld.ClassOf(c)
		sc.Objects = append(sc.Objects, shapeworld.Object{Colour: col, Shape: sh})
	}
	return sc
}

// TestSwapAttribute: the swapped caption differs in exactly one word, that word is a
// colour or a shape of a pair the scene does not have, punctuation stays, and
// forbidden pairs are never produced.
func TestSwapAttribute(t *testing.T) {
	sc := fusionScene(t, "red circle", "blue star")
	forbidden := func(class int) bool { c, _ := shapeworld.ParseClass("red star"); return class == c }
	caption := "two shapes: a red circle, a blue star"
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		got, ok := SwapAttribute(rng, caption, sc, forbidden)
		if !ok {
			t.Fatalf("seed %d: no swap for %q", seed, caption)
		}
		a, b := strings.Split(caption, " "), strings.Split(got, " ")
		if len(a) != len(b) {
			t.Fatalf("%q -> %q: word count changed", caption, got)
		}
		changed := -1
		for i := range a {
			if a[i] != b[i] {
				if changed >= 0 {
					t.Fatalf("%q -> %q: more than one word changed", caption, got)
				}
				changed = i
			}
		}
		if changed < 0 || !strings.HasSuffix(b[4], ",") {
			t.Fatalf("%q -> %q: want one word changed and the comma kept", caption, got)
		}
		// The changed word and its partner form the new pair: colour at the even index
		// (2 or 5 after "two shapes: a"), shape after it.
		first := changed
		if _, isShape := shapeWords[strings.TrimRight(b[changed], ",")]; isShape {
			first--
		}
		pair := b[first] + " " + strings.TrimRight(b[first+1], ",")
		class, err := shapeworld.ParseClass(pair)
		if err != nil {
			t.Fatalf("%q -> %q: changed pair %q: %v", caption, got, pair, err)
		}
		for _, bad := range []string{"red circle", "blue star", "red star"} {
			if c, _ := shapeworld.ParseClass(bad); c == class {
				t.Fatalf("%q -> %q names %q (present or forbidden)", caption, got, bad)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	if got, ok := SwapAttribute(rng, "the star is blue", sc, nil); ok {
		t.Errorf("caption without a colour-shape pair swapped to %q", got)
	}
}

// TestMatchSource: batches are a pure function of the step, labels are 0/1 with about
// half positives, and no training caption names a held-out pair.
func TestMatchSource(t *testing.T) {
	d := loadShapes(t, 256, 32, 32, 16)
	src := NewMatchSource(d.Train, d.Tok, 64, 3, d.World.IsHeldOut)
	positives := 0
	for step := range 4 {
		in, labels, err := src.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		again, _, _ := src.Batch(step)
		a, b := tensors.MustCopyFlatData[int32](in[1]), tensors.MustCopyFlatData[int32](again[1])
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("step %d: Batch differs between calls", step)
			}
		}
		for _, y := range tensors.MustCopyFlatData[float32](labels[0]) {
			if y != 0 && y != 1 {
				t.Fatalf("label %v", y)
			}
			positives += int(y)
		}
		for i := range 64 {
			words := d.Tok.Decode(a[i*d.Tok.MaxLen() : (i+1)*d.Tok.MaxLen()])
			for _, h := range shapeworld.DefaultHeldOut {
				if strings.Contains(words, h) {
					t.Fatalf("training caption %q names held-out %q", words, h)
				}
			}
		}
	}
	if positives < 96 || positives > 160 {
		t.Errorf("%d positives in 256 examples, want about half", positives)
	}
	ex, err := MatchEvalSet(d.Val, 32, 1)
	if err != nil || len(ex) != 128 {
		t.Fatalf("eval set: %d examples, %v", len(ex), err)
	}
	for k, e := range ex {
		if want := []MatchKind{MatchPositive, MatchPositive}; k%4 < 2 && e.Kind != want[k%4] {
			t.Errorf("example %d kind %v, want positive", k, e.Kind)
		}
		if e.Kind != MatchPositive && e.Label() != 0 {
			t.Errorf("negative example %d has label %v", k, e.Label())
		}
	}
}
