package weights

import (
	"fmt"
	"image"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// ImageShape is the input a model takes: side x side pixels of channels.
func (m *Model) ImageShape() (side, channels int) {
	switch m.Kind {
	case KindCLIP:
		return m.CLIP.ViT.Image, m.CLIP.ViT.Channels
	case KindCaption:
		return m.Caption.Encoder.Image, m.Caption.Encoder.Channels
	case KindViLT:
		return m.ViLT.Image, m.ViLT.Channels
	}
	return m.ViT.Image, m.ViT.Channels
}

// defaultPreprocess is the preprocessing of a model whose files say none: Hugging
// Face's ViTImageProcessor defaults (resize to the input size, bilinear, [0, 1], then
// mean and std 0.5) for a Hugging Face ViT, plain [0, 1] pixels otherwise.
func defaultPreprocess(side int, layout Layout) imageproc.Config {
	c := imageproc.Config{Source: "default: resize to the input size, pixels in [0, 1]", Resize: imageproc.Exact,
		Height: side, Width: side, Filter: imageproc.Bilinear, Rescale: 1.0 / 255}
	if layout == LayoutHFViT {
		c.Source, c.Mean, c.Std = "ViTImageProcessor's defaults", imageproc.HalfMean, imageproc.HalfStd
	}
	return c
}

// ImageInput turns an image into the model's input, [side, side, channels] float32
// values (HWC), with the model's preprocessing. A grey model (one channel) gets PIL's
// convert("L") of the resized RGB image: L = (299 R + 587 G + 114 B) / 1000.
func (m *Model) ImageInput(img image.Image) ([]float32, error) {
	side, channels := m.ImageShape()
	c := m.Preprocess
	if channels == 3 {
		pix, h, w, err := c.Apply(img)
		if err != nil {
			return nil, err
		}
		if h != side || w != side {
			return nil, fmt.Errorf("preprocessing (%s) gives %dx%d images, the model takes %dx%d", c.Source, w, h, side, side)
		}
		return pix, nil
	}
	if channels != 1 {
		return nil, fmt.Errorf("the model takes %d channels: mmdna feeds 1 (grey) or 3 (RGB)", channels)
	}
	rgb, err := imageproc.ToRGB(img)
	if err != nil {
		return nil, err
	}
	if rgb, err = c.ResizeCrop(rgb); err != nil {
		return nil, err
	}
	if rgb.W != side || rgb.H != side {
		return nil, fmt.Errorf("preprocessing (%s) gives %dx%d images, the model takes %dx%d", c.Source, rgb.W, rgb.H, side, side)
	}
	out := make([]float32, rgb.W*rgb.H)
	scale := c.Rescale
	if scale == 0 {
		scale = 1
	}
	mean, std := 0.0, 1.0
	if len(c.Mean) > 0 {
		mean, std = c.Mean[0], c.Std[0]
	}
	for i := range out {
		r, g, b := uint32(rgb.Pix[3*i]), uint32(rgb.Pix[3*i+1]), uint32(rgb.Pix[3*i+2])
		grey := (r*19595 + g*38470 + b*7471 + 0x8000) >> 16 // PIL's ImagingConvert RGB -> L.
		out[i] = float32((float64(grey)*scale - mean) / std)
	}
	return out, nil
}

// CheckClassifier reports whether the model has a classification head.
func (m *Model) CheckClassifier() error {
	if m.Kind != KindViT || m.ViT.Classes == 0 {
		return fmt.Errorf("%s: the model has no classification head (%s)", m.Dir, m.describe())
	}
	return nil
}

// Logits is a ViT classifier's graph: images [batch, H, W, C] -> logits [batch, classes].
func (m *Model) Logits(scope *model.Scope, images *Node) (*Node, error) {
	if err := m.CheckClassifier(); err != nil {
		return nil, err
	}
	return vit.Build(scope, m.ViT, images).Logits, nil
}

// CheckImageEmbeddings reports whether the model gives image embeddings: a CLIP or a
// ViT does, a captioner does not (its encoder's tokens are trained for its decoder,
// not to be compared).
func (m *Model) CheckImageEmbeddings() error {
	if m.Kind == KindCaption || m.Kind == KindViLT {
		return fmt.Errorf("%s: the model gives no image embeddings (%s)", m.Dir, m.describe())
	}
	return nil
}

// ImageEmbeddings is the graph of L2-normalised image embeddings [batch, dim]: CLIP's
// projected image embedding, or a ViT's pooled representation. Building it for a
// captioner panics (CheckImageEmbeddings).
func (m *Model) ImageEmbeddings(scope *model.Scope, images *Node) *Node {
	if err := m.CheckImageEmbeddings(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if m.Kind == KindCLIP {
		_, embeds := clip.EncodeImage(scope, m.CLIP, images)
		return embeds
	}
	return nn.NormalizeL2(vit.Build(scope, m.ViT, images).PreLogits, -1, 0)
}

// TextEmbeddings is the graph of a CLIP's L2-normalised text embeddings [batch, dim]
// from ids and mask [batch, len] int32.
func (m *Model) TextEmbeddings(scope *model.Scope, ids, mask *Node) (*Node, error) {
	if m.Kind != KindCLIP {
		return nil, fmt.Errorf("%s: the model has no text tower (%s)", m.Dir, m.describe())
	}
	_, embeds := clip.EncodeText(scope, m.CLIP, ids, mask)
	return embeds, nil
}

// LogitScale returns a CLIP's scale: exp of its learned log-scale, clamped as the
// model is configured (clip.LogitScale).
func (m *Model) LogitScale() (float64, error) {
	if m.Kind != KindCLIP {
		return 0, fmt.Errorf("%s: not a CLIP model", m.Dir)
	}
	v := m.Store.GetVariable("/logit_scale/log_scale")
	if v == nil {
		return 0, fmt.Errorf("%s: the model has no logit scale", m.Dir)
	}
	t, err := v.Value()
	if err != nil {
		return 0, err
	}
	s := math.Exp(float64(tensors.MustCopyFlatData[float32](t)[0]))
	maxScale := m.CLIP.MaxLogitScale
	if maxScale == 0 {
		maxScale = clip.DefaultMaxLogitScale
	}
	if m.CLIP.NoLogitScaleClamp {
		return s, nil
	}
	return math.Min(s, maxScale), nil
}

// describe names the model for messages: kind, layout and sizes.
func (m *Model) describe() string {
	switch m.Kind {
	case KindCLIP:
		return fmt.Sprintf("%s, CLIP with a %dx%d image tower", m.Layout, m.CLIP.ViT.Dim, m.CLIP.ViT.Depth)
	case KindCaption:
		c := m.Caption
		return fmt.Sprintf("%s, captioner: a %dx%d ViT encoder, a %dx%d decoder over %d ids", m.Layout,
			c.Encoder.Dim, c.Encoder.Depth, c.Dim, c.Depth, c.Vocab)
	case KindViLT:
		return fmt.Sprintf("%s, ViLT %dx%d over %d words, %d answers", m.Layout, m.ViLT.Dim, m.ViLT.Depth, m.ViLT.VocabSize,
			len(m.Labels))
	}
	return fmt.Sprintf("%s, ViT %dx%d, %d classes", m.Layout, m.ViT.Dim, m.ViT.Depth, m.ViT.Classes)
}
