// Package weights loads the pretrained models everyone uses into mmdna's model
// packages and writes mmdna's models back in their layouts: Hugging Face
// (ViTModel, ViTForImageClassification, CLIPModel), timm's VisionTransformer, OpenAI
// CLIP / open_clip, and mmdna's own run directories.
//
// A layout is data: for each one a table maps every mmdna variable to the tensors it
// is made of (tower.go, hfvit.go, timm.go, ...), with the conversion between
// PyTorch's layouts and mmdna's (convert.go). Loading detects the layout from the
// directory's files and tensor names, reads the configuration from its files (and,
// where a file is silent, from the tensor shapes, as OpenAI's build_model does),
// checks every tensor against the table before it reads any, and builds a
// model.Store whose variables the model packages' Build functions use as they are.
package weights

import (
	"encoding/json"
	"errors"
	"os"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vilt"
	"github.com/mmdna/mmdna/models/vit"
)

// Layout names a family of files and tensor names.
type Layout string

// The layouts mmdna reads.
const (
	LayoutHFViT      Layout = "hf-vit"      // transformers' ViTModel / ViTForImageClassification
	LayoutTimmViT    Layout = "timm-vit"    // timm's VisionTransformer
	LayoutOpenAICLIP Layout = "openai-clip" // OpenAI CLIP's state dict, as open_clip stores it
	LayoutHFCLIP     Layout = "hf-clip"     // transformers' CLIPModel
	LayoutRun        Layout = "mmdna-run"   // an mmdna run directory
)

// Kind says which model package a Spec builds.
type Kind string

// The model kinds.
const (
	KindViT  Kind = "vit"  // models/vit: an image classifier or encoder.
	KindCLIP Kind = "clip" // models/clip: a dual encoder.
	// KindCaption is models/caption: an image captioner; its run directory holds the
	// word-level tokenizer (tokenizer.json) the captions were encoded with.
	KindCaption Kind = "caption"
	// KindViLT is models/vilt: a single-stream vision-language transformer with a VQA
	// head whose answers are Labels; its run directory holds the word-level tokenizer.
	KindViLT Kind = "vilt"
)

// Spec describes a model: what it takes to build its graph and name its outputs.
type Spec struct {
	Kind Kind        `json:"kind"`
	ViT  vit.Config  `json:"vit,omitzero"`
	CLIP clip.Config `json:"clip,omitzero"`
	// Caption is the captioner of a KindCaption run (models/caption).
	Caption caption.Config `json:"caption,omitzero"`
	// ViLT is the model of a KindViLT run (models/vilt).
	ViLT   vilt.Config `json:"vilt,omitzero"`
	Labels []string    `json:"labels,omitempty"` // class names of a classifier head; a ViLT's answers.
	// Preprocess is how the run fed its images (size and normalisation), nil when
	// the run did not record it.
	Preprocess *imageproc.Config `json:"preprocess,omitempty"`
}

// Model is a loaded model: its description, its weights and where they came from.
type Model struct {
	Spec
	Layout Layout
	Dir    string
	// Store holds the variables, at the paths the model packages use with the root
	// scope (vit.Build(store root scope, ...), clip.Build(...)).
	Store *model.Store
	// Preprocess turns an image into the model's input, as the model's files say
	// (preprocessor_config.json, timm's pretrained_cfg, OpenAI CLIP's transform, or the
	// run's recorded normalisation).
	Preprocess imageproc.Config
	// Tokenizer encodes texts for a CLIP's text tower, read from the directory's
	// tokenizer files and padded to its position table; nil for a ViT, or when the
	// directory has no tokenizer files (Encoder says why).
	Tokenizer text.Encoder
	// Notes say what the loader inferred, assumed or ignored, one line each.
	Notes []string
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func marshalIndent(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
