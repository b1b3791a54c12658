package experiments

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/datasets/flickr8k"
	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// PairSplit is one split of an image-text dataset: images with several captions
// each. Shapes and Flickr8k both provide it, so every multimodal experiment runs on
// either.
type PairSplit struct {
	Name     string
	N        int
	H, W, C  int
	Captions [][]string // [N][captions of image i]
	// Fill writes the normalised pixels of images idx into dst [len(idx), H, W, C].
	Fill func(idx []int, dst []float32) error
	// Pixels returns image i as uint8 [H, W, C], for pictures.
	Pixels func(i int) ([]uint8, error)
	// Scenes, for the shapes world only: objects, captions and QA of each image.
	Scenes []shapeworld.Scene
	// HeldOut marks images that contain a held-out colour-shape pair (shapes only).
	HeldOut []bool
}

// PairData is an image-text dataset with the tokenizer fitted on its training
// captions.
type PairData struct {
	Train, Val, Test *PairSplit
	Tok              *text.Tokenizer
	World            *shapeworld.World // the shapes world, nil for Flickr8k
}

// Split returns the split for a train.Evaluation split name: "eval" is Val.
func (d *PairData) Split(name string) *PairSplit {
	if name == "eval" {
		return d.Val
	}
	if name == "test" {
		return d.Test
	}
	return d.Train
}

// PairParams are the parameters of the image-text data: the shapes world by default,
// Flickr8k when data_dir is set.
func PairParams() []Param {
	return []Param{
		{"data_dir", "", "Flickr8k directory (captions.txt, Images/); empty: the embedded shapes world"},
		{"image_size", 32, "image side in pixels (shapes: 32 or 64; Flickr8k: 224 as the chapter)"},
		{"shapes_train", 20000, "shapes world: training images"},
		{"shapes_val", 2000, "shapes world: validation images"},
		{"shapes_test", 2000, "shapes world: test images"},
		{"max_objects", 3, "shapes world: most objects per image (1-3)"},
		{"max_len", 16, "caption length in tokens, with [BOS] and [EOS]"},
		{"min_freq", 1, "tokenizer: minimum count of a word in training captions"},
	}
}

// LoadPairs loads the image-text data the parameters describe and saves the
// tokenizer as tokenizer.json in dir, so the model meets its own vocabulary later.
func LoadPairs(env *Env) (*PairData, error) {
	p := env.P
	var d *PairData
	var err error
	if dir := p.String("data_dir"); dir != "" {
		d, err = loadFlickrPairs(env, dir)
	} else {
		d, err = loadShapesPairs(env)
	}
	if err != nil {
		return nil, err
	}
	var all []string
	for _, cs := range d.Train.Captions {
		all = append(all, cs...)
	}
	d.Tok, err = text.Fit(all, text.Config{MinFreq: p.Int("min_freq"), MaxLen: p.Int("max_len")})
	if err != nil {
		return nil, err
	}
	if err := d.Tok.Save(filepath.Join(env.Dir, "tokenizer.json")); err != nil {
		return nil, err
	}
	env.Log("tokenizer: %d words from %d training captions (saved to %s)", d.Tok.VocabSize(), len(all), filepath.Join(env.Dir, "tokenizer.json"))
	return d, nil
}

// generateShapes makes the shapes world the parameters describe.
func generateShapes(env *Env) (*shapeworld.World, error) {
	p := env.P
	cfg := shapeworld.DefaultConfig()
	cfg.Seed = uint64(p.Int("seed"))
	cfg.Train, cfg.Val, cfg.Test = p.Int("shapes_train"), p.Int("shapes_val"), p.Int("shapes_test")
	cfg.Size, cfg.MaxObjects = p.Int("image_size"), p.Int("max_objects")
	w, err := shapeworld.Generate(cfg)
	if err != nil {
		return nil, fmt.Errorf("shapes world: %w", err)
	}
	env.Log("shapes world: %d/%d/%d images of %dx%d, held out: %v", cfg.Train, cfg.Val, cfg.Test, cfg.Size, cfg.Size, cfg.HeldOut)
	return w, nil
}

func loadShapesPairs(env *Env) (*PairData, error) {
	w, err := generateShapes(env)
	if err != nil {
		return nil, err
	}
	split := func(s *shapeworld.Split) *PairSplit {
		im := s.Images
		ps := &PairSplit{Name: s.Name, N: im.N, H: im.H, W: im.W, C: im.C, Scenes: s.Scenes,
			Captions: make([][]string, im.N), HeldOut: make([]bool, im.N)}
		for i, sc := range s.Scenes {
			ps.Captions[i], ps.HeldOut[i] = sc.Captions, sc.HeldOut
		}
		ps.Fill = func(idx []int, dst []float32) error {
			datasets.Normalize(im, idx, ShapesMean[:], ShapesStd[:], dst)
			return nil
		}
		ps.Pixels = func(i int) ([]uint8, error) { return im.Image(i), nil }
		return ps
	}
	return &PairData{Train: split(w.Train), Val: split(w.Val), Test: split(w.Test), World: w}, nil
}

// ShapesMean and ShapesStd normalise shapes images: pixels/255 are mostly dark
// backgrounds; these centre and scale them roughly (exactness does not matter for a
// learned first layer, consistency does).
var (
	ShapesMean = [3]float32{0.25, 0.25, 0.25}
	ShapesStd  = [3]float32{0.25, 0.25, 0.25}
)

func loadFlickrPairs(env *Env, dir string) (*PairData, error) {
	cfg := flickr8k.DefaultConfig(dir)
	cfg.Size, cfg.Seed, cfg.ValFrac, cfg.TestFrac = env.P.Int("image_size"), uint64(env.P.Int("seed")), 0.1, 0.2
	ds, err := flickr8k.Open(cfg)
	if err != nil {
		return nil, err
	}
	env.Log("flickr8k: %s", ds.Report())
	split := func(s *flickr8k.Split) *PairSplit {
		size := cfg.Size
		ps := &PairSplit{Name: s.Name, N: s.Len(), H: size, W: size, C: 3, Captions: s.Captions}
		ps.Fill = func(idx []int, dst []float32) error {
			_, err := ds.Batch(s, idx, dst) // failed decodes are counted by the dataset and left black.
			return err
		}
		ps.Pixels = func(i int) ([]uint8, error) { return ds.Image(s.Images[i]) }
		return ps
	}
	return &PairData{Train: split(ds.Train), Val: split(ds.Val), Test: split(ds.Test)}, nil
}

// PairSource yields training batches of (image, caption) pairs: inputs images
// [B, H, W, C] float32, ids [B, L] int32, mask [B, L] int32; no labels (the contrastive
// targets are the diagonal). Images follow a seeded per-epoch order; each step picks
// one of an image's captions at random.
type PairSource struct {
	Split  *PairSplit
	Tok    *text.Tokenizer
	BatchN int // examples per batch.
	Seed   uint64
}

// StepsPerEpoch implements train.Source.
func (s *PairSource) StepsPerEpoch() int { return s.Split.N / s.BatchN }

// BatchSize implements train.Source.
func (s *PairSource) BatchSize() int { return s.BatchN }

// Batch implements train.Source.
func (s *PairSource) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	per := s.StepsPerEpoch()
	if per < 1 {
		return nil, nil, fmt.Errorf("%s: %d images, fewer than one batch of %d", s.Split.Name, s.Split.N, s.BatchN)
	}
	order := datasets.EpochOrder(s.Seed, step/per, s.Split.N)
	idx := order[(step%per)*s.BatchN : (step%per+1)*s.BatchN]
	rng := datasets.StepRNG(s.Seed, step)
	texts := make([]string, len(idx))
	for i, j := range idx {
		cs := s.Split.Captions[j]
		texts[i] = cs[rng.IntN(len(cs))]
	}
	in, err := PairTensors(s.Split, s.Tok, idx, texts)
	return in, nil, err
}

// ImagesTensor returns the normalised images idx of a split as [len(idx), H, W, C].
func ImagesTensor(sp *PairSplit, idx []int) (*tensors.Tensor, error) {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, len(idx), sp.H, sp.W, sp.C))
	var err error
	t.MustMutableFlatData(func(flat any) { err = sp.Fill(idx, flat.([]float32)) })
	return t, err
}

// TokenTensors encodes texts as token ids and their mask, [len(texts), L] int32 each.
func TokenTensors(tok *text.Tokenizer, texts []string) []*tensors.Tensor {
	ids, mask := tok.EncodeBatch(texts)
	L := tok.MaxLen()
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(ids, len(texts), L),
		tensors.FromFlatDataAndDimensions(mask, len(texts), L)}
}

// PairTensors builds the model inputs of (image, text) pairs: images[k] of sp with
// texts[k], as images [n, H, W, C] and TokenTensors.
func PairTensors(sp *PairSplit, tok *text.Tokenizer, images []int, texts []string) ([]*tensors.Tensor, error) {
	x, err := ImagesTensor(sp, images)
	if err != nil {
		return nil, err
	}
	return append([]*tensors.Tensor{x}, TokenTensors(tok, texts)...), nil
}
