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
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestCrossModalAttentionValues compares CrossModalAttention with its definition
// computed by hand: text_proj(text) queries attend to image_proj(image) keys and
// values through multi-head attention (in and out projections), masked image keys
// getting no weight.
func TestCrossModalAttentionValues(t *testing.T) {
	const b, ni, nt, imgDim, txtDim = 2, 3, 2, 5, 4
	cfg := CrossModalConfig{HiddenDim: 8, Heads: 2}
	rng := rand.New(rand.NewPCG(5, 6))
	img, txt := randMatrix(rng, b*ni*imgDim), randMatrix(rng, b*nt*txtDim)
	mask := []int32{1, 1, 1, 1, 0, 1} // the second example's middle image token is masked.
	fn := func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{CrossModalAttention(scope.In("cma"), cfg, in[0], in[1], in[2])}
	}
	inputs := []any{tensors.FromFlatDataAndDimensions(img, b, ni, imgDim), tensors.FromFlatDataAndDimensions(txt, b, nt, txtDim),
		tensors.FromFlatDataAndDimensions(mask, b, ni)}
	store := model.NewStore()
	testbackend.Run(t, store, fn, inputs...)
	randomizeVariables(t, store, 13)
	out := testbackend.Run(t, store, fn, inputs...)
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{b, nt, cfg.HiddenDim}) {
		t.Fatalf("output shape %v, want [%d %d %d]", got, b, nt, cfg.HiddenDim)
	}
	got := flat(t, out[0])
	lin := func(name string, m mat) mat {
		return linearRef(m, varValue(t, store, "/cma/"+name+"/dense/weights"), varValue(t, store, "/cma/"+name+"/dense/biases"))
	}
	d := cfg.HiddenDim / cfg.Heads
	for e := range b {
		ip := lin("image_proj", matOf(ni, imgDim, to64(img[e*ni*imgDim:(e+1)*ni*imgDim])))
		tp := lin("text_proj", matOf(nt, txtDim, to64(txt[e*nt*txtDim:(e+1)*nt*txtDim])))
		q := lin("attention/to_q", tp)
		var k, v mat
		if store.GetVariable("/cma/attention/to_kv/dense/weights") != nil {
			// nn projects keys and values with one product: keys first, then values.
			kv := lin("attention/to_kv", ip)
			k, v = kv.cols(0, cfg.HiddenDim), kv.cols(cfg.HiddenDim, 2*cfg.HiddenDim)
		} else {
			k, v = lin("attention/to_k", ip), lin("attention/to_v", ip)
		}
		keepKeys := []bool{mask[e*ni] != 0, mask[e*ni+1] != 0, mask[e*ni+2] != 0}
		heads := newMat(nt, cfg.HiddenDim)
		for h := range cfg.Heads {
			oh := matmul(softmaxRows(scaleMat(matmul(q.cols(h*d, (h+1)*d), transpose(k.cols(h*d, (h+1)*d))),
				1/math.Sqrt(float64(d))), keepKeys), v.cols(h*d, (h+1)*d))
			for r := range nt {
				for j := range d {
					heads.set(r, h*d+j, oh.at(r, j))
				}
			}
		}
		want := lin("attention/to_out", heads)
		assertClose(t, "CrossModalAttention", got[e*nt*cfg.HiddenDim:(e+1)*nt*cfg.HiddenDim], want.v, 1e-4)
	}
}

// TestHierarchicalCrossModalAttention checks shapes, that the output depends on both
// modalities, and the chapter's constraint that both have as many tokens.
func TestHierarchicalCrossModalAttention(t *testing.T) {
	cfg := CrossModalConfig{HiddenDim: 8, Heads: 2}
	exec, err := model.NewExec(testBackend(), model.NewStore(), func(scope *model.Scope, in []*Node) []*Node {
		return []*Node{HierarchicalCrossModalAttention(scope, cfg, in[0], in[1], nil)}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	rng := rand.New(rand.NewPCG(7, 8))
	img, txt := randMatrix(rng, 2*3*8), randMatrix(rng, 2*3*8)
	call := func(img, txt []float32) []float64 {
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(img, 2, 3, 8), tensors.FromFlatDataAndDimensions(txt, 2, 3, 8))
		if err != nil {
			t.Fatal(err)
		}
		if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{2, 3, 8}) {
			t.Fatalf("output shape %v, want [2 3 8]", got)
		}
		return flat(t, out[0])
	}
	base := call(img, txt)
	for name, other := range map[string][]float64{"image": call(randMatrix(rng, 48), txt), "text": call(img, randMatrix(rng, 48))} {
		same := true
		for i := range base {
			same = same && math.Abs(base[i]-other[i]) < 1e-6
		}
		if same {
			t.Errorf("output does not depend on the %s", name)
		}
	}
	_, err = exec.Exec(tensors.FromShape(shapeF32(2, 3, 8)), tensors.FromShape(shapeF32(2, 2, 8)))
	if err == nil || !strings.Contains(err.Error(), "same n") {
		t.Fatalf("different token counts: want an error, got %v", err)
	}
}
