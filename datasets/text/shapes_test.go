package text_test

import (
	"slices"
	"testing"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/datasets/text"
)

// The shapes world's captions make a tiny, closed vocabulary: fitted on train, it
// encodes val (held-out pairs included) with no [UNK] and no truncation at 32 tokens.
func TestShapesVocabulary(t *testing.T) {
	cfg := shapeworld.DefaultConfig()
	cfg.Train, cfg.Val, cfg.Test = 500, 200, 0
	w, err := shapeworld.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := text.Fit(w.Train.AllCaptions(), text.Config{MinFreq: 1, MaxLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	if n := tok.VocabSize(); n < 30 || n > 100 {
		t.Errorf("vocabulary of %d tokens, want a few dozen", n)
	}
	t.Logf("shapes vocabulary: %d tokens", tok.VocabSize())
	caps := w.Val.AllCaptions()
	ids, mask := tok.EncodeBatch(caps)
	if slices.Contains(ids, text.UNKID) {
		t.Error("a val caption encodes to [UNK]")
	}
	for i := range caps {
		row := ids[i*32 : (i+1)*32]
		n := text.Length(mask[i*32 : (i+1)*32])
		if n != len(text.Words(caps[i]))+2 || row[n-1] != text.EOSID {
			t.Fatalf("caption %q: %d tokens, truncated", caps[i], n)
		}
	}
}
