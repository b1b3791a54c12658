package text

import (
	"strings"
	"testing"
)

// The expected values below are what Python 3.11 returns (html.unescape, bytes.decode
// with errors="replace", str.lower), checked by hand against the Python shell.

func TestHTMLUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"&amp;", "&"},
		{"&ampx", "&x"},     // a legacy name without ';' decodes by prefix
		{"&amp-x", "&-x"},   // the name runs to '-', then the prefix rule applies
		{"&notit;", "¬it;"}, // "not" is the longest prefix that is a name
		{"&#0;", "\uFFFD"},
		{"&#1;x", "x"}, // controls are dropped
		{"&#x41", "A"},
		{"&#65abc;", "Aabc;"},
		{"&#xD800;", "\uFFFD"},
		{"&#x110000;", "\uFFFD"},
		{"&#9999999999999999999999;", "\uFFFD"},
		{"&#150;", "–"}, // C1 numbers read as Windows-1252
		{"&#13;", "\r"},
		{"&#xFFFE;", ""}, {"&#x1FFFF;", ""}, {"&#xfdd0;", ""}, // non-characters are dropped
		{"&bogus;", "&bogus;"},
		{"&#;", "&#;"}, {"&#x;", "&#x;"}, {"&", "&"}, {"&&amp;", "&&"},
		{"&NotEqualTilde;", "≂̸"}, // two characters
		{"&CounterClockwiseContourIntegral;", "∳"},
		{"&AElig", "Æ"}, {"&copy2026", "©2026"}, {"&lt&gt", "<>"},
		{"&#128077;", "👍"},
		{"&" + strings.Repeat("a", 40) + ";", "&" + strings.Repeat("a", 40) + ";"},
		{"no entities", "no entities"},
	} {
		if got := htmlUnescape(tc.in); got != tc.want {
			t.Errorf("htmlUnescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestToValidUTF8(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\xe2\x82", "\uFFFD"}, // a truncated character is one U+FFFD
		{"\xe2\x82a", "\uFFFDa"},
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xc0\xaf", "\uFFFD\uFFFD"},                     // an overlong form: each byte
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},           // a surrogate: each byte
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // past U+10FFFF
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xff", "\uFFFD"},
		{"a\x80b", "a\uFFFDb"},
		{"\xf0\x9f\x98\x80", "😀"},
		{"ok \uFFFD", "ok \uFFFD"},
	} {
		if got := toValidUTF8(tc.in); got != tc.want {
			t.Errorf("toValidUTF8(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPyLower(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ΟΔΟΣ", "οδος"},
		{"ΑΣ.", "ας."},
		{"Σ", "σ"}, // no cased letter before it
		{"A'Σ", "a'ς"},
		{"AΣ'B", "aσ'b"}, // the apostrophe is skipped, B follows
		{"ΣΑΣ ΑΣ", "σας ας"},
		{"AΣ\u0301", "aς\u0301"},
		{"ΑΣ\u0301Α", "ασ\u0301α"},
		{"İ", "i\u0307"},
		{"ÉCOLE", "école"},
		{"ǅ", "ǆ"},
		{"ẞ", "ß"},
		{"Ⅻ", "ⅻ"},
	} {
		if got := pyLower(tc.in); got != tc.want {
			t.Errorf("pyLower(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFixText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!", "Broken text… it's flubberific!"},
		{"ＬＯＵＤ\u3000ＮＯＩＳＥＳ", "LOUD NOISES"},
		{"ｶﾀｶﾅ", "カタカナ"},
		{"P&EACUTE;REZ", "PÉREZ"},
		{"&ntilde; &Ntilde; &NTILDE; &nTILDE;", "ñ Ñ Ñ &nTILDE;"},
		{"\u0093quoted\u0094", "\"quoted\""}, // C1 → Windows-1252 curly quotes → straight
		{"\u0081", "\u0081"},                 // undefined in Windows-1252: kept
		{"a\r\nb\rc\u2028d", "a\nb\nc\nd"},
		{"\x1b[36;44mblue\x1b[0m", "blue"},
		{"a\x00b\x7fc\ufeffd\u206ae\ufffcf\tg", "abcdef\tg"},
		{"cafe\u0301", "café"},
		{"&lt;b&gt; <tag>", "&lt;b&gt; <tag>"}, // a '<': entities stay
		{"&amp;\n<b>\n&amp;", "&\n<b>\n&amp;"}, // ... from that line on
		{"&amp;amp;", "&"},                     // rounds until nothing changes
		{"&#x2019;&#x1b;[31m", "'[31m"},        // html.unescape drops the ESC it decodes
	} {
		if got := fixText(tc.in); got != tc.want {
			t.Errorf("fixText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanCLIP(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  A  Photo\tOf\n\nA CAT. ", "a photo of a cat."},
		{"\u00a0x\u3000y\u2029", "x y"},
		{"Tom &amp;amp; Jerry", "tom & jerry"},
		{"&amp;lt;", "<"}, // html.unescape twice after ftfy's own rounds
		{"\u201cHi\u201d", "\"hi\""},
		{"ΟΔΟΣ İ", "οδος i\u0307"},
	} {
		if got := cleanCLIP(tc.in); got != tc.want {
			t.Errorf("cleanCLIP(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPreTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a photo of a cat.", []string{"a", "photo", "of", "a", "cat", "."}},
		{"i'm don't we're 'll", []string{"i", "'m", "don", "'t", "we", "'re", "'ll"}},
		{"!!'s", []string{"!!'", "s"}}, // the punctuation run takes the apostrophe first
		{"'ſ ſtart", []string{"'ſ", "ſtart"}},
		{"<|endoftext|>x<|ſtartoftext|>", []string{"<|endoftext|>", "x", "<|ſtartoftext|>"}},
		{"!<|endoftext|>", []string{"!<|", "endoftext", "|>"}},
		{"2026 3.14", []string{"2", "0", "2", "6", "3", ".", "1", "4"}},
		{"y\u0345z \u0345", []string{"y", "z"}},
		{"猫の写真 👍🏽!", []string{"猫の写真", "👍🏽!"}},
	} {
		var got []string
		preTokenize(tc.in, func(p string) bool { got = append(got, p); return true })
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("preTokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
