package experiments

// bench-vit: benchmark only: a ViT classifier at ViT-B/16's size (224x224x3, 1000
// classes, cls token) on one synthetic batch (task_bench.go), against its peer
// bench/peers/vit_fmnist.py.
//
//	go run ./cmd/bench -exp bench-vit -set smoke=true -steps 3     # tiny, on 2 cores
//	bin/bench -exp bench-vit -backends xla:cuda                     # a GPU (bench/gpu/run.sh)
//
// Wall time: the smoke size takes seconds; the base size is for GPUs (13.5 TFLOP per
// training step of 128 as cmd/bench counts them, 35 GFLOP forward per image: minutes per
// step on 2 cores).

func init() {
	Register(&Experiment{
		Name:        "bench-vit",
		Description: "benchmark only: ViT classifier (default B/16 at 224x224x3, 1000 classes) on random images",
		Wall:        "GPU",
		BenchOnly:   true,
		Families:    []Family{benchFamily()},
		Params: []Param{
			{"classes", 1000, "classifier outputs"},
			{"preset", "B/16", "ViT size: Width/Patch (mu/4, Ti/16, S/16, B/16, L/16)"},
			{"pool", "cls", "cls token or gap"},
		},
		Defaults: benchDefaults(128),
		Smoke:    map[string]any{"image_size": 32, "preset": "mu/4", "classes": 10, "batch_size": 8, "steps": 4},
		Build:    buildBenchViT,
		Peer:     benchViTPeer,
	})
}
