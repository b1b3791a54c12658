package experiments

// The PyTorch peers of vilt-shapes and caption-shapes (bench/peers/vilt_shapes.py,
// caption_shapes.py), registered in experimentPeers.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
	"github.com/mmdna/mmdna/models/caption"
)

// viltData is what vilt_shapes.py needs from vilt-shapes' data: the image side and
// the tokenizer, fitted on the training captions and questions as buildViLTShapes
// fits it (the vocabulary sizes the word embeddings and the MLM head).
type viltData struct {
	side int
	tok  text.Encoder
}

// viltDataCache holds viltDataOf's answers by data parameters, under pairsShapesMu.
var viltDataCache = map[string]viltData{}

// viltDataOf generates the parameters' shapes world (a second time: cmd/bench builds
// the task apart) and fits vilt-shapes' tokenizer on it; a second call with the same
// data parameters is answered from memory.
func viltDataOf(p *Params) (viltData, error) {
	key := fmt.Sprintf("%+v|%d", worldConfig(p), p.Int("max_len"))
	pairsShapesMu.Lock()
	defer pairsShapesMu.Unlock()
	if d, ok := viltDataCache[key]; ok {
		return d, nil
	}
	w, err := generateShapes(&Env{P: p, Log: func(string, ...any) {}})
	if err != nil {
		return viltData{}, err
	}
	tok, err := fitViLTTokenizer(w, p)
	if err != nil {
		return viltData{}, err
	}
	d := viltData{side: w.Config.Size, tok: tok}
	viltDataCache[key] = d
	return d, nil
}

// joinInts writes widths as "32,64,128" (the peers' --stem; "" for none).
func joinInts(widths []int) string {
	s := make([]string, len(widths))
	for i, w := range widths {
		s[i] = strconv.Itoa(w)
	}
	return strings.Join(s, ",")
}

func viltShapesPeer(p *Params) []string {
	stem, err := intList(p.String("stem"))
	if err != nil {
		return nil
	}
	d, err := viltDataOf(p)
	if err != nil {
		return nil
	}
	cfg, err := viltConfig(p, d.side, stem, d.tok)
	if err != nil {
		return nil
	}
	mlp := cfg.MLPDim
	if mlp == 0 {
		mlp = 4 * cfg.Dim // vilt.Config: 0 means 4*Dim.
	}
	return appendArgs(peerArgs("bench/peers/vilt_shapes.py", "image_size", cfg.Image, "channels", cfg.Channels,
		"patch", cfg.Patch, "stem", joinInts(cfg.Stem), "dim", cfg.Dim, "depth", cfg.Depth, "heads", cfg.Heads,
		"mlp_dim", mlp, "vocab", cfg.VocabSize, "max_len", cfg.MaxLen, "answers", len(shapeworld.Answers),
		"dropout", cfg.Dropout, "mlm_weight", p.Float("mlm_weight"), "mask_prob", p.Float("mask_prob"), "words_loss", p.Float("words_loss"),
		"ground_loss", p.Float("ground_loss"), "relation_loss", p.Float("relation_loss"), "seed", p.Int("seed")), recipeArgs(p, registry["vilt-shapes"].NoDecayRank1)...)
}

func captionShapesPeer(p *Params) []string {
	stem, err := intList(p.String("stem"))
	if err != nil {
		return nil
	}
	d, ok := shapesPairs(p)
	if !ok {
		return nil
	}
	// The configuration buildCaption makes of the preset and the parameters.
	cfg, err := caption.Preset(p.String("preset"), d.vocab)
	if err != nil {
		return nil
	}
	cfg.Encoder.Image, cfg.Encoder.Channels, cfg.Encoder.Stem = d.side, d.channels, stem
	if patch := p.Int("patch"); patch > 0 {
		cfg.Encoder.Patch = patch
	}
	cfg.MaxLen, cfg.Dropout, cfg.LabelSmoothing = d.maxLen, p.Float("dropout"), p.Float("label_smoothing")
	e := cfg.Encoder
	if cfg.Validate() != nil || e.HasClassToken() || e.PreNorm || e.NormPooled || cfg.UntieEmbeddings ||
		cfg.NoOutputBias || [3]int32{cfg.PAD, cfg.BOS, cfg.EOS} != [3]int32{0, 1, 2} {
		return nil // the peer builds the presets' encoder (no class token), tied embeddings and text's ids.
	}
	return appendArgs(peerArgs("bench/peers/caption_shapes.py", "image_size", e.Image, "channels", e.Channels,
		"patch", e.Patch, "stem", joinInts(e.Stem), "enc_dim", e.Dim, "enc_depth", e.Depth, "enc_heads", e.Heads,
		"enc_mlp", e.MLPDim, "dim", cfg.Dim, "depth", cfg.Depth, "heads", cfg.Heads, "mlp", cfg.MLPDim,
		"vocab", cfg.Vocab, "max_len", cfg.MaxLen, "dropout", cfg.Dropout, "label_smoothing", cfg.LabelSmoothing,
		"words_loss", p.Float("words_loss"), "seed", p.Int("seed")),
		recipeArgs(p, registry["caption-shapes"].NoDecayRank1)...)
}
