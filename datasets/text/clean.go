package text

//go:generate sh -c "/usr/bin/python3 testdata/pyref/gen_entities.py > entities.go"

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// cleanCLIP is the text cleanup of OpenAI's simple_tokenizer.py before the pre-tokenizer:
// basic_clean (ftfy.fix_text, html.unescape twice, strip), whitespace_clean (each run of
// white space becomes one space, strip), then Python's str.lower().
//
// ftfy is replaced by fixText, its steps that are well-defined on valid text (see
// fixText); mojibake repair is left out. Input that is not valid UTF-8 is first decoded
// the way Python's bytes.decode("utf-8", errors="replace") does.
func cleanCLIP(s string) string {
	s = fixText(toValidUTF8(s))
	s = htmlUnescape(htmlUnescape(s))
	return pyLower(whitespaceClean(s))
}

// whitespaceClean is Python's re.sub(r"\s+", " ", s.strip()).strip() with the regex
// module's \s (Unicode White_Space) and str.strip's white space (White_Space and the
// four information separators U+001C..U+001F).
func whitespaceClean(s string) string {
	if singleSpaced(s) {
		return s
	}
	s = strings.TrimFunc(s, pyIsSpace)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) { // unicode.IsSpace is exactly White_Space
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), pyIsSpace)
}

// singleSpaced reports whether s is ASCII whose only white space is single spaces
// between other characters: text whitespaceClean leaves as it is.
func singleSpaced(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c <= 0x1F:
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || 0x1C <= r && r <= 0x1F }

// fixText applies the steps of ftfy 6.3's fix_text (default configuration) that are
// well-defined on valid text, in ftfy's order:
//
//   - the text is fixed in segments, each ending after a "\n"; from the first segment that
//     holds a "<" on, HTML entities are left alone (the text looks like HTML);
//   - a segment is fixed until a round changes nothing; one round decodes HTML entities
//     ("&name;" and "&#...;" only, plus the all-caps spelling of lower-case names such as
//     "&EACUTE;"), reads C1 controls U+0080..U+009F as Windows-1252, splits Latin
//     ligatures (ﬁ → fi), maps full-width and half-width forms to their usual width
//     (ＡＢＣ → ABC, U+3000 → space), straightens curly quotes, turns line breaks (CR LF,
//     CR, U+2028, U+2029, NEL) into "\n", removes ANSI terminal escapes and invisible
//     control characters, and normalises to NFC.
//
// Left out: fix_encoding (mojibake repair such as "cafÃ©" → "café", a heuristic with no
// exact specification), fix_surrogates (a valid UTF-8 string holds no surrogates) and
// the splitting of segments over a million characters long.
func fixText(s string) string {
	if plainASCII(s) {
		return s
	}
	var b strings.Builder
	entities := true
	for len(s) > 0 {
		end := strings.IndexByte(s, '\n') + 1
		if end == 0 {
			end = len(s)
		}
		seg := s[:end]
		s = s[end:]
		if strings.Contains(seg, "<") {
			entities = false
		}
		b.WriteString(fixSegment(seg, entities))
	}
	return b.String()
}

// plainASCII reports whether s is printable ASCII, tabs and line feeds with no '&': text
// that every step of fixText leaves as it is (most captions).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7F || c < 0x20 && c != '\t' && c != '\n' || c == '&' {
			return false
		}
	}
	return true
}

// fixSegment runs rounds of ftfy's fixes on one segment until a round changes nothing.
func fixSegment(s string, entities bool) string {
	for {
		before := s
		if entities && strings.Contains(s, "&") {
			s = ftfyEntity.ReplaceAllStringFunc(s, unescapeFTFY)
		}
		s = strings.Map(fixC1, s)
		s = replaceRunes(s, ligatures)
		s = replaceRunes(s, widthForms)
		s = strings.Map(uncurl, s)
		s = lineBreaks.Replace(s)
		if strings.Contains(s, "\x1b") {
			s = terminalEscape.ReplaceAllString(s, "")
		}
		s = strings.Map(dropControl, s)
		s = norm.NFC.String(s)
		if s == before {
			return s
		}
	}
}

// ftfyEntity is the HTML entity pattern of ftfy's unescape_html.
var ftfyEntity = regexp.MustCompile(`&#?[0-9A-Za-z]{1,24};`)

// unescapeFTFY decodes one entity found by ftfyEntity: a standard name, the all-caps
// spelling of a lower-case name, or a numeric reference that html.unescape decodes
// whole; anything else stays as it is.
func unescapeFTFY(ref string) string {
	name := ref[1:]
	if v, ok := htmlEntities[name]; ok {
		return v
	}
	if v, ok := shoutedEntities[name]; ok {
		return v
	}
	if strings.HasPrefix(ref, "&#") {
		if out := htmlUnescape(ref); !strings.Contains(out, ";") {
			return out
		}
	}
	return ref
}

// fixC1 reads a C1 control character as the Windows-1252 character of that byte; the
// five bytes Windows-1252 leaves undefined stay as they are.
func fixC1(r rune) rune {
	if 0x80 <= r && r <= 0x9F {
		return cp1252[r-0x80]
	}
	return r
}

// cp1252 maps bytes 0x80..0x9F to Windows-1252's characters (the undefined five to
// themselves), as HTML5 and Python's html.unescape read them.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// ligatures are the Latin ligatures and digraphs ftfy splits; others (æ, œ) are letters
// in their own right and stay.
var ligatures = map[rune]string{
	0x0132: "IJ", 0x0133: "ij", 0x0149: "\u02bcn",
	0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
	0x01C4: "D\u017d", 0x01C5: "D\u017e", 0x01C6: "d\u017e",
	0x01C7: "LJ", 0x01C8: "Lj", 0x01C9: "lj",
	0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj",
	0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl",
	0xFB05: "\u017ft", 0xFB06: "st",
}

// widthForms maps U+3000 (ideographic space) to a space and each character of the
// Halfwidth and Fullwidth Forms block U+FF01..U+FFEF to its NFKC form where that differs.
var widthForms = func() map[rune]string {
	m := map[rune]string{0x3000: " "}
	for r := rune(0xFF01); r < 0xFFF0; r++ {
		if alt := norm.NFKC.String(string(r)); alt != string(r) {
			m[r] = alt
		}
	}
	return m
}()

// replaceRunes replaces each rune found in m by its text (Python's str.translate); m has
// no ASCII key.
func replaceRunes(s string, m map[rune]string) string {
	i := strings.IndexFunc(s, func(r rune) bool {
		if r < 0x80 {
			return false
		}
		_, ok := m[r]
		return ok
	})
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if v, ok := m[r]; ok {
			b.WriteString(v)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uncurl straightens curly quotes: U+02BC and U+2018..U+201B to ', U+201C..U+201F to ".
func uncurl(r rune) rune {
	switch {
	case r == 0x02BC || 0x2018 <= r && r <= 0x201B:
		return '\''
	case 0x201C <= r && r <= 0x201F:
		return '"'
	}
	return r
}

// lineBreaks turns every line break into "\n" (CR LF before CR, as ftfy's chain of
// replacements does).
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n")

// terminalEscape is an ANSI escape such as "\x1b[1;31m"; Python's \d in ftfy's pattern
// is any decimal digit (\p{Nd}).
var terminalEscape = regexp.MustCompile(`\x1b\[[\p{Nd};]*[a-zA-Z]`)

// dropControl removes the control characters ftfy removes: C0 controls other than tab,
// LF, FF and CR; DEL; the deprecated format characters U+206A..U+206F; the byte order
// mark U+FEFF; and U+FFF9..U+FFFC (interlinear annotation, object replacement).
func dropControl(r rune) rune {
	switch {
	case r < 0x20 && r != '\t' && r != '\n' && r != '\f' && r != '\r',
		r == 0x7F, 0x206A <= r && r <= 0x206F, r == 0xFEFF, 0xFFF9 <= r && r <= 0xFFFC:
		return -1
	}
	return r
}
