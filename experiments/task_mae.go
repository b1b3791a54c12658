package experiments

// The masked-autoencoder experiments (mae-fmnist, mae-shapes) share this file:
// parameters, the task (train on the masked reconstruction loss, evaluate it with a
// fixed mask per image, draw reconstructions at every evaluation) and, at the test
// evaluation, the linear probe of the pretrained encoder beside the same probe on a
// randomly initialised encoder.

import (
	"fmt"
	"math/rand/v2"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/eval"
	"github.com/mmdna/mmdna/models/mae"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/train"
)

// maeFamily: the masked autoencoder's parameters (models/mae) and its linear probes'.
func maeFamily() Family {
	return Family{Name: "mae", Params: []Param{
		{"patch", 4, "patch side in pixels"},
		{"dim", 64, "encoder token width"},
		{"depth", 4, "encoder blocks"},
		{"heads", 4, "encoder attention heads"},
		{"mlp_dim", 128, "encoder MLP width"},
		{"pool", "gap", "encoder features for the probe: gap (mean of tokens) or cls (a cls token, also fed to the decoder)"},
		{"decoder_dim", 32, "decoder token width (divisible by 4)"},
		{"decoder_depth", 2, "decoder blocks"},
		{"decoder_heads", 2, "decoder attention heads"},
		{"decoder_mlp_dim", 64, "decoder MLP width"},
		{"mask_ratio", mae.DefaultMaskRatio, "fraction of patches removed"},
		{"norm_pix_loss", false, "target: each patch's pixels normalised by its own mean and variance"},
		{"hflip", false, "random horizontal flips of the training images"},
		branchesParam,
		{"eval_size", 2000, "images of the eval/test split whose reconstruction loss is measured (0: all)"},
		{"probe_train", 10000, "training images whose features train the linear probe"},
		{"probe_test", 0, "test images the probe is scored on (0: all)"},
		{"probe_epochs", 30, "epochs of the linear probe (Adam on standardised features)"},
		{"probe_lr", 0.01, "learning rate of the linear probe"},
	}}
}

// maeConfig builds the MAE configuration from the parameters.
func maeConfig(p *Params, image, channels int) (mae.Config, error) {
	enc := vit.Config{Image: image, Channels: channels, Patch: p.Int("patch"), Dim: p.Int("dim"), Depth: p.Int("depth"),
		Heads: p.Int("heads"), MLPDim: p.Int("mlp_dim"), Pool: vit.Pooling(p.String("pool"))}
	cfg := mae.Config{Encoder: enc, DecoderDim: p.Int("decoder_dim"), DecoderDepth: p.Int("decoder_depth"),
		DecoderHeads: p.Int("decoder_heads"), DecoderMLPDim: p.Int("decoder_mlp_dim"), MaskRatio: p.Float("mask_ratio"),
		NormPixLoss: p.Bool("norm_pix_loss")}
	return cfg, cfg.Validate()
}

// maeData is an image set for MAE with the labellings its linear probes learn
// (pretraining uses no labels).
type maeData struct {
	*imageData
	// probes[0] gives probe_accuracy, probe_random_accuracy and probe_gain; the
	// others probe_<key>_accuracy and probe_<key>_random_accuracy.
	probes []maeProbeLabels
}

// maeProbeLabels is one labelling of the train and test images for a linear probe.
type maeProbeLabels struct {
	key, name   string  // metric infix; what the labels are (logs, details).
	classes     int     // labels lie in [0, classes).
	train, test []int32 // aligned with the train and test images.
}

// buildMAE wires an MAE on loaded image data into a task.
func buildMAE(env *Env, d *maeData) (*train.Task, error) {
	p := env.P
	if d.train.H != d.train.W {
		return nil, fmt.Errorf("mae: images are %dx%d; square images only", d.train.H, d.train.W)
	}
	cfg, err := maeConfig(p, d.train.H, d.train.C)
	if err != nil {
		return nil, err
	}
	batcher := &datasets.ImageBatcher{Set: d.train, BatchSize: p.Int("batch_size"), Seed: uint64(p.Int("seed")),
		Mean: d.mean, Std: d.std, Augment: datasets.Augment{HFlip: p.Bool("hflip")}}
	if err := batcher.Validate(); err != nil {
		return nil, err
	}
	env.Log("%s: %d train, %d eval, %d test images; MAE %d patches, %d visible, encoder dim %d depth %d, decoder dim %d depth %d",
		d.train.Name, d.train.N, d.evalSet("eval").N, d.test.N, cfg.NumPatches(), cfg.Keep(), cfg.Encoder.Dim,
		cfg.Encoder.Depth, cfg.DecoderDim, cfg.DecoderDepth)
	seed := uint64(p.Int("seed"))
	return &train.Task{
		Model: func(scope *model.Scope, _ any, in []*Node) []*Node {
			// The noise is drawn for the whole batch, so that branches mask as one graph
			// would; every example loses the same number of patches, so the loss is the
			// mean of the branches' losses.
			images := in[0]
			noise := mae.Noise(scope, images.Graph(), images.Shape().Dim(0), cfg.NumPatches())
			losses := nn.BranchesOf(scope, p.Int("branches"), []*Node{images, noise}, func(scope *model.Scope, in []*Node) []*Node {
				return []*Node{Reshape(mae.Forward(scope, cfg, in[0], in[1]).Loss, 1)} // [1] per branch
			})
			return []*Node{ReduceAllMean(losses[0])}
		},
		// The model returns its own loss; the labels only serve the probe.
		Loss: func(_, predictions []*Node) *Node { return predictions[0] },
		Data: datasets.ImageSource{B: batcher},
		Evaluate: func(ev *train.Evaluation) (train.Metrics, error) {
			set := d.evalSet(ev.Split)
			if n := p.Int("eval_size"); n > 0 && n < set.N {
				set = set.Subset(set.Name, seq(n))
			}
			loss, err := maeEvalLoss(ev, cfg, set, d.mean, d.std, seed)
			if err != nil {
				return nil, err
			}
			if err := maePicture(ev, cfg, set, d.mean, d.std, seed); err != nil {
				return nil, err
			}
			m := train.Metrics{"loss": loss}
			if ev.Split == "test" {
				if err := maeProbes(ev, p, cfg, d, m); err != nil {
					return nil, err
				}
			}
			return m, nil
		},
	}, nil
}

// buildMAEFMNIST pretrains on Fashion-MNIST and probes the class.
func buildMAEFMNIST(env *Env) (*train.Task, error) {
	d, err := loadFMNIST(env)
	if err != nil {
		return nil, err
	}
	return buildMAE(env, &maeData{imageData: d, probes: []maeProbeLabels{
		{name: "Fashion-MNIST class", classes: fmnist.NumClasses, train: d.train.Labels, test: d.test.Labels}}})
}

// buildMAEShapes pretrains on the shapes world and probes the main object's
// colour-shape class, shape and colour, and the number of objects.
func buildMAEShapes(env *Env) (*train.Task, error) {
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	counts := func(s *shapeworld.Split) []int32 {
		c := make([]int32, len(s.Scenes))
		for i, sc := range s.Scenes {
			c[i] = int32(len(sc.Objects) - 1)
		}
		return c
	}
	probes := []maeProbeLabels{
		{name: "main object's colour and shape", classes: shapeworld.NumClasses, train: w.Train.Images.Labels, test: w.Test.Images.Labels},
		{key: "shape", name: "main object's shape", classes: shapeworld.NumShapes, train: w.Train.ShapeLabels(), test: w.Test.ShapeLabels()},
		{key: "colour", name: "main object's colour", classes: shapeworld.NumColours, train: w.Train.ColourLabels(), test: w.Test.ColourLabels()},
		{key: "count", name: "number of objects", classes: 3, train: counts(w.Train), test: counts(w.Test)},
	}
	return buildMAE(env, &maeData{imageData: shapesData(w), probes: probes})
}

// maeNoise fills dst [len(idx), L] with the masking noise of images idx: a pure
// function of (seed, image index), so every evaluation masks an image the same way
// and eval losses compare across steps.
func maeNoise(seed uint64, idx []int, L int, dst []float32) {
	for j, i := range idx {
		rng := rand.New(rand.NewPCG(seed^0x3ae5, uint64(i)))
		for k := range L {
			dst[j*L+k] = rng.Float32()
		}
	}
}

// maeEvalLoss is the masked reconstruction loss over set with fixed masks: the mean
// of the images' own losses, which is the loss over all removed patches since every
// image has the same number of them.
func maeEvalLoss(ev *train.Evaluation, cfg mae.Config, set *datasets.Images, mean, std []float32, seed uint64) (float64, error) {
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x, noise *Node) *Node {
		o := mae.Forward(scope, cfg, x, noise)
		perPatch := ReduceMean(Square(Sub(o.Pred, o.Target)), -1) // [batch, L]
		mask := ConvertDType(o.Mask, perPatch.DType())
		return Div(ReduceSum(Mul(perPatch, mask), -1), ReduceSum(mask, -1)) // [batch]
	})
	if err != nil {
		return 0, err
	}
	out, err := eval.Run(exec, set.N, evalChunk, maeInputs(cfg, set, mean, std, seed))
	if err != nil {
		return 0, err
	}
	var total float64
	for _, v := range out[0].Data {
		total += float64(v)
	}
	return total / float64(set.N), nil
}

// maeInputs gives the evaluation inputs of images idx of set: the normalised images
// [n, H, W, C] and their fixed masking noise [n, L].
func maeInputs(cfg mae.Config, set *datasets.Images, mean, std []float32, seed uint64) eval.Inputs {
	L := cfg.NumPatches()
	return func(idx []int) ([]*tensors.Tensor, error) {
		noise := make([]float32, len(idx)*L)
		maeNoise(seed, idx, L, noise)
		return []*tensors.Tensor{datasets.ImagesTensor(set, idx, mean, std), tensors.FromFlatDataAndDimensions(noise, len(idx), L)}, nil
	}
}

// maeFeatures runs a Features executor over images idx of set: [len(idx), dim].
func maeFeatures(exec *model.Exec, set *datasets.Images, idx []int, mean, std []float32) (eval.Matrix, error) {
	out, err := eval.Run(exec, len(idx), evalChunk, func(k []int) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{datasets.ImagesTensor(set, eval.Pick(idx, k), mean, std)}, nil
	})
	if err != nil {
		return eval.Matrix{}, err
	}
	return out[0], nil
}

// maeProbes trains each linear probe on the features of the pretrained encoder and
// on those of a randomly initialised one (a fresh store with the run's seed: the
// encoder as it was before pretraining), and adds their test accuracies to m.
func maeProbes(ev *train.Evaluation, p *Params, cfg mae.Config, d *maeData, m train.Metrics) error {
	trainIdx := seq(min(p.Int("probe_train"), d.train.N))
	testIdx := seq(d.test.N)
	if n := p.Int("probe_test"); n > 0 && n < d.test.N {
		testIdx = seq(n)
	}
	featureFn := func(scope *model.Scope, x *Node) *Node { return mae.Features(scope, cfg, x) }
	pretrained, err := train.EvalExec(ev, featureFn)
	if err != nil {
		return err
	}
	random := model.NewStore()
	random.SetParam(model.ParamInitialSeed, int64(p.Int("seed")))
	if err := random.SetRNGStateFromSeed(int64(p.Int("seed"))); err != nil {
		return err
	}
	randomExec, err := model.NewExec(ev.Backend, random, featureFn)
	if err != nil {
		return err
	}
	defer randomExec.Finalize()
	type feats struct{ train, test eval.Matrix }
	encoders := map[string]feats{}
	for name, exec := range map[string]*model.Exec{"pretrained": pretrained, "random": randomExec} {
		var f feats
		if f.train, err = maeFeatures(exec, d.train, trainIdx, d.mean, d.std); err != nil {
			return err
		}
		if f.test, err = maeFeatures(exec, d.test, testIdx, d.mean, d.std); err != nil {
			return err
		}
		encoders[name] = f
	}
	pick := func(labels []int32, idx []int) []int32 {
		out := make([]int32, len(idx))
		for j, i := range idx {
			out[j] = labels[i]
		}
		return out
	}
	probeCfg := eval.ProbeConfig{Epochs: p.Int("probe_epochs"), LR: p.Float("probe_lr"), Seed: uint64(p.Int("seed"))}
	details := map[string]any{"train_images": len(trainIdx), "test_images": len(testIdx)}
	for k, pl := range d.probes {
		trY, teY := pick(pl.train, trainIdx), pick(pl.test, testIdx)
		res := map[string]eval.ProbeResult{}
		for _, name := range []string{"pretrained", "random"} {
			f := encoders[name]
			r, err := eval.LinearProbe(f.train.Data, trY, f.test.Data, teY, f.train.Cols, pl.classes, probeCfg)
			if err != nil {
				return fmt.Errorf("probe %s: %w", pl.name, err)
			}
			res[name] = r
			ev.Log("linear probe (%s) on %s encoder features: train %.4f, test %.4f", pl.name, name, r.TrainAccuracy, r.TestAccuracy)
		}
		prefix := "probe_"
		if k > 0 {
			prefix += pl.key + "_"
		}
		m[prefix+"accuracy"] = res["pretrained"].TestAccuracy
		m[prefix+"random_accuracy"] = res["random"].TestAccuracy
		if k == 0 {
			m["probe_gain"] = res["pretrained"].TestAccuracy - res["random"].TestAccuracy
		}
		details[pl.name] = map[string]any{"classes": pl.classes, "pretrained": res["pretrained"], "random_init": res["random"]}
	}
	ev.Detail("linear_probe", details)
	return nil
}
