package mae

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Masking is what RandomMasking returns.
type Masking struct {
	Kept       *Node // [batch, keep, dim]: the visible tokens, in shuffled order.
	Mask       *Node // [batch, L] float: 1 where the token was removed, 0 where kept.
	IDsKeep    *Node // [batch, keep] int32: positions of the kept tokens.
	IDsShuffle *Node // [batch, L] int32: argsort of the noise; the first keep are kept.
	IDsRestore *Node // [batch, L] int32: argsort of IDsShuffle, undoes the shuffle.
}

// Noise draws the masking noise, uniform in [0, 1), from the scope's random state:
// [batch, length] float32.
func Noise(scope *model.Scope, g *Graph, batch, length int) *Node {
	return scope.RandomUniform(g, shapes.Make(dtypes.Float32, batch, length))
}

// RandomMasking is models_mae.py's random_masking: per example, sort the noise
// (argsort: ids_shuffle), keep the tokens of the keep smallest noise values, and
// record ids_restore = argsort(ids_shuffle), which puts a keep-first sequence back
// in token order, and the binary mask (1 = removed) in token order. Sorting noise
// gives a uniformly random subset of exactly keep tokens in every example.
//
// x: [batch, L, dim]; noise: [batch, L] (any float dtype); 0 < keep <= L.
func RandomMasking(x, noise *Node, keep int) Masking {
	if x.Rank() != 3 || noise.Rank() != 2 || noise.Shape().Dim(0) != x.Shape().Dim(0) || noise.Shape().Dim(1) != x.Shape().Dim(1) {
		exceptions.Panicf("mae.RandomMasking: x %s and noise %s: want [batch, L, dim] and [batch, L]", x.Shape(), noise.Shape())
	}
	L := x.Shape().Dim(1)
	if keep <= 0 || keep > L {
		exceptions.Panicf("mae.RandomMasking: keep %d of %d tokens: want 0 < keep <= L", keep, L)
	}
	noise = StopGradient(noise)
	_, idsShuffle := BottomK(noise, L, 1)      // ascending: small noise is kept.
	_, idsRestore := BottomK(idsShuffle, L, 1) // argsort of a permutation inverts it.
	idsKeep := Slice(idsShuffle, AxisRange(), AxisRange(0, keep))
	// Token i was removed iff its rank in the shuffle, idsRestore[i], is >= keep.
	mask := ConvertDType(GreaterOrEqual(idsRestore, Scalar(x.Graph(), idsRestore.DType(), keep)), x.DType())
	return Masking{Kept: GatherTokens(x, idsKeep), Mask: mask, IDsKeep: idsKeep, IDsShuffle: idsShuffle, IDsRestore: idsRestore}
}

// GatherTokens picks tokens per example: out[b, k] = x[b, ids[b, k]] (torch.gather
// along the token axis, as models_mae.py uses it).
// x: [batch, L, dim]; ids: [batch, K] int -> [batch, K, dim].
func GatherTokens(x, ids *Node) *Node {
	batch, k := ids.Shape().Dim(0), ids.Shape().Dim(1)
	if x.Rank() != 3 || ids.Rank() != 2 || x.Shape().Dim(0) != batch {
		exceptions.Panicf("mae.GatherTokens: x %s and ids %s: want [batch, L, dim] and [batch, K]", x.Shape(), ids.Shape())
	}
	ids = ConvertDType(ids, dtypes.Int32)
	rows := Iota(x.Graph(), shapes.Make(dtypes.Int32, batch, k), 0)
	index := Stack([]*Node{rows, ids}, -1) // [batch, K, 2]: (example, token)
	return Gather(x, index)
}
