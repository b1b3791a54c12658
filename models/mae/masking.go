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
	idsShuffle, idsRestore := argsortRows(StopGradient(noise))
	idsKeep := Slice(idsShuffle, AxisRange(), AxisRange(0, keep))
	// Token i was removed iff its rank in the shuffle, idsRestore[i], is >= keep.
	mask := ConvertDType(GreaterOrEqual(idsRestore, Scalar(x.Graph(), idsRestore.DType(), keep)), x.DType())
	return Masking{Kept: GatherTokens(x, idsKeep), Mask: mask, IDsKeep: idsKeep, IDsShuffle: idsShuffle, IDsRestore: idsRestore}
}

// argsortRows returns, per row of x [batch, L], the ascending argsort idsShuffle
// [batch, L] int32 (ties by position, a stable sort) and its inverse idsRestore [batch, L]
// int32, the rank of each element. It counts instead of sorting: rank[b, i] =
// #{j : x[b,j] < x[b,i], or x[b,j] == x[b,i] and j < i}, and idsShuffle[b, r] is the i
// of rank r, read through a one-hot of the ranks. That is O(L²) element-wise work
// (128 x 49 x 49 for mae-fmnist), where the go backend's Sort runs its comparator as an
// interpreted sub-computation per comparison: two sorts of [128, 49] (the BottomK this
// replaced) took half of mae-fmnist's training step (pprof, 2026-12-03).
func argsortRows(x *Node) (idsShuffle, idsRestore *Node) {
	g := x.Graph()
	batch, L := x.Shape().Dim(0), x.Shape().Dim(1)
	xi := ExpandAxes(x, 2)                                                                         // [batch, L, 1]: element i
	xj := ExpandAxes(x, 1)                                                                         // [batch, 1, L]: element j
	pos := Iota(g, shapes.Make(dtypes.Int32, L, L), 1)                                             // [i, j] -> j
	before := LessThan(pos, Iota(g, shapes.Make(dtypes.Int32, L, L), 0))                           // j < i
	smaller := Or(LessThan(xj, xi), And(Equal(xj, xi), ExpandAxes(before, 0)))                     // [batch, L(i), L(j)]
	idsRestore = ReduceSum(ConvertDType(smaller, dtypes.Int32), -1)                                // [batch, L]: rank of i
	onehot := Equal(ExpandAxes(idsRestore, 2), Iota(g, shapes.Make(dtypes.Int32, batch, L, L), 2)) // [b, i, r]
	index := Iota(g, shapes.Make(dtypes.Int32, batch, L, L), 1)                                    // [b, i, r] -> i
	idsShuffle = ReduceSum(Where(onehot, index, ZerosLike(index)), 1)                              // [batch, L(r)]
	return idsShuffle, idsRestore
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
