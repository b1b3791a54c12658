package eval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CaptionTokens splits a caption into the lower-case words the caption metrics count,
// in the spirit of pycocoevalcap's tokenizer (Stanford CoreNLP 3.4.1's PTBTokenizer
// with -lowerCase, then the tokens of its PUNCTUATIONS list dropped:
//
//	'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;
//
// ) without the Java. The rules:
//
//   - letters, digits and combining marks make words; text is lower-cased first;
//   - . ? ! , : ; ' " ` ( ) { } [ ] and - separate words and are dropped, as are
//     runs of them (--, ...); curly quotes, the ellipsis and en and em dashes too;
//   - kept inside a word: a hyphen or an apostrophe between word characters (t-shirt,
//     black-and-white, o'clock) and a period, comma or colon between digits (3.5,
//     1,000, 5:30);
//   - the clitics 's 're 've 'll 'd 'm and n't that end a word become words of their
//     own, as PTB splits them (dog's -> dog 's, don't -> do n't, can't -> ca n't); an
//     apostrophe that opens a word is dropped ('tis -> tis);
//   - every other symbol ($ % & / + = # ...) is a word of its own.
//
// Where PTBTokenizer differs: it keeps periods in abbreviations (u.s., mr.), some
// symbols inside words (AT&T), keeps a leading hyphen on numbers (-5), writes [ ] as
// -lsb- -rsb- (kept, since they are not in PUNCTUATIONS) and splits a few more
// contractions (gonna -> gon na, cannot -> can not). Captions seldom contain these.
// Stanford's tokenizer itself (Java) is not run by the tests; on everyday captions
// CaptionTokens gives what nltk's TreebankWordTokenizer (the same Penn Treebank
// conventions) gives after the same filter (TestCaptionTokensMatchTreebank).
// CaptionTokens is idempotent: tokenising the joined tokens gives them back.
func CaptionTokens(s string) []string {
	s = strings.ToLower(s)
	var out []string
	for _, field := range strings.FieldsFunc(s, isCaptionSpace) {
		out = appendCaptionField(out, field)
	}
	return out
}

// captionClitics are the endings PTBTokenizer splits off as words of their own (after
// lower-casing).
var captionClitics = []string{"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}

// appendCaptionField appends the tokens of one white-space-free field to out.
func appendCaptionField(out []string, field string) []string {
	field = normaliseCaptionRunes(field)
	for i := 0; i < len(field); {
		r, size := utf8.DecodeRuneInString(field[i:])
		switch {
		case isCaptionWordRune(r) || (r == '\'' && captionWordRuneAt(field, i+1)):
			end := captionWordEnd(field, i+size)
			out = appendCaptionWord(out, field[i:end])
			i = end
		case isCaptionPunct(r):
			i += size
		default:
			out = append(out, field[i:i+size])
			i += size
		}
	}
	return out
}

// captionWordEnd returns where the word that runs up to i in field ends: word runes,
// and joiners followed by one (a hyphen or apostrophe, or a period, comma or colon
// between digits).
func captionWordEnd(field string, i int) int {
	for i < len(field) {
		r, size := utf8.DecodeRuneInString(field[i:])
		switch {
		case isCaptionWordRune(r):
			i += size
		case (r == '-' || r == '\'') && captionWordRuneAt(field, i+1):
			i++
		case (r == '.' || r == ',' || r == ':') && captionDigitAt(field, i-1) && captionDigitAt(field, i+1):
			i++
		default:
			return i
		}
	}
	return i
}

// appendCaptionWord appends a word and the clitics that end it (don't -> do n't,
// can't've -> ca n't 've), dropping apostrophes that only quote it ('tis -> tis).
func appendCaptionWord(out []string, w string) []string {
	var clitics []string // last first
	for {
		// Cutting a clitic may leave a joiner at the end (a-n't).
		w = strings.TrimRight(w, "-'.,")
		c := captionClitic(w)
		if c == "" || len(c) == len(w) {
			break
		}
		clitics = append(clitics, c)
		w = w[:len(w)-len(c)]
	}
	if captionClitic(w) != w {
		w = strings.TrimLeft(w, "'")
	}
	if w != "" {
		out = append(out, w)
	}
	for i := len(clitics) - 1; i >= 0; i-- {
		out = append(out, clitics[i])
	}
	return out
}

// captionClitic returns the clitic w ends with, or "".
func captionClitic(w string) string {
	for _, c := range captionClitics {
		if strings.HasSuffix(w, c) {
			return c
		}
	}
	return ""
}

// normaliseCaptionRunes maps typographic quotes and dashes onto their ASCII forms, as
// PTBTokenizer normalises them (so ’ works as an apostrophe). Only fields that hold
// such runes are copied.
func normaliseCaptionRunes(field string) string {
	if !strings.ContainsAny(field, "‘’‛“”„–—…") {
		return field
	}
	return strings.NewReplacer("‘", "'", "’", "'", "‛", "'", "“", `"`, "”", `"`, "„", `"`,
		"–", "--", "—", "--", "…", "...").Replace(field)
}

// isCaptionSpace reports the characters Python's str.split() splits on: Unicode white
// space and the ASCII separators \x1c-\x1f, so tokenised text splits as pycocoevalcap's
// s.split() splits it.
func isCaptionSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func isCaptionWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isCaptionPunct reports the punctuation CaptionTokens drops (PUNCTUATIONS after PTB's
// escaping, plus brackets and double quotes).
func isCaptionPunct(r rune) bool {
	return strings.ContainsRune(".?!,:;'\"`(){}[]-", r)
}

func captionWordRuneAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isCaptionWordRune(r)
}

func captionDigitAt(s string, i int) bool {
	return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9'
}
