package experiments

// vit-fmnist: a small ViT on Fashion-MNIST (patch 4, dim 64, depth 4, heads 4, MLP
// 128, average pooling; 15 epochs of batch 128, AdamW lr 2e-3, warmup 500 + cosine,
// weight decay 0.05, horizontal flips), trained to 90% test accuracy.
//
//	go run ./cmd/train -exp vit-fmnist
//
// Measured (2026-11-28, go backend, 2-core machine): test accuracy 0.9001 (top-5
// 0.998; Shirt the weakest class at 0.706), 1h09m36s of wall time with the first 40%
// of the steps shared with two other trainings (interrupted at step 2580, continued
// with -resume, which replays the same data order); alone it runs at about 450 images/s,
// about 35 minutes. A thin margin (by one test image): the first recipe, lr 1e-3 for
// 4300 steps with random 2-pixel crops, stopped at 0.865.
//
// vit-fmnist-ref: the reference configuration compared with PyTorch (patch 4, dim 64,
// depth 4, heads 4, MLP 128, average pooling, batch 128, AdamW lr 1e-3, weight decay
// 0.05, warmup 100 + cosine, 1 epoch on all 60000 training images), so anyone can
// reproduce the side-by-side with bench/peers/vit_fmnist.py:
//
//	go run ./cmd/train -exp vit-fmnist-ref
//	/usr/bin/python3 bench/peers/vit_fmnist.py --mode train --epochs 1
//	go run ./cmd/bench -exp vit-fmnist-ref -batch 64,128     # speed side by side
//
// Measured (2026-11-28, 2-core machine): mmdna 0.760 test accuracy in 2m09s (468
// steps, 534 images/s over the run); the PyTorch peer, same initialisation and
// optimizer, 0.763 in 3m39s.
//
// Wall times and accuracies on the 2-core reference machine: docs/results/vit.md.

import (
	"github.com/mmdna/mmdna/datasets/fmnist"
	"github.com/mmdna/mmdna/train"
)

func init() {
	Register(&Experiment{
		Name:        "vit-fmnist",
		Description: "Vision Transformer on Fashion-MNIST (28x28, patch 4), 90% test accuracy",
		Wall:        "35-70 min",
		Params:      vitParams(fmnist.DefaultDir),
		Defaults: map[string]any{"steps": 6450, "lr": 2e-3, "warmup": 500, "weight_decay": 0.05,
			"eval_every": 645, "ckpt_every": 645, "crop_pad": 0, "hflip": true},
		Smoke: map[string]any{"steps": 60, "warmup": 10, "eval_every": 30, "ckpt_every": 30, "log_every": 10,
			"train_size": 4096, "val_size": 512, "test_size": 1000},
		BestMetric: "accuracy",
		Build:      buildFMNIST,
	})
	Register(&Experiment{
		Name:        "vit-fmnist-ref",
		Description: "the ViT reference config for the PyTorch comparison: 1 epoch on Fashion-MNIST",
		Wall:        "2 min",
		Params:      vitParams(fmnist.DefaultDir),
		Defaults: map[string]any{"steps": 468, "lr": 1e-3, "warmup": 100, "weight_decay": 0.05,
			"val_size": 0, "eval_every": 0, "ckpt_every": 100},
		Smoke: map[string]any{"steps": 40, "warmup": 10, "ckpt_every": 20, "log_every": 10,
			"train_size": 4096, "test_size": 1000},
		Peer:  fmnistPeer,
		Build: buildFMNIST,
	})
}

// loadFMNIST reads Fashion-MNIST from the data_dir parameter and splits it as the
// train_size, val_size and test_size parameters say, normalised with the dataset's
// mean and standard deviation.
func loadFMNIST(env *Env) (*imageData, error) {
	env.Log("loading Fashion-MNIST from %s", env.P.String("data_dir"))
	trainSet, test, err := fmnist.Load(env.P.String("data_dir"))
	if err != nil {
		return nil, err
	}
	return splitImageData(env.P, trainSet, test, []float32{fmnist.Mean}, []float32{fmnist.Std})
}

func buildFMNIST(env *Env) (*train.Task, error) {
	d, err := loadFMNIST(env)
	if err != nil {
		return nil, err
	}
	return buildViTClassifier(env, d)
}

// fmnistPeer is the PyTorch twin of a vit-fmnist configuration.
func fmnistPeer(p *Params) []string {
	args := []string{"bench/peers/vit_fmnist.py", "--data", p.String("data_dir"),
		"--dim", Format(p.Int("dim")), "--depth", Format(p.Int("depth")), "--heads", Format(p.Int("heads")),
		"--mlp", Format(p.Int("mlp_dim")), "--lr", Format(p.Float("lr")), "--wd", Format(p.Float("weight_decay")),
		"--warmup", Format(p.Int("warmup")), "--seed", Format(p.Int("seed"))}
	if p.String("pool") != "gap" || p.String("preset") != "" || p.Int("patch") != 4 {
		return nil // the peer implements only the reference architecture.
	}
	return args
}
