package main

// FLOPs of a training step, counted from the model's graph.
//
// The forward graph (model + loss, in training mode) is built once on the go backend
// (never compiled) and walked from its outputs; every matrix product counts
// 2·M·N·K FLOPs (one multiply and one add per multiply-accumulate):
//
//   - DotGeneral: 2 × (output elements) × (product of the contracted axes);
//   - ConvGeneral: 2 × (output elements) × (kernel elements per output channel);
//   - FusedDense: 2 × (output elements) × (input width);
//   - FusedAttentionQKVProjection: 2 × (input rows) × (weight elements);
//   - FusedScaledDotProductAttention: 4 × (query elements) × (key length), for q·kᵀ
//     and p·v (causal masking not halved).
//
// Element-wise work (LayerNorm, softmax, GELU, the optimizer) is not counted: it is
// a few percent of a transformer's FLOPs. A training step is counted as 3× the
// forward pass (the backward pass costs two products per forward product: the
// gradients with respect to both operands), the convention of MFU figures (PaLM,
// appendix B); the same count serves every backend and peer of an experiment, so
// achieved FLOP/s compare like for like.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/backend"
	"github.com/mmdna/mmdna/train"
)

// trainFactor is the cost of a training step in forward passes.
const trainFactor = 3

// FLOPs holds the counted FLOPs of one forward pass, in total and by operation, and
// the model's parameter count, read from the same graph.
type FLOPs struct {
	Forward float64            `json:"forward"`
	ByOp    map[string]float64 `json:"by_op"`
	// Params is the number of values of the model's trainable variables.
	Params int `json:"params"`
}

// Train returns the FLOPs of a training step: trainFactor forward passes.
func (f FLOPs) Train() float64 { return trainFactor * f.Forward }

var (
	reLHSContracting = regexp.MustCompile(`lhsContractingAxes=\[([0-9 ]*)\]`)
	reKernelOut      = regexp.MustCompile(`KernelOutputChannels:([0-9]+)`)
	reLayout         = regexp.MustCompile(`axesLayout=(BSHD|BHSD)`)
)

// CountFLOPs walks the graph from outputs (each node once) and sums the FLOPs of
// its matrix products. Nodes not reachable from the outputs, such as the decomposed
// twins that fused operations keep for their gradients, are not counted.
func CountFLOPs(outputs ...*Node) (FLOPs, error) {
	f := FLOPs{ByOp: map[string]float64{}}
	seen := map[*Node]bool{}
	stack := append([]*Node(nil), outputs...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, n.Inputs()...)
		c, err := nodeFLOPs(n)
		if err != nil {
			return f, err
		}
		if c > 0 {
			f.Forward += c
			f.ByOp[n.Type().String()] += c
		}
	}
	return f, nil
}

// nodeFLOPs returns the FLOPs of one node (0 for element-wise and data movement).
func nodeFLOPs(n *Node) (float64, error) {
	in := n.Inputs()
	switch n.Type() {
	case NodeTypeDotGeneral:
		m := reLHSContracting.FindStringSubmatch(n.String())
		if m == nil {
			return 0, fmt.Errorf("flops: cannot read the contracting axes of %s", n)
		}
		k := 1.0
		for _, a := range strings.Fields(m[1]) {
			axis, _ := strconv.Atoi(a)
			k *= float64(in[0].Shape().Dim(axis))
		}
		return 2 * float64(n.Shape().Size()) * k, nil
	case NodeTypeConvGeneral:
		m := reKernelOut.FindStringSubmatch(n.String())
		if m == nil {
			return 0, fmt.Errorf("flops: cannot read the kernel layout of %s", n)
		}
		axis, _ := strconv.Atoi(m[1])
		kernel := in[1].Shape()
		return 2 * float64(n.Shape().Size()) * float64(kernel.Size()/kernel.Dim(axis)), nil
	case NodeTypeFusedDense:
		return 2 * float64(n.Shape().Size()) * float64(in[0].Shape().Dim(-1)), nil
	case NodeTypeFusedAttentionQKVProjection:
		x, w := in[0].Shape(), in[1].Shape()
		return 2 * float64(x.Size()/x.Dim(-1)) * float64(w.Size()), nil
	case NodeTypeFusedScaledDotProductAttention:
		seqAxis := 2 // BHSD
		if m := reLayout.FindStringSubmatch(n.String()); m != nil && m[1] == "BSHD" {
			seqAxis = 1
		}
		return 4 * float64(in[0].Shape().Size()) * float64(in[1].Shape().Dim(seqAxis)), nil
	}
	return 0, nil
}

// goBackend is the go backend that FLOP counting builds graphs on, created once.
var goBackend = sync.OnceValues(func() (compute.Backend, error) { return backend.New("go") })

// TaskFLOPs counts the forward FLOPs of a task's model and loss on the shapes of its
// first batch, building the graph in training mode on the go backend, and the
// model's parameters.
func TaskFLOPs(task *train.Task) (FLOPs, error) {
	gb, err := goBackend()
	if err != nil {
		return FLOPs{}, err
	}
	in, labels, err := task.Data.Batch(0)
	if err != nil {
		return FLOPs{}, err
	}
	defer finalizeAll(in, labels)
	var f FLOPs
	err = exceptions.TryCatch[error](func() {
		g := NewGraph(gb, "flops")
		defer g.Finalize()
		store := model.NewStore()
		model.SetStore(g, store)
		store.SetTraining(g, true)
		params := func(prefix string, ts []*tensors.Tensor) []*Node {
			nodes := make([]*Node, len(ts))
			for i, t := range ts {
				nodes[i] = Parameter(g, fmt.Sprintf("%s%d", prefix, i), t.Shape())
			}
			return nodes
		}
		inputs, labelNodes := params("input", in), params("label", labels)
		outputs := task.Model(store.RootScope(), nil, inputs)
		if task.Loss != nil {
			outputs = append(outputs, task.Loss(labelNodes, outputs))
		}
		var cerr error
		if f, cerr = CountFLOPs(outputs...); cerr != nil {
			panic(cerr)
		}
		for v := range store.IterVariables() {
			if v.Trainable && v.DType().IsFloat() {
				f.Params += v.Shape().Size()
			}
		}
	})
	if err != nil {
		return FLOPs{}, fmt.Errorf("counting FLOPs: %w", err)
	}
	return f, nil
}

func finalizeAll(lists ...[]*tensors.Tensor) {
	for _, l := range lists {
		for _, t := range l {
			t.FinalizeAll()
		}
	}
}
