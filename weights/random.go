package weights

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
)

// Random returns a model of spec with freshly initialised weights (the model packages'
// own initialisers, seeded), for tests, benchmarks and notebooks that need a model
// directory without downloading one: Export writes it in a pretrained layout. A CLIP
// takes tok as its tokenizer (nil: OpenAI's); its preprocessing is OpenAI CLIP's, a
// ViT's Hugging Face's defaults. A captioner takes tok, the word-level tokenizer of its
// vocabulary, and plain [0, 1] pixels.
func Random(backend compute.Backend, spec Spec, tok text.Encoder, seed int64) (*Model, error) {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	m := &Model{Spec: spec, Store: store, Layout: LayoutRun}
	side, channels := m.ImageShape()
	images := tensors.FromShape(shapes.Make(dtypes.Float32, 1, side, side, channels))
	var exec *model.Exec
	var err error
	switch spec.Kind {
	case KindViT:
		if err := spec.ViT.Validate(); err != nil {
			return nil, err
		}
		m.Preprocess = defaultPreprocess(side, LayoutHFViT)
		exec, err = model.NewExec(backend, store, func(scope *model.Scope, x *Node) *Node {
			return vit.Build(scope, spec.ViT, x).PreLogits
		})
		if err == nil {
			_, err = exec.Exec(images)
		}
	case KindCLIP:
		if err := spec.CLIP.Validate(); err != nil {
			return nil, err
		}
		if tok == nil {
			if tok, err = text.OpenAICLIP(); err != nil {
				return nil, err
			}
		}
		if tok.VocabSize() != spec.CLIP.Text.VocabSize {
			return nil, fmt.Errorf("weights.Random: the tokenizer has %d ids, the text tower %d", tok.VocabSize(), spec.CLIP.Text.VocabSize)
		}
		m.Tokenizer, m.Preprocess = tok, imageproc.CLIPConfig(side)
		ids := tensors.FromShape(shapes.Make(dtypes.Int32, 1, spec.CLIP.Text.MaxLen))
		mask := tensors.FromShape(shapes.Make(dtypes.Int32, 1, spec.CLIP.Text.MaxLen))
		exec, err = model.NewExec(backend, store, func(scope *model.Scope, x, ids, mask *Node) *Node {
			return clip.Build(scope, spec.CLIP, x, ids, mask).LogitsPerImage
		})
		if err == nil {
			_, err = exec.Exec(images, ids, mask)
		}
	case KindCaption:
		if err := spec.Caption.Validate(); err != nil {
			return nil, err
		}
		if tok == nil || tok.VocabSize() != spec.Caption.Vocab {
			return nil, fmt.Errorf("weights.Random: a captioner needs its word-level tokenizer of %d ids", spec.Caption.Vocab)
		}
		m.Tokenizer, m.Preprocess = tok, defaultPreprocess(side, LayoutRun)
		ids := tensors.FromShape(shapes.Make(dtypes.Int32, 1, spec.Caption.MaxLen)) // [1, MaxLen] of [PAD]: only the shapes matter.
		exec, err = model.NewExec(backend, store, func(scope *model.Scope, x, ids *Node) *Node {
			return caption.Build(scope, spec.Caption, x, ids).Logits
		})
		if err == nil {
			_, err = exec.Exec(images, ids)
		}
	default:
		return nil, fmt.Errorf("weights.Random: model kind %q", spec.Kind)
	}
	if exec != nil {
		exec.Finalize()
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}
