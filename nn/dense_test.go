package nn

import (
	"fmt"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// TestDenseTraining checks Dense's output and, in a training graph, its gradients for
// the input, the weights and the biases against loops over the same numbers, for a
// batch of 15 rows and one of 512 (where the go backend's fused backward takes another
// path through its cache-blocked transpose).
// The loss is sum(y² ⊙ c) with c = [1, 2] over the two outputs, so dL/dy = 2 y ⊙ c.
func TestDenseTraining(t *testing.T) {
	w := [][]float32{{1, -2}, {0.5, 3}, {-1, 0.25}}
	bias := []float32{0.5, -1}
	for _, dims := range [][2]int{{3, 5}, {4, 128}} {
		t.Run(fmt.Sprintf("%dx%d", dims[0], dims[1]), func(t *testing.T) {
			rows := dims[0] * dims[1]
			x := make([][][]float32, dims[0])
			var flatX [][]float32
			for b := range x {
				x[b] = make([][]float32, dims[1])
				for i := range x[b] {
					r := float32(b*dims[1]+i) / float32(rows)
					x[b][i] = []float32{r - 0.5, 0.3 * float32(i%7), 1 - 2*r}
					flatX = append(flatX, x[b][i])
				}
			}
			// The same computation with loops: y, dy = 2 y c, dx = dy wᵀ, dw = xᵀ dy, db = Σ dy.
			wantY, wantDX := make([]float32, 0, rows*2), make([]float32, 0, rows*3)
			wantDW, wantDB := make([]float32, 6), make([]float32, 2)
			for _, xr := range flatX {
				var dy [2]float32
				for o := range 2 {
					y := bias[o]
					for k := range 3 {
						y += xr[k] * w[k][o]
					}
					wantY = append(wantY, y)
					dy[o] = 2 * y * float32(o+1)
					wantDB[o] += dy[o]
					for k := range 3 {
						wantDW[k*2+o] += xr[k] * dy[o]
					}
				}
				for k := range 3 {
					wantDX = append(wantDX, dy[0]*w[k][0]+dy[1]*w[k][1])
				}
			}
			store := model.NewStore()
			setVar(t, store, "/l/dense/weights", w)
			setVar(t, store, "/l/dense/biases", bias)
			res := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
				scope.SetTraining(in[0].Graph(), true)
				y := Dense(scope.In("l"), in[0], true, 2)
				loss := ReduceAllSum(Mul(Square(y), Const(y.Graph(), [][][]float32{{{1, 2}}})))
				return append([]*Node{y, Gradient(loss, in[0])[0]}, scope.BuildTrainableVariablesGradientsGraph(loss)...)
			}, x)
			if len(res) != 4 {
				t.Fatalf("%d outputs, want y, dx, dweights, dbiases", len(res))
			}
			assertClose(t, "y", flat(t, res[0]), wantY, 1e-5)
			assertClose(t, "dx", flat(t, res[1]), wantDX, 1e-4)
			assertClose(t, "dweights", flat(t, res[2]), wantDW, 1e-3)
			assertClose(t, "dbiases", flat(t, res[3]), wantDB, 1e-3)
		})
	}
}
