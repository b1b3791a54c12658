package weights

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestAdaptChannels checks the channel adaptation by hand on a 1x1 patch with two
// output features: 3 -> 1 sums (1+2+3, 10+20+30), 1 -> 3 repeats a third.
func TestAdaptChannels(t *testing.T) {
	rgb := tensors.FromFlatDataAndDimensions([]float32{1, 10, 2, 20, 3, 30}, 3, 2) // [p*p*3, D], channels innermost.
	grey, err := adaptChannels(rgb, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](grey); !slices.Equal(got, []float32{6, 60}) {
		t.Errorf("3 -> 1: %v, want [6 60]", got)
	}
	back, err := adaptChannels(tensors.FromFlatDataAndDimensions([]float32{3, 30}, 1, 2), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](back); !slices.Equal(got, []float32{1, 10, 1, 10, 1, 10}) {
		t.Errorf("1 -> 3: %v, want [1 10 1 10 1 10]", got)
	}
	if _, err := adaptChannels(rgb, 3, 4); err == nil {
		t.Error("3 -> 4 channels: no error")
	}
}

// TestStartFrom: a 3-channel 5-class ViT started on grey images of another size with 7
// classes keeps every variable but the head, adapts the patch weights, and notes all
// three changes; an image size the patch does not tile is an error.
func TestStartFrom(t *testing.T) {
	m, err := Load(tinyHFViT(t, nil, nil)) // 8 px, patch 4, 3 classes.
	if err != nil {
		t.Fatal(err)
	}
	spec, vars, notes, err := m.StartFrom(12, 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	if spec.ViT.Image != 12 || spec.ViT.Channels != 1 || spec.ViT.Classes != 7 || spec.ViT.Dim != m.ViT.Dim {
		t.Errorf("spec %+v", spec.ViT)
	}
	if _, ok := vars["/head/dense/weights"]; ok {
		t.Error("the 3-class head was kept for a 7-class model")
	}
	if got := vars["/patch_embed/dense/weights"].Shape().Dimensions; !slices.Equal(got, []int{16, m.ViT.Dim}) {
		t.Errorf("patch weights %v, want [16 %d]", got, m.ViT.Dim)
	}
	if len(vars) != m.Store.NumVariables()-2 {
		t.Errorf("%d variables, want the model's %d but the head's 2", len(vars), m.Store.NumVariables())
	}
	joined := strings.Join(notes, "; ")
	for _, want := range []string{"new 7-class head", "images of 12 px", "from 3 to 1 channels"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes %q: want %q", joined, want)
		}
	}
	if _, _, _, err := m.StartFrom(10, 3, 3); err == nil || !strings.Contains(err.Error(), "not divisible by patch 4") {
		t.Errorf("10 px with patch 4: %v", err)
	}
}
