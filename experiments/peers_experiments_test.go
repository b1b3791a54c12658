package experiments

import (
	"strings"
	"testing"
)

// TestExperimentPeersRecipe: the real experiments' peer command lines carry their
// recipe (schedule, clipping, weight-decay groups) and size, and there is no peer for
// a variant the scripts do not build.
func TestExperimentPeersRecipe(t *testing.T) {
	small := "shapes_train=200;shapes_val=20;shapes_test=20"
	for _, c := range []struct {
		exp, sets string
		want      []string // substrings of the command line; none: no peer.
	}{
		{"clip-shapes", small, []string{"bench/peers/clip_shapes.py ", "--tower conv --conv 32,64,128,128",
			"--pool mean", "--lr 0.001 --wd 0.05 --clip 1 --schedule cosine --warmup 200 --total_steps 2500",
			"--no_decay 1d"}},
		{"mae-fmnist", "", []string{"bench/peers/mae_fmnist.py ", "--image_size 28 --channels 1 --patch 4",
			"--pool gap", "--decoder_dim 32", "--norm_pix_loss false", "--lr 0.0015", "--no_decay none"}},
		{"perceiver-fmnist", "", []string{"--num_latents 32 --latent_dim 64", "--cross_dim_head 32",
			"--depth 3 --repeats 1", "--bands 6 --max_freq 14"}},
		{"perceiver-fmnist", "head=io", nil},
		{"fusion-shapes", small + ";fusion=late", []string{"bench/peers/fusion_shapes.py --fusion late",
			"--concepts 64", "--total_steps 4000"}},
		{"fusion-shapes", small + ";fusion=no-such", nil},
		{"crossattn-match", small, []string{"--proj_dim 256 --attn_heads 8 --attn_dropout 0.1 --tokens pooled",
			"--clip 0", "--warmup 100 --total_steps 1500"}},
		{"crossattn-match", small + ";version=v3", nil},
		{"vilt-shapes", small, []string{"bench/peers/vilt_shapes.py --image_size 64 --channels 3 --patch 16 " +
			"--stem 32,64,128 --dim 128 --depth 4 --heads 4 --mlp_dim 256 --vocab ", "--max_len 16 --answers 32 --dropout 0",
			"--mlm_weight 1 --mask_prob 0.3 --words_loss 0.2", "--lr 0.001 --wd 0.05", "--warmup 200 --total_steps 4000", "--no_decay none"}},
		{"vilt-shapes", small + ";stem=32,x", nil},
		{"caption-shapes", small, []string{"bench/peers/caption_shapes.py --image_size 64 --channels 3 --patch 8 " +
			"--stem 32,64,128 --enc_dim 64 --enc_depth 4 --enc_heads 4 --enc_mlp 256 --dim 128 --depth 2 --heads 4 --mlp 512",
			"--max_len 26 --dropout 0.1 --label_smoothing 0 --words_loss 0.1", "--lr 0.0015 --wd 0.05",
			"--warmup 200 --total_steps 5500", "--no_decay none"}},
		{"caption-shapes", small + ";data_dir=/nowhere", nil},
	} {
		e, err := Get(c.exp)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.Resolve([]string{c.sets})
		if err != nil {
			t.Fatalf("%s %s: %v", c.exp, c.sets, err)
		}
		got := strings.Join(PeerOf(e)(p), " ")
		if c.want == nil && got != "" {
			t.Errorf("%s %s: peer %q, want none", c.exp, c.sets, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s %s: peer %q lacks %q", c.exp, c.sets, got, w)
			}
		}
	}
}
