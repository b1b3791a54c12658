package experiments

// bench-clip: benchmark only: CLIP ViT-B/16 (image tower B/16 at 224, text tower 512
// wide, 12 blocks of 8 heads, 77 tokens of OpenAI's 49408-word vocabulary, shared space
// 512) on one synthetic batch of image-text pairs (task_bench.go), against its peer
// bench/peers/clip.py.
//
//	go run ./cmd/bench -exp bench-clip -set smoke=true -steps 3
//	bin/bench -exp bench-clip -backends xla:cuda
//
// Wall time: the smoke size takes seconds; the base size is for GPUs (15.8 TFLOP per
// training step of 128 as cmd/bench counts them).

func init() {
	Register(&Experiment{
		Name:        "bench-clip",
		Description: "benchmark only: CLIP ViT-B/16 (image 224, text 512x12, context 77) on random image-text pairs",
		Wall:        "GPU",
		BenchOnly:   true,
		Families:    []Family{benchFamily()},
		Params: []Param{
			{"image_preset", "B/16", "image tower ViT size"},
			{"text_dim", 512, "text tower width"},
			{"text_depth", 12, "text tower blocks"},
			{"text_heads", 8, "text tower heads"},
			{"text_len", 77, "tokens per caption"},
			{"vocab", 49408, "vocabulary size"},
			{"embed_dim", 512, "shared embedding width"},
		},
		Defaults: benchDefaults(128),
		Smoke: map[string]any{"image_size": 32, "image_preset": "mu/4", "text_dim": 16, "text_depth": 1, "text_heads": 2,
			"text_len": 8, "vocab": 100, "embed_dim": 16, "batch_size": 8, "steps": 4},
		Build: buildBenchCLIP,
		Peer:  benchCLIPPeer,
	})
}
