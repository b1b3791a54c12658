package imageproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
)

// ResizeMode says how Config resizes.
type ResizeMode int

const (
	// NoResize keeps the decoded size.
	NoResize ResizeMode = iota
	// ShortestEdge resizes the shorter side to Config.Size, keeping the aspect ratio
	// (ShortestEdgeSize gives the longer side).
	ShortestEdge
	// Exact resizes to Config.Height x Config.Width, squashing the aspect ratio.
	Exact
	// KeepRatio scales both sides by one factor, so that the image just covers
	// Config.Height x Config.Width (timm's ResizeKeepRatio; KeepRatioSize).
	KeepRatio
)

// The normalisations pretrained models publish.
var (
	// CLIPMean and CLIPStd are OpenAI CLIP's (clip.py's _transform).
	CLIPMean = []float64{0.48145466, 0.4578275, 0.40821073}
	CLIPStd  = []float64{0.26862954, 0.26130258, 0.27577711}
	// ImageNetMean and ImageNetStd are torchvision's and timm's IMAGENET_DEFAULT_*.
	ImageNetMean = []float64{0.485, 0.456, 0.406}
	ImageNetStd  = []float64{0.229, 0.224, 0.225}
	// HalfMean and HalfStd map [0, 1] to [-1, 1]: Hugging Face's
	// IMAGENET_STANDARD_* (ViTImageProcessor's default).
	HalfMean = []float64{0.5, 0.5, 0.5}
	HalfStd  = []float64{0.5, 0.5, 0.5}
)

// MaxSide is the largest resize or crop side a Config accepts (models take 224 to
// 1024): a typo in a config file fails at Validate, not in an out-of-memory crash.
const MaxSide = 1 << 14

// Config is a model's preprocessing, as its files describe it. Apply runs it:
// ToRGB, resize, centre crop, then (x*Rescale - Mean) / Std.
type Config struct {
	// Source says where the config came from, for messages ("preprocessor_config.json
	// (CLIPImageProcessor)", "OpenAI CLIP", "timm pretrained_cfg").
	Source string
	// Resize is the resize mode; Size is the shorter side for ShortestEdge, Height and
	// Width the output for Exact; Filter the resampling filter.
	Resize        ResizeMode
	Size          int
	Height, Width int
	Filter        Filter
	// CenterCrop crops the centre CropHeight x CropWidth, placed by CropRule.
	CenterCrop            bool
	CropHeight, CropWidth int
	CropRule              CropRule
	// Rescale multiplies the bytes (1/255 for [0, 1]); 0 leaves them as 0..255.
	Rescale float64
	// Mean and Std normalise each channel (3 values, or 1 for all); nil skips it.
	Mean, Std []float64
	// ConvertLast converts to RGB after resizing and cropping, as OpenAI CLIP's
	// _transform does (Resize, CenterCrop, then _convert_image_to_rgb), instead of
	// first (Hugging Face's convert_to_rgb, timm's loaders). It changes the result for
	// paletted images, which PIL resizes with Nearest whatever the filter, and for
	// translucent ones, which PIL resizes with premultiplied alpha.
	ConvertLast bool
}

// CLIPConfig is OpenAI CLIP's preprocessing for an nPx x nPx model (clip.py's
// _transform): Resize(nPx, BICUBIC) on the shorter side, CenterCrop(nPx) (torchvision's
// rounding), conversion to RGB, ToTensor (x/255), Normalize(CLIPMean, CLIPStd).
func CLIPConfig(nPx int) Config {
	return Config{Source: "OpenAI CLIP", Resize: ShortestEdge, Size: nPx, Filter: Bicubic,
		CenterCrop: true, CropHeight: nPx, CropWidth: nPx, CropRule: TorchvisionCrop,
		Rescale: 1.0 / 255, Mean: CLIPMean, Std: CLIPStd, ConvertLast: true}
}

// Validate checks that the config can run, with an error that names its source.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", c.Source, fmt.Sprintf(format, a...))
	}
	side := func(n int) bool { return n > 0 && n <= MaxSide }
	switch c.Resize {
	case NoResize:
	case ShortestEdge:
		if !side(c.Size) {
			return bad("resize size %d: want 1 to %d pixels", c.Size, MaxSide)
		}
	case Exact, KeepRatio:
		if !side(c.Height) || !side(c.Width) {
			return bad("resize to %dx%d: want sides of 1 to %d pixels", c.Width, c.Height, MaxSide)
		}
	default:
		return bad("unknown resize mode %d", int(c.Resize))
	}
	if c.Resize != NoResize {
		if _, _, ok := c.Filter.kernel(); !ok && c.Filter != Nearest {
			return bad("unknown resample filter %d (want 0-5, PIL's numbering)", int(c.Filter))
		}
	}
	if c.CenterCrop && (!side(c.CropHeight) || !side(c.CropWidth)) {
		return bad("crop to %dx%d: want sides of 1 to %d pixels", c.CropWidth, c.CropHeight, MaxSide)
	}
	if c.Rescale < 0 {
		return bad("rescale factor %g is negative", c.Rescale)
	}
	if _, _, err := channelStats(c.Mean, c.Std); err != nil {
		return bad("%v", err)
	}
	if (c.Mean == nil) != (c.Std == nil) {
		return bad("mean and std must be given together")
	}
	return nil
}

// ResizeCrop runs the geometric steps on an RGB image: the resize, then the crop.
func (c Config) ResizeCrop(img *RGB8) (*RGB8, error) {
	return c.resizeCrop(img, c.Filter)
}

func (c Config) resizeCrop(img *RGB8, filter Filter) (*RGB8, error) {
	w, h := img.W, img.H
	switch c.Resize {
	case ShortestEdge:
		w, h = ShortestEdgeSize(img.W, img.H, c.Size)
	case Exact:
		w, h = c.Width, c.Height
	case KeepRatio:
		w, h = KeepRatioSize(img.W, img.H, c.Width, c.Height)
	}
	if !c.CenterCrop {
		return Resize(img, w, h, filter)
	}
	top, left := c.CropRule.CropOffset(h, c.CropHeight), c.CropRule.CropOffset(w, c.CropWidth)
	win := image.Rect(left, top, left+c.CropWidth, top+c.CropHeight)
	if win.In(image.Rect(0, 0, w, h)) {
		// The crop lies inside the resized image: resize only what it keeps.
		return resizeWindow(img, w, h, filter, win)
	}
	img, err := Resize(img, w, h, filter)
	if err != nil {
		return nil, err
	}
	return CenterCrop(img, c.CropHeight, c.CropWidth, c.CropRule)
}

// Apply runs the whole pipeline on a decoded image and returns the model's input,
// [height, width, 3] float32 (HWC), with its height and width.
func (c Config) Apply(img image.Image) (pix []float32, height, width int, err error) {
	if err := c.Validate(); err != nil {
		return nil, 0, 0, err
	}
	var rgb *RGB8
	if c.ConvertLast {
		rgb, err = c.convertLast(img)
	} else {
		if rgb, err = ToRGB(img); err == nil {
			rgb, err = c.ResizeCrop(rgb)
		}
	}
	if err != nil {
		return nil, 0, 0, err
	}
	rescale := c.Rescale
	if rescale == 0 {
		rescale = 1
	}
	pix, err = ToFloat(rgb, rescale, c.Mean, c.Std)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %v", c.Source, err)
	}
	return pix, rgb.H, rgb.W, nil
}

// LoadDir reads the preprocessing of a model directory: its preprocessor_config.json
// (Hugging Face) if there is one, else its config.json when that is timm's (it holds
// pretrained_cfg, or timm's "architecture" with the keys at the top level). OpenAI CLIP
// checkpoints carry no such file: use CLIPConfig with the model's input size.
func LoadDir(dir string) (Config, error) {
	hf := filepath.Join(dir, "preprocessor_config.json")
	if _, err := os.Stat(hf); err == nil {
		return LoadHFConfig(hf)
	}
	cfgPath := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("%s: no preprocessor_config.json or config.json", dir)
	}
	if err != nil {
		return Config{}, err
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) == nil {
		_, cfg := keys["pretrained_cfg"]
		_, arch := keys["architecture"]
		if cfg || arch {
			return FromTimmConfig(cfgPath, data)
		}
	}
	return Config{}, fmt.Errorf("%s: no preprocessor_config.json, and config.json is not a timm config (no pretrained_cfg)", dir)
}
