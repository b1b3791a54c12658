package shapeworld

import (
	"image"
	"image/color"

	"github.com/mmdna/mmdna/viz"
)

// heldOutCaption is the caption colour of images that contain a held-out pair.
var heldOutCaption = color.RGBA{R: 190, G: 20, B: 20, A: 255}

// SampleGrid draws the first n images of a split (fewer if the split is smaller) in
// rows of cols, each with one of its captions (rotating through the templates) under
// it; captions of images with a held-out colour-shape pair are red. Images are
// upscaled so that a cell is about 192 pixels wide.
func SampleGrid(s *Split, n, cols int) *image.RGBA {
	n = min(max(n, 0), s.Images.N)
	cells := make([]viz.Cell, n)
	for i := range n {
		sc := s.Scenes[i]
		cells[i] = viz.Cell{
			Img:     viz.FromHWC(s.Images.Image(i), s.Images.H, s.Images.W, s.Images.C),
			Caption: sc.Captions[i%len(sc.Captions)],
		}
		if sc.HeldOut {
			cells[i].CaptionColor = heldOutCaption
		}
	}
	return viz.ImageGrid(cells, cols, max(1, 192/s.Images.W))
}
