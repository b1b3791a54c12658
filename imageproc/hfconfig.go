package imageproc

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// hfDefaults are the constructor defaults of a Hugging Face image processor class, used
// for the fields a preprocessor_config.json leaves out (transformers'
// image_processing_clip.py and image_processing_vit.py).
type hfDefaults struct {
	size          hfSize
	resample      Filter
	centerCrop    bool
	crop          hfSize
	mean, std     []float64
	squareBareInt bool // a bare int size means height = width (ViT), not the shorter side (CLIP)
}

var (
	clipDefaults = hfDefaults{size: hfSize{shortest: 224}, resample: Bicubic, centerCrop: true,
		crop: hfSize{height: 224, width: 224}, mean: CLIPMean, std: CLIPStd}
	vitDefaults = hfDefaults{size: hfSize{height: 224, width: 224}, resample: Bilinear,
		mean: HalfMean, std: HalfStd, squareBareInt: true}
)

// hfSize is a size field: {"shortest_edge": n} or {"height": h, "width": w}.
type hfSize struct{ shortest, height, width int }

// ParseHFConfig reads a Hugging Face preprocessor_config.json (ViTImageProcessor,
// CLIPImageProcessor and their older *FeatureExtractor names); file names it in
// errors. Fields: do_resize, size ({"shortest_edge": n}, {"height", "width"}, or a
// bare int: the shorter side for CLIP classes, a square otherwise), resample (PIL's
// numbering), do_center_crop, crop_size ({"height", "width"} or an int), do_rescale,
// rescale_factor, do_normalize, image_mean, image_std (a number or 3). Missing fields
// take the class's defaults: CLIP's when image_processor_type (or
// feature_extractor_type) contains "CLIP", ViT's otherwise, so an unknown class is
// read by its fields. Images are always converted to RGB (do_convert_rgb only matters
// to HF for non-RGB inputs, which the models cannot take). crop_pct (ConvNeXT's resize
// rule) is refused rather than ignored. The result matches the PIL-based ("slow")
// processors; the torchvision-based fast ones (use_fast=True) resize with torch and
// fold the rescale into the normalisation, and differ slightly.
func ParseHFConfig(file string, data []byte) (Config, error) {
	f, err := parseObject(file, data)
	if err != nil {
		return Config{}, err
	}
	typ, err := f.str("image_processor_type", "")
	if err != nil {
		return Config{}, err
	}
	if typ == "" {
		if typ, err = f.str("feature_extractor_type", ""); err != nil {
			return Config{}, err
		}
	}
	def := vitDefaults
	if strings.Contains(strings.ToUpper(typ), "CLIP") {
		def = clipDefaults
	}
	if r := f.raw("crop_pct"); r != nil {
		return Config{}, f.errorf("crop_pct", "no crop_pct (ConvNeXT's resize rule is not supported)", r)
	}
	if _, err := f.boolean("do_convert_rgb", true); err != nil {
		return Config{}, err
	}
	source := file
	if typ != "" {
		source = fmt.Sprintf("%s (%s)", file, typ)
	}
	c := Config{Source: source, CropRule: HFCrop}
	doResize, err := f.boolean("do_resize", true)
	if err != nil {
		return Config{}, err
	}
	size, err := f.size("size", def.size, !def.squareBareInt)
	if err != nil {
		return Config{}, err
	}
	resample, err := f.integer("resample", int(def.resample))
	if err != nil {
		return Config{}, err
	}
	if _, _, ok := Filter(resample).kernel(); !ok && Filter(resample) != Nearest {
		return Config{}, f.errorf("resample", "a PIL filter number 0-5", f.raw("resample"))
	}
	if doResize {
		c.Filter = Filter(resample)
		if size.shortest > 0 {
			c.Resize, c.Size = ShortestEdge, size.shortest
		} else {
			c.Resize, c.Height, c.Width = Exact, size.height, size.width
		}
	}
	if c.CenterCrop, err = f.boolean("do_center_crop", def.centerCrop); err != nil {
		return Config{}, err
	}
	crop, err := f.size("crop_size", def.crop, false)
	if err != nil {
		return Config{}, err
	}
	if c.CenterCrop {
		if crop.shortest > 0 {
			return Config{}, f.errorf("crop_size", `{"height": h, "width": w} or an int`, f.raw("crop_size"))
		}
		c.CropHeight, c.CropWidth = crop.height, crop.width
	}
	doRescale, err := f.boolean("do_rescale", true)
	if err != nil {
		return Config{}, err
	}
	factor, err := f.number("rescale_factor", 1.0/255)
	if err != nil {
		return Config{}, err
	}
	if doRescale {
		if factor <= 0 {
			return Config{}, f.errorf("rescale_factor", "a positive number", f.raw("rescale_factor"))
		}
		c.Rescale = factor
	}
	doNormalize, err := f.boolean("do_normalize", true)
	if err != nil {
		return Config{}, err
	}
	mean, err := f.floats("image_mean", def.mean)
	if err != nil {
		return Config{}, err
	}
	std, err := f.floats("image_std", def.std)
	if err != nil {
		return Config{}, err
	}
	if doNormalize {
		if slices.Contains(std, 0) {
			return Config{}, f.errorf("image_std", "non-zero values", f.raw("image_std"))
		}
		c.Mean, c.Std = mean, std
	}
	return c, c.Validate()
}

// size reads a size field: an int (the shorter side when bareShortest, else a square)
// or an object with "shortest_edge", or "height" and "width", positive.
func (f fields) size(key string, def hfSize, bareShortest bool) (hfSize, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	want := `an int, {"shortest_edge": n} or {"height": h, "width": w} with positive sizes`
	var n float64
	if err := json.Unmarshal(r, &n); err == nil {
		if n != math.Trunc(n) || n <= 0 || n > 1<<20 {
			return hfSize{}, f.errorf(key, want, r)
		}
		if bareShortest {
			return hfSize{shortest: int(n)}, nil
		}
		return hfSize{height: int(n), width: int(n)}, nil
	}
	var m map[string]float64
	if err := json.Unmarshal(r, &m); err != nil {
		return hfSize{}, f.errorf(key, want, r)
	}
	for k, v := range m {
		if (k != "shortest_edge" && k != "height" && k != "width") || v != math.Trunc(v) || v <= 0 || v > 1<<20 {
			return hfSize{}, f.errorf(key, want, r)
		}
	}
	s := hfSize{shortest: int(m["shortest_edge"]), height: int(m["height"]), width: int(m["width"])}
	switch {
	case s.shortest > 0 && s.height == 0 && s.width == 0:
	case s.shortest == 0 && s.height > 0 && s.width > 0:
	default:
		return hfSize{}, f.errorf(key, want, r)
	}
	return s, nil
}

// LoadHFConfig reads the preprocessor_config.json at path.
func LoadHFConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseHFConfig(path, data)
}
