package experiments

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/models/clip"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/weights"
)

// wantLoadable loads the run in dir with weights.Load (model.json and the best or
// newest checkpoint, no experiments code) and builds its model on the loaded
// variables: the build must create none, so every variable the model reads comes
// from the run.
func wantLoadable(t *testing.T, dir string, kind weights.Kind) *weights.Model {
	t.Helper()
	m, err := weights.Load(dir)
	if err != nil {
		t.Fatalf("weights.Load(%s): %v", dir, err)
	}
	if m.Kind != kind {
		t.Fatalf("model.json kind %q, want %q", m.Kind, kind)
	}
	before := m.Store.NumVariables()
	switch kind {
	case weights.KindViT:
		c := m.ViT
		testbackend.Run(t, m.Store, func(scope *model.Scope, x *Node) *Node { return vit.Build(scope, c, x).Logits },
			tensors.FromShape(shapes.Make(dtypes.Float32, 2, c.Image, c.Image, c.Channels)))
	case weights.KindCLIP:
		c := m.CLIP
		img, L := c.ViT.Image, c.Text.MaxLen // the conv tower takes the same size.
		testbackend.Run(t, m.Store, func(scope *model.Scope, x, ids, mask *Node) *Node {
			return clip.Build(scope, c, x, ids, mask).LogitsPerImage
		}, tensors.FromShape(shapes.Make(dtypes.Float32, 2, img, img, c.ViT.Channels)),
			tensors.FromShape(shapes.Make(dtypes.Int32, 2, L)), tensors.FromShape(shapes.Make(dtypes.Int32, 2, L)))
	}
	if after := m.Store.NumVariables(); after != before {
		t.Errorf("building the loaded %s model created %d variables the run did not save", kind, after-before)
	}
	return m
}
