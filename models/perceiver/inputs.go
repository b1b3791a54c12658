package perceiver

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/nn"
)

// Positional features of an input array: the Perceiver attaches them to every input
// element, since attention alone is blind to order.
const (
	PosFourier = "fourier" // fixed Fourier features of the coordinates (the paper).
	PosLearned = "learned" // a learned vector per position.
)

// InputConfig says which positional features PixelInputs attaches.
type InputConfig struct {
	Positions  string  // PosFourier or PosLearned.
	MaxFreq    float64 // Fourier: highest frequency, in cycles over the axis (the Nyquist rate of a 28-pixel axis is 14 cycles).
	Bands      int     // Fourier: frequency bands per axis.
	LearnedDim int     // learned: width of the positional vectors.
}

// Channels returns the width of the positional features.
func (c InputConfig) Channels(axes int) int {
	if c.Positions == PosLearned {
		return c.LearnedDim
	}
	return axes * (2*c.Bands + 1)
}

// Validate reports the first inconsistency.
func (c InputConfig) Validate() error {
	switch c.Positions {
	case PosFourier:
		if c.Bands <= 0 || !(c.MaxFreq >= 2) {
			return fmt.Errorf("perceiver: Fourier features need bands > 0 and max_freq >= 2, got %d and %g", c.Bands, c.MaxFreq)
		}
	case PosLearned:
		if c.LearnedDim <= 0 {
			return fmt.Errorf("perceiver: learned positions need a positive width, got %d", c.LearnedDim)
		}
	default:
		return fmt.Errorf("perceiver: positions %q: want %q or %q", c.Positions, PosFourier, PosLearned)
	}
	return nil
}

// FourierFeatures is perceiver-pytorch's fourier_encode over a grid: each axis
// position is scaled to x in [-1, 1] and encoded as
// [sin(π f_1 x) .. sin(π f_B x), cos(π f_1 x) .. cos(π f_B x), x] with the bands
// f_k spaced linearly from 1 to maxFreq/2; the axes' encodings are concatenated.
// Rows are grid positions in row-major order. Returns [prod(dims)][len(dims)*(2B+1)].
func FourierFeatures(dims []int, maxFreq float64, bands int) ([][]float64, error) {
	if len(dims) == 0 || bands <= 0 || !(maxFreq >= 2) {
		return nil, fmt.Errorf("perceiver: Fourier features of grid %v with %d bands up to %g: want a grid, bands > 0, max_freq >= 2", dims, bands, maxFreq)
	}
	n := 1
	for _, d := range dims {
		if d <= 0 {
			return nil, fmt.Errorf("perceiver: Fourier features: grid %v has a non-positive axis", dims)
		}
		n *= d
	}
	freqs := make([]float64, bands)
	for k := range freqs {
		freqs[k] = 1
		if bands > 1 {
			freqs[k] += (maxFreq/2 - 1) * float64(k) / float64(bands-1)
		}
	}
	per := 2*bands + 1
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, len(dims)*per)
		rest := i
		for a := len(dims) - 1; a >= 0; a-- {
			idx := rest % dims[a]
			rest /= dims[a]
			x := -1.0
			if dims[a] > 1 {
				x = -1 + 2*float64(idx)/float64(dims[a]-1)
			}
			row := out[i][a*per : (a+1)*per]
			for k, f := range freqs {
				row[k] = math.Sin(math.Pi * f * x)
				row[bands+k] = math.Cos(math.Pi * f * x)
			}
			row[2*bands] = x
		}
	}
	return out, nil
}

// PixelInputs flattens images [batch, H, W, C] into the Perceiver's input array
// [batch, H*W, C+F], each pixel's values followed by its positional features: the
// Fourier features of its (row, column), or a learned vector ("positions/table"
// [H*W, LearnedDim] under scope).
func PixelInputs(scope *model.Scope, cfg InputConfig, images *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if images.Rank() != 4 {
		exceptions.Panicf("perceiver.PixelInputs: images %s: want [batch, H, W, C]", images.Shape())
	}
	g := images.Graph()
	b, h, w, c := images.Shape().Dim(0), images.Shape().Dim(1), images.Shape().Dim(2), images.Shape().Dim(3)
	var pos *Node
	if cfg.Positions == PosLearned {
		pos = scope.In("positions").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
			VariableWithShape("table", shapes.Make(images.DType(), h*w, cfg.LearnedDim)).NodeValue(g)
	} else {
		ff, err := FourierFeatures([]int{h, w}, cfg.MaxFreq, cfg.Bands)
		if err != nil {
			exceptions.Panicf("%v", err)
		}
		pos = Const(g, nn.CastMatrix(images.DType(), ff))
	}
	f := pos.Shape().Dim(1)
	pixels := Reshape(images, b, h*w, c)
	return Concatenate([]*Node{pixels, BroadcastToDims(ExpandAxes(pos, 0), b, h*w, f)}, -1)
}

// MultimodalConfig configures Multimodal.
type MultimodalConfig struct {
	Dim       int // width of the joint sequence; divisible by 4 (2-D sine-cosine positions).
	Patch     int // image patch side.
	VocabSize int // token ids lie in [0, VocabSize).
}

// Multimodal turns an image and a text into one input array, as the chapter
// describes the Perceiver's modality-agnostic input: the image cut into patches,
// each projected to Dim ("image/patch_embed") plus its 2-D sine-cosine position; the
// text's tokens embedded ("text/token_embed" [VocabSize, Dim]) plus their 1-D
// sine-cosine position; each element plus the learned embedding of its modality
// ("modality/embeddings" [2, Dim]: row 0 image, row 1 text), so that the latents
// can tell the two apart; image first, then text.
//
// images: [batch, H, W, C]; ids, mask: [batch, L] int32 (mask 1 on real tokens).
// Returns seq [batch, P+L, Dim] (P = (H/Patch)*(W/Patch)) and its mask
// [batch, P+L] bool, true on every patch and on the real tokens.
func Multimodal(scope *model.Scope, cfg MultimodalConfig, images, ids, mask *Node) (seq, seqMask *Node) {
	if cfg.Dim <= 0 || cfg.Dim%4 != 0 || cfg.VocabSize <= 0 {
		exceptions.Panicf("perceiver.Multimodal: dim %d must be a positive multiple of 4 and vocab %d positive", cfg.Dim, cfg.VocabSize)
	}
	if ids.Rank() != 2 || !ids.Shape().EqualDimensions(mask.Shape()) || ids.Shape().Dim(0) != images.Shape().Dim(0) {
		exceptions.Panicf("perceiver.Multimodal: ids %s and mask %s must both be [batch=%d, L]", ids.Shape(), mask.Shape(), images.Shape().Dim(0))
	}
	g, dtype := images.Graph(), images.DType()
	scope = scope.WithInitializer(weightInit(scope))
	modality := scope.In("modality").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, 2, cfg.Dim)).NodeValue(g)
	image := scope.In("image")
	patches := nn.PatchEmbed(image.In("patch_embed"), images, cfg.Patch, cfg.Dim) // [batch, P, Dim]
	gridH, gridW := images.Shape().Dim(1)/cfg.Patch, images.Shape().Dim(2)/cfg.Patch
	patches = Add(patches, ExpandLeftToRank(Add(nn.SinCos2D(g, dtype, gridH, gridW, cfg.Dim),
		Slice(modality, AxisRange(0, 1))), 3))

	text := scope.In("text")
	table := text.In("token_embed").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("embeddings", shapes.Make(dtype, cfg.VocabSize, cfg.Dim)).NodeValue(g)
	tokens := Gather(table, ExpandAxes(ConvertDType(ids, dtypes.Int32), -1)) // [batch, L, Dim]
	L := ids.Shape().Dim(1)
	tokens = Add(tokens, ExpandLeftToRank(Add(nn.SinCos1D(g, dtype, L, cfg.Dim), Slice(modality, AxisRange(1, 2))), 3))

	seq = Concatenate([]*Node{patches, tokens}, 1)
	imageMask := BroadcastToDims(Const(g, true), patches.Shape().Dim(0), patches.Shape().Dim(1))
	return seq, Concatenate([]*Node{imageMask, nn.MaskToBool(mask)}, 1)
}
