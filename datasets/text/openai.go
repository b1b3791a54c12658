package text

import (
	_ "embed" // OpenAI's vocabulary travels with the code, as it does in OpenAI's clip package.
	"sync"
)

// openAIVocab is OpenAI CLIP's bpe_simple_vocab_16e6.txt.gz (MIT licence: openai/LICENSE),
// which OpenAI's own clip package also ships inside the code: its checkpoints carry no
// tokenizer files.
//
//go:embed openai/bpe_simple_vocab_16e6.txt.gz
var openAIVocab []byte

var openAI = sync.OnceValues(func() (*BPE, error) { return parseCLIPVocab(openAIVocab) })

// OpenAICLIP returns OpenAI CLIP's tokenizer (49,408 ids, 77-token context), built
// once from the embedded vocabulary. It is safe for concurrent use.
func OpenAICLIP() (*BPE, error) { return openAI() }

// OpenAICLIPVocabFile returns the bytes of OpenAI's bpe_simple_vocab_16e6.txt.gz, for
// writing it beside a model (LoadCLIPVocab reads it back).
func OpenAICLIPVocabFile() []byte { return append([]byte(nil), openAIVocab...) }
