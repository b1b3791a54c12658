package experiments

import (
	"errors"
	"fmt"

	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/weights"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	gtrain "github.com/gomlx/gomlx/ml/train"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/cifar10"
	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/datasets/pairs"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// The data families: the parameters of each kind of dataset and how they become the
// datasets package's configurations. The data code itself lives in datasets/.

// imagesFamily: a labelled image dataset read from data_dir (Fashion-MNIST, CIFAR-10),
// with a validation split held out of training.
func imagesFamily() Family {
	return Family{Name: "images", Params: []Param{
		{"data_dir", "", "dataset directory"},
		{"train_size", 0, "use only the first N training images (0: all)"},
		{"val_size", 5000, "training images held out for evaluation during training (0: evaluate on test)"},
		{"test_size", 0, "use only the first N test images (0: all)"},
	}}
}

// shapesFamily: the generated shapes world.
func shapesFamily() Family {
	return Family{Name: "shapes", Params: shapesParams()}
}

func shapesParams() []Param {
	return []Param{
		{"image_size", 32, "image side in pixels (shapes world: at least 16; Flickr8k: 224 as the chapter)"},
		{"shapes_train", 20000, "shapes world: training images"},
		{"shapes_val", 2000, "shapes world: validation images"},
		{"shapes_test", 2000, "shapes world: test images"},
		{"max_objects", 3, "shapes world: most objects per image (1-3)"},
	}
}

// pairsFamily: image-text pairs (datasets/pairs), the shapes world by default,
// Flickr8k when data_dir is set.
func pairsFamily() Family {
	return Family{Name: "pairs", Params: append(shapesParams(),
		Param{"data_dir", "", "Flickr8k directory (captions.txt, Images/); empty: the embedded shapes world"},
		Param{"max_len", 16, "caption length in tokens, with [BOS] and [EOS]"},
		Param{"min_freq", 1, "tokenizer: minimum count of a word in training captions"})}
}

// imageData is a classification dataset with its normalisation.
type imageData struct {
	train, val, test *datasets.Images
	mean, std        []float32
}

// evalSet is the set an evaluation of split scores: val during training when there
// is one, else test.
func (d *imageData) evalSet(split string) *datasets.Images {
	if split == "eval" && d.val != nil {
		return d.val
	}
	return d.test
}

// loadFMNIST reads Fashion-MNIST from data_dir and splits it (imagesFamily),
// normalised with the dataset's mean and standard deviation.
func loadFMNIST(env *Env) (*imageData, error) {
	env.Log("loading Fashion-MNIST from %s", env.P.String("data_dir"))
	trainSet, test, err := fmnist.Load(env.P.String("data_dir"))
	if err != nil {
		return nil, err
	}
	return splitImageData(env.P, trainSet, test, []float32{fmnist.Mean}, []float32{fmnist.Std})
}

// loadCIFAR10 reads the binary version of CIFAR-10 from data_dir and splits it.
func loadCIFAR10(env *Env) (*imageData, error) {
	dir := env.P.String("data_dir")
	if dir == "" {
		return nil, errors.New("parameter data_dir: set it to the CIFAR-10 binary version (cifar-10-batches-bin); it cannot be downloaded here")
	}
	env.Log("loading CIFAR-10 from %s", dir)
	trainSet, test, err := cifar10.Load(dir)
	if err != nil {
		return nil, err
	}
	return splitImageData(env.P, trainSet, test, cifar10.Mean[:], cifar10.Std[:])
}

// splitImageData applies train_size, val_size and test_size to loaded data.
func splitImageData(p *Params, trainSet, test *datasets.Images, mean, std []float32) (*imageData, error) {
	d := &imageData{train: trainSet, test: test, mean: mean, std: std}
	if n := p.Int("train_size"); n > 0 && n < d.train.N {
		d.train = d.train.Subset(d.train.Name, seq(n))
	}
	if n := p.Int("test_size"); n > 0 && n < d.test.N {
		d.test = d.test.Subset(d.test.Name, seq(n))
	}
	if n := p.Int("val_size"); n > 0 {
		var err error
		if d.train, d.val, err = d.train.SplitValidation(n, uint64(p.Int("seed"))); err != nil {
			return nil, fmt.Errorf("parameter val_size=%d: %w", n, err)
		}
	}
	return d, nil
}

// shapesData is the shapes world as image data: its splits, normalised with
// shapeworld.Mean and Std (no validation split when shapes_val is 0).
func shapesData(w *shapeworld.World) *imageData {
	d := &imageData{train: w.Train.Images, val: w.Val.Images, test: w.Test.Images,
		mean: shapeworld.Mean[:], std: shapeworld.Std[:]}
	if d.val.N == 0 {
		d.val = nil
	}
	return d
}

// worldConfig is the shapes world the parameters describe (shapesFamily).
func worldConfig(p *Params) shapeworld.Config {
	cfg := shapeworld.DefaultConfig()
	cfg.Seed = uint64(p.Int("seed"))
	cfg.Train, cfg.Val, cfg.Test = p.Int("shapes_train"), p.Int("shapes_val"), p.Int("shapes_test")
	cfg.Size, cfg.MaxObjects = p.Int("image_size"), p.Int("max_objects")
	return cfg
}

// generateShapes makes the shapes world the parameters describe.
func generateShapes(env *Env) (*shapeworld.World, error) {
	return pairs.GenerateWorld(worldConfig(env.P), env.Log)
}

// loadPairs loads the image-text data the parameters describe (pairsFamily) and saves
// its tokenizer in the run directory.
func loadPairs(env *Env) (*pairs.Data, error) {
	p := env.P
	return pairs.Load(pairs.Config{Flickr8k: p.String("data_dir"), ImageSize: p.Int("image_size"),
		Seed: uint64(p.Int("seed")), World: worldConfig(p),
		Text: text.Config{MinFreq: p.Int("min_freq"), MaxLen: p.Int("max_len")}}, env.Dir, env.Log)
}

// pairModel is the training model function of fn, a model over the inputs of
// image-text examples (images, ids, mask; pairs.Split.Tensors, pairs.VQATensors).
// The batch runs in k branches (nn.BranchesOf; the same function).
func pairModel(fn func(scope *model.Scope, images, ids, mask *Node) *Node, k int) gtrain.ModelFn {
	return func(scope *model.Scope, _ any, in []*Node) []*Node {
		return nn.BranchesOf(scope, k, in[:3], func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{fn(scope, in[0], in[1], in[2])}
		})
	}
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// runPreprocess is how a run feeds its images, recorded in its model.json: resized to
// side x side, pixels in [0, 1] normalised with the dataset's mean and std, as
// datasets.Normalize does in training (bilinear resize for images of another size).
func runPreprocess(side int, mean, std []float32) *imageproc.Config {
	c := &imageproc.Config{Source: "the run's training normalisation", Resize: imageproc.Exact, Height: side,
		Width: side, Filter: imageproc.Bilinear, Rescale: 1.0 / 255}
	for i := range mean {
		c.Mean, c.Std = append(c.Mean, float64(mean[i])), append(c.Std, float64(std[i]))
	}
	return c
}

// branchesParam is the parameter of the families whose model treats examples
// independently: nn.BranchesOf splits the training step's batch.
var branchesParam = Param{"branches", 2, "training step: the batch split into this many independent branches of one graph " +
	"(the go backend runs them in parallel; the same function)"}

// initParam is the family parameter that starts a run from pretrained weights.
var initParam = Param{"init", "", "start from a model directory's weights (Hugging Face, timm, OpenAI CLIP or an mmdna run; " +
	"its architecture replaces the size parameters; the image size, channels and head are adapted)"}

// pretrained reads -set init=DIR: the model to start from, adapted to images of
// image x image x channels and, for a classifier, classes (weights.Model.StartFrom).
// It returns nil when init is not set; else the adapted spec, the task's Init and
// the model (for its tokenizer).
func pretrained(env *Env, kind weights.Kind, image, channels, classes int) (*weights.Model, *weights.Spec, func(*model.Store) error, error) {
	dir := env.P.String("init")
	if dir == "" {
		return nil, nil, nil, nil
	}
	m, err := weights.Load(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parameter init: %w", err)
	}
	if m.Kind != kind {
		return nil, nil, nil, fmt.Errorf("parameter init: %s holds a %s model; this experiment trains a %s", dir, m.Kind, kind)
	}
	spec, vars, notes, err := m.StartFrom(image, channels, classes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parameter init: %w", err)
	}
	env.Log("init: %s (%s layout); the size parameters are the model's", dir, m.Layout)
	for _, n := range notes {
		env.Log("init: %s", n)
	}
	return m, &spec, func(store *model.Store) error { return weights.SetVariables(store, vars) }, nil
}
