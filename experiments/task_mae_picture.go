package experiments

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/datasets"
	"github.com/mmdna/mmdna/models/mae"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// maePictureImages is how many images (rows) the reconstruction grid shows.
const maePictureImages = 8

// maeMaskedGrey is the pixel value that stands for a removed patch in the pictures.
const maeMaskedGrey = 110

// maePicture draws the reconstruction grid of the first images of set, one row per
// image: the original, the masked input (removed patches grey), the reconstruction
// and the reconstruction pasted with the visible patches. It writes
// reconstructions/<split>_step_NNNNNN.png (one per evaluation) and reconstruction.png
// (the latest) in the run directory.
func maePicture(ev *train.Evaluation, cfg mae.Config, set *datasets.Images, mean, std []float32, seed uint64) error {
	n := min(maePictureImages, set.N)
	exec, err := train.EvalExec(ev, func(scope *model.Scope, x, noise *Node) []*Node {
		o := mae.Forward(scope, cfg, x, noise)
		recon, pasted := mae.Reconstruct(cfg, x, o.Pred, o.Mask)
		return []*Node{recon, pasted, o.Mask}
	})
	if err != nil {
		return err
	}
	L := cfg.NumPatches()
	in, _ := maeInputs(cfg, set, mean, std, seed)(seq(n))
	out, err := exec.Exec(in[0], in[1])
	if err != nil {
		return err
	}
	recon, pasted := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	mask := tensors.MustCopyFlatData[float32](out[2])
	size := set.ImageSize()
	cells := make([]viz.Cell, 0, 4*n)
	for i := range n {
		orig := set.Image(i)
		cells = append(cells,
			viz.Cell{Img: viz.FromHWC(orig, set.H, set.W, set.C)},
			viz.Cell{Img: viz.FromHWC(maskPixels(orig, mask[i*L:(i+1)*L], set, cfg.Encoder.Patch), set.H, set.W, set.C)},
			viz.Cell{Img: denormalized(recon[i*size:(i+1)*size], set, mean, std)},
			viz.Cell{Img: denormalized(pasted[i*size:(i+1)*size], set, mean, std)})
	}
	for c, caption := range []string{"original", fmt.Sprintf("masked %.0f%%", 100*cfg.MaskRatio), "recon", "+ visible"} {
		cells[c].Caption = caption
	}
	grid := viz.ImageGrid(cells, 4, max(1, 96/set.W))
	dir := filepath.Join(ev.Dir, "reconstructions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mae: %w", err)
	}
	for _, path := range []string{filepath.Join(dir, fmt.Sprintf("%s_step_%06d.png", ev.Split, ev.Step)),
		filepath.Join(ev.Dir, "reconstruction.png")} {
		if err := viz.SavePNG(path, grid); err != nil {
			return err
		}
	}
	return nil
}

// maskPixels returns a copy of an image [H, W, C] with its removed patches (mask 1,
// patches row-major) painted grey.
func maskPixels(pix []uint8, mask []float32, set *datasets.Images, patch int) []uint8 {
	out := append([]uint8(nil), pix...)
	grid := set.W / patch
	for r := range set.H {
		for c := range set.W {
			if mask[(r/patch)*grid+c/patch] == 0 {
				continue
			}
			for ch := range set.C {
				out[(r*set.W+c)*set.C+ch] = maeMaskedGrey
			}
		}
	}
	return out
}

// denormalized turns normalised pixels [H, W, C] back into an image:
// 255·(v·std + mean), clamped.
func denormalized(v []float32, set *datasets.Images, mean, std []float32) image.Image {
	pix := make([]uint8, len(v))
	for q, x := range v {
		ch := q % set.C
		y := float64(x)
		if mean != nil {
			y = y*float64(std[ch]) + float64(mean[ch])
		}
		pix[q] = uint8(math.Round(255 * math.Min(1, math.Max(0, y))))
	}
	return viz.FromHWC(pix, set.H, set.W, set.C)
}
