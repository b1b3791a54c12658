package nb

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
	"github.com/mmdna/mmdna/viz"
	"github.com/mmdna/mmdna/weights"
)

// DemoLabels name the pictures DemoImages draws, in order.
var DemoLabels = []string{"red circle", "blue square", "green triangle", "yellow circle", "purple square", "orange triangle"}

// DemoImages draws one 96x96 picture per DemoLabels entry: a filled shape of that
// colour on a light grey background, what a notebook can show without a dataset.
func DemoImages() []image.Image {
	colours := map[string]color.RGBA{"red": {220, 40, 40, 255}, "blue": {40, 80, 220, 255},
		"green": {40, 170, 60, 255}, "yellow": {230, 200, 40, 255}, "purple": {140, 60, 170, 255},
		"orange": {240, 140, 30, 255}}
	const side = 96
	var out []image.Image
	for _, label := range DemoLabels {
		colourName, shape, _ := strings.Cut(label, " ")
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				c := color.RGBA{235, 235, 235, 255}
				if inside(shape, float64(x)+0.5, float64(y)+0.5, side) {
					c = colours[colourName]
				}
				img.SetRGBA(x, y, c)
			}
		}
		out = append(out, img)
	}
	return out
}

// inside says whether pixel (x, y) is in the centred shape.
func inside(shape string, x, y float64, side int) bool {
	c, r := float64(side)/2, float64(side)*0.3
	switch shape {
	case "circle":
		return math.Hypot(x-c, y-c) <= r
	case "square":
		return math.Abs(x-c) <= r && math.Abs(y-c) <= r
	default: // triangle, apex up.
		top, bottom := c-r, c+r
		if y < top || y > bottom {
			return false
		}
		half := r * (y - top) / (bottom - top)
		return math.Abs(x-c) <= half
	}
}

// TinyCLIP writes a small CLIP with random weights in Hugging Face's CLIPModel layout
// (config.json, model.safetensors, preprocessor_config.json, OpenAI's vocabulary) into
// dir: the stand-in for openai/clip-vit-base-patch32 where it cannot be downloaded.
// Its zero-shot answers are those of random weights.
func TinyCLIP(dir string, backend compute.Backend) error {
	cfg := clip.Config{Tower: clip.TowerViT,
		ViT: vit.Config{Image: 64, Channels: 3, Patch: 16, Dim: 64, Depth: 2, Heads: 2, MLPDim: 256, Pool: vit.PoolCLS,
			PreNorm: true, NoPatchBias: true, LayerNormEpsilon: 1e-5, Activation: nn.ActQuickGELU},
		Text: nn.TextEncoderConfig{VocabSize: 49408, MaxLen: 77, Dim: 64, Depth: 2, Heads: 2, MLPDim: 256,
			LayerNormEpsilon: 1e-5, Activation: nn.ActQuickGELU, Causal: true},
		TextPool: clip.PoolArgmax, EmbedDim: 32, NoLogitScaleClamp: true}
	m, err := weights.Random(backend, weights.Spec{Kind: weights.KindCLIP, CLIP: cfg}, nil, 1)
	if err != nil {
		return err
	}
	_, err = weights.Export(m, dir)
	return err
}

// TinyViT writes a small ViT classifier over DemoLabels with random weights in Hugging
// Face's ViTForImageClassification layout into dir: the stand-in for
// google/vit-base-patch16-224.
func TinyViT(dir string, backend compute.Backend) error {
	cfg := vit.Config{Image: 32, Channels: 3, Patch: 8, Dim: 32, Depth: 2, Heads: 2, MLPDim: 64, Pool: vit.PoolCLS,
		Classes: len(DemoLabels)}
	m, err := weights.Random(backend, weights.Spec{Kind: weights.KindViT, ViT: cfg, Labels: DemoLabels}, nil, 1)
	if err != nil {
		return err
	}
	// The zero-initialised head (ViT's reference initialisation) would give every
	// class the same probability: a random head shows the ranking at work.
	if err := RandomizeHead(m, 2); err != nil {
		return err
	}
	_, err = weights.Export(m, dir)
	return err
}

// ZeroShot classifies images among labels with a CLIP: each label is put in template
// ("a photo of a {}."), embedded, and compared by the logit scale times the cosine
// similarity (the chapter's CLIP demo). Returns the probabilities [image][label].
func ZeroShot(r *weights.Runner, images []image.Image, labels []string, template string) ([][]float64, error) {
	prompts := make([]string, len(labels))
	for i, l := range labels {
		prompts[i] = strings.ReplaceAll(template, "{}", l)
	}
	text, err := r.TextEmbeddings(prompts)
	if err != nil {
		return nil, err
	}
	scale, err := r.M.LogitScale()
	if err != nil {
		return nil, err
	}
	embeds, err := r.ImageEmbeddings(images)
	if err != nil {
		return nil, err
	}
	probs := make([][]float64, len(images))
	for i, e := range embeds {
		probs[i] = weights.Probabilities(weights.ZeroShotLogits(scale, e, text))
	}
	return probs, nil
}

// Classify returns a ViT classifier's probabilities [image][class].
func Classify(r *weights.Runner, images []image.Image) ([][]float64, error) {
	logits, err := r.Logits(images)
	if err != nil {
		return nil, err
	}
	probs := make([][]float64, len(logits))
	for i, l := range logits {
		f := make([]float64, len(l))
		for j, v := range l {
			f[j] = float64(v)
		}
		probs[i] = weights.Probabilities(f)
	}
	return probs, nil
}

// Ranked returns the k most probable of labels, "label 0.83" each, most probable first.
func Ranked(probs []float64, labels []string, k int) []string {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	var out []string
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, fmt.Sprintf("%s %.2f", labels[i], probs[i]))
	}
	return out
}

// PredictionGrid renders images with their top-k predictions as a PNG.
func PredictionGrid(images []image.Image, probs [][]float64, labels []string, k int) ([]byte, error) {
	cells := make([]viz.Cell, len(images))
	for i, img := range images {
		cells[i] = viz.Cell{Img: img, Caption: strings.Join(Ranked(probs[i], labels, k), "\n")}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, viz.ImageGrid(cells, len(cells), 1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RandomizeHead replaces a ViT classifier's head with random weights (stddev 0.5,
// seeded), for demonstrations on random models.
func RandomizeHead(m *weights.Model, seed uint64) error {
	v := m.Store.GetVariable("/head/dense/weights")
	if v == nil {
		return fmt.Errorf("the model has no head")
	}
	value, err := v.Value()
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 7))
	data := make([]float32, value.Shape().Size())
	for i := range data {
		data[i] = float32(r.NormFloat64() * 0.5)
	}
	return v.SetValue(tensors.FromFlatDataAndDimensions(data, value.Shape().Dimensions...))
}
