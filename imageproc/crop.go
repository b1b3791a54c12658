package imageproc

import (
	"fmt"
	"math"
)

// CropRule says how a centre crop places its window when the margin is odd, and where
// the image goes when it is smaller than the crop (the rest is black, pixel value 0).
type CropRule int

const (
	// TorchvisionCrop is torchvision's CenterCrop (OpenAI CLIP, timm): the offset is
	// int(round((H - h) / 2.0)) with Python's round-half-to-even, so a margin of 151
	// gives 76 but 149 gives 74; a side smaller than the crop is padded with
	// (h - H) // 2 before and the rest after.
	TorchvisionCrop CropRule = iota
	// HFCrop is Hugging Face's image_transforms.center_crop: the offset is
	// (H - h) // 2 (floor), for a smaller side too, so the padding before is
	// ceil((h - H) / 2).
	HFCrop
)

// String names the rule.
func (r CropRule) String() string {
	switch r {
	case TorchvisionCrop:
		return "torchvision"
	case HFCrop:
		return "huggingface"
	}
	return fmt.Sprintf("CropRule(%d)", int(r))
}

// CropOffset returns where a centre crop of size crop starts along an axis of size n,
// in source coordinates (negative when the crop is larger and the image is padded).
func (r CropRule) CropOffset(n, crop int) int {
	d := n - crop
	if r == HFCrop {
		return floorDiv(d, 2)
	}
	if d < 0 {
		return -floorDiv(-d, 2)
	}
	return int(math.RoundToEven(float64(d) / 2))
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// CenterCrop cuts the centre h x w window out of img, placed by rule; where the window
// leaves the image the output is black.
func CenterCrop(img *RGB8, h, w int, rule CropRule) (*RGB8, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
		return nil, fmt.Errorf("center crop: empty or malformed image")
	}
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("center crop %dx%d image to %dx%d: sizes must be positive", img.W, img.H, w, h)
	}
	top, left := rule.CropOffset(img.H, h), rule.CropOffset(img.W, w)
	out := NewRGB8(w, h)
	// The part of the window inside the image: output columns [x0, x1), rows [y0, y1).
	x0, x1 := max(0, -left), min(w, img.W-left)
	y0, y1 := max(0, -top), min(h, img.H-top)
	for y := y0; y < y1; y++ {
		src := img.Pix[((y+top)*img.W+x0+left)*3:][:(x1-x0)*3]
		copy(out.Pix[(y*w+x0)*3:], src)
	}
	return out, nil
}
