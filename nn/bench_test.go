package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	gnn "github.com/gomlx/gomlx/ml/nn"
)

// The benchmark block: the DESIGN.md ViT probe's block (dim 64, 4 heads, 49 patches +
// cls) at batch 128. Profile with
//
//	go test -run '^$' -bench 'BlockTrainStep/nn$' -cpuprofile /tmp/cpu.out ./nn/
//	go tool pprof -top nn.test /tmp/cpu.out
//
// Measured on the 2-core AVX-512 machine, 2026-11-28 (noisy: other jobs shared it):
// BlockTrainStep/nn 92-104 ms, BlockTrainStep/gomlx_mha (GoMLX's MultiHeadAttention,
// whose fused attention kernel dominates) 600-630 ms, and the same block in PyTorch 1.13
// with 2 threads 113-137 ms; BlockInference 33 ms against PyTorch's 45-49 ms.
const (
	benchBatch  = 128
	benchTokens = 50
	benchDim    = 64
	benchHeads  = 4
)

// newTrainStep compiles a training step of blockFn (trainStep) and returns it with its
// input, [benchBatch, benchTokens, benchDim].
func newTrainStep(tb testing.TB, backend compute.Backend, blockFn func(scope *model.Scope, x *Node) *Node) (*model.Exec, *tensors.Tensor) {
	tb.Helper()
	exec := trainStep(tb, backend, blockFn)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, benchBatch*benchTokens*benchDim)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return exec, tensors.FromFlatDataAndDimensions(data, benchBatch, benchTokens, benchDim)
}

// runTrainStep times the training step built by newTrainStep.
func runTrainStep(b *testing.B, blockFn func(scope *model.Scope, x *Node) *Node) {
	backend := testBackend()
	exec, x := newTrainStep(b, backend, blockFn)
	timeExec(b, exec, x)
}

// timeExec times exec on x after one untimed call (compiling and warming up).
func timeExec(b *testing.B, exec *model.Exec, x *tensors.Tensor) {
	if _, err := exec.Exec(x); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := exec.Exec(x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockTrainStep times forward+backward+SGD of one pre-LN block; "gomlx_mha"
// is the same block with GoMLX's attention.MultiHeadAttention, for comparison.
func BenchmarkBlockTrainStep(b *testing.B) {
	cfg := BlockConfig{Heads: benchHeads}
	b.Run("nn", func(b *testing.B) {
		runTrainStep(b, func(scope *model.Scope, x *Node) *Node {
			y, _ := Block(scope, cfg, x, nil)
			return y
		})
	})
	b.Run("nn_masked", func(b *testing.B) {
		runTrainStep(b, func(scope *model.Scope, x *Node) *Node {
			// The last 10 tokens are padding.
			keep := LessThan(Iota(x.Graph(), shapes.Make(dtypes.Int32, benchBatch, benchTokens), 1),
				Scalar(x.Graph(), dtypes.Int32, benchTokens-10))
			y, _ := Block(scope, cfg, x, keep)
			return y
		})
	})
	b.Run("nn_attention_maps", func(b *testing.B) {
		c := cfg
		c.ReturnAttention = true
		runTrainStep(b, func(scope *model.Scope, x *Node) *Node {
			y, _ := Block(scope, c, x, nil)
			return y
		})
	})
	b.Run("gomlx_mha", func(b *testing.B) {
		runTrainStep(b, func(scope *model.Scope, x *Node) *Node {
			h := LayerNorm(scope.In("ln_1"), x, 0)
			h = attention.SelfAttention(scope.In("attn"), h, benchHeads, benchDim/benchHeads).Done()
			x = Add(x, h)
			h = LayerNorm(scope.In("ln_2"), x, 0)
			return Add(x, MLP(scope.In("mlp"), h, 4*benchDim, benchDim, 0))
		})
	})
}

// BenchmarkSelfAttentionTrainStep times forward+backward+SGD of SelfAttention alone:
// without a mask, with the last 10 tokens padded, causal, and causal with padding (the
// causal mask is one more [tokens, tokens] bias on the scores).
func BenchmarkSelfAttentionTrainStep(b *testing.B) {
	for _, c := range []struct {
		name           string
		causal, padded bool
	}{{"plain", false, false}, {"masked", false, true}, {"causal", true, false}, {"causal_masked", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			runTrainStep(b, func(scope *model.Scope, x *Node) *Node {
				var keep *Node
				if c.padded {
					keep = LessThan(Iota(x.Graph(), shapes.Make(dtypes.Int32, benchBatch, benchTokens), 1),
						Scalar(x.Graph(), dtypes.Int32, benchTokens-10))
				}
				y, _ := SelfAttention(scope.In("attn"), AttentionConfig{Heads: benchHeads, Causal: c.causal}, x, keep, false)
				return y
			})
		})
	}
}

// BenchmarkBlockInference times the forward pass of one block in an inference graph.
func BenchmarkBlockInference(b *testing.B) {
	for _, coef := range []bool{false, true} {
		b.Run(fmt.Sprintf("coefficients=%v", coef), func(b *testing.B) {
			store := model.NewStore()
			exec, err := model.NewExec(testBackend(), store, func(scope *model.Scope, x *Node) *Node {
				y, _ := Block(scope, BlockConfig{Heads: benchHeads, ReturnAttention: coef}, x, nil)
				return y
			})
			if err != nil {
				b.Fatal(err)
			}
			_, x := newTrainStep(b, testBackend(), func(scope *model.Scope, x *Node) *Node { return x })
			if _, err := exec.Exec(x); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := exec.Exec(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPatchEmbed times a training step (forward, backward to the weights, SGD) of
// the patch embedding as reshape+transpose+dense against a strided convolution, on
// Fashion-MNIST-sized (28x28x1, patch 4) and CIFAR-sized (32x32x3, patch 4) batches.
func BenchmarkPatchEmbed(b *testing.B) {
	for _, size := range []struct{ h, c int }{{28, 1}, {32, 3}} {
		for _, impl := range []struct {
			name string
			fn   func(*model.Scope, *Node, int, int) *Node
		}{{"dense", PatchEmbed}, {"conv", patchEmbedConv}} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", size.h, size.h, size.c, impl.name), func(b *testing.B) {
				exec := trainStep(b, testBackend(), func(scope *model.Scope, x *Node) *Node { return impl.fn(scope, x, 4, benchDim) })
				timeExec(b, exec, benchImages(size.h, size.c))
			})
		}
	}
}

// BenchmarkDenseRows times a training step of one Dense layer, rows x in -> out, at
// the row counts of the families, each beside a count that is not a multiple of 512:
// fusion-shapes' text (64 x 16 = 1024 rows) and 1088 (64 x 17, its image tokens), the
// Perceiver's latents (128 x 32 = 4096) and 4224 (vilt-shapes' joint stream, 128 x
// 33). At a multiple of 512 rows the go backend's fused dense backward transposes x
// with cache-set conflicts (docs/results/perf-history.md, "Profiles of the families below 1.5x,
// and the transposes").
func BenchmarkDenseRows(b *testing.B) {
	for _, c := range [][3]int{{1024, 64, 64}, {1088, 64, 64}, {4096, 64, 64}, {4224, 64, 64}} {
		rows, in, out := c[0], c[1], c[2]
		data := make([]float32, rows*in)
		for i := range data {
			data[i] = float32(i%251)/251 - 0.5
		}
		x := tensors.FromFlatDataAndDimensions(data, rows, in)
		b.Run(fmt.Sprintf("%dx%dx%d", rows, in, out), func(b *testing.B) {
			timeExec(b, trainStep(b, testBackend(), func(scope *model.Scope, x *Node) *Node {
				return Dense(scope, x, true, out)
			}), x)
		})
	}
}

// benchImages is a batch of benchBatch side x side images with the given channels,
// values in [0, 1).
func benchImages(side, channels int) *tensors.Tensor {
	data := make([]float32, benchBatch*side*side*channels)
	for i := range data {
		data[i] = float32(i%251) / 251
	}
	return tensors.FromFlatDataAndDimensions(data, benchBatch, side, side, channels)
}

// trainStep compiles a training step: forward of fn, loss mean(y^2), backward and an
// SGD update of every trainable variable.
func trainStep(tb testing.TB, backend compute.Backend, fn func(scope *model.Scope, x *Node) *Node) *model.Exec {
	tb.Helper()
	exec, err := model.NewExec(backend, model.NewStore(), func(scope *model.Scope, x *Node) *Node {
		g := x.Graph()
		scope.SetTraining(g, true)
		loss := ReduceAllMean(Square(fn(scope, x)))
		grads := scope.BuildTrainableVariablesGradientsGraph(loss)
		i := 0
		for v := range scope.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				v.SetNodeValue(Sub(v.NodeValue(g), MulScalar(grads[i], 1e-3)))
				i++
			}
		}
		return loss
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exec
}

// BenchmarkFusedOps compares the go backend's fused kernels with their decomposed forms
// at the benchmark block's sizes, forward only: attention (attention.Core with and
// without fusion, [128, 4 heads, 50, 16]), softmax over [128, 4, 50, 50] and layer norm
// over [128, 50, 64]. It backs useFused's choices.
func BenchmarkFusedOps(b *testing.B) {
	heads, d := benchHeads, benchDim/benchHeads
	cases := []struct {
		name string
		dims []int
		fn   func(x *Node) *Node
	}{
		{"attention/fused", []int{benchBatch, heads, benchTokens, d}, func(x *Node) *Node {
			out, _ := attention.Core(x, x, x, attention.LayoutBHSD, attention.CoreOptions{})
			return out
		}},
		{"attention/decomposed", []int{benchBatch, heads, benchTokens, d}, func(x *Node) *Node {
			out, _ := attention.Core(x, x, x, attention.LayoutBHSD, attention.CoreOptions{DisableFusion: true})
			return out
		}},
		{"softmax/fused", []int{benchBatch, heads, benchTokens, benchTokens}, func(x *Node) *Node { return Softmax(x, -1) }},
		{"softmax/decomposed", []int{benchBatch, heads, benchTokens, benchTokens}, func(x *Node) *Node { return SoftmaxLastAxis(nil, x) }},
		{"layernorm/fused", []int{benchBatch, benchTokens, benchDim}, func(x *Node) *Node {
			one := OnesLike(SliceAxis(SliceAxis(x, 0, AxisRange(0, 1)), 1, AxisRange(0, 1)))
			gain := Reshape(one, benchDim)
			return gnn.LayerNorm(x, []int{2}, DefaultLayerNormEpsilon, gain, gain, nil)
		}},
		{"layernorm/decomposed", []int{benchBatch, benchTokens, benchDim}, func(x *Node) *Node {
			one := OnesLike(SliceAxis(SliceAxis(x, 0, AxisRange(0, 1)), 1, AxisRange(0, 1)))
			gain := Reshape(one, benchDim)
			return layerNormDecomposed(x, gain, gain, DefaultLayerNormEpsilon)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			exec, err := NewExec(testBackend(), c.fn)
			if err != nil {
				b.Fatal(err)
			}
			size := 1
			for _, d := range c.dims {
				size *= d
			}
			data := make([]float32, size)
			for i := range data {
				data[i] = float32(i%97) / 97
			}
			x := tensors.FromFlatDataAndDimensions(data, c.dims...)
			if _, err := exec.Exec(x); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := exec.Exec(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
