package text

import "testing"

func TestDetokenize(t *testing.T) {
	cases := map[string]string{
		"three shapes : a red circle , a blue star and a white cross": "three shapes: a red circle, a blue star and a white cross",
		"a dog ' s ball .":               "a dog's ball.",
		"is it red ?":                    "is it red?",
		"":                               "",
		"  a   b ":                       "a b",
		", leading comma":                ", leading comma",
		"' quoted":                       "' quoted",
		"only one object , a red circle": "only one object, a red circle",
	}
	for in, want := range cases {
		if got := Detokenize(in); got != want {
			t.Errorf("Detokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDetokenizeRoundTrip: the words of the detokenized text are the decoded ones.
func TestDetokenizeRoundTrip(t *testing.T) {
	for _, s := range []string{"three shapes: a red circle, a blue star", "a dog's ball.", "what?! no."} {
		tok := Words(Detokenize(joinWords(Words(s))))
		if got, want := joinWords(tok), joinWords(Words(s)); got != want {
			t.Errorf("%q: words after detokenizing %q, want %q", s, got, want)
		}
	}
}

func joinWords(w []string) string {
	out := ""
	for i, x := range w {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
