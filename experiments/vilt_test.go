package experiments

import (
	"strings"
	"testing"

	"github.com/mmdna/mmdna/datasets/text"
)

// viltTiny shrinks vilt-shapes to a few seconds: a width-16 ViLT with a one-stage
// stem, 12 steps of pre-training then 12 of VQA.
const viltTiny = "smoke=true;steps=24;pretrain_steps=12;warmup=3;eval_every=12;ckpt_every=12;log_every=3;batch_size=32;" +
	"dim=16;heads=2;mlp_dim=32;depth=1;stem=8;shapes_train=128;shapes_val=32;shapes_test=32;eval_size=16"

// TestViLTShapesSmoke runs vilt-shapes end to end at a tiny size: both stages, the
// metrics per question type beside the blind baseline's, the pre-training heads'
// accuracies, the picture and the files infer vqa reads.
// The grounding and relation losses are off: they join at the switch to VQA, which
// would hide the fall of the loss over 24 steps (TestViLTShapesAuxSmoke trains with them).
func TestViLTShapesSmoke(t *testing.T) {
	dir, res := runExp(t, "vilt-shapes", viltTiny+";ground_loss=0;relation_loss=0")
	wantRun(t, dir, res.Metrics, []string{"loss", "accuracy", "blind_accuracy", "accuracy_count", "accuracy_shape",
		"blind_accuracy_shape", "blind_accuracy_relation", "itm_accuracy", "mlm_accuracy", "mlm_shape_accuracy"}, "vqa.png", "tokenizer.json", "model.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestViLTShapesBERTSmoke: ViLT's own pre-training (BERT masking of every word, random
// negatives, none of the auxiliary losses) runs and trains beside the defaults.
func TestViLTShapesBERTSmoke(t *testing.T) {
	dir, res := runExp(t, "vilt-shapes", viltTiny+";mask_words=all;mask_prob=0.15;swapped=0;words_loss=0;ground_loss=0;relation_loss=0")
	wantRun(t, dir, res.Metrics, []string{"accuracy", "itm_accuracy", "mlm_accuracy", "mlm_shape_accuracy"}, "model.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestViLTShapesMixSmoke: relation words masked and captions mixed into the VQA
// batches: the run trains and its pre-training heads are still scored. No separate
// pre-training, so that every logged loss sums the same three tasks.
func TestViLTShapesMixSmoke(t *testing.T) {
	dir, res := runExp(t, "vilt-shapes", viltTiny+";mask_words=content+relations;mix=0.25;pretrain_steps=0")
	wantRun(t, dir, res.Metrics, []string{"accuracy", "itm_accuracy", "mlm_accuracy"}, "model.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestViLTShapesAuxSmoke: the defaults' grounding and relation losses, in every step
// from the first (no separate pre-training, so that every logged loss sums the same
// tasks): it trains, and both heads are scored.
func TestViLTShapesAuxSmoke(t *testing.T) {
	dir, res := runExp(t, "vilt-shapes", viltTiny+";pretrain_steps=0")
	wantRun(t, dir, res.Metrics, []string{"accuracy", "accuracy_relation", "relation_holding_accuracy", "ground_accuracy"}, "model.json")
	wantLossFalls(t, dir, 2, 0.03)
}

// TestViLTBadParams: bad values are refused with the parameter's name, before the
// world is generated.
func TestViLTBadParams(t *testing.T) {
	for sets, want := range map[string]string{
		"stem=8,x":          "stem",
		"mask_prob=0":       "mask_prob",
		"mask_words=nouns":  "mask_words",
		"swapped=1.5":       "swapped",
		"words_loss=-1":     "words_loss",
		"relation_loss=-1":  "relation_loss",
		"ground_loss=-1":    "ground_loss",
		"mix=1":             "mix",
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

// TestContentWords: the content words are the answers' words (colours, shapes, counts,
// sizes, places), never yes, no or a template word.
func TestContentWords(t *testing.T) {
	tok, err := text.Fit([]string{"is there a red circle at the top left?", "yes no two small what the"}, text.Config{MinFreq: 1, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	only := contentWords(tok)
	for w, want := range map[string]bool{"red": true, "circle": true, "two": true, "small": true, "top": true, "left": true,
		"yes": false, "no": false, "is": false, "there": false, "a": false, "the": false, "what": false, "at": false} {
		if got := only(tok.ID(w)); got != want {
			t.Errorf("contentWords(%q) = %v, want %v", w, got, want)
		}
	}
	if only(text.UNKID) || only(text.MaskID) {
		t.Error("contentWords accepts [UNK] or [MASK]")
	}
	rel, err := text.Fit([]string{"the red circle is to the left of the star", "above below next overlapping"}, text.Config{MinFreq: 1, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	relations := relationWords(rel)
	for w, want := range map[string]bool{"left": true, "above": true, "below": true, "next": true, "overlapping": true,
		"to": false, "of": false, "the": false, "red": false, "circle": false} {
		if got := relations(rel.ID(w)); got != want {
			t.Errorf("relationWords(%q) = %v, want %v", w, got, want)
		}
	}
}
