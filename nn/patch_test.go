package nn

import (
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestPatchEmbedHandComputed embeds a 4x4 one-channel image with values 0..15 in 2x2
// patches with weights [1 2 3 4] and bias 0.5: patch (0,0) holds pixels 0 1 4 5, so
// its token is 0*1 + 1*2 + 4*3 + 5*4 + 0.5 = 34.5; likewise 54.5, 114.5 and 134.5.
// The convolution variant must agree.
func TestPatchEmbedHandComputed(t *testing.T) {
	image := [][][][]float32{make([][][]float32, 4)}
	for i := range 4 {
		image[0][i] = make([][]float32, 4)
		for j := range 4 {
			image[0][i][j] = []float32{float32(4*i + j)}
		}
	}
	want := []float32{34.5, 54.5, 114.5, 134.5}
	for name, fn := range map[string]func(*model.Scope, *Node, int, int) *Node{"dense": PatchEmbed, "conv": patchEmbedConv} {
		t.Run(name, func(t *testing.T) {
			store := model.NewStore()
			setVar(t, store, "/patch_embed/dense/weights", [][]float32{{1}, {2}, {3}, {4}})
			setVar(t, store, "/patch_embed/dense/biases", []float32{0.5})
			outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
				return []*Node{fn(scope.In("patch_embed"), in[0], 2, 1)}
			}, image)
			if got := outs[0].Shape().Dimensions; !slices.Equal(got, []int{1, 4, 1}) {
				t.Fatalf("shape %v, want [1 4 1]", got)
			}
			assertClose(t, "tokens", flat(t, outs[0]), want, 1e-6)
		})
	}
}

// TestPatchifyRoundTrip checks Patchify against MAE's ordering computed with loops on
// a non-square two-channel image, and that Unpatchify restores the image exactly.
func TestPatchifyRoundTrip(t *testing.T) {
	const batch, h, w, c, p = 2, 4, 6, 2, 2
	image := make([]float32, batch*h*w*c)
	for i := range image {
		image[i] = float32(i)
	}
	at := func(b, y, x, ch int) float32 { return image[((b*h+y)*w+x)*c+ch] }
	var want []float32
	for b := range batch {
		for i := range h / p {
			for j := range w / p {
				for py := range p {
					for px := range p {
						for ch := range c {
							want = append(want, at(b, i*p+py, j*p+px, ch))
						}
					}
				}
			}
		}
	}
	outs := testbackend.Run(t, nil, func(_ *model.Scope, in []*Node) []*Node {
		x := Reshape(in[0], batch, h, w, c)
		patches := Patchify(x, p)
		return []*Node{patches, Unpatchify(patches, p, h/p, w/p)}
	}, image)
	if got := outs[0].Shape().Dimensions; !slices.Equal(got, []int{batch, 6, p * p * c}) {
		t.Fatalf("patches shape %v, want [2 6 8]", got)
	}
	assertClose(t, "patches", flat(t, outs[0]), want, 0)
	assertClose(t, "round trip", flat(t, outs[1]), image, 0)
}

func TestPatchBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(scope *model.Scope, x *Node) *Node
		want string
	}{
		{"not divisible", func(scope *model.Scope, x *Node) *Node { return PatchEmbed(scope, x, 4, 8) },
			"image size 6x6 is not divisible by the patch size 4"},
		{"patchify", func(_ *model.Scope, x *Node) *Node { return Patchify(x, 5) }, "not divisible"},
		{"unpatchify grid", func(_ *model.Scope, x *Node) *Node { return Unpatchify(Patchify(x, 3), 3, 3, 3) },
			"do not fit a 3x3 grid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
				return []*Node{tc.fn(scope, Reshape(in[0], 1, 6, 6, 1))}
			}, make([]float32, 36))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
