package experiments

// Pictures of the captioning task: test images with their greedy and beam captions,
// the cross-attention over patches behind every generated word, test images as PNGs
// for `infer caption`, and the loss curve.

import (
	"image/color"
	"os"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/models/caption"
	"github.com/mmdna/mmdna/train"
	"github.com/mmdna/mmdna/viz"
)

// captionReport writes captions.png, caption_attention.png, images/test_NNN.png and
// loss.png from the test evaluation's captions.
func captionReport(ev *train.Evaluation, cfg caption.Config, cd *captionData, r *captionResult) error {
	picks := captionPicks(r, 16)
	if err := captionGrid(ev, r, picks); err != nil {
		return err
	}
	if err := captionAttention(ev, cfg, r, picks[:min(4, len(picks))], cd.d.Tok.Decode); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(ev.Dir, "images"), 0o755); err != nil {
		return err
	}
	for i := range min(8, r.N) {
		pix, err := r.Split.Pixels(i)
		if err != nil {
			return err
		}
		if err := viz.SavePNG(captionImagePath(ev.Dir, i), viz.FromHWC(pix, r.Split.H, r.Split.W, r.Split.C)); err != nil {
			return err
		}
	}
	ev.Log("wrote %s ... (try: go run ./cmd/infer caption -model %s %s)", captionImagePath(ev.Dir, 0), ev.Dir,
		captionImagePath(ev.Dir, 0))
	trainS, evalS, err := readLossCurve(ev.Dir)
	if err != nil {
		return err
	}
	// The training loss adds words_loss x the bag-of-words loss (caption.WordsLoss) to the
	// teacher-forcing cross-entropy, and has dropout; the eval loss is the cross-entropy
	// alone.
	trainS.Name = "train: cross-entropy + words_loss x bag-of-words (dropout on)"
	evalS.Name = "eval: cross-entropy per token"
	path := filepath.Join(ev.Dir, "loss.png")
	if err := viz.LineChart(path, "captioning: training loss", "step", "loss", trainS, evalS); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}

// captionPicks chooses up to n test images: the first ones, and on the shapes world
// half of them among images with a held-out colour-shape pair.
func captionPicks(r *captionResult, n int) []int {
	var picks, held []int
	if r.Split.HeldOut != nil {
		for i := range r.N {
			if r.Split.HeldOut[i] && len(held) < n/2 {
				held = append(held, i)
			}
		}
	}
	for i := 0; i < r.N && len(picks) < n-len(held); i++ {
		if r.Split.HeldOut == nil || !r.Split.HeldOut[i] {
			picks = append(picks, i)
		}
	}
	return append(picks, held...)
}

// captionGrid writes captions.png: each picked image with its greedy and beam
// captions, red where the greedy caption misses an object (shapes world).
func captionGrid(ev *train.Evaluation, r *captionResult, picks []int) error {
	cells := make([]viz.Cell, 0, len(picks))
	for _, i := range picks {
		pix, err := r.Split.Pixels(i)
		if err != nil {
			return err
		}
		text := "greedy: " + r.Greedy[i].Text
		if r.Beam != nil {
			text += "\nbeam: " + r.Beam[i].Text
		}
		cell := viz.Cell{Img: viz.FromHWC(pix, r.Split.H, r.Split.W, r.Split.C), Caption: text}
		if r.Split.Scenes != nil {
			if all, _ := objectRecall(r.Greedy[i].Text, r.Split.Scenes[i].Objects, nil); all.named < all.total {
				cell.CaptionColor = color.RGBA{R: 200, A: 255}
			}
			if r.Split.HeldOut[i] {
				cell.Caption = "[held-out pair]\n" + cell.Caption
			}
		}
		cells = append(cells, cell)
	}
	scale := max(1, 192/max(r.Split.W, 1))
	path := filepath.Join(ev.Dir, "captions.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, 4, scale)); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}

// captionAttention writes caption_attention.png: for each picked image a row with the
// image and, for every word of its greedy caption, the last decoder block's
// cross-attention over the patches (mean over heads) while that word was chosen.
func captionAttention(ev *train.Evaluation, cfg caption.Config, r *captionResult, picks []int, decode func([]int32) string) error {
	if len(picks) == 0 {
		return nil
	}
	grid := cfg.Encoder.Image / cfg.Encoder.Patch
	exec, err := train.EvalExec(ev, func(scope *model.Scope, images, ids *Node) *Node {
		att := caption.CrossAttention(scope, cfg, images, ids) // [batch, depth, len, heads, tokens]
		last := Squeeze(Slice(att, AxisRange(), AxisElem(cfg.Depth-1)), 1)
		return ReduceMean(last, 2) // [batch, len, tokens]
	})
	if err != nil {
		return err
	}
	ids := make([]int32, len(picks)*cfg.MaxLen) // [PAD] = 0 after each caption.
	words := 0
	for k, i := range picks {
		copy(ids[k*cfg.MaxLen:], r.Greedy[i].IDs)
		words = max(words, len(r.Greedy[i].IDs)-1)
	}
	x, err := r.Split.ImagesTensor(picks)
	if err != nil {
		return err
	}
	out, err := exec.Exec(x, tensors.FromFlatDataAndDimensions(ids, len(picks), cfg.MaxLen))
	if err != nil {
		return err
	}
	att, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return err
	}
	tokens := grid * grid
	var cells []viz.Cell
	for k, i := range picks {
		pix, err := r.Split.Pixels(i)
		if err != nil {
			return err
		}
		img := viz.FromHWC(pix, r.Split.H, r.Split.W, r.Split.C)
		cells = append(cells, viz.Cell{Img: img, Caption: "image"})
		row := r.Greedy[i].IDs
		for pos := range words {
			if pos+1 >= len(row) {
				cells = append(cells, viz.Cell{})
				continue
			}
			// Position pos chose the token at pos+1.
			heat := att[(k*cfg.MaxLen+pos)*tokens : (k*cfg.MaxLen+pos+1)*tokens]
			word := "[EOS]"
			if row[pos+1] != cfg.EOS {
				word = decode([]int32{cfg.BOS, row[pos+1], cfg.EOS})
			}
			cells = append(cells, viz.Cell{Img: viz.Overlay(img, heat, grid, grid, 0.6), Caption: word})
		}
	}
	path := filepath.Join(ev.Dir, "caption_attention.png")
	if err := viz.SavePNG(path, viz.ImageGrid(cells, words+1, max(1, 96/max(r.Split.W, 1)))); err != nil {
		return err
	}
	ev.Log("wrote %s", path)
	return nil
}
