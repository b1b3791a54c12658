// Package pairs is the one view of image-text data the multimodal experiments train
// on: splits of images with several captions each, from the embedded shapes world
// (datasets/shapeworld) or from Flickr8k (datasets/flickr8k), or made from a labelled
// image set with captions per class; the tokenizer fitted on the training captions;
// and the training sources and model inputs built from them: contrastive pairs
// (Source), matching examples with hard negatives (match.go) and visual questions
// (vqa.go). Every source's batch is a pure function of the step (datasets.Epochs).
package pairs

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

// TokenizerFile is the tokenizer Load saves in a run directory, so the model meets its
// own vocabulary later.
const TokenizerFile = "tokenizer.json"

// Split is one split of an image-text dataset: images with several captions each.
type Split struct {
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
	// Mean and Std are the per-channel normalisation Fill applies to pixels in [0, 1]
	// ((x/255 - mean) / std), recorded with a run's model so that it can be fed later.
	Mean, Std []float32
}

// Data is an image-text dataset with the tokenizer fitted on its training captions.
type Data struct {
	Train, Val, Test *Split
	Tok              text.Encoder      // the word-level tokenizer fitted on the training captions, or a pretrained model's.
	World            *shapeworld.World // the shapes world, nil for Flickr8k.
}

// Split returns the split of a train.Evaluation split name: "eval" is Val, "test"
// Test, anything else Train.
func (d *Data) Split(name string) *Split {
	switch name {
	case "eval":
		return d.Val
	case "test":
		return d.Test
	}
	return d.Train
}

// Config says which data Load reads.
type Config struct {
	// Flickr8k is the Flickr8k directory (captions.txt, Images/); empty: the shapes
	// world that World describes.
	Flickr8k string
	// ImageSize is the side Flickr8k images are resized to (the shapes world has
	// World.Size).
	ImageSize int
	// Seed splits Flickr8k 70/10/20 by image.
	Seed  uint64
	World shapeworld.Config
	// Text configures the tokenizer fitted on the training captions.
	Text text.Config
}

// Load reads the data cfg describes, fits the tokenizer on the training captions and
// saves it as TokenizerFile in dir. log reports progress (nil: silent).
func Load(cfg Config, dir string, log func(format string, args ...any)) (*Data, error) {
	if log == nil {
		log = func(string, ...any) {}
	}
	var d *Data
	var err error
	if cfg.Flickr8k != "" {
		d, err = loadFlickr(cfg, log)
	} else {
		var w *shapeworld.World
		if w, err = GenerateWorld(cfg.World, log); err == nil {
			d = FromWorld(w)
		}
	}
	if err != nil {
		return nil, err
	}
	var all []string
	for _, cs := range d.Train.Captions {
		all = append(all, cs...)
	}
	tok, err := text.Fit(all, cfg.Text)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, TokenizerFile)
	if err := tok.Save(path); err != nil {
		return nil, err
	}
	d.Tok = tok
	log("tokenizer: %d words from %d training captions (saved to %s)", tok.VocabSize(), len(all), path)
	return d, nil
}

// GenerateWorld makes the shapes world of cfg, reporting its size to log.
func GenerateWorld(cfg shapeworld.Config, log func(format string, args ...any)) (*shapeworld.World, error) {
	w, err := shapeworld.Generate(cfg)
	if err != nil {
		return nil, fmt.Errorf("shapes world: %w", err)
	}
	if log != nil {
		log("shapes world: %d/%d/%d images of %dx%d, held out: %v", cfg.Train, cfg.Val, cfg.Test, cfg.Size, cfg.Size, cfg.HeldOut)
	}
	return w, nil
}

// FromWorld views a shapes world as image-text data (no tokenizer yet), its images
// normalised with shapeworld.Mean and Std.
func FromWorld(w *shapeworld.World) *Data {
	split := func(s *shapeworld.Split) *Split {
		ps := FromImages(s.Images, make([][]string, s.Images.N), shapeworld.Mean[:], shapeworld.Std[:])
		ps.Scenes, ps.HeldOut = s.Scenes, make([]bool, s.Images.N)
		for i, sc := range s.Scenes {
			ps.Captions[i], ps.HeldOut[i] = sc.Captions, sc.HeldOut
		}
		return ps
	}
	return &Data{Train: split(w.Train), Val: split(w.Val), Test: split(w.Test), World: w}
}

// FromImages views an image set with captions[i] for image i, normalised with mean and
// std (as datasets.Normalize).
func FromImages(set *datasets.Images, captions [][]string, mean, std []float32) *Split {
	return &Split{Name: set.Name, N: set.N, H: set.H, W: set.W, C: set.C, Captions: captions, Mean: mean, Std: std,
		Fill: func(idx []int, dst []float32) error {
			datasets.Normalize(set, idx, mean, std, dst)
			return nil
		},
		Pixels: func(i int) ([]uint8, error) { return set.Image(i), nil }}
}

// FromLabels pairs each image of a labelled set with the captions of its class
// (classCaptions[label], shared, not copied).
func FromLabels(set *datasets.Images, classCaptions [][]string, mean, std []float32) *Split {
	captions := make([][]string, set.N)
	for i, l := range set.Labels {
		captions[i] = classCaptions[l]
	}
	return FromImages(set, captions, mean, std)
}

func loadFlickr(cfg Config, log func(format string, args ...any)) (*Data, error) {
	fc := flickr8k.DefaultConfig(cfg.Flickr8k)
	fc.Size, fc.Seed, fc.ValFrac, fc.TestFrac = cfg.ImageSize, cfg.Seed, 0.1, 0.2
	ds, err := flickr8k.Open(fc)
	if err != nil {
		return nil, err
	}
	log("flickr8k: %s", ds.Report())
	split := func(s *flickr8k.Split) *Split {
		return &Split{Name: s.Name, N: s.Len(), H: fc.Size, W: fc.Size, C: 3, Captions: s.Captions,
			Mean: flickr8k.Mean[:], Std: flickr8k.Std[:],
			Fill: func(idx []int, dst []float32) error {
				_, err := ds.Batch(s, idx, dst) // failed decodes are counted by the dataset and left black.
				return err
			},
			Pixels: func(i int) ([]uint8, error) { return ds.Image(s.Images[i]) }}
	}
	return &Data{Train: split(ds.Train), Val: split(ds.Val), Test: split(ds.Test)}, nil
}

// ImagesTensor returns the normalised images idx of the split: [len(idx), H, W, C].
func (s *Split) ImagesTensor(idx []int) (*tensors.Tensor, error) {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, len(idx), s.H, s.W, s.C))
	var err error
	t.MustMutableFlatData(func(flat any) { err = s.Fill(idx, flat.([]float32)) })
	return t, err
}

// TokenTensors encodes texts as token ids and their mask, [len(texts), L] int32 each.
func TokenTensors(tok text.Encoder, texts []string) []*tensors.Tensor {
	ids, mask := tok.EncodeBatch(texts)
	L := tok.MaxLen()
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(ids, len(texts), L),
		tensors.FromFlatDataAndDimensions(mask, len(texts), L)}
}

// Tensors builds the model inputs of (image, text) pairs, images[k] of s with texts[k]:
// images [n, H, W, C], then TokenTensors.
func (s *Split) Tensors(tok text.Encoder, images []int, texts []string) ([]*tensors.Tensor, error) {
	x, err := s.ImagesTensor(images)
	if err != nil {
		return nil, err
	}
	return append([]*tensors.Tensor{x}, TokenTensors(tok, texts)...), nil
}

// Source yields training batches of (image, caption) pairs for a contrastive loss:
// inputs images [B, H, W, C] float32, ids [B, L] int32, mask [B, L] int32; no labels
// (the targets are the diagonal). Images follow datasets.Epochs; each step picks one
// of an image's captions at random (datasets.StepRNG).
type Source struct {
	Split  *Split
	Tok    text.Encoder
	epochs datasets.Epochs
}

// NewSource returns the contrastive source of split in batches of batch.
func NewSource(split *Split, tok text.Encoder, batch int, seed uint64) *Source {
	return &Source{Split: split, Tok: tok, epochs: datasets.Epochs{Seed: seed, N: split.N, Batch: batch}}
}

// StepsPerEpoch implements train.Source.
func (s *Source) StepsPerEpoch() int { return s.epochs.StepsPerEpoch() }

// BatchSize implements train.Source.
func (s *Source) BatchSize() int { return s.epochs.Batch }

// Batch implements train.Source.
func (s *Source) Batch(step int) ([]*tensors.Tensor, []*tensors.Tensor, error) {
	idx, err := s.epochs.Indices(step)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.Split.Name, err)
	}
	rng := datasets.StepRNG(s.epochs.Seed, step)
	texts := make([]string, len(idx))
	for i, j := range idx {
		cs := s.Split.Captions[j]
		texts[i] = cs[rng.IntN(len(cs))]
	}
	in, err := s.Split.Tensors(s.Tok, idx, texts)
	return in, nil, err
}
