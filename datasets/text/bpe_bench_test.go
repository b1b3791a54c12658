package text

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchCaptions makes n caption-like texts (Flickr/COCO style, 8-20 words), the same on
// every run.
func benchCaptions(n int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	pick := func(ws ...string) string { return ws[rng.IntN(len(ws))] }
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s %s %s %s the %s, while %s %s %s nearby.",
			pick("A", "Two", "A young", "An old", "Three"),
			pick("brown", "black-and-white", "smiling", "tired", "curious"),
			pick("dog", "woman", "children", "cyclist", "cat", "surfer"),
			pick("runs across", "sits on", "jumps over", "waits by", "plays near"),
			pick("a", "some", "two"),
			pick("grassy field", "wooden bench", "river bank", "busy street", "snowy hill"),
			pick("a man", "people", "birds", "a crowd"),
			pick("watch", "are walking", "sing", "take photos"),
			pick("quietly", "happily", "in the rain", "at sunset"))
	}
	return out
}

// BenchmarkBPEEncodeBatch encodes 256 captions with a warm piece cache (the steady state
// of a training or evaluation run).
func BenchmarkBPEEncodeBatch(b *testing.B) {
	tok := loadCLIP(b)
	caps := benchCaptions(256)
	_, mask := tok.EncodeBatch(caps) // warms the cache
	tokens := Length(mask)
	for b.Loop() {
		tok.EncodeBatch(caps)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(tokens*b.N)/sec, "tokens/s")
	b.ReportMetric(float64(len(caps)*b.N)/sec, "captions/s")
}

// BenchmarkBPETokensCold tokenizes 256 captions with an empty piece cache every time.
func BenchmarkBPETokensCold(b *testing.B) {
	tok := loadCLIP(b)
	caps := benchCaptions(256)
	tokens := 0
	for _, c := range caps {
		tokens += len(tok.Tokens(c))
	}
	for b.Loop() {
		cold := *tok
		cold.cache = &pieceCache{m: map[string][]int32{}}
		for _, c := range caps {
			cold.Tokens(c)
		}
	}
	b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkBPELongWord merges one 30 kB word (not cached: over maxCachedPiece).
func BenchmarkBPELongWord(b *testing.B) {
	tok := loadCLIP(b)
	word := strings.Repeat("abcdefghij", 3000)
	for b.Loop() {
		tok.Tokens(word)
	}
}

// BenchmarkWordPieceEncodeBatch encodes 256 captions with the small test vocabulary.
func BenchmarkWordPieceEncodeBatch(b *testing.B) {
	w := loadBERT(b, true)
	caps := benchCaptions(256)
	for b.Loop() {
		w.EncodeBatch(caps)
	}
	b.ReportMetric(float64(len(caps)*b.N)/b.Elapsed().Seconds(), "captions/s")
}
