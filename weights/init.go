package weights

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/models/clip"
)

// StartFrom describes a model to start from m's weights (fine-tuning, `-set init=DIR`):
// m's architecture on other images (size and channels) and, for a ViT classifier,
// another number of classes. It returns the target's Spec and the variables to set
// before training, with notes on what was adapted:
//   - the image size may change: the position table keeps its grid and the model
//     resizes it to the new one (vit.Config.PosInterpolation), trainably;
//   - the channels may go from 3 to 1 (the patch weights summed over the colours, as
//     timm's adapt_input_conv does) or from 1 to 3 (repeated, divided by 3);
//   - a head of another class count is left out: the model creates a new one.
//
// The patch (or conv stage) size must still tile the new image.
func (m *Model) StartFrom(image, channels, classes int) (Spec, map[string]*tensors.Tensor, []string, error) {
	spec := m.Spec
	var notes []string
	patchVar := ""
	switch m.Kind {
	case KindViT:
		from := spec.ViT
		spec.ViT.Image, spec.ViT.Channels, spec.ViT.Classes = image, channels, classes
		if err := spec.ViT.Validate(); err != nil {
			return spec, nil, nil, fmt.Errorf("init %s: %w", m.Dir, err)
		}
		if from.Classes != classes {
			notes = append(notes, fmt.Sprintf("a new %d-class head (the model's has %d classes)", classes, from.Classes))
		}
		patchVar = "/patch_embed/dense/weights"
	case KindCLIP:
		spec.CLIP.ViT.Image, spec.CLIP.ViT.Channels = image, channels
		if err := spec.CLIP.Validate(); err != nil {
			return spec, nil, nil, fmt.Errorf("init %s: %w", m.Dir, err)
		}
		if err := spec.CLIP.CheckImage(image, image); err != nil {
			return spec, nil, nil, fmt.Errorf("init %s: %w", m.Dir, err)
		}
		patchVar = "/image/patch_embed/dense/weights"
		if spec.CLIP.Tower == clip.TowerConv {
			patchVar = "/image/stage_00/dense/weights"
		}
	case KindCaption, KindViLT:
		return spec, nil, nil, fmt.Errorf("init %s: a %s model: training starts from a ViT or a CLIP", m.Dir, m.Kind)
	default:
		return spec, nil, nil, fmt.Errorf("init %s: model kind %q", m.Dir, m.Kind)
	}
	side, from := m.ImageShape()
	if side != image {
		notes = append(notes, fmt.Sprintf("images of %d px (the model's are %d): positions resized", image, side))
	}
	vars := map[string]*tensors.Tensor{}
	for v := range m.Store.IterVariables() {
		path := v.Path()
		if m.Kind == KindViT && strings.HasPrefix(path, "/head/") && spec.ViT.Classes != m.ViT.Classes {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return spec, nil, nil, fmt.Errorf("init %s: %s: %w", m.Dir, path, err)
		}
		if path == patchVar && from != channels {
			if value, err = adaptChannels(value, from, channels); err != nil {
				return spec, nil, nil, fmt.Errorf("init %s: %s: %w", m.Dir, path, err)
			}
			notes = append(notes, fmt.Sprintf("patch weights adapted from %d to %d channels", from, channels))
		}
		vars[path] = value
	}
	return spec, vars, notes, nil
}

// adaptChannels turns patch weights [p*p*from, D] (channels innermost, nn.Patchify's
// order) into [p*p*to, D]: summed over the channels for 3 -> 1 (a grey pixel g stands
// for (g, g, g)), repeated and divided by 3 for 1 -> 3 (the same response to grey).
func adaptChannels(w *tensors.Tensor, from, to int) (*tensors.Tensor, error) {
	if !((from == 3 && to == 1) || (from == 1 && to == 3)) {
		return nil, fmt.Errorf("%d to %d channels: mmdna adapts 3 to 1 and 1 to 3", from, to)
	}
	rows, d := w.Shape().Dim(0), w.Shape().Dim(1)
	pixels := rows / from
	src := tensors.MustCopyFlatData[float32](w)
	dst := make([]float32, pixels*to*d)
	for p := range pixels {
		for j := range d {
			if to == 1 {
				var s float32
				for c := range from {
					s += src[(p*from+c)*d+j]
				}
				dst[p*d+j] = s
				continue
			}
			for c := range to {
				dst[(p*to+c)*d+j] = src[p*d+j] / 3
			}
		}
	}
	t := tensors.FromShape(shapes.Make(dtypes.Float32, pixels*to, d))
	t.MustMutableFlatData(func(flat any) { copy(flat.([]float32), dst) })
	return t, nil
}

// SetVariables creates vars in store (a fresh training store), for a train.Task's
// Init.
func SetVariables(store *model.Store, vars map[string]*tensors.Tensor) error {
	for path, value := range vars {
		if _, err := store.CreateVariable(path, value); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
