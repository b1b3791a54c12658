package weights

import (
	"fmt"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// modelVariables builds a model over an empty store and returns its trainable
// variables as "path [shape]", sorted.
func modelVariables(t *testing.T, spec Spec) []string {
	t.Helper()
	store := model.NewStore()
	switch spec.Kind {
	case KindViT:
		c := spec.ViT
		x := tensors.FromFlatDataAndDimensions(make([]float32, c.Image*c.Image*c.Channels), 1, c.Image, c.Image, c.Channels)
		testbackend.Run(t, store, func(scope *model.Scope, x *Node) *Node { return vit.Build(scope, c, x).PreLogits }, x)
	case KindCLIP:
		c := spec.CLIP
		x := tensors.FromFlatDataAndDimensions(make([]float32, c.ViT.Image*c.ViT.Image*c.ViT.Channels), 1, c.ViT.Image,
			c.ViT.Image, c.ViT.Channels)
		ids := tensors.FromFlatDataAndDimensions([]int32{3, 1, 0}, 1, 3)
		mask := tensors.FromFlatDataAndDimensions([]int32{1, 1, 0}, 1, 3)
		testbackend.Run(t, store, func(scope *model.Scope, x, ids, mask *Node) *Node {
			return clip.Build(scope, c, x, ids, mask).LogitsPerImage
		}, x, ids, mask)
	}
	var out []string
	for v := range store.IterVariables() {
		if v.Trainable {
			out = append(out, fmt.Sprintf("%s %v", v.Path(), v.Shape().Dimensions))
		}
	}
	slices.Sort(out)
	return out
}

// tableVariables returns a table's variables as "path [shape]", sorted.
func tableVariables(maps []mapping) []string {
	var out []string
	for _, m := range maps {
		out = append(out, fmt.Sprintf("%s %v", m.ours, m.oursShape))
	}
	slices.Sort(out)
	return out
}

// tinyCLIPConfig is a CLIP of the architecture the CLIP layouts load: widths 64 (one
// head of 64, OpenAI's rule), or 32 with two heads when narrow.
func tinyCLIPConfig(narrow bool) clip.Config {
	w, heads := 64, 1
	if narrow {
		w, heads = 32, 2
	}
	v := vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: w, Depth: 1, Heads: heads, MLPDim: 2 * w, LayerNormEpsilon: 1e-5,
		Activation: nn.ActQuickGELU}
	t := nn.TextEncoderConfig{VocabSize: 10, MaxLen: 5, Dim: w, Depth: 1, Heads: heads, MLPDim: 2 * w,
		LayerNormEpsilon: 1e-5, Activation: nn.ActQuickGELU}
	return clipArch(v, t, 8)
}

// TestTablesCoverModels: for every layout and the configurations it produces, the
// table's variables are exactly those the model creates, with the same shapes.
func TestTablesCoverModels(t *testing.T) {
	vc := vit.Config{Image: 8, Channels: 3, Patch: 4, Dim: 8, Depth: 2, Heads: 2, MLPDim: 16, Pool: vit.PoolCLS}
	withViT := func(edit func(c *vit.Config)) vit.Config { c := vc; edit(&c); return c }
	type tc struct {
		name string
		spec Spec
		maps []mapping
	}
	var cases []tc
	for _, v := range []struct {
		name string
		cfg  vit.Config
	}{
		{"hf classifier", withViT(func(c *vit.Config) { c.Classes = 3 })},
		{"hf model", withViT(func(c *vit.Config) { c.Pooler = true })},
		{"hf no qkv bias", withViT(func(c *vit.Config) { c.NoQKVBias = true })},
	} {
		prefix := ""
		if v.cfg.Classes > 0 {
			prefix = "vit."
		}
		cases = append(cases, tc{v.name, Spec{Kind: KindViT, ViT: v.cfg}, vitMaps("", v.cfg, hfViTNames(v.cfg, prefix))})
	}
	for _, v := range []struct {
		name string
		cfg  vit.Config
		rows int
	}{
		{"timm token", withViT(func(c *vit.Config) { c.Classes = 3 }), 5},
		{"timm avg", withViT(func(c *vit.Config) { c.Pool, c.ClassToken, c.NormPooled, c.Classes = vit.PoolGAP, true, true, 3 }), 5},
		{"timm avg no cls", withViT(func(c *vit.Config) { c.Pool = vit.PoolGAP }), 4},
		{"timm no_embed_class", withViT(func(c *vit.Config) { c.PreNorm, c.NoQKVBias = true, true }), 4},
	} {
		cases = append(cases, tc{v.name, Spec{Kind: KindViT, ViT: v.cfg}, vitMaps("", v.cfg, timmNames(v.cfg, v.rows))})
	}
	openai := tinyCLIPConfig(false)
	avg := tinyCLIPConfig(true)
	avg.ViT.Pool, avg.ViT.ClassToken, avg.ViT.PreNorm = vit.PoolGAP, true, false
	fcNorm := avg
	fcNorm.ViT.NormPooled = true
	cases = append(cases,
		tc{"openai", Spec{Kind: KindCLIP, CLIP: openai}, clipMaps(openai, openAINames(openai, "", []int{}))},
		tc{"open_clip avg no ln_pre", Spec{Kind: KindCLIP, CLIP: avg}, clipMaps(avg, openAINames(avg, "", []int{1}))},
		tc{"open_clip custom text fc_norm", Spec{Kind: KindCLIP, CLIP: fcNorm}, clipMaps(fcNorm, openAINames(fcNorm, "text.", []int{}))},
		tc{"hf clip", Spec{Kind: KindCLIP, CLIP: openai}, clipMaps(openai, hfCLIPNames(openai))},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, got := modelVariables(t, c.spec), tableVariables(c.maps)
			if !slices.Equal(got, want) {
				t.Errorf("table variables differ from the model's:\n table: %v\n model: %v", got, want)
			}
		})
	}
}
