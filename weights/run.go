package weights

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/train"
)

// SpecFile is the file of a run directory that describes its model: the experiment
// writes it when it builds the model, so a run can be loaded without the experiment's
// code (nanoGPT's checkpoints carry their config for the same reason).
const SpecFile = "model.json"

// WriteSpec records spec in the run directory dir.
func WriteSpec(dir string, spec Spec) error {
	data, err := marshalIndent(spec)
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(filepath.Join(dir, SpecFile), data)
}

// loadRun loads a run directory's best checkpoint, else its newest.
func loadRun(dir string) (*Model, error) {
	specPath := filepath.Join(dir, SpecFile)
	var spec Spec
	if err := readJSON(specPath, &spec); err != nil {
		if os.IsNotExist(unwrapPath(err)) || fileIn(dir, SpecFile) == "" {
			return nil, fmt.Errorf("-model %s: a run directory without %s (runs made before mmdna recorded its model); "+
				"train it again to load it", dir, SpecFile)
		}
		return nil, err
	}
	switch spec.Kind {
	case KindViT, KindCLIP:
	case KindCaption:
		// Decoding a malformed captioner would panic while its graph is built.
		if err := spec.Caption.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", specPath, err)
		}
	case KindViLT:
		if err := spec.ViLT.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", specPath, err)
		}
		if len(spec.Labels) == 0 {
			return nil, fmt.Errorf("%s: a ViLT without its answers (labels)", specPath)
		}
	default:
		return nil, fmt.Errorf("%s: model kind %q: mmdna reads %q, %q, %q and %q", specPath, spec.Kind, KindViT, KindCLIP,
			KindCaption, KindViLT)
	}
	ckpts := filepath.Join(dir, "checkpoints")
	path := filepath.Join(ckpts, "best")
	if _, err := os.Stat(path); err != nil {
		if path, err = train.LatestCheckpoint(ckpts); err != nil {
			return nil, err
		}
		if path == "" {
			return nil, fmt.Errorf("-model %s: no checkpoint in %s", dir, ckpts)
		}
	}
	all := model.NewStore()
	if _, err := train.LoadCheckpoint(path, all); err != nil {
		return nil, err
	}
	// Keep the model's own variables: the optimizer's moments and counters are not
	// trainable.
	store := model.NewStore()
	for v := range all.IterVariables() {
		if !v.Trainable {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, v.Path(), err)
		}
		if _, err := store.CreateVariable(v.Path(), value); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, v.Path(), err)
		}
	}
	m := &Model{Spec: spec, Store: store, Notes: []string{"checkpoint " + path}, Layout: LayoutRun, Dir: dir}
	if spec.Preprocess != nil {
		m.Preprocess = *spec.Preprocess
	} else {
		side, _ := m.ImageShape()
		m.Preprocess = defaultPreprocess(side, LayoutRun)
		m.Notes = append(m.Notes, "the run recorded no preprocessing: "+m.Preprocess.Source)
	}
	switch spec.Kind {
	case KindCLIP:
		tok, err := text.LoadDir(dir)
		if err != nil {
			return nil, err
		}
		m.Tokenizer = tok
	case KindCaption:
		tok, err := captionTokenizer(dir, spec.Caption)
		if err != nil {
			return nil, err
		}
		m.Tokenizer = tok
	case KindViLT:
		tok, err := viltTokenizer(dir, spec.ViLT)
		if err != nil {
			return nil, err
		}
		m.Tokenizer = tok
	}
	return m, nil
}
