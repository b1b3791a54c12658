package vit

import (
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// TestStem: a hybrid ViT (convolutional stem) keeps the token grid Image/Patch, puts
// the stem's variables under "stem", and its patch embedding reads the stem's feature
// map in raster order: with a stem that divides by the whole patch (patch 1 after it),
// the tokens equal Dense(stem features) + positions, computed apart from Embed.
func TestStem(t *testing.T) {
	cfg := tinyConfig(PoolGAP) // 8x8 images, patch 4: a 2x2 grid.
	cfg.Stem = []int{5, 6}     // 8 -> 4 -> 2: patch 1 after the stem.
	store := model.NewStore()
	vals := make([]float32, 2*8*8*3)
	for i := range vals {
		vals[i] = float32((i*37)%23) / 11
	}
	exec := model.MustNewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		o := Build(scope, cfg, x)
		// Apart: the stem over the same variables, then the patch embedding and positions.
		s := scope.WithInitializer(nn.XavierUniformInit(scope))
		feat := nn.ConvStages(s.ResetVisited().In("stem"), cfg.Stem, x) // [2, 2, 2, 6]
		tok := Reshape(feat, 2, 4, 6)
		w := s.ResetVisited().In("patch_embed").In("dense").GetVariable("weights").NodeValue(x.Graph())
		b := s.ResetVisited().In("patch_embed").In("dense").GetVariable("biases").NodeValue(x.Graph())
		pos := s.ResetVisited().In("pos_embed").GetVariable("embeddings")
		var p *Node
		if pos != nil {
			p = pos.NodeValue(x.Graph())
		}
		manual := Add(Einsum("bnc,cd->bnd", tok, w), Reshape(b, 1, 1, cfg.Dim))
		if p != nil {
			manual = Add(manual, Reshape(p, 1, 4, cfg.Dim))
		}
		return []*Node{o.Patches, o.Encoded, manual}
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(vals, 2, 8, 8, 3))
	if got := out[1].Shape().Dimensions; !slices.Equal(got, []int{2, 4, cfg.Dim}) {
		t.Fatalf("encoded %v, want [2 4 %d]", got, cfg.Dim)
	}
	var stemVars int
	var posName string
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/stem/stage_01/") {
			stemVars++
		}
		if strings.HasPrefix(v.Path(), "/pos_embed/") {
			posName = v.Path()
		}
	}
	if stemVars == 0 {
		t.Errorf("no variables under /stem/stage_01")
	}
	t.Logf("position table: %s", posName)
	got, want := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[2])
	for i := range got {
		if d := got[i] - want[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("token value %d: Embed %g, stem + dense + positions %g", i, got[i], want[i])
		}
	}
	cfg.Stem = []int{5, 6, 7} // 8 stride-2 halvings do not divide patch 4.
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "stem") {
		t.Errorf("patch 4 with a 3-stage stem: %v, want an error naming the stem", err)
	}
}
