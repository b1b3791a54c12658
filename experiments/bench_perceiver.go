package experiments

// bench-perceiver: benchmark only: the Perceiver's "base" preset (the chapter's 256
// latents of 512, 8 heads, 6 latent blocks, read twice with shared weights) classifying
// 64x64x3 images from their pixels with 16 Fourier bands per axis, on one synthetic
// batch (task_bench.go), against its peer bench/peers/perceiver.py.
//
//	go run ./cmd/bench -exp bench-perceiver -set smoke=true -steps 3
//	bin/bench -exp bench-perceiver -backends xla:cuda
//
// Wall time: the smoke size takes seconds; the base size is for GPUs (4.6 TFLOP per
// training step of 64 as cmd/bench counts them).

func init() {
	Register(&Experiment{
		Name: "bench-perceiver",
		Description: "benchmark only: Perceiver classifier (256 latents x 512, 2 repeats of 6 blocks) on random " +
			"64x64x3 images with Fourier features",
		Wall:      "GPU",
		BenchOnly: true,
		Families:  []Family{benchFamily()},
		Params: []Param{
			{"classes", 1000, "classifier outputs"},
			{"preset", "base", "Perceiver size (perceiver.Preset: base, small, mu)"},
			{"bands", 16, "Fourier bands per axis"},
			{"max_freq", 32.0, "highest Fourier frequency (cycles over the axis)"},
		},
		Defaults: benchDefaults(64, "image_size", 64),
		Smoke: map[string]any{"image_size": 16, "preset": "mu", "bands": 4, "max_freq": 8.0, "classes": 10,
			"batch_size": 8, "steps": 4},
		Build: buildBenchPerceiver,
		Peer:  benchPerceiverPeer,
	})
}
