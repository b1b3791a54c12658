package text

import "strings"

// Detokenize joins the space-separated tokens of a word-level decoding (Tokenizer.Decode
// writes "three shapes : a red circle , a blue star") back into running text: no space
// before , . : ; ! ? and none around an apostrophe between letters ("dog ' s" ->
// "dog's"). Other text passes unchanged.
func Detokenize(s string) string {
	words := strings.Fields(s)
	var b strings.Builder
	for i, w := range words {
		switch {
		case i == 0:
		case len(w) == 1 && strings.ContainsRune(",.:;!?", rune(w[0])):
		case w == "'" || (i > 0 && words[i-1] == "'" && i > 1):
		default:
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}
