// Package mae is the masked autoencoder (He et al., 2022; section 10.5 of the
// chapter): cut an image into patches, hide a random 75% of them, encode only the
// visible ones with a ViT, and let a light decoder, fed the encoded patches plus a
// learned mask token at every hidden position, reconstruct the hidden pixels.
//
// The functions follow the steps of facebookresearch/mae's models_mae.py, one
// function per step: Patchify / Unpatchify, RandomMasking, ForwardEncoder,
// ForwardDecoder, ForwardLoss, and Forward, which chains them. The encoder is
// models/vit composed around the masking (vit.Embed, then vit.EncodeTokens on the
// visible tokens), not a copy of it. Features runs the same encoder on every patch,
// for linear probes (eval.LinearProbe trains one).
//
// Variables: the encoder under "vit" (vit.Embed's and vit.EncodeTokens' names), the
// decoder under "decoder" ("embed", "mask_token", "blocks/block_NN",
// "blocks/ln_final", "pred").
package mae

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mmdna/mmdna/models/vit"
	"github.com/mmdna/mmdna/nn"
)

// DefaultMaskRatio is the fraction of patches removed, the paper's 75%.
const DefaultMaskRatio = 0.75

// normPixEpsilon is added to a patch's variance before dividing by its square root
// with NormPixLoss (models_mae.py: 1e-6).
const normPixEpsilon = 1e-6

// Config describes an MAE: its ViT encoder and its decoder.
type Config struct {
	// Encoder is the ViT that sees the visible patches; Classes is ignored. With
	// PoolCLS its cls token goes through the decoder too, as in the paper.
	Encoder vit.Config
	// DecoderDim, DecoderDepth, DecoderHeads and DecoderMLPDim size the decoder:
	// narrower and shallower than the encoder (the paper: 512 wide, 8 deep, against
	// ViT-L's 1024 and 24).
	DecoderDim, DecoderDepth, DecoderHeads, DecoderMLPDim int
	// MaskRatio is the fraction of patches removed, in (0, 1); DefaultMaskRatio.
	MaskRatio float64
	// NormPixLoss makes the target of each patch its pixels normalised by the patch's
	// own mean and variance (the paper's better-representation option).
	NormPixLoss bool
}

// Validate reports the first inconsistency.
func (c Config) Validate() error {
	enc := c.Encoder
	enc.Classes = 0
	if err := enc.Validate(); err != nil {
		return fmt.Errorf("mae: encoder: %w", err)
	}
	switch {
	case c.DecoderDim <= 0 || c.DecoderDepth <= 0 || c.DecoderHeads <= 0 || c.DecoderMLPDim <= 0:
		return fmt.Errorf("mae: decoder dim %d, depth %d, heads %d and mlp_dim %d must be positive",
			c.DecoderDim, c.DecoderDepth, c.DecoderHeads, c.DecoderMLPDim)
	case c.DecoderDim%c.DecoderHeads != 0:
		return fmt.Errorf("mae: decoder dim %d is not divisible by its heads %d", c.DecoderDim, c.DecoderHeads)
	case c.DecoderDim%4 != 0:
		return fmt.Errorf("mae: decoder dim %d must be divisible by 4 (2-D sine-cosine positions)", c.DecoderDim)
	case !(c.MaskRatio > 0 && c.MaskRatio < 1):
		return fmt.Errorf("mae: mask ratio %g must be in (0, 1)", c.MaskRatio)
	case c.Keep() < 1:
		return fmt.Errorf("mae: mask ratio %g leaves no visible patch of %d", c.MaskRatio, c.NumPatches())
	}
	return nil
}

// Grid is the number of patches along each side.
func (c Config) Grid() int { return c.Encoder.Image / c.Encoder.Patch }

// NumPatches is the number of patches L of an image.
func (c Config) NumPatches() int { return c.Grid() * c.Grid() }

// PatchSize is the number of values of one patch, patch*patch*channels.
func (c Config) PatchSize() int { return c.Encoder.Patch * c.Encoder.Patch * c.Encoder.Channels }

// Keep is the number of visible patches, int(L*(1-MaskRatio)) as in models_mae.py.
func (c Config) Keep() int { return int(float64(c.NumPatches()) * (1 - c.MaskRatio)) }

// Output holds the named intermediates of Forward.
type Output struct {
	Latent     *Node // [batch, keep(+1 cls), enc_dim]: the encoded visible patches.
	Pred       *Node // [batch, L, patch_size]: the decoder's prediction for every patch.
	Target     *Node // [batch, L, patch_size]: patchified images (normalised per patch with NormPixLoss).
	Mask       *Node // [batch, L]: 1 where the patch was removed, 0 where visible.
	IDsRestore *Node // [batch, L] int32: unshuffles a keep-first order back to patch order.
	Loss       *Node // scalar: mean squared error over the removed patches.
}

// Named returns the intermediates by name ("latent", "pred", "target", "mask",
// "ids_restore", "loss"), as big_vision's models do.
func (o *Output) Named() map[string]*Node {
	return map[string]*Node{"latent": o.Latent, "pred": o.Pred, "target": o.Target, "mask": o.Mask,
		"ids_restore": o.IDsRestore, "loss": o.Loss}
}

// Patchify is models_mae.py's patchify: images [batch, H, W, C] ->
// [batch, L, patch*patch*C], patches row-major, pixels within a patch row-major with
// channels innermost (nn.Patchify).
func Patchify(images *Node, patch int) *Node { return nn.Patchify(images, patch) }

// Unpatchify is the inverse of Patchify for a square grid of patches:
// [batch, grid*grid, patch*patch*C] -> [batch, grid*patch, grid*patch, C].
func Unpatchify(patches *Node, patch, grid int) *Node {
	return nn.Unpatchify(patches, patch, grid, grid)
}

// Forward runs the whole MAE on images [batch, H, W, C] with the given masking
// noise [batch, L] (nil draws it uniformly from the scope's random state, which is
// what training does): encoder on the visible patches, decoder, loss.
func Forward(scope *model.Scope, cfg Config, images, noise *Node) *Output {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	checkImages(cfg, images)
	scope = scope.WithInitializer(nn.XavierUniformInit(scope))
	if noise == nil {
		noise = Noise(scope, images.Graph(), images.Shape().Dim(0), cfg.NumPatches())
	}
	out := &Output{}
	var m Masking
	out.Latent, m = ForwardEncoder(scope.In("vit"), cfg, images, noise)
	out.Mask, out.IDsRestore = m.Mask, m.IDsRestore
	out.Pred = ForwardDecoder(scope.In("decoder"), cfg, out.Latent, m.IDsRestore)
	out.Loss, out.Target = ForwardLoss(cfg, images, out.Pred, out.Mask)
	return out
}

// ForwardEncoder embeds all patches with their positions (vit.Embed), keeps the
// visible ones (RandomMasking with noise) and encodes only those (vit.EncodeTokens,
// which prepends the cls token with PoolCLS and ends with the final LayerNorm).
//
// images: [batch, H, W, C]; noise: [batch, L]. Returns latent
// [batch, keep(+1), enc_dim] and the masking.
func ForwardEncoder(scope *model.Scope, cfg Config, images, noise *Node) (latent *Node, m Masking) {
	tokens := vit.Embed(scope, cfg.Encoder, images) // [batch, L, enc_dim]
	m = RandomMasking(tokens, noise, cfg.Keep())
	latent, _ = vit.EncodeTokens(scope, cfg.encoder(), m.Kept)
	return latent, m
}

// ForwardDecoder projects the latent to the decoder width ("embed"), appends a
// learned mask token ("mask_token") for every removed patch, unshuffles the tokens
// back to patch order with idsRestore, adds the fixed 2-D sine-cosine positions
// (nn.SinCos2D; the cls token, if any, gets none, as MAE's zero row), runs the
// decoder blocks and predicts every patch's pixels ("pred").
//
// latent: [batch, keep(+1), enc_dim]; idsRestore: [batch, L] int32.
// Returns pred: [batch, L, patch_size], the cls token dropped.
func ForwardDecoder(scope *model.Scope, cfg Config, latent, idsRestore *Node) *Node {
	g := latent.Graph()
	batch, L, dim := latent.Shape().Dim(0), cfg.NumPatches(), cfg.DecoderDim
	x := nn.Dense(scope.In("embed"), latent, true, dim) // [batch, keep(+1), dec_dim]
	var cls *Node
	if cfg.Encoder.Pool == vit.PoolCLS {
		cls = Slice(x, AxisRange(), AxisRange(0, 1))
		x = Slice(x, AxisRange(), AxisRange(1))
	}
	keep := x.Shape().Dim(1)
	token := scope.In("mask_token").WithInitializer(nn.TruncatedNormalInit(scope, nn.ViTStddev)).
		VariableWithShape("token", shapes.Make(latent.DType(), dim)).NodeValue(g)
	masked := BroadcastToDims(Reshape(token, 1, 1, dim), batch, L-keep, dim)
	x = Concatenate([]*Node{x, masked}, 1) // [batch, L, dec_dim] in shuffled order
	x = GatherTokens(x, idsRestore)        // back to patch order
	pos := nn.SinCos2D(g, x.DType(), cfg.Grid(), cfg.Grid(), dim)
	x = Add(x, ExpandLeftToRank(pos, 3))
	if cls != nil {
		x = Concatenate([]*Node{cls, x}, 1)
	}
	x, _ = nn.Encoder(scope.In("blocks"), cfg.decoder(), x, nil)
	pred := nn.Dense(scope.In("pred"), x, true, cfg.PatchSize())
	if cls != nil {
		pred = Slice(pred, AxisRange(), AxisRange(1))
	}
	return pred
}

// ForwardLoss is the mean squared error between pred and the patchified images,
// averaged over each patch's values and then over the removed patches only (mask
// 1): what the model predicts for visible patches does not count. With
// NormPixLoss the target patches are normalised by their own mean and variance.
//
// images: [batch, H, W, C]; pred: [batch, L, patch_size]; mask: [batch, L].
// Returns the scalar loss and the target [batch, L, patch_size].
func ForwardLoss(cfg Config, images, pred, mask *Node) (loss, target *Node) {
	target = Patchify(images, cfg.Encoder.Patch)
	if cfg.NormPixLoss {
		target = NormalizePatches(target)
	}
	perPatch := ReduceMean(Square(Sub(pred, target)), -1) // [batch, L]
	mask = ConvertDType(mask, perPatch.DType())
	loss = Div(ReduceAllSum(Mul(perPatch, mask)), ReduceAllSum(mask))
	return loss, target
}

// NormalizePatches normalises each patch by its own mean and (unbiased, as
// torch.var) variance: (x - mean) / sqrt(var + 1e-6).
// patches: [batch, L, patch_size] -> the same shape.
func NormalizePatches(patches *Node) *Node {
	n := patches.Shape().Dim(-1)
	mean := ReduceAndKeep(patches, ReduceMean, -1)
	centered := Sub(patches, mean)
	variance := DivScalar(ReduceAndKeep(Square(centered), ReduceSum, -1), float64(max(n-1, 1)))
	return Div(centered, Sqrt(AddScalar(variance, normPixEpsilon)))
}

// Reconstruct turns a prediction back into images in the input's (normalised) pixel
// space: with NormPixLoss each patch is de-normalised with the mean and variance of
// the true patch (how the paper visualises). It returns the full reconstruction and
// the reconstruction pasted with the visible patches of the input.
//
// images: [batch, H, W, C]; pred: [batch, L, patch_size]; mask: [batch, L].
// Returns recon and pasted: [batch, H, W, C].
func Reconstruct(cfg Config, images, pred, mask *Node) (recon, pasted *Node) {
	p, grid := cfg.Encoder.Patch, cfg.Grid()
	target := Patchify(images, p)
	if cfg.NormPixLoss {
		n := target.Shape().Dim(-1)
		mean := ReduceAndKeep(target, ReduceMean, -1)
		variance := DivScalar(ReduceAndKeep(Square(Sub(target, mean)), ReduceSum, -1), float64(max(n-1, 1)))
		pred = Add(Mul(pred, Sqrt(AddScalar(variance, normPixEpsilon))), mean)
	}
	m := ExpandAxes(ConvertDType(mask, pred.DType()), -1) // [batch, L, 1]
	both := Add(Mul(pred, m), Mul(target, OneMinus(m)))
	return Unpatchify(pred, p, grid), Unpatchify(both, p, grid)
}

// Features runs the encoder on every patch of images [batch, H, W, C] (no masking,
// as for downstream tasks) and pools it (vit.Pool: the cls token or the mean of the
// tokens): [batch, enc_dim]. Its variables are Forward's encoder variables, so a
// pretrained store gives pretrained features and a fresh one random features.
func Features(scope *model.Scope, cfg Config, images *Node) *Node {
	if err := cfg.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	checkImages(cfg, images)
	scope = scope.WithInitializer(nn.XavierUniformInit(scope)).In("vit")
	encoded, _ := vit.EncodeTokens(scope, cfg.encoder(), vit.Embed(scope, cfg.Encoder, images))
	return vit.Pool(cfg.Encoder, encoded)
}

// encoder returns the encoder configuration without a head or attention maps.
func (c Config) encoder() vit.Config {
	e := c.Encoder
	e.Classes, e.ReturnAttention = 0, false
	return e
}

// decoder returns the decoder blocks' configuration.
func (c Config) decoder() nn.EncoderConfig {
	return nn.EncoderConfig{Depth: c.DecoderDepth,
		BlockConfig: nn.BlockConfig{Dim: c.DecoderDim, Heads: c.DecoderHeads, MLPDim: c.DecoderMLPDim}}
}

// checkImages panics (a graph-building error) unless images fit the encoder.
func checkImages(cfg Config, images *Node) {
	e := cfg.Encoder
	if s := images.Shape(); s.Rank() != 4 || s.Dim(1) != e.Image || s.Dim(2) != e.Image || s.Dim(3) != e.Channels {
		exceptions.Panicf("mae: images %s: want [batch, %d, %d, %d]", s, e.Image, e.Image, e.Channels)
	}
}
