package embedding

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/nn"
)

// PairScores is CrossModalEmbedding's score of every (image, caption) pair: for
// image i and caption j, the caption's [CLS] features query the image's feature-map
// tokens (multi-head attention under "cross": to_q, to_kv, to_out, the layout of
// nn.MultiHeadAttention), the attended vector is added to the image's pooled embedding,
//
//	c(i|j) = Embed_i + to_out(Σ_p softmax_p(q_j·k_ip/√d_head) v_ip)   (per head)
//
// and the score is cos(c(i|j), t_j), t_j the caption's normalised embedding. c(i|j)
// is built from image i's values alone; the caption only chooses where to look, so it
// cannot pass its own content through to the comparison. The score of a pair depends
// on that image and that caption and on nothing else in the batch, so the same
// function scores a training batch (all B² pairs, the loss on the diagonal) and a
// retrieval chunk.
//
// img: Tokens [n_img, tokens, dim], Embed [n_img, dim]; txt: Features and Embed
// [n_txt, dim]. Returns cosine similarities [n_img, n_txt].
func PairScores(scope *model.Scope, cfg Config, img Image, txt Text) *Node {
	sc := scope.In("cross")
	d, heads := cfg.Towers.EmbedDim, cfg.Heads
	dh := d / heads
	nImg, nTxt := img.Tokens.Shape().Dim(0), txt.Features.Shape().Dim(0)
	// Keys and values once per image: [n_img, heads, tokens, dh]; queries once per
	// caption: [n_txt, heads, dh], scaled by 1/√dh as nn.MultiHeadAttention does.
	kv := nn.ContextKV(sc, nn.AttentionConfig{Heads: heads}, img.Tokens, d)
	q := Reshape(nn.Dense(sc.In("to_q"), txt.Features, true, d), nTxt, heads, dh)
	q = MulScalar(q, 1/math.Sqrt(float64(dh)))
	// scores[h, i, p, j] = q[j, h]·k[i, h, p], then [h, i, j, p] for the softmax over
	// the image's tokens.
	scores := DotGeneral(kv.K, []int{3}, []int{1}, q, []int{2}, []int{1})   // [heads, n_img, tokens, n_txt]
	attn := nn.SoftmaxLastAxis(scope, TransposeAllAxes(scores, 0, 1, 3, 2)) // [heads, n_img, n_txt, tokens]
	// out[h, i, j] = Σ_p attn[h, i, j, p] v[i, h, p].
	out := DotGeneral(attn, []int{3}, []int{0, 1}, kv.V, []int{2}, []int{1, 0}) // [heads, n_img, n_txt, dh]
	out = Reshape(TransposeAllAxes(out, 1, 2, 0, 3), nImg, nTxt, d)             // heads merged as nn.MergeHeads.
	out = nn.Dense(sc.In("to_out"), out, true, d)                               // [n_img, n_txt, d]
	combined := nn.NormalizeL2(Add(out, InsertAxes(img.Embed, 1)), -1, 0)       // c(i|j), unit norm.
	return ReduceSum(Mul(combined, InsertAxes(txt.Embed, 0)), -1)               // [n_img, n_txt]
}
