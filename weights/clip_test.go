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
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// clipRefArgs is one case of testdata/clip_ref.py.
type clipRefArgs struct {
	Dir          string      `json:"dir"`
	Layout       string      `json:"layout"`
	DType        string      `json:"dtype"`
	Seed         int         `json:"seed"`
	Image        int         `json:"image"`
	Patch        int         `json:"patch"`
	VDim         int         `json:"vdim"`
	VDepth       int         `json:"vdepth"`
	VHeads       int         `json:"vheads"`
	VMLP         int         `json:"vmlp"`
	TDim         int         `json:"tdim"`
	TDepth       int         `json:"tdepth"`
	THeads       int         `json:"theads"`
	TMLP         int         `json:"tmlp"`
	Vocab        int         `json:"vocab"`
	Ctx          int         `json:"ctx"`
	Embed        int         `json:"embed"`
	VAct         string      `json:"vact"`
	TAct         string      `json:"tact"`
	VEps         float64     `json:"veps"`
	TEps         float64     `json:"teps"`
	VPool        string      `json:"vpool"`
	FinalLNAfter bool        `json:"final_ln_after_pool"`
	LNPre        bool        `json:"ln_pre"`
	TPool        string      `json:"tpool"`
	EOS          int         `json:"eos"`
	Images       [][]float32 `json:"images"`
	IDs          [][]int32   `json:"ids"`
	Resize       int         `json:"resize"`
	ResizeImages [][]float32 `json:"resize_images"`
}

type clipRefOut struct {
	Logits        []float64 `json:"logits"`
	ImageEmbeds   []float64 `json:"image_embeds"`
	TextEmbeds    []float64 `json:"text_embeds"`
	ImageFeatures []float64 `json:"image_features"`
	TextFeatures  []float64 `json:"text_features"`
	Resized       []float64 `json:"resized_image_embeds"`
}

// clipTexts returns n random token sequences of length ctx as OpenAI's tokenize
// makes them: ids below the end-of-text id vocab-1, which ends each text (lengths 3,
// ctx, 5, ...), then zeros; and the mask of the real tokens.
func clipTexts(n, ctx, vocab int, seed uint64) (ids, mask [][]int32) {
	r := rand.New(rand.NewPCG(seed, 2))
	for i := range n {
		length := []int{3, ctx, 5}[i%3]
		row, m := make([]int32, ctx), make([]int32, ctx)
		for j := range length {
			row[j], m[j] = int32(1+r.IntN(vocab-2)), 1
		}
		row[length-1] = int32(vocab - 1)
		ids, mask = append(ids, row), append(mask, m)
	}
	return ids, mask
}

// baseCLIPCase is a tiny OpenAI CLIP: widths 128 (image) and 64 (text), so OpenAI's
// rule (heads = width/64) gives 2 and 1 heads.
func baseCLIPCase(layout string, seed int) clipRefArgs {
	return clipRefArgs{Layout: layout, DType: "F32", Seed: seed, Image: 16, Patch: 4, VDim: 128, VDepth: 2, VHeads: 2,
		VMLP: 512, TDim: 64, TDepth: 2, THeads: 1, TMLP: 256, Vocab: 50, Ctx: 8, Embed: 24, VAct: "quick_gelu",
		TAct: "quick_gelu", VEps: 1e-5, TEps: 1e-5, VPool: "tok", LNPre: true, TPool: "argmax", EOS: 49}
}

func flatten[T any](rows [][]T) []T {
	var out []T
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// TestCLIPLayoutsMatchTorch writes a PyTorch CLIP with random weights in each CLIP
// layout, loads it and compares the logits, embeddings and features with PyTorch's.
func TestCLIPLayoutsMatchTorch(t *testing.T) {
	pyref.Require(t, "torch")
	narrow := func(c clipRefArgs) clipRefArgs { // widths 32: heads from open_clip_config.json or config.json.
		c.VDim, c.VHeads, c.VMLP, c.TDim, c.THeads, c.TMLP = 32, 2, 64, 32, 4, 64
		return c
	}
	cases := []struct {
		name  string
		args  clipRefArgs
		want  Layout
		check func(t *testing.T, m *Model)
	}{
		{"openai", func() clipRefArgs { c := baseCLIPCase("openai", 11); c.Resize = 24; return c }(), LayoutOpenAICLIP,
			func(t *testing.T, m *Model) {
				c := m.CLIP
				if c.ViT.Heads != 2 || c.Text.Heads != 1 || c.ViT.Activation != nn.ActQuickGELU || c.Text.MaxLen != 8 ||
					!c.Text.Causal || c.TextPool != clip.PoolArgmax || !c.NoLogitScaleClamp {
					t.Errorf("config %+v", c)
				}
				if notes := strings.Join(m.Notes, "; "); !strings.Contains(notes, "input_resolution") ||
					!strings.Contains(notes, "no open_clip_config.json") || strings.Contains(notes, "not used by the model") {
					t.Errorf("notes %q: want the JIT integers and the assumed architecture explained once", notes)
				}
			}},
		{"openai-f16", func() clipRefArgs { c := baseCLIPCase("openai", 12); c.DType = "F16"; return c }(), LayoutOpenAICLIP, nil},
		{"openclip", func() clipRefArgs {
			c := narrow(baseCLIPCase("openclip", 13))
			c.VAct, c.TAct, c.VEps, c.TEps = "gelu", "gelu", 1e-6, 1e-6
			return c
		}(), LayoutOpenAICLIP, func(t *testing.T, m *Model) {
			c := m.CLIP
			if c.ViT.Heads != 2 || c.Text.Heads != 4 || c.ViT.Activation != nn.ActGELU || c.ViT.LayerNormEpsilon != 1e-6 {
				t.Errorf("config %+v", c)
			}
		}},
		{"openclip-custom-avg", func() clipRefArgs {
			c := narrow(baseCLIPCase("openclip-custom", 14))
			c.VPool, c.FinalLNAfter, c.LNPre, c.TPool = "avg", true, false, "first"
			return c
		}(), LayoutOpenAICLIP, func(t *testing.T, m *Model) {
			v := m.CLIP.ViT
			if v.Pool != vit.PoolGAP || !v.ClassToken || !v.NormPooled || v.PreNorm || m.CLIP.TextPool != clip.PoolFirst {
				t.Errorf("config %+v", m.CLIP)
			}
		}},
		{"hf", func() clipRefArgs {
			c := narrow(baseCLIPCase("hf", 15))
			c.VAct, c.TEps = "gelu", 1e-6 // one tower's activation and epsilon each.
			return c
		}(), LayoutHFCLIP, func(t *testing.T, m *Model) {
			c := m.CLIP
			if c.ViT.Activation != nn.ActGELU || c.Text.Activation != nn.ActQuickGELU || c.Text.LayerNormEpsilon != 1e-6 ||
				c.TextPool != clip.PoolArgmax || c.Text.Heads != 4 {
				t.Errorf("config %+v", c)
			}
		}},
		{"hf-old-eos", func() clipRefArgs { c := narrow(baseCLIPCase("hf", 16)); c.EOS = 2; return c }(), LayoutHFCLIP,
			func(t *testing.T, m *Model) {
				if m.CLIP.TextPool != clip.PoolArgmax {
					t.Errorf("eos_token_id 2: text pool %s, want argmax", m.CLIP.TextPool)
				}
			}},
	}
	images := randomImages(3, 16, 21)
	args := make([]clipRefArgs, len(cases))
	masks := make([][][]int32, len(cases))
	for i, c := range cases {
		args[i] = c.args
		args[i].Dir, args[i].Images = t.TempDir(), images
		args[i].IDs, masks[i] = clipTexts(3, c.args.Ctx, c.args.Vocab, uint64(30+i))
		if c.args.Resize > 0 {
			args[i].ResizeImages = randomImages(2, c.args.Resize, 22)
		}
	}
	var refs []clipRefOut
	pyref.Run(t, pyScript("clip_ref.py"), args, &refs)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, ref := args[i], refs[i]
			m, err := Load(a.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Layout != c.want || m.Kind != KindCLIP {
				t.Fatalf("layout %s kind %s, want %s clip", m.Layout, m.Kind, c.want)
			}
			if c.check != nil {
				c.check(t, m)
			}
			got := runCLIP(t, m, a.Images, a.IDs, masks[i])
			var errs []float64
			for k, want := range [][]float64{ref.Logits, ref.ImageEmbeds, ref.TextEmbeds, ref.ImageFeatures, ref.TextFeatures} {
				name := []string{"logits", "image embeds", "text embeds", "image features", "text features"}[k]
				errs = append(errs, maxRelErr(got[k], want))
				if errs[k] > 1e-4 {
					t.Errorf("%s: max relative error %.2g, want <= 1e-4", name, errs[k])
				}
			}
			t.Logf("%s: max relative errors: logits %.2g, embeddings %.2g (image) %.2g (text), features %.2g %.2g",
				c.name, errs[0], errs[1], errs[2], errs[3], errs[4])
			if a.Resize > 0 {
				m.CLIP.ViT.Image = a.Resize // the stored grid is resized in the graph (vit.Embed).
				resized := encodeImages(t, m, a.ResizeImages)
				e := maxRelErr(resized, ref.Resized)
				if e > 1e-4 {
					t.Errorf("at %dx%d: image embeds max relative error %.2g, want <= 1e-4", a.Resize, a.Resize, e)
				}
				t.Logf("%s at %dx%d (interpolated positions): image embeds max relative error %.2g", c.name, a.Resize, a.Resize, e)
			}
		})
	}
}

// runCLIP runs clip.Build on images [n][H*W*3] and ids, mask [n][len] and returns the
// logits, image and text embeddings, image and text features, flattened.
func runCLIP(t *testing.T, m *Model, images [][]float32, ids, mask [][]int32) [][]float32 {
	t.Helper()
	cfg := m.CLIP
	x := tensors.FromFlatDataAndDimensions(flatten(images), len(images), cfg.ViT.Image, cfg.ViT.Image, cfg.ViT.Channels)
	id := tensors.FromFlatDataAndDimensions(flatten(ids), len(ids), len(ids[0]))
	mk := tensors.FromFlatDataAndDimensions(flatten(mask), len(mask), len(mask[0]))
	out := testbackend.Run(t, m.Store, func(scope *model.Scope, x, ids, mask *Node) []*Node {
		o := clip.Build(scope, cfg, x, ids, mask)
		return []*Node{o.LogitsPerImage, o.ImageEmbeds, o.TextEmbeds, o.ImageFeatures, o.TextFeatures}
	}, x, id, mk)
	res := make([][]float32, len(out))
	for i, o := range out {
		res[i] = tensors.MustCopyFlatData[float32](o)
	}
	return res
}

// encodeImages runs clip.EncodeImage and returns the embeddings, flattened.
func encodeImages(t *testing.T, m *Model, images [][]float32) []float32 {
	t.Helper()
	cfg := m.CLIP
	x := tensors.FromFlatDataAndDimensions(flatten(images), len(images), cfg.ViT.Image, cfg.ViT.Image, cfg.ViT.Channels)
	out := testbackend.Run(t, m.Store, func(scope *model.Scope, x *Node) *Node {
		_, embeds := clip.EncodeImage(scope, cfg, x)
		return embeds
	}, x)
	return tensors.MustCopyFlatData[float32](out[0])
}
