package weights

import (
	"fmt"

	"github.com/mmdna/mmdna/models/vit"
)

// norm names a LayerNorm's weight and bias tensors.
type norm struct{ w, b string }

// linear names a Linear layer's weight ([out, in]) and bias tensors; b is "" for a
// layer without bias.
type linear struct{ w, b string }

// blockNames are a layout's tensor names for one pre-LN transformer block.
type blockNames struct {
	ln1, ln2 norm
	// qkv is either one fused projection [3D, D] (timm, OpenAI) or three, q, k and v
	// ([D, D] each, Hugging Face).
	qkv      []linear
	out      linear
	fc1, fc2 linear
}

// vitNames are a layout's tensor names for a ViT tower; an empty name means the
// layout has no such tensor for this configuration.
type vitNames struct {
	cls      string // class token, [1, 1, D] or [D] (clsShape).
	clsShape []int
	pos      string // position table, [1, prefix+N, D] or [prefix+N, D] (posShape).
	posShape []int
	patch    linear // the patch convolution [D, C, p, p] and its bias.
	preNorm  norm
	block    func(i int) blockNames
	final    norm // on every token (encoder/ln_final) or, with NormPooled, on the pooled vector.
	pooler   linear
	head     linear
}

func lnMaps(ours string, n norm, dim int) []mapping {
	return []mapping{
		{ours: ours + "/gain", oursShape: []int{dim}, theirs: []string{n.w}, theirShapes: [][]int{{dim}}},
		{ours: ours + "/offset", oursShape: []int{dim}, theirs: []string{n.b}, theirShapes: [][]int{{dim}}},
	}
}

// denseMaps maps a Linear [out, in] onto nn.Dense's "dense/weights" [in, out] and
// "dense/biases".
func denseMaps(ours string, l linear, in, out int) []mapping {
	ms := []mapping{{ours: ours + "/dense/weights", oursShape: []int{in, out}, theirs: []string{l.w},
		theirShapes: [][]int{{out, in}}, conv: convLinear}}
	if l.b != "" {
		ms = append(ms, mapping{ours: ours + "/dense/biases", oursShape: []int{out}, theirs: []string{l.b},
			theirShapes: [][]int{{out}}})
	}
	return ms
}

// blockMaps maps one block onto nn.Block's variables under ours.
func blockMaps(ours string, n blockNames, dim, mlp int) []mapping {
	ms := lnMaps(ours+"/ln_1", n.ln1, dim)
	qkv := ours + "/attn/to_qkv"
	switch len(n.qkv) {
	case 1:
		ms = append(ms, denseMaps(qkv, n.qkv[0], dim, 3*dim)...)
	case 3:
		w := mapping{ours: qkv + "/dense/weights", oursShape: []int{dim, 3 * dim}, conv: convLinearConcat}
		b := mapping{ours: qkv + "/dense/biases", oursShape: []int{3 * dim}, conv: convConcat}
		for _, l := range n.qkv {
			w.theirs, w.theirShapes = append(w.theirs, l.w), append(w.theirShapes, []int{dim, dim})
			if l.b != "" {
				b.theirs, b.theirShapes = append(b.theirs, l.b), append(b.theirShapes, []int{dim})
			}
		}
		ms = append(ms, w)
		if len(b.theirs) == 3 {
			ms = append(ms, b)
		}
	default:
		panic(fmt.Sprintf("weights: block with %d qkv projections", len(n.qkv)))
	}
	ms = append(ms, denseMaps(ours+"/attn/to_out", n.out, dim, dim)...)
	ms = append(ms, lnMaps(ours+"/ln_2", n.ln2, dim)...)
	ms = append(ms, denseMaps(ours+"/mlp/fc1", n.fc1, dim, mlp)...)
	ms = append(ms, denseMaps(ours+"/mlp/fc2", n.fc2, mlp, dim)...)
	return ms
}

// vitMaps maps a ViT tower built by vit.Build under the scope root ("" or "/image")
// onto a layout's names.
func vitMaps(root string, cfg vit.Config, n vitNames) []mapping {
	d, p, c := cfg.Dim, cfg.Patch, cfg.Channels
	grid := cfg.Image / cfg.Patch
	ms := []mapping{
		{ours: root + "/patch_embed/dense/weights", oursShape: []int{p * p * c, d}, theirs: []string{n.patch.w},
			theirShapes: [][]int{{d, c, p, p}}, conv: convPatch},
		{ours: root + "/pos_embed/embeddings", oursShape: []int{grid, grid, d}, theirs: []string{n.pos},
			theirShapes: [][]int{n.posShape}, conv: convPosGrid},
	}
	if n.patch.b != "" {
		ms = append(ms, mapping{ours: root + "/patch_embed/dense/biases", oursShape: []int{d},
			theirs: []string{n.patch.b}, theirShapes: [][]int{{d}}})
	}
	if cfg.HasClassToken() {
		cls := mapping{ours: root + "/cls/token", oursShape: []int{d}, theirs: []string{n.cls, n.pos},
			theirShapes: [][]int{n.clsShape, n.posShape}, conv: convClsPos}
		if size(n.posShape)/d == grid*grid { // no cls slot in the table (timm's no_embed_class).
			cls.theirs, cls.theirShapes, cls.conv = cls.theirs[:1], cls.theirShapes[:1], convCopy
		}
		ms = append(ms, cls)
	}
	if cfg.PreNorm {
		ms = append(ms, lnMaps(root+"/ln_pre", n.preNorm, d)...)
	}
	for i := range cfg.Depth {
		ms = append(ms, blockMaps(fmt.Sprintf("%s/encoder/block_%02d", root, i), n.block(i), d, cfg.MLPDim)...)
	}
	if cfg.NormPooled {
		ms = append(ms, lnMaps(root+"/fc_norm", n.final, d)...)
	} else {
		ms = append(ms, lnMaps(root+"/encoder/ln_final", n.final, d)...)
	}
	if cfg.Pooler {
		ms = append(ms, denseMaps(root+"/pooler", n.pooler, d, d)...)
	}
	if cfg.Classes > 0 {
		ms = append(ms, denseMaps(root+"/head", n.head, d, cfg.Classes)...)
	}
	return ms
}

// posRows is the number of rows of a position table with a cls slot (prefix 1) or
// without.
func posRows(cfg vit.Config, prefix int) int {
	g := cfg.Image / cfg.Patch
	return prefix + g*g
}
