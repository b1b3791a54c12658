package crossattn

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// The value tests compare the versions whose code the chapter prints (v0, v2, v3, v8,
// v9) with the chapter's formulas computed here by hand, in float64, on 2 examples of
// 3 image tokens and 2 text tokens (the second example's last text token is padding),
// width 8, 2 heads, with every weight, bias and LayerNorm gain randomised.
const (
	vb, vni, vnt, vdim, vheads = 2, 3, 2, 8, 2
)

var valueMask = []int32{1, 1, 1, 0}

// versionCase holds one run of a version: its inputs, outputs and store.
type versionCase struct {
	t        *testing.T
	store    *model.Store
	img, txt [][]float64 // per example: [n, dim] row-major.
	imgOut   [][]float64
	txtOut   [][]float64
}

// runVersion builds version name, randomises its variables, rebuilds it (variables
// are constants in inference graphs) and runs it on seeded inputs.
func runVersion(t *testing.T, name string) *versionCase {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	img, txt := randMatrix(rng, vb*vni*vdim), randMatrix(rng, vb*vnt*vdim)
	cfg := Config{Dim: vdim, Heads: vheads, Dropout: 0.1}
	fn := func(scope *model.Scope, in []*Node) []*Node {
		i, t := Forward(scope.In("cross"), name, cfg, in[0], in[1], in[2])
		return []*Node{i, t}
	}
	inputs := []any{tensors.FromFlatDataAndDimensions(img, vb, vni, vdim),
		tensors.FromFlatDataAndDimensions(txt, vb, vnt, vdim), tensors.FromFlatDataAndDimensions(valueMask, vb, vnt)}
	store := model.NewStore()
	testbackend.Run(t, store, fn, inputs...)
	randomizeVariables(t, store, 11)
	out := testbackend.Run(t, store, fn, inputs...)
	c := &versionCase{t: t, store: store}
	io, to := flat(t, out[0]), flat(t, out[1])
	for e := range vb {
		c.img = append(c.img, to64(img[e*vni*vdim:(e+1)*vni*vdim]))
		c.txt = append(c.txt, to64(txt[e*vnt*vdim:(e+1)*vnt*vdim]))
		c.imgOut = append(c.imgOut, io[e*vni*vdim:(e+1)*vni*vdim])
		c.txtOut = append(c.txtOut, to[e*vnt*vdim:(e+1)*vnt*vdim])
	}
	return c
}

// keep returns the text mask of example e.
func keep(e int) []bool { return []bool{valueMask[e*vnt] != 0, valueMask[e*vnt+1] != 0} }

// check compares the version's outputs with want(e) for each example; text rows at
// padded positions are not compared (they are ignored downstream).
func (c *versionCase) check(t *testing.T, name string, want func(e int, i, tx mat) (mat, mat)) {
	t.Helper()
	for e := range vb {
		wi, wt := want(e, matOf(vni, vdim, c.img[e]), matOf(vnt, vdim, c.txt[e]))
		assertClose(t, name+" image output", c.imgOut[e], wi.v, 1e-4)
		for j, k := range keep(e) {
			if k {
				assertClose(t, name+" text output", c.txtOut[e][j*vdim:(j+1)*vdim], wt.row(j), 1e-4)
			}
		}
	}
}

func TestV0Values(t *testing.T) {
	c := runVersion(t, "v0")
	s := 1 / math.Sqrt(vdim)
	c.check(t, "v0", func(e int, i, tx mat) (mat, mat) {
		// attn_i2t = softmax(I·Tᵀ·scale); image_attended = attn_i2t·T; and back.
		i2t := softmaxRows(scaleMat(matmul(i, transpose(tx)), s), keep(e))
		t2i := softmaxRows(scaleMat(matmul(tx, transpose(i)), s), nil)
		return matmul(i2t, tx), matmul(t2i, i)
	})
}

// coAttentionRef is v2's forward: LN both inputs, attn = softmax(Î·T̂ᵀ·scale),
// image_out = attn·T̂, text_out = attnᵀ·Î.
func coAttentionRef(c *versionCase, e int, i, tx mat) (mat, mat) {
	g, o := varValue(c.t, c.store, "/cross/norm/gain"), varValue(c.t, c.store, "/cross/norm/offset")
	in, tn := layerNormRef(i, g, o), layerNormRef(tx, g, o)
	attn := softmaxRows(scaleMat(matmul(in, transpose(tn)), 1/math.Sqrt(vdim)), keep(e))
	return matmul(attn, tn), matmul(transpose(attn), in)
}

func TestV2Values(t *testing.T) {
	c := runVersion(t, "v2")
	c.check(t, "v2", func(e int, i, tx mat) (mat, mat) { return coAttentionRef(c, e, i, tx) })
}

func TestV3Values(t *testing.T) {
	c := runVersion(t, "v3")
	c.check(t, "v3", func(e int, i, tx mat) (mat, mat) {
		// image_out = image_features + image_attended (the raw, unnormalised input).
		ia, ta := coAttentionRef(c, e, i, tx)
		return addMat(i, ia), addMat(tx, ta)
	})
}

// mhaRef is the multi-head attention of v8 and v9 for one direction: queries from x,
// keys and values from y through the shared to_q/to_k/to_v, softmax(q·kᵀ/√d) per head
// (yKeep masks keys), heads concatenated. Returns [nx, dim] before to_out.
func mhaRef(c *versionCase, x, y mat, yKeep []bool) mat {
	p := func(name string, m mat) mat {
		return linearRef(m, varValue(c.t, c.store, "/cross/"+name+"/dense/weights"), varValue(c.t, c.store, "/cross/"+name+"/dense/biases"))
	}
	q, k, v := p("to_q", x), p("to_k", y), p("to_v", y)
	d := vdim / vheads
	out := newMat(x.r, vdim)
	for h := range vheads {
		qh, kh, vh := q.cols(h*d, (h+1)*d), k.cols(h*d, (h+1)*d), v.cols(h*d, (h+1)*d)
		oh := matmul(softmaxRows(scaleMat(matmul(qh, transpose(kh)), 1/math.Sqrt(float64(d))), yKeep), vh)
		for r := range x.r {
			for j := range d {
				out.set(r, h*d+j, oh.at(r, j))
			}
		}
	}
	return out
}

func (c *versionCase) linear(name string, m mat) mat {
	return linearRef(m, varValue(c.t, c.store, "/cross/"+name+"/dense/weights"), varValue(c.t, c.store, "/cross/"+name+"/dense/biases"))
}

func (c *versionCase) ln(name string, m mat) mat {
	return layerNormRef(m, varValue(c.t, c.store, "/cross/"+name+"/gain"), varValue(c.t, c.store, "/cross/"+name+"/offset"))
}

func TestV8Values(t *testing.T) {
	c := runVersion(t, "v8")
	c.check(t, "v8", func(e int, i, tx mat) (mat, mat) {
		in, tn := c.ln("norm", i), c.ln("norm", tx)
		ia, ta := mhaRef(c, in, tn, keep(e)), mhaRef(c, tn, in, nil)
		return c.ln("out_norm", c.linear("to_out", ia)), c.ln("out_norm", c.linear("to_out", ta))
	})
}

func TestV9Values(t *testing.T) {
	c := runVersion(t, "v9")
	ffn := func(x mat) mat {
		gate, value := c.linear("ff_gate", x), c.linear("ff_value", x)
		h := newMat(x.r, gate.c)
		for k := range h.v {
			h.v[k] = geluRef(gate.v[k]) * geluRef(value.v[k])
		}
		return c.linear("ff_out", h)
	}
	c.check(t, "v9", func(e int, i, tx mat) (mat, mat) {
		in, tn := c.ln("attn_norm", i), c.ln("attn_norm", tx)
		ia := c.linear("to_out", mhaRef(c, in, tn, keep(e)))
		ta := c.linear("to_out", mhaRef(c, tn, in, nil))
		// image_out = FFN(ff_norm(image_attended)) + image_attended (no residual to the input).
		return addMat(ffn(c.ln("ff_norm", ia)), ia), addMat(ffn(c.ln("ff_norm", ta)), ta)
	})
}
