package weights

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// source is what a table reads tensors from: an opened safetensors file.
type source interface {
	Names() []string
	Shape(name string) ([]int, bool)
	ReadFloat32(name string, dst []float32) error
}

// table is a layout's name map for one configuration: every mmdna variable the model
// needs with the tensors it comes from, and the tensors the layout may hold that the
// model does not use (ignored, with a note).
type table struct {
	maps   []mapping
	ignore func(name string) bool
}

// needed returns the names of every tensor the table reads, sorted.
func (t table) needed() []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range t.maps {
		for _, n := range m.theirs {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// check validates a file against the table before anything is read: every needed
// tensor present with the shape the configuration implies, nothing unexpected.
// It returns the names that were ignored.
func (t table) check(file string, src source) (ignored []string, err error) {
	have := map[string]bool{}
	for _, n := range src.Names() {
		have[n] = true
	}
	needed := t.needed()
	var missing, unexpected []string
	for _, n := range needed {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	want := map[string]bool{}
	for _, n := range needed {
		want[n] = true
	}
	for _, n := range src.Names() {
		switch {
		case want[n]:
		case t.ignore != nil && t.ignore(n):
			ignored = append(ignored, n)
		default:
			unexpected = append(unexpected, n)
		}
	}
	sort.Strings(unexpected)
	switch {
	case len(missing) > 0 && len(unexpected) > 0:
		return nil, fmt.Errorf("%s: missing tensors %s; unexpected tensors %s", file, list(missing), list(unexpected))
	case len(missing) > 0:
		return nil, fmt.Errorf("%s: missing tensors %s", file, list(missing))
	case len(unexpected) > 0:
		return nil, fmt.Errorf("%s: unexpected tensors %s", file, list(unexpected))
	}
	for _, m := range t.maps {
		if err := m.checkShapes(file, src.Shape); err != nil {
			return nil, err
		}
	}
	return ignored, nil
}

// load checks the file and then creates every variable in a new store. Each variable
// is converted straight into its tensor's memory, so loading holds the model plus the
// largest single source tensor.
func (t table) load(file string, src source) (*model.Store, []string, error) {
	ignored, err := t.check(file, src)
	if err != nil {
		return nil, nil, err
	}
	store := model.NewStore()
	for _, m := range t.maps {
		in := make([]tensor, len(m.theirs))
		for i, name := range m.theirs {
			shape, _ := src.Shape(name)
			in[i] = tensor{shape: shape, data: make([]float32, size(shape))}
			if err := src.ReadFloat32(name, in[i].data); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", file, err)
			}
		}
		value := tensors.FromShape(shapes.Make(dtypes.Float32, m.oursShape...))
		var convErr error
		value.MustMutableFlatData(func(flat any) { convErr = m.toOursInto(flat.([]float32), in) })
		if convErr != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", file, m.ours, convErr)
		}
		if _, err := store.CreateVariable(m.ours, value); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", file, m.ours, err)
		}
	}
	return store, ignored, nil
}

// list renders names for an error: the first eight, then a count.
func list(names []string) string {
	const most = 8
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

// variables returns the table's mmdna variable paths, sorted (tests compare them
// with the variables the model's graph creates).
func (t table) variables() []string {
	var out []string
	for _, m := range t.maps {
		out = append(out, m.ours)
	}
	slices.Sort(out)
	return out
}
