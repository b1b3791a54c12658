package weights

import (
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/pyref"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
)

// testdata returns the path of a file in this package's testdata.
func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// pyScript runs a testdata script the way pyref.Run runs inline code.
func pyScript(name string) string {
	return "import runpy, sys; sys.argv = [" + quote(testdata(name)) + "]; runpy.run_path(sys.argv[0], run_name='__main__')"
}

func quote(s string) string { return "'" + s + "'" }

type vitRefArgs struct {
	Dir     string      `json:"dir"`
	Layout  string      `json:"layout"`
	Image   int         `json:"image"`
	Patch   int         `json:"patch"`
	Depth   int         `json:"depth"`
	Heads   int         `json:"heads"`
	Dim     int         `json:"dim"`
	MLP     int         `json:"mlp"`
	Classes int         `json:"classes"`
	DType   string      `json:"dtype"`
	Images  [][]float32 `json:"images"`
	Seed    int         `json:"seed"`
}

type vitRefOut struct {
	Logits    []float64 `json:"logits"`
	PreLogits []float64 `json:"pre_logits"`
}

func randomImages(n, side int, seed uint64) [][]float32 { return randomImagesC(n, side, 3, seed) }

func tensorShape(n, side, channels int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, side, side, channels)
}

// runViT runs a loaded ViT on images [n][H*W*3] and returns logits (or pre-logits
// for a model without head) and pre-logits, flattened.
func runViT(t *testing.T, m *Model, images [][]float32) (logits, pre []float32) {
	t.Helper()
	cfg := m.ViT
	flat := make([]float32, 0, len(images)*len(images[0]))
	for _, im := range images {
		flat = append(flat, im...)
	}
	x := tensors.FromFlatDataAndDimensions(flat, len(images), cfg.Image, cfg.Image, cfg.Channels)
	out := testbackend.Run(t, m.Store, func(scope *model.Scope, x *Node) []*Node {
		o := vit.Build(scope, cfg, x)
		if o.Logits == nil {
			return []*Node{o.PreLogits, o.PreLogits}
		}
		return []*Node{o.Logits, o.PreLogits}
	}, x)
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
}

// maxRelErr is max |got - want| / max(max |want|, 1e-6): the error relative to the
// scale of the reference output.
func maxRelErr(got []float32, want []float64) float64 {
	var scale, worst float64
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	scale = max(scale, 1e-6)
	for i, w := range want {
		worst = max(worst, math.Abs(float64(got[i])-w)/scale)
	}
	return worst
}

// TestViTLayoutsMatchTorch writes torchvision's ViT with random weights in each ViT
// layout, loads it and compares the outputs with PyTorch's on the same images.
func TestViTLayoutsMatchTorch(t *testing.T) {
	pyref.Require(t, "torch", "torchvision")
	cases := []struct {
		layout, dtype string
		want          Layout
		check         func(t *testing.T, cfg vit.Config)
	}{
		{"hf", "F32", LayoutHFViT, func(t *testing.T, c vit.Config) {
			if c.Pool != vit.PoolCLS || c.Classes != 5 || c.LayerNormEpsilon != 1e-6 {
				t.Errorf("config %+v", c)
			}
		}},
		{"hf-model", "F32", LayoutHFViT, func(t *testing.T, c vit.Config) {
			if !c.Pooler || c.Classes != 0 {
				t.Errorf("ViTModel: pooler %v, classes %d; want pooler and no head", c.Pooler, c.Classes)
			}
		}},
		{"timm-token", "F32", LayoutTimmViT, func(t *testing.T, c vit.Config) {
			if c.Pool != vit.PoolCLS || c.NormPooled {
				t.Errorf("config %+v", c)
			}
		}},
		{"timm-avg", "F32", LayoutTimmViT, func(t *testing.T, c vit.Config) {
			if c.Pool != vit.PoolGAP || !c.ClassToken || !c.NormPooled {
				t.Errorf("timm avg: pool %s, class token %v, fc_norm %v; want gap, true, true", c.Pool, c.ClassToken, c.NormPooled)
			}
		}},
		{"hf", "F16", LayoutHFViT, nil},
		{"timm-token", "BF16", LayoutTimmViT, nil},
	}
	images := randomImages(3, 16, 7)
	args := make([]vitRefArgs, len(cases))
	for i, c := range cases {
		args[i] = vitRefArgs{Dir: t.TempDir(), Layout: c.layout, Image: 16, Patch: 4, Depth: 2, Heads: 2, Dim: 16,
			MLP: 32, Classes: 5, DType: c.dtype, Images: images, Seed: 3 + i}
	}
	var refs []vitRefOut
	pyref.Run(t, pyScript("vit_ref.py"), args, &refs)
	for i, c := range cases {
		t.Run(c.layout+"-"+c.dtype, func(t *testing.T) {
			ref := refs[i]
			m, err := Load(args[i].Dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Layout != c.want || m.Kind != KindViT {
				t.Fatalf("layout %s kind %s, want %s vit", m.Layout, m.Kind, c.want)
			}
			if c.check != nil {
				c.check(t, m.ViT)
			}
			logits, pre := runViT(t, m, images)
			if e := maxRelErr(logits, ref.Logits); e > 1e-4 {
				t.Errorf("logits: max relative error %.2g, want <= 1e-4", e)
			}
			if e := maxRelErr(pre, ref.PreLogits); e > 1e-4 {
				t.Errorf("pre-logits: max relative error %.2g, want <= 1e-4", e)
			}
			t.Logf("%s %s: logits max relative error %.2g", c.layout, c.dtype, maxRelErr(logits, ref.Logits))
		})
	}
}
