package experiments

// bench-mae: benchmark only: the MAE base of the paper (mae.Preset("B/16"): ViT-B/16
// encoder at 224, decoder 512 x 8, 75% masking, normalised pixels) on one synthetic
// batch (task_bench.go), against its peer bench/peers/mae.py.
//
//	go run ./cmd/bench -exp bench-mae -set smoke=true -steps 3
//	bin/bench -exp bench-mae -backends xla:cuda
//
// Wall time: the smoke size takes seconds; the base size is for GPUs (7.5 TFLOP per
// training step of 128 as cmd/bench counts them).

import "github.com/mmdna/mmdna/models/mae"

func init() {
	Register(&Experiment{
		Name:        "bench-mae",
		Description: "benchmark only: MAE base (ViT-B/16 encoder at 224, decoder 512x8, 75% masking) on random images",
		Wall:        "GPU",
		BenchOnly:   true,
		Families:    []Family{benchFamily()},
		Params: []Param{
			{"preset", "B/16", "encoder ViT size (mae.Preset: the paper's decoder; mu/4 a micro one)"},
			{"mask_ratio", mae.DefaultMaskRatio, "fraction of patches removed"},
			{"norm_pix_loss", true, "per-patch normalised pixel targets"},
		},
		Defaults: benchDefaults(128),
		Smoke:    map[string]any{"image_size": 32, "preset": "mu/4", "batch_size": 8, "steps": 4},
		Build:    buildBenchMAE,
		Peer:     benchMAEPeer,
	})
}
