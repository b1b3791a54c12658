package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Special tokens of CLIP's vocabulary.
const (
	CLIPStartToken = "<|startoftext|>"
	CLIPEndToken   = "<|endoftext|>"
)

// preTokenize calls fn, in order, on each piece of a cleaned text that CLIP's pattern
// finds (Python's regex module, case-insensitive, re.findall):
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// Alternatives are tried in that order at each position, as the regex engine does; a
// position where none matches (white space) is skipped. Two details of the regex module
// under IGNORECASE are reproduced: "ſ" (U+017F) matches the pattern's "s", and U+0345
// (combining ypogegrammeni, whose case folding is the letter ι) matches neither the
// letter class nor the negated class, so it is dropped. fn returns false to stop early.
func preTokenize(s string, fn func(piece string) bool) {
	for i := 0; i < len(s); {
		n := matchAt(s[i:])
		if n < 0 {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if !fn(s[i : i+n]) {
			return
		}
		i += n
	}
}

// matchAt returns the length of the pattern's match at the start of s, -1 if none.
func matchAt(s string) int {
	var lits []string
	switch s[0] {
	case '<':
		lits = specialLits
	case '\'':
		lits = contractions
	}
	for _, lit := range lits {
		if n := foldPrefix(s, lit); n > 0 {
			return n
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case unicode.IsLetter(r):
		return size + runLen(s[size:], unicode.IsLetter)
	case unicode.IsNumber(r):
		return size
	case isOtherRune(r):
		return size + runLen(s[size:], isOtherRune)
	}
	return -1
}

// The pattern's literal alternatives, in its order.
var (
	specialLits  = []string{CLIPStartToken, CLIPEndToken}
	contractions = []string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}
)

// isOtherRune is the class [^\s\p{L}\p{N}] as the regex module applies it under
// IGNORECASE.
func isOtherRune(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != 0x0345
}

// runLen is the length in bytes of the run of runes at the start of s that satisfy in.
func runLen(s string, in func(rune) bool) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !in(r) {
			break
		}
		n += size
	}
	return n
}

// foldPrefix returns the length in bytes of the prefix of s that matches the ASCII
// literal lit case-insensitively, 0 if none. Python's regex module folds only ASCII case
// for these literals, plus "ſ" for "s" (its simple case folding).
func foldPrefix(s, lit string) int {
	n := 0
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		switch {
		case n < len(s) && (s[n] == c || 'a' <= c && c <= 'z' && s[n] == c-'a'+'A'):
			n++
		case c == 's' && strings.HasPrefix(s[n:], "\u017f"):
			n += len("\u017f")
		default:
			return 0
		}
	}
	return n
}
