package experiments

// The command lines of the benchmark experiments' peers (bench/peers/): the same
// architecture, from the resolved configuration.

// peerArgs renders a peer's command line: the script, then "--name value" for each
// name, value pair of kv.
func peerArgs(script string, kv ...any) []string {
	return appendArgs([]string{script}, kv...)
}

// optimizerArgs are the peers' optimizer arguments for the resolved parameters.
func optimizerArgs(p *Params) []any {
	return []any{"lr", p.Float("lr"), "wd", p.Float("weight_decay"), "clip", p.Float("clip_norm")}
}

// appendArgs appends "--name value" for each name, value pair of kv.
func appendArgs(args []string, kv ...any) []string {
	for i := 0; i+1 < len(kv); i += 2 {
		args = append(args, "--"+kv[i].(string), Format(kv[i+1]))
	}
	return args
}

func benchViTPeer(p *Params) []string {
	cfg, err := benchViTConfig(p, "preset")
	if err != nil {
		return nil
	}
	return appendArgs(peerArgs("bench/peers/vit_fmnist.py", "image", cfg.Image, "channels", cfg.Channels, "patch", cfg.Patch,
		"dim", cfg.Dim, "depth", cfg.Depth, "heads", cfg.Heads, "mlp", cfg.MLPDim, "classes", p.Int("classes"),
		"pool", p.String("pool"), "seed", p.Int("seed")), optimizerArgs(p)...)
}

func benchCLIPPeer(p *Params) []string {
	cfg, err := benchCLIPConfig(p)
	if err != nil {
		return nil
	}
	v, t := cfg.ViT, cfg.Text
	return appendArgs(peerArgs("bench/peers/clip.py", "image_size", v.Image, "channels", v.Channels, "text_dim", t.Dim,
		"text_depth", t.Depth, "text_heads", t.Heads, "text_len", t.MaxLen, "vocab", t.VocabSize, "embed_dim", cfg.EmbedDim,
		"patch", v.Patch, "image_dim", v.Dim, "image_depth", v.Depth, "image_heads", v.Heads, "image_mlp", v.MLPDim), optimizerArgs(p)...)
}

func benchMAEPeer(p *Params) []string {
	cfg, err := benchMAEConfig(p)
	if err != nil {
		return nil
	}
	e := cfg.Encoder
	return appendArgs(peerArgs("bench/peers/mae.py", "image_size", e.Image, "channels", e.Channels, "decoder_dim", cfg.DecoderDim,
		"decoder_depth", cfg.DecoderDepth, "decoder_heads", cfg.DecoderHeads, "decoder_mlp_dim", cfg.DecoderMLPDim,
		"mask_ratio", cfg.MaskRatio, "norm_pix_loss", cfg.NormPixLoss, "patch", e.Patch, "dim", e.Dim, "depth", e.Depth,
		"heads", e.Heads, "mlp", e.MLPDim), optimizerArgs(p)...)
}

func benchPerceiverPeer(p *Params) []string {
	cfg, in, err := benchPerceiverConfig(p)
	if err != nil {
		return nil
	}
	return appendArgs(peerArgs("bench/peers/perceiver.py", "image_size", p.Int("image_size"), "channels", p.Int("channels"),
		"classes", cfg.Classes, "num_latents", cfg.NumLatents, "latent_dim", cfg.LatentDim, "latent_heads", cfg.LatentHeads,
		"cross_heads", cfg.CrossHeads, "cross_dim_head", cfg.CrossDimHead, "mlp_dim", cfg.MLPDim, "depth", cfg.Depth,
		"repeats", cfg.Repeats, "share_weights", cfg.ShareWeights, "bands", in.Bands, "max_freq", in.MaxFreq),
		optimizerArgs(p)...)
}
