package eval

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/mmdna/mmdna/internal/pyref"
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
	{"3.5 meters and 1,000 birds at 5:30.", []string{"3.5", "meters", "and", "1,000", "birds", "at", "5:30"}},
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

// treebankCaptions are everyday captions with the punctuation, clitics, numbers and
// hyphens captions have. Periods come only at the end: nltk's Treebank tokenizer
// splits only a final period (Stanford's splits them all).
var treebankCaptions = []string{
	"A man in a black t-shirt is jumping over a fence.",
	"Two dogs, one brown and one white, play in the snow.",
	"The dog's ball is red!",
	"A child isn't happy about the rain.",
	"People walking down a busy street at night .",
	"A black-and-white photo of an old car",
	"A woman holding an umbrella; it's raining.",
	"What is this? A cat sitting on a couch...",
	"A boy (about 5) rides a bike",
	`"Stop" sign on a street corner`,
	"A group of 3 people standing near 2 buses",
	"They're playing frisbee in the park.",
	"A plate with a sandwich and 1,000 fries",
	"The kids can't reach the cookie jar",
	"A man -- wearing a hat -- waves",
	"A surfer rides a wave at 5:30 pm.",
	"The cat's toy and the dogs' bed",
	"A 3.5 meter tall giraffe.",
	"Someone's cooking: pasta and sauce",
	"We'll see what you've got, I'm sure he'd say",
}

// TestCaptionTokensMatchTreebank compares CaptionTokens with nltk's
// TreebankWordTokenizer on lower-cased everyday captions, followed by pycocoevalcap's
// PUNCTUATIONS filter (and the bare brackets Treebank leaves, which PTB writes as
// -LRB- and so on). Stanford's PTBTokenizer, which pycocoevalcap runs, needs Java and
// its jar; nltk's tokenizer follows the same Penn Treebank conventions.
func TestCaptionTokensMatchTreebank(t *testing.T) {
	requireNLTK(t)
	script := `
import json, sys
from nltk.tokenize import TreebankWordTokenizer
drop = {"''", "'", "` + "``" + `", "` + "`" + `", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";",
        "(", ")", "{", "}"}
tb = TreebankWordTokenizer()
print(json.dumps([[w for w in tb.tokenize(c.lower()) if w not in drop] for c in json.load(sys.stdin)]))
`
	var want [][]string
	pyref.Run(t, script, treebankCaptions, &want)
	if len(want) != len(treebankCaptions) {
		t.Fatalf("nltk gave %d results for %d captions", len(want), len(treebankCaptions))
	}
	for i, c := range treebankCaptions {
		if got := CaptionTokens(c); !slices.Equal(got, want[i]) {
			t.Errorf("CaptionTokens(%q) = %q, nltk's Treebank tokenizer %q", c, got, want[i])
		}
	}
}

// requireNLTK skips t unless Debian's python3-nltk is installed.
func requireNLTK(t *testing.T) {
	t.Helper()
	if err := exec.Command(pyref.Python, "-c", "import nltk").Run(); err != nil {
		t.Skipf("skipping: %s cannot import nltk (%v); install Debian's python3-nltk", pyref.Python, err)
	}
}
