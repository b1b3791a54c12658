// Package text turns captions into token ids: a word-level tokenizer fitted on the
// training captions, saved as JSON next to a model's checkpoints so that the model
// always meets its own vocabulary.
//
// # Why word-level and hand-written
//
// github.com/sugarme/tokenizer (v0.3.0, the only version the Go proxy lists) builds, and
// offers WordPiece and BPE, but it is a poor fit here:
//   - about 90 panic / log.Fatal sites in its non-test code, including EncodeBatch and
//     the vocabulary file readers, so bad input would end the process instead of
//     returning an error (our rule: no panics on bad input);
//   - its trainers read only files and drop their errors (WordPieceTrainer.Train
//     discards the BPE trainer's error), and DecodeBatch appends from several
//     goroutines without a lock (a data race that also shuffles the output order);
//   - it pulls in a progress bar, a cache library and writes a cache directory under
//     $HOME on first use.
//
// The captions we tokenise are small closed or near-closed vocabularies: the shapes
// world has under 100 words, so a word-level vocabulary is exact and tiny; Flickr8k's
// 40k captions have roughly 9k distinct words, a few thousand of which occur 5 times or
// more. A word-level vocabulary with a minimum frequency covers nearly all running words
// of Flickr8k and maps the rare rest to [UNK]; subword pieces would matter for a large
// open corpus, which this project does not train on.
//
// # Behaviour
//
// Text is lowercased, split at white space, and every punctuation or symbol rune becomes
// a token of its own ("a dog's ball." → a dog ' s ball .). Bytes that are not valid
// UTF-8 are replaced by U+FFFD before splitting (never an error, never a panic); U+FFFD
// is a symbol, so it becomes its own token, [UNK] unless the training captions held it.
// Special tokens have fixed ids: [PAD]=0, [BOS]=1, [EOS]=2, [UNK]=3, [MASK]=4. A special
// token written in the input ("[PAD]") is split like any text, so it can never be
// injected.
//
// An encoding is [BOS] w1 ... wk [EOS] [PAD]..., exactly MaxLen ids long, with a mask
// of 1 on real tokens (BOS and EOS included) and 0 on padding. Truncation drops words at
// the end and keeps [EOS].
//
// # Pretrained vocabularies
//
// For pretrained models the package also reads CLIP's byte-level BPE (BPE: OpenAI's
// bpe_simple_vocab_16e6.txt.gz, Hugging Face's vocab.json + merges.txt or tokenizer.json;
// ids equal OpenAI's tokenizer's, checked against it in TestCLIPGolden) and BERT's
// WordPiece (vocab.txt). All three tokenizers implement Encoder; LoadDir picks the one a
// model directory holds.
//
// They are hand-written too. github.com/gomlx/go-huggingface's hftokenizer (v0.4.0) runs
// a tokenizer.json's own pipeline, which for CLIP is Hugging Face's "fast" one: no ftfy
// fixes, no HTML unescaping, Go's ASCII-only \s and simple lower-casing; it cannot read
// OpenAI's vocabulary file, and it brings the hub downloader and github.com/pkg/errors.
// sugarme/tokenizer has the flaws listed above.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Special token ids: fixed, so that models can hard-code the padding id and the
// pooling position of [EOS].
const (
	PadID  int32 = 0
	BOSID  int32 = 1
	EOSID  int32 = 2
	UNKID  int32 = 3
	MaskID int32 = 4
)

// Special tokens, in id order.
const (
	PadToken  = "[PAD]"
	BOSToken  = "[BOS]"
	EOSToken  = "[EOS]"
	UNKToken  = "[UNK]"
	MaskToken = "[MASK]"
)

// Specials lists the special tokens; the index of each is its id.
var Specials = []string{PadToken, BOSToken, EOSToken, UNKToken, MaskToken}

// Words splits a text into lowercase word and punctuation tokens, the units the
// vocabulary is made of. Invalid UTF-8 is replaced by U+FFFD.
func Words(s string) []string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var out []string
	start := -1 // byte offset where the current word began, -1 outside a word
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, strings.ToLower(s[start:i]))
				start = -1
			}
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			if start >= 0 {
				out = append(out, strings.ToLower(s[start:i]))
				start = -1
			}
			out = append(out, strings.ToLower(string(r)))
		case unicode.IsControl(r):
			// Control characters (NUL, escape, ...) carry no meaning in a caption:
			// they end a word like white space does.
			if start >= 0 {
				out = append(out, strings.ToLower(s[start:i]))
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}
