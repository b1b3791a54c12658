package crossattn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

var smallCfg = Config{Dim: 8, Heads: 2, Dropout: 0.1}

// TestVersionShapes runs every version on one token per modality (the chapter's
// matching model) and on 4 image tokens against 3 text tokens with padding: outputs
// keep the input shapes, are finite, and neither the image outputs nor the text outputs
// at real positions depend on what the padded text token holds.
func TestVersionShapes(t *testing.T) {
	const b = 2
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range Names() {
		for _, tc := range []struct{ ni, nt int }{{1, 1}, {4, 3}} {
			if name == "v7_upstream" && tc.ni != tc.nt {
				continue // TestV7UpstreamNeedsEqualLengths.
			}
			img := randMatrix(rng, b*tc.ni*smallCfg.Dim)
			txt := randMatrix(rng, b*tc.nt*smallCfg.Dim)
			mask := make([]int32, b*tc.nt)
			for i := range mask {
				mask[i] = 1
			}
			if tc.nt > 1 {
				mask[len(mask)-1] = 0 // the last text token of the second example is padding.
			}
			exec, err := model.NewExec(testBackend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
				i, t := Forward(scope.In("cross"), name, smallCfg, in[0], in[1], in[2])
				return []*Node{i, t}
			})
			if err != nil {
				t.Fatal(err)
			}
			call := func(txt []float32) (imgOut, txtOut []float64) {
				out, err := exec.Exec(tensors.FromFlatDataAndDimensions(imgCopy(img), b, tc.ni, smallCfg.Dim),
					tensors.FromFlatDataAndDimensions(txt, b, tc.nt, smallCfg.Dim),
					tensors.FromFlatDataAndDimensions(mask, b, tc.nt))
				if err != nil {
					t.Fatalf("%s %v: %v", name, tc, err)
				}
				if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{b, tc.ni, smallCfg.Dim}) {
					t.Fatalf("%s %v: image output %v", name, tc, got)
				}
				if got := out[1].Shape().Dimensions; !slices.Equal(got, []int{b, tc.nt, smallCfg.Dim}) {
					t.Fatalf("%s %v: text output %v", name, tc, got)
				}
				return flat(t, out[0]), flat(t, out[1])
			}
			i1, t1 := call(txt)
			for _, v := range append(slices.Clone(i1), t1...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s %v: non-finite output", name, tc)
				}
			}
			if tc.nt == 1 {
				exec.Finalize()
				continue
			}
			changed := slices.Clone(txt)
			for k := len(changed) - smallCfg.Dim; k < len(changed); k++ {
				changed[k] = 100 // the padded token.
			}
			i2, t2 := call(changed)
			exec.Finalize()
			assertClose(t, name+": image outputs with other padding", i2, i1, 1e-5)
			real := len(t1) - smallCfg.Dim
			assertClose(t, name+": real text outputs with other padding", t2[:real], t1[:real], 1e-5)
		}
	}
}

func imgCopy(x []float32) []float32 { return slices.Clone(x) }

func TestV7UpstreamNeedsEqualLengths(t *testing.T) {
	exec, err := model.NewExec(testBackend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
		i, t := Forward(scope, "v7_upstream", smallCfg, in[0], in[1], nil)
		return []*Node{i, t}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	_, err = exec.Exec(tensors.FromShape(shapeF32(2, 3, 8)), tensors.FromShape(shapeF32(2, 2, 8)))
	if err == nil || !strings.Contains(err.Error(), "as many image as text tokens") {
		t.Fatalf("want an error about token counts, got %v", err)
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		cfg           Config
		img, txt      []int
		want          string
	}{
		{"unknown version", "v99", smallCfg, []int{2, 1, 8}, []int{2, 1, 8}, "unknown version"},
		{"wrong width", "v0", smallCfg, []int{2, 1, 6}, []int{2, 1, 8}, "features must be"},
		{"batch mismatch", "v0", smallCfg, []int{2, 1, 8}, []int{3, 1, 8}, "differ in batch size"},
		{"heads do not divide", "v8", Config{Dim: 8, Heads: 3}, []int{2, 1, 8}, []int{2, 1, 8}, "Heads 3"},
	} {
		exec, err := model.NewExec(testBackend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
			i, t := Forward(scope, tc.version, tc.cfg, in[0], in[1], nil)
			return []*Node{i, t}
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = exec.Exec(tensors.FromShape(shapeF32(tc.img...)), tensors.FromShape(shapeF32(tc.txt...)))
		exec.Finalize()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want error containing %q, got %v", tc.name, tc.want, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	names := Names()
	if !slices.Equal(names[:len(ChapterOrder)], ChapterOrder) || len(ChapterOrder) != 17 {
		t.Fatalf("Names() should start with the chapter's 17 versions in order, got %v", names)
	}
	if _, err := Get("nope"); err == nil || !strings.Contains(err.Error(), "v10_4") {
		t.Fatalf("Get of an unknown version should list the known ones, got %v", err)
	}
	if err := Register(Version{Name: "v0", Fn: v0}); err == nil {
		t.Fatal("Register accepted a duplicate name")
	}
	if err := Register(Version{Name: "x"}); err == nil {
		t.Fatal("Register accepted a version without a function")
	}
	for _, n := range names {
		v, _ := Get(n)
		if v.Name != n || v.Adds == "" || (v.Source != SourceCode && v.Source != SourceProse && v.Source != SourceReading) {
			t.Errorf("version %s: incomplete table entry %+v", n, v)
		}
	}
}
