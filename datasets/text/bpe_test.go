package text

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const clipVocabPath = "openai/bpe_simple_vocab_16e6.txt.gz"

var clipOnce = sync.OnceValues(func() (*BPE, error) { return LoadCLIPVocab(clipVocabPath) })

// loadCLIP returns OpenAI's tokenizer, loaded once for all tests.
func loadCLIP(t testing.TB) *BPE {
	t.Helper()
	tok, err := clipOnce()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// goldenCase is one entry of testdata/clip_tokens_golden.json (see
// testdata/pyref/clip_reference.py).
type goldenCase struct {
	Name        string  `json:"name"`
	Text        string  `json:"text"`
	Tokens      []int32 `json:"tokens"`
	Context     []int32 `json:"context"`
	Decoded     string  `json:"decoded"`
	DecodedHalf string  `json:"decoded_half"`
}

func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile("testdata/clip_tokens_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("golden file has %d cases", len(cases))
	}
	return cases
}

// TestCLIPGolden compares the tokenizer with OpenAI's on the awkward strings of the
// golden file: all ids, the 77-id rows of clip.tokenize(truncate=True), and decoding.
func TestCLIPGolden(t *testing.T) {
	tok := loadCLIP(t)
	for _, c := range readGolden(t) {
		if got := tok.Tokens(c.Text); !slices.Equal(got, c.Tokens) {
			t.Errorf("%s: Tokens(%.60q)\n got %v\nwant %v", c.Name, c.Text, got, c.Tokens)
		}
		ids, mask := tok.Encode(c.Text)
		if !slices.Equal(ids, c.Context) {
			t.Errorf("%s: Encode ids\n got %v\nwant %v", c.Name, ids, c.Context)
		}
		n := min(len(c.Tokens), CLIPContext)
		if Length(mask) != n || slices.Index(mask, 0) != -1 && slices.Index(mask, 0) != n || ids[n-1] != tok.EOT() {
			t.Errorf("%s: mask %v: want %d ones then zeros, ids[%d] = <|endoftext|>", c.Name, mask, n, n-1)
		}
		body := c.Tokens[1 : len(c.Tokens)-1]
		if got := tok.decodeTokens(body); got != c.Decoded {
			t.Errorf("%s: decode = %q, want %q", c.Name, got, c.Decoded)
		}
		if got := tok.decodeTokens(body[:len(body)/2]); got != c.DecodedHalf {
			t.Errorf("%s: decode of the first half = %q, want %q", c.Name, got, c.DecodedHalf)
		}
		if !slices.Contains(body, tok.EOT()) && !slices.Contains(body, tok.SOT()) {
			if got, want := tok.Decode(c.Tokens), strings.TrimRight(c.Decoded, " "); got != want {
				t.Errorf("%s: Decode = %q, want %q", c.Name, got, want)
			}
		}
	}
}

// pythonRef runs testdata/pyref/clip_reference.py with args and stdin and returns its
// output, skipping the test where Python or its regex module is missing.
func pythonRef(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import regex").Run(); err != nil {
		t.Skipf("reference needs %s with the regex module: %v", py, err)
	}
	cmd := exec.Command(py, append([]string{"-B", "testdata/pyref/clip_reference.py"}, args...)...)
	cmd.Stdin = strings.NewReader(string(stdin))
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("clip_reference.py: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return out
}

// TestCLIPGoldenIsCurrent reruns OpenAI's tokenizer and checks that the committed golden
// file is what it produces now.
func TestCLIPGoldenIsCurrent(t *testing.T) {
	out := pythonRef(t, nil)
	var fresh []goldenCase
	if err := json.Unmarshal(out, &fresh); err != nil {
		t.Fatal(err)
	}
	golden := readGolden(t)
	if len(fresh) != len(golden) {
		t.Fatalf("reference made %d cases, golden file has %d: regenerate it", len(fresh), len(golden))
	}
	for i := range golden {
		f, g := fresh[i], golden[i]
		if f.Name != g.Name || f.Text != g.Text || !slices.Equal(f.Tokens, g.Tokens) || !slices.Equal(f.Context, g.Context) ||
			f.Decoded != g.Decoded || f.DecodedHalf != g.DecodedHalf {
			t.Errorf("case %q: the reference now gives %+v, golden file has %+v", g.Name, f, g)
		}
	}
}

// TestCLIPReferenceRandom compares ids with OpenAI's tokenizer on random texts made of
// awkward pieces (see randomText).
func TestCLIPReferenceRandom(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 200
	}
	texts := make([]string, n)
	for i := range texts {
		texts[i] = randomText(uint64(i))
	}
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]int32
	if err := json.Unmarshal(pythonRef(t, in, "--stdin"), &want); err != nil {
		t.Fatal(err)
	}
	tok := loadCLIP(t)
	bad := 0
	for i, text := range texts {
		if got := tok.Tokens(text); !slices.Equal(got, want[i]) {
			bad++
			if bad <= 5 {
				t.Errorf("Tokens(%q)\n got %v\nwant %v", text, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d random texts differ from the reference", bad, len(texts))
	}
}
