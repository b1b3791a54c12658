package text

import (
	"math/rand/v2"
	"strings"
)

// awkwardPieces are the ingredients of randomText: each stresses one step of CLIP's
// cleanup or pre-tokenizer.
var awkwardPieces = []string{
	// words, case, contractions
	"a", "photo", "of", "CAT", "Dog", "I'm", "don't", "THEY'LL", "we'Re", "it's", "'s", "'", "''", "o'clock",
	// punctuation and symbols
	"!", "...", "#@$%", "?!", "--", "(", ")", "[x]", "<", ">", "|", "&", ";", "_", "\\", "/", "`", "~",
	// numbers
	"3.14159", "1,000,000", "2026", "x²", "Ⅻ", "٣", "½",
	// accents, combining marks, case oddities
	"café", "cafe\u0301", "naïve", "Ångström", "ÉCOLE", "\u0345", "α\u0345", "İ", "ı", "ſ", "'ſ", "ΣΑΣ", "Σ", "ß", "K",
	// emoji and joiners
	"👍🏽", "🐈\u200d⬛", "🇫🇷", "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f", "\u200b", "\u200d", "\ufe0f",
	// other scripts
	"猫", "写真", "고양이", "صورة", "Привет", "ελληνικά", "हिन्दी", "ไทย",
	// HTML
	"&amp;", "&lt;b&gt;", "&amp;amp;", "&EACUTE;", "&notit;", "&amp", "&copy2026", "&#39;", "&#x2019;", "&#128077;",
	"&#0;", "&#1;", "&#65abc;", "&bogus;", "&#x110000;", "&#xD800;", "&#150;", "&NotEqualTilde;", "&rsquo;",
	// ftfy's fixes
	"“", "”", "‘", "’", "ʼ", "ﬁ", "ﬂ", "ﬅ", "Ĳ", "ǆ", "ＡＢＣ", "１２３", "ｶﾀｶﾅ", "！", "\u3000",
	// white space and controls
	" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u2028", "\u2029", "\u0085", "\x00", "\x07", "\x7f", "\ufeff",
	"\x1b[31m", "\x1b[0m", "\x1b[1;4m", "\u0093", "\u0081", "\x1c",
	// special tokens
	"<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|ſtartoftext|>",
}

// stableBlocks are Unicode blocks (first, last) where Unicode 16 and 17 added nothing:
// Go's tables are Unicode 17, the reference's regex module's Unicode 15, and a letter
// new since then splits text differently (see TestCLIPReferenceRandom).
var stableBlocks = [][2]rune{
	{0x20, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x590, 0x5FF}, {0x600, 0x6FF}, {0x900, 0x97F},
	{0xE00, 0xE7F}, {0x1E00, 0x1FFF}, {0x2000, 0x206F}, {0x2070, 0x209F}, {0x2100, 0x22FF}, {0x2460, 0x24FF},
	{0x3000, 0x30FF}, {0x4E00, 0x9FEF}, {0xAC00, 0xD7A3}, {0xE000, 0xE0FF}, {0xFB00, 0xFB4F},
	{0xFE30, 0xFFEF}, {0x10400, 0x1044F}, {0x1D400, 0x1D7FF}, {0x1F300, 0x1F64F},
}

// randomText makes a text of up to 24 awkward pieces and random code points, the same
// for the same seed.
func randomText(seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var b strings.Builder
	for range rng.IntN(24) {
		switch rng.IntN(8) {
		case 0:
			blk := stableBlocks[rng.IntN(len(stableBlocks))]
			b.WriteRune(blk[0] + rune(rng.IntN(int(blk[1]-blk[0]+1))))
		case 1:
			b.WriteByte(' ')
		default:
			b.WriteString(awkwardPieces[rng.IntN(len(awkwardPieces))])
		}
	}
	return b.String()
}
