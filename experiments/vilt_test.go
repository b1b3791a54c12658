package experiments

import (
	"strings"
	"testing"
)

// viltTiny shrinks vilt-shapes to a few seconds: a width-16 ViLT with a one-stage
// stem, 12 steps of pre-training then 12 of VQA.
const viltTiny = "smoke=true;steps=24;pretrain_steps=12;warmup=3;eval_every=12;ckpt_every=12;log_every=3;batch_size=32;" +
	"dim=16;heads=2;mlp_dim=32;depth=1;stem=8;shapes_train=128;shapes_val=32;shapes_test=32;eval_size=16"

// TestViLTShapesSmoke runs vilt-shapes end to end at a tiny size: both stages, the
// metrics per question type beside the blind baseline's, the pre-training heads'
// accuracies, the picture and the files infer vqa reads.
func TestViLTShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "vilt-shapes", viltTiny)
	wantRun(t, dir, res.Metrics, []string{"loss", "accuracy", "blind_accuracy", "accuracy_count", "accuracy_shape",
		"blind_accuracy_shape", "blind_accuracy_relation", "itm_accuracy", "mlm_accuracy"}, "vqa.png", "tokenizer.json", "model.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestViLTBadParams: bad values are refused with the parameter's name, before the
// world is generated.
func TestViLTBadParams(t *testing.T) {
	for sets, want := range map[string]string{
		"stem=8,x":          "stem",
		"mask_prob=0":       "mask_prob",
		"pretrain_steps=24": "pretrain_steps",
		"heads=3":           "dim",
		"patch=5":           "patch",
		"max_len=1":         "max_len",
	} {
		err := prepareErr(t, "vilt-shapes", viltTiny+";"+sets)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-set %s: error %v, want one naming %s", sets, err, want)
		}
	}
}
