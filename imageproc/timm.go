package imageproc

import (
	"math"
	"os"
)

// timm's defaults (timm/data/constants.py, config.py).
const (
	timmDefaultCropPct = 0.875
	timmDefaultInterp  = "bicubic"
)

var timmFilters = map[string]Filter{
	"nearest": Nearest, "bilinear": Bilinear, "bicubic": Bicubic,
	"box": Box, "hamming": Hamming, "lanczos": Lanczos,
}

// FromTimmConfig reads a timm hub config.json (its "pretrained_cfg" object, or the same
// keys at the top level as older files have them) and returns timm's evaluation
// transform (resolve_data_config + transforms_imagenet_eval): with img_size the
// input_size's height and width and scale_size = floor(img_size / crop_pct), crop_mode
// "center" (the default) resizes the shorter side to scale_size and centre-crops
// img_size (torchvision's Resize and CenterCrop); "squash" resizes to scale_size x
// scale_size and crops. A non-square "center" input uses timm's ResizeKeepRatio, which
// timm calls without the interpolation, so it is bilinear. Defaults: input_size
// [3, 224, 224], interpolation bicubic, crop_pct 0.875, ImageNet mean and std.
// crop_mode "border" and other channel counts than 3 are errors; test_input_size and
// test_crop_pct are ignored (timm reads them only when asked for use_test_size). The
// transform is that of timm's transforms_factory.py as of August 2026; older timm
// releases resized non-square inputs to the exact scale size instead.
func FromTimmConfig(file string, data []byte) (Config, error) {
	top, err := parseObject(file, data)
	if err != nil {
		return Config{}, err
	}
	f, ok, err := top.object("pretrained_cfg")
	if err != nil {
		return Config{}, err
	}
	if !ok {
		f = top
	}
	size, err := f.ints("input_size")
	if err != nil {
		return Config{}, err
	}
	if size == nil {
		size = []int{3, 224, 224}
	}
	if len(size) != 3 || (size[0] != 1 && size[0] != 3) || size[1] <= 0 || size[2] <= 0 || size[1] > 1<<20 || size[2] > 1<<20 {
		return Config{}, f.errorf("input_size", "[channels (1 or 3), height, width] with positive sizes", f.raw("input_size"))
	}
	interp, err := f.str("interpolation", timmDefaultInterp)
	if err != nil {
		return Config{}, err
	}
	if interp == "" {
		interp = timmDefaultInterp
	}
	filter, ok := timmFilters[interp]
	if !ok {
		return Config{}, f.errorf("interpolation", "nearest, bilinear, bicubic, box, hamming or lanczos", f.raw("interpolation"))
	}
	cropPct, err := f.number("crop_pct", timmDefaultCropPct)
	if err != nil {
		return Config{}, err
	}
	if cropPct == 0 { // timm: `pretrained_cfg.get('crop_pct') or DEFAULT_CROP_PCT`
		cropPct = timmDefaultCropPct
	}
	if cropPct < 0 || cropPct > 10 {
		return Config{}, f.errorf("crop_pct", "a fraction in (0, 1]", f.raw("crop_pct"))
	}
	mode, err := f.str("crop_mode", "center")
	if err != nil {
		return Config{}, err
	}
	mean, err := f.floats("mean", ImageNetMean)
	if err != nil {
		return Config{}, err
	}
	std, err := f.floats("std", ImageNetStd)
	if err != nil {
		return Config{}, err
	}
	h, w := size[1], size[2]
	sh, sw := int(math.Floor(float64(h)/cropPct)), int(math.Floor(float64(w)/cropPct))
	c := Config{Source: file + " (timm pretrained_cfg)", Filter: filter, CenterCrop: true,
		CropHeight: h, CropWidth: w, CropRule: TorchvisionCrop, Rescale: 1.0 / 255, Mean: mean, Std: std}
	switch mode {
	case "", "center":
		if sh == sw {
			c.Resize, c.Size = ShortestEdge, sh
		} else {
			c.Resize, c.Height, c.Width, c.Filter = KeepRatio, sh, sw, Bilinear
		}
	case "squash":
		c.Resize, c.Height, c.Width = Exact, sh, sw
	default:
		return Config{}, f.errorf("crop_mode", `"center" or "squash" (timm's "border" is not supported)`, f.raw("crop_mode"))
	}
	return c, c.Validate()
}

// LoadTimmConfig reads the timm config.json at path.
func LoadTimmConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return FromTimmConfig(path, data)
}

// KeepRatioSize is timm's ResizeKeepRatio(size=(h, w), longest=0) output for a w0 x h0
// image: both sides divided by the smaller of the two ratios h0/h and w0/w, rounded
// half to even as Python's round.
func KeepRatioSize(w0, h0, w, h int) (int, int) {
	rh, rw := float64(h0)/float64(h), float64(w0)/float64(w)
	r := min(rh, rw)
	return int(math.RoundToEven(float64(w0) / r)), int(math.RoundToEven(float64(h0) / r))
}
