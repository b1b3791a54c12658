package eval

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

// captionTokenCases are CaptionTokens' table: the outputs PTBTokenizer (-lowerCase)
// followed by pycocoevalcap's PUNCTUATIONS filter gives, except where a case says it
// differs on purpose.
var captionTokenCases = []struct {
	in   string
	want []string
}{
	{"", nil},
	{"   \t\n", nil},
	{"A dog runs through the grass .", []string{"a", "dog", "runs", "through", "the", "grass"}},
	{"A dog runs through the grass.", []string{"a", "dog", "runs", "through", "the", "grass"}},
	{"Two DOGS, playing!", []string{"two", "dogs", "playing"}},
	{"What is it? A cat; maybe: a fox...", []string{"what", "is", "it", "a", "cat", "maybe", "a", "fox"}},
	{"a man in a black t-shirt", []string{"a", "man", "in", "a", "black", "t-shirt"}},
	{"a black-and-white dog", []string{"a", "black-and-white", "dog"}},
	{"a dog - running -- fast", []string{"a", "dog", "running", "fast"}},
	{"the dog's ball", []string{"the", "dog", "'s", "ball"}},
	{"The dogs' ball", []string{"the", "dogs", "ball"}},
	{"they're here, we've gone, i'll go, he'd say, i'm", []string{"they", "'re", "here", "we", "'ve", "gone", "i", "'ll", "go", "he", "'d", "say", "i", "'m"}},
	{"don't and can't", []string{"do", "n't", "and", "ca", "n't"}},
	{"at five o'clock", []string{"at", "five", "o'clock"}},
	{"\"quoted\" and 'single' and `tick'", []string{"quoted", "and", "single", "and", "tick"}},
	{"(a cat) {on} [a mat]", []string{"a", "cat", "on", "a", "mat"}}, // PTB keeps -lsb- -rsb-
	{"3.5 meters and 1,000 birds.", []string{"3.5", "meters", "and", "1,000", "birds"}},
	{"costs $5 or 50%", []string{"costs", "$", "5", "or", "50", "%"}},
	{"cats & dogs / birds", []string{"cats", "&", "dogs", "/", "birds"}},
	{"A CAFÉ in ZÜRICH", []string{"a", "café", "in", "zürich"}},
	{"the dog’s “ball” – red…", []string{"the", "dog", "'s", "ball", "red"}},
	{"tabs\tand\nnew\vlines\x1cseparated", []string{"tabs", "and", "new", "lines", "separated"}},
	{"a-n't", []string{"a", "n't"}},
	{"'s n't", []string{"'s", "n't"}},
	{"-5 degrees", []string{"5", "degrees"}},  // PTB keeps -5
	{"u.s. flag", []string{"u", "s", "flag"}}, // PTB keeps u.s.
}

func TestCaptionTokens(t *testing.T) {
	for _, c := range captionTokenCases {
		got := CaptionTokens(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("CaptionTokens(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := CaptionTokens(strings.Join(got, " ")); !slices.Equal(again, got) {
			t.Errorf("CaptionTokens(%q) = %q: not idempotent (%q)", c.in, got, again)
		}
	}
}

// FuzzCaptionTokens checks the tokeniser's invariants on any input: words are
// non-empty, hold no white space and no dropped punctuation at either end, are lower
// case, and tokenise to themselves.
func FuzzCaptionTokens(f *testing.F) {
	for _, c := range captionTokenCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := CaptionTokens(s)
		for _, w := range toks {
			if w == "" || strings.IndexFunc(w, isCaptionSpace) >= 0 {
				t.Fatalf("CaptionTokens(%q): bad word %q", s, w)
			}
			if strings.ToLower(w) != w {
				t.Fatalf("CaptionTokens(%q): word %q is not lower case", s, w)
			}
			if first := []rune(w)[0]; isCaptionPunct(first) && w != "'s" && w != "'re" && w != "'ve" && w != "'ll" && w != "'d" && w != "'m" {
				t.Fatalf("CaptionTokens(%q): word %q starts with punctuation", s, w)
			}
			if last := []rune(w)[len([]rune(w))-1]; isCaptionPunct(last) || unicode.IsSpace(last) {
				t.Fatalf("CaptionTokens(%q): word %q ends with punctuation", s, w)
			}
		}
		if again := CaptionTokens(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("CaptionTokens(%q) = %q, but tokenising them again gives %q", s, toks, again)
		}
	})
}
