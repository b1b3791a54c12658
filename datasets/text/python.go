package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reproduces the Python string functions OpenAI's tokenizer relies on, where
// Go's own differ: html.unescape, str.lower and bytes.decode("utf-8", "replace").

// htmlUnescape is Python's html.unescape: numeric references ("&#233;", "&#xE9;", with
// or without ";") and HTML5 named references; a name without ";" decodes by its longest
// prefix that is a legacy name ("&ampx" → "&x"). Go's html.UnescapeString differs on
// invalid code points (Python drops "&#1;", Go keeps U+0001) and on names longer than 32
// characters.
func htmlUnescape(s string) string {
	i := strings.IndexByte(s, '&')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		out, n := charRef(s)
		if n == 0 {
			b.WriteByte('&')
			n = 1
		} else {
			b.WriteString(out)
		}
		s = s[n:]
		i = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

// charRef decodes the character reference at the start of s (s[0] == '&') and returns
// its text and the number of bytes it spans, 0 when Python's pattern
// &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) does not match there.
func charRef(s string) (string, int) {
	if len(s) > 1 && s[1] == '#' {
		hex := len(s) > 2 && (s[2] == 'x' || s[2] == 'X')
		start := 2
		if hex {
			start = 3
		}
		end := start
		for end < len(s) && isDigit(s[end], hex) {
			end++
		}
		if end == start {
			return "", 0
		}
		num := parseSaturated(s[start:end], hex)
		if end < len(s) && s[end] == ';' {
			end++
		}
		return numericRef(num), end
	}
	// A name: 1 to 32 characters other than tab, LF, FF, space, '<', '&', '#', ';'.
	end, count := 1, 0
	for end < len(s) && count < 32 {
		r, size := utf8.DecodeRuneInString(s[end:])
		if strings.ContainsRune("\t\n\f <&#;", r) {
			break
		}
		end += size
		count++
	}
	if count == 0 {
		return "", 0
	}
	if end < len(s) && s[end] == ';' {
		end++
	}
	name := s[1:end]
	if v, ok := htmlEntities[name]; ok {
		return v, end
	}
	// Names are ASCII, so the longest prefix that is one has as many bytes as characters.
	for x := len(name) - 1; x >= 2; x-- {
		if v, ok := htmlEntities[name[:x]]; ok {
			return v + name[x:], end
		}
	}
	return s[:end], end
}

func isDigit(c byte, hex bool) bool {
	return '0' <= c && c <= '9' || hex && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')
}

// parseSaturated reads a decimal or hexadecimal number, stopping at 0x110000 (every
// larger value decodes the same way). Python raises on decimal numbers over 4,300 digits
// instead; here they decode as any number out of range does.
func parseSaturated(digits string, hex bool) int {
	base := 10
	if hex {
		base = 16
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d int
		switch {
		case c <= '9':
			d = int(c - '0')
		case c >= 'a':
			d = int(c-'a') + 10
		default:
			d = int(c-'A') + 10
		}
		n = min(n*base+d, unicode.MaxRune+1)
	}
	return n
}

// numericRef is the text of "&#num;" by Python's rules: NUL → U+FFFD, CR and C1 bytes as
// Windows-1252, surrogates and numbers past U+10FFFF → U+FFFD, other controls and
// non-characters dropped.
func numericRef(num int) string {
	switch {
	case num == 0:
		return "\uFFFD"
	case num == 0x0D:
		return "\r"
	case 0x80 <= num && num <= 0x9F:
		return string(cp1252[num-0x80])
	case 0xD800 <= num && num <= 0xDFFF, num > unicode.MaxRune:
		return "\uFFFD"
	case 0x01 <= num && num <= 0x08, num == 0x0B, 0x0E <= num && num <= 0x1F, num == 0x7F,
		0xFDD0 <= num && num <= 0xFDEF, num&0xFFFE == 0xFFFE:
		return ""
	}
	return string(rune(num))
}

// pyLower is Python's str.lower(): Go's simple lower-case mapping plus Unicode's full
// mapping of U+0130 (İ → i + U+0307) and the final sigma rule (Σ → ς at the end of a
// word). Characters whose case changed after Unicode 14 (Python 3.11's tables) follow
// Go's newer tables.
func pyLower(s string) string {
	if !strings.Contains(s, "\u0130") && !strings.Contains(s, "\u03a3") {
		return strings.Map(unicode.ToLower, s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range rs {
		switch {
		case r == 0x0130:
			b.WriteString("i\u0307")
		case r == 0x03A3 && finalSigma(rs, i):
			b.WriteRune(0x03C2)
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether rs[i] is in Unicode's Final_Sigma context: a cased letter
// before it and none after it, skipping case-ignorable characters both ways (CPython's
// handle_capital_sigma).
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && caseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !cased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && caseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !cased(rs[j])
}

// cased is Unicode's Cased property.
func cased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is Unicode's Case_Ignorable property: marks, format characters,
// modifiers, and the Word_Break classes MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// toValidUTF8 replaces each maximal ill-formed subsequence of s by U+FFFD, as Python's
// bytes.decode("utf-8", errors="replace") does (Go's strings.ToValidUTF8 would replace a
// whole run of bad bytes by one U+FFFD).
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
			i += illFormedLen(s[i:])
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// illFormedLen is the length of the maximal ill-formed subsequence at the start of s,
// which does not start with a valid UTF-8 character: a lead byte and the continuation
// bytes that could still have completed it (Unicode 15, §3.9, table 3-7).
func illFormedLen(s string) int {
	c := s[0]
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case 0xE0 <= c && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case 0xF0 <= c && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		if s[n] < lo || s[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
