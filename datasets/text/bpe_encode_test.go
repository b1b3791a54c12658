package text

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// "a photo of a cat." is [sot a photo of a cat . eot] = these ids (golden file).
var catIDs = []int32{49406, 320, 1125, 539, 320, 2368, 269, 49407}

func TestBPEEncodeTruncates(t *testing.T) {
	tok := loadCLIP(t)
	for _, tc := range []struct {
		maxLen    int
		ids, mask []int32
	}{
		{10, []int32{49406, 320, 1125, 539, 320, 2368, 269, 49407, 0, 0}, []int32{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}},
		{8, catIDs, []int32{1, 1, 1, 1, 1, 1, 1, 1}},
		{7, []int32{49406, 320, 1125, 539, 320, 2368, 49407}, []int32{1, 1, 1, 1, 1, 1, 1}},
		{5, []int32{49406, 320, 1125, 539, 49407}, []int32{1, 1, 1, 1, 1}},
		{2, []int32{49406, 49407}, []int32{1, 1}},
	} {
		tk, err := tok.WithMaxLen(tc.maxLen)
		if err != nil {
			t.Fatal(err)
		}
		ids, mask := tk.Encode("a photo of a cat.")
		if !slices.Equal(ids, tc.ids) || !slices.Equal(mask, tc.mask) {
			t.Errorf("MaxLen %d: Encode = %v %v, want %v %v", tc.maxLen, ids, mask, tc.ids, tc.mask)
		}
	}
	for _, n := range []int{1, 0, -3} {
		if _, err := tok.WithMaxLen(n); err == nil {
			t.Errorf("WithMaxLen(%d): no error", n)
		}
	}
	if tok.MaxLen() != CLIPContext {
		t.Errorf("WithMaxLen changed the original: MaxLen %d", tok.MaxLen())
	}
}

func TestBPEEncodeBatchAndDecode(t *testing.T) {
	tok, err := loadCLIP(t).WithMaxLen(8)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a photo of a cat.", "", "a photo of a cat. a dog"}
	ids, mask := tok.EncodeBatch(texts)
	if len(ids) != 3*8 || len(mask) != 3*8 {
		t.Fatalf("len %d %d, want 24", len(ids), len(mask))
	}
	for i, text := range texts {
		rowIDs, rowMask := tok.Encode(text)
		if !slices.Equal(ids[i*8:(i+1)*8], rowIDs) || !slices.Equal(mask[i*8:(i+1)*8], rowMask) {
			t.Errorf("row %d differs from Encode(%q)", i, text)
		}
	}
	if got := tok.Decode(ids[:8]); got != "a photo of a cat ." {
		t.Errorf("Decode = %q", got)
	}
	if got := tok.Decode(ids[8:16]); got != "" {
		t.Errorf("Decode(empty) = %q", got)
	}
	// Out-of-range ids read as U+FFFD; padding after <|endoftext|> is ignored.
	if got := tok.Decode([]int32{49406, 320, -1, 99999, 2368, 49407, 320, 0}); got != "a \uFFFD\uFFFDcat" {
		t.Errorf("Decode with bad ids = %q", got)
	}
}

// refMerge is OpenAI's bpe() written out plainly: merge the lowest-ranked pair
// everywhere, left to right, until no pair has a rank. O(n²), for checking mergePiece.
func refMerge(tok *BPE, piece string) []int32 {
	word := make([]int32, len(piece))
	for i := 0; i < len(piece); i++ {
		word[i] = tok.byteID[piece[i]]
	}
	word[len(word)-1] = tok.byteEndID[piece[len(piece)-1]]
	for len(word) > 1 {
		best := merge{rank: -1}
		var left, right int32
		for i := 0; i+1 < len(word); i++ {
			if m, ok := tok.merges[uint64(word[i])<<32|uint64(word[i+1])]; ok && (best.rank < 0 || m.rank < best.rank) {
				best, left, right = m, word[i], word[i+1]
			}
		}
		if best.rank < 0 {
			break
		}
		var next []int32
		for i := 0; i < len(word); i++ {
			if i+1 < len(word) && word[i] == left && word[i+1] == right {
				next = append(next, best.id)
				i++
			} else {
				next = append(next, word[i])
			}
		}
		word = next
	}
	return word
}

func TestMergePieceMatchesReference(t *testing.T) {
	tok := loadCLIP(t)
	rng := rand.New(rand.NewPCG(1, 2))
	letters := []string{"a", "b", "e", "i", "n", "s", "t", "r", "l", "o", "é", "猫", "👍", "'", "!", "0"}
	pieces := []string{"a", "aaaa", strings.Repeat("a", 301), strings.Repeat("ab", 200), "supercalifragilisticexpialidocious",
		"antidisestablishmentarianism", strings.Repeat("!", 50), strings.Repeat("é", 40), "👍🏽👍🏽"}
	for range 300 {
		var b strings.Builder
		for range 1 + rng.IntN(30) {
			b.WriteString(letters[rng.IntN(len(letters))])
		}
		pieces = append(pieces, b.String())
	}
	for _, p := range pieces {
		if got, want := tok.mergePiece(p), refMerge(tok, p); !slices.Equal(got, want) {
			t.Errorf("mergePiece(%.40q) = %v, want %v", p, got, want)
		}
	}
}

// A 200 kB word is merged in well under a second (the reference's O(n²) would take
// minutes): checked by the test's own time limit, and measured by BenchmarkBPELongWord.
func TestBPELongWord(t *testing.T) {
	tok := loadCLIP(t)
	ids, mask := tok.Encode(strings.Repeat("abc", 70000))
	if Length(mask) != CLIPContext || ids[CLIPContext-1] != tok.EOT() {
		t.Errorf("long word: %d real tokens, last %d", Length(mask), ids[CLIPContext-1])
	}
}

func TestBPEConcurrent(t *testing.T) {
	tok := loadCLIP(t)
	fresh := *tok
	fresh.cache = &pieceCache{m: map[string][]int32{}}
	var texts []string
	for i := range 200 {
		texts = append(texts, randomText(uint64(i)))
	}
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i] = tok.Tokens(s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range texts {
				j := (i + g*25) % len(texts)
				if got := fresh.Tokens(texts[j]); !slices.Equal(got, want[j]) {
					errs <- texts[j]
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Tokens(%q) differs", s)
	}
}

func TestPieceCacheBounded(t *testing.T) {
	c := &pieceCache{m: map[string][]int32{}}
	for i := range pieceCacheSize + 10 {
		c.put(strings.Repeat("x", i%50)+string(rune('a'+i%26))+string(rune(i)), []int32{int32(i)})
	}
	if n := len(c.m); n > pieceCacheSize {
		t.Errorf("cache holds %d pieces, bound %d", n, pieceCacheSize)
	}
}
