package weights

import (
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/pyref"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/vit"
)

// randomViT builds cfg's variables and fills every one (norms and head included) with
// random values, so that an export that drops or misplaces any of them changes the
// logits.
func randomViT(t *testing.T, cfg vit.Config, seed uint64) *Model {
	t.Helper()
	store := model.NewStore()
	x := tensors.FromShape(tensorShape(1, cfg.Image, cfg.Channels))
	testbackend.Run(t, store, func(scope *model.Scope, x *Node) *Node { return vit.Build(scope, cfg, x).Logits }, x)
	r := rand.New(rand.NewPCG(seed, 3))
	for v := range store.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		data := make([]float32, value.Shape().Size())
		for i := range data {
			data[i] = float32(r.NormFloat64() * 0.3)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, value.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	labels := make([]string, cfg.Classes)
	for i := range labels {
		labels[i] = string(rune('a' + i))
	}
	return &Model{Spec: Spec{Kind: KindViT, ViT: cfg, Labels: labels}, Store: store}
}

// TestExportReadByPyTorch exports a cls-pooled ViT (grey, as vit-fmnist) and two
// average-pooled ones, reads each with a PyTorch-only reader built from config.json,
// and compares the logits; each export also loads back into mmdna unchanged.
func TestExportReadByPyTorch(t *testing.T) {
	pyref.Require(t, "torch")
	base := vit.Config{Image: 8, Channels: 1, Patch: 4, Dim: 16, Depth: 2, Heads: 2, MLPDim: 32, Classes: 4}
	cls, gap, gapCLS := base, base, base
	cls.Pool = vit.PoolCLS
	gap.Pool, gap.Channels = vit.PoolGAP, 3
	gapCLS.Pool, gapCLS.ClassToken, gapCLS.NormPooled = vit.PoolGAP, true, true
	for i, c := range []struct {
		name string
		cfg  vit.Config
		want Layout
	}{{"cls", cls, LayoutHFViT}, {"gap", gap, LayoutTimmViT}, {"gap-cls-fcnorm", gapCLS, LayoutTimmViT}} {
		t.Run(c.name, func(t *testing.T) {
			m := randomViT(t, c.cfg, uint64(i))
			dir := t.TempDir()
			layout, err := Export(m, dir)
			if err != nil {
				t.Fatal(err)
			}
			if layout != c.want {
				t.Errorf("exported as %s, want %s", layout, c.want)
			}
			images := randomImagesC(2, c.cfg.Image, c.cfg.Channels, 5)
			want, _ := runViT(t, m, images)
			var ref struct {
				Logits []float64 `json:"logits"`
				Layout string    `json:"layout"`
			}
			pyref.Run(t, pyScript("pt_readers.py"), map[string]any{"dir": dir, "images": images,
				"image": c.cfg.Image, "channels": c.cfg.Channels}, &ref)
			if e := maxRelErr(want, ref.Logits); e > 1e-4 {
				t.Errorf("PyTorch reader's logits differ: max relative error %.2g", e)
			}
			back, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := runViT(t, back, images)
			if e := maxRelErr(got, toF64(want)); e > 1e-6 {
				t.Errorf("reloaded export: max relative error %.2g", e)
			}
			if strings.Join(back.Labels, ",") != strings.Join(m.Labels, ",") {
				t.Errorf("labels %v, want %v", back.Labels, m.Labels)
			}
		})
	}
}

func TestExportRefusals(t *testing.T) {
	cfg := vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 8, Depth: 1, Heads: 2, MLPDim: 16, Pool: vit.PoolCLS}
	m := &Model{Spec: Spec{Kind: KindViT, ViT: cfg}}
	if _, err := Export(m, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no classification head") {
		t.Errorf("head-less ViT: %v", err)
	}
	dir := tinyHFViT(t, nil, nil)
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Export(loaded, dir); err == nil || !strings.Contains(err.Error(), "already holds a model") {
		t.Errorf("export over a model: %v", err)
	}
}

func randomImagesC(n, side, channels int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, side*side*channels)
		for j := range out[i] {
			out[i][j] = float32(r.NormFloat64())
		}
	}
	return out
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
