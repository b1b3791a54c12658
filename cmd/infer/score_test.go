package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmdna/mmdna/eval"
)

// writeCaptionFiles writes refs and cands (JSON text) into a temporary directory and
// returns their paths.
func writeCaptionFiles(t *testing.T, refs, cands string) (refsPath, candsPath string) {
	t.Helper()
	dir := t.TempDir()
	refsPath, candsPath = filepath.Join(dir, "refs.json"), filepath.Join(dir, "cands.json")
	for p, s := range map[string]string{refsPath: refs, candsPath: cands} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return refsPath, candsPath
}

// TestScoreHandComputed runs `infer score` on a corpus scored by hand, the captions
// raw (upper case, punctuation) so that tokenisation is part of the check.
//
// Tokenised: image 1 "a b" against "a b", image 2 "c e" against "c d".
// BLEU: correct 3, 1, 0, 0 over guesses 4, 2, 0, 0 (two-word captions have no
// trigrams); lengths 4 and 4, so no brevity penalty. BLEU-1 = 3/4, BLEU-2 = √(3/4 ·
// 1/2), and an order with no guesses multiplies by pycocoevalcap's 1e-15 / 1e-9 =
// 1e-6: BLEU-3 = ∛(3/8 · 1e-6), BLEU-4 = (3/8 · 1e-12)^(1/4).
// CIDEr-D: 3.125 (eval's TestCIDErDHandComputed works it out: (5 + 1.25) / 2).
func TestScoreHandComputed(t *testing.T) {
	refs, cands := writeCaptionFiles(t,
		`{"1": ["A b."], "2": ["C, d!"], "3": ["not scored"]}`,
		`{"1": "a B", "2": "c e ..."}`)
	code, stdout, stderr := runInfer("score", "-refs", refs, "-cands", cands, "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "infer score: 1 of the 3 ids in -refs " + refs + " have no candidate and are left out\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	lines := jsonLines(t, stdout)
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(lines), stdout)
	}
	var got map[string]float64
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"bleu_1": 0.75,
		"bleu_2": math.Sqrt(0.75 * 0.5),
		"bleu_3": math.Cbrt(0.375 * 1e-6),
		"bleu_4": math.Pow(0.375*1e-12, 0.25),
		"cider":  3.125,
	}
	if len(got) != len(want) {
		t.Fatalf("keys %v, want those of %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-7*w { // pycocoevalcap's constants move these by ~1e-9
			t.Errorf("%s = %.17g, want %.17g", k, g, w)
		}
	}

	code, stdout, _ = runInfer("score", "-refs", refs, "-cands", cands)
	wantTable := "BLEU-1   0.7500\nBLEU-2   0.6124\nBLEU-3   0.0072\nBLEU-4   0.0008\nCIDEr-D  3.1250\n"
	if code != 0 || stdout != wantTable {
		t.Errorf("table (exit %d):\n%s\nwant:\n%s", code, stdout, wantTable)
	}
}

func TestScoreBadInput(t *testing.T) {
	const goodRefs, goodCands = `{"1": ["a cat"], "2": ["a dog", "the dog"]}`, `{"1": "a cat", "2": "a dog"}`
	for _, c := range []struct {
		name, refs, cands string
		args              []string // nil: -refs REFS -cands CANDS
		want              string   // a piece of the one-line error
	}{
		{"no -refs", goodRefs, goodCands, []string{"-cands", "CANDS"}, "-refs is required"},
		{"no -cands", goodRefs, goodCands, []string{"-refs", "REFS"}, "-cands is required"},
		{"stray argument", goodRefs, goodCands, []string{"-refs", "REFS", "-cands", "CANDS", "x.json"}, `unexpected arguments ["x.json"]`},
		{"unknown flag", goodRefs, goodCands, []string{"-refs", "REFS", "-cands", "CANDS", "-model", "m"}, "flag provided but not defined: -model"},
		{"missing file", goodRefs, goodCands, []string{"-refs", "/nonexistent/refs.json", "-cands", "CANDS"}, "-refs /nonexistent/refs.json: no such file or directory"},
		{"refs not JSON", `refs`, goodCands, nil, "-refs REFS: not JSON at byte 1: invalid character 'r'"},
		{"refs truncated", `{"1": ["a`, goodCands, nil, "-refs REFS: not JSON: unexpected end of file"},
		{"refs a list", `[["a cat"]]`, goodCands, nil, `-refs REFS: want a JSON object {"id": ["a reference", ...]}, got a list`},
		{"refs a string", `"a cat"`, goodCands, nil, "-refs REFS: want a JSON object {\"id\": [\"a reference\", ...]}, got a string"},
		{"refs value a string", `{"1": "a cat"}`, goodCands, nil, `-refs REFS: id "1": want a list of reference strings, got a string`},
		{"refs value null", `{"1": null}`, goodCands, nil, `-refs REFS: id "1": want a list of reference strings, got null`},
		{"refs element a number", `{"1": ["a cat", 3]}`, goodCands, nil, `-refs REFS: id "1": reference 2: want a string, got a number`},
		{"refs element null", `{"1": ["a cat", null]}`, goodCands, nil, `-refs REFS: id "1": reference 2: want a string, got null`},
		{"empty reference list", `{"1": [], "2": ["a dog"]}`, goodCands, nil, `-refs REFS: id "1": no references`},
		{"blank reference", `{"1": ["a cat", "  "], "2": ["a dog"]}`, goodCands, nil, `-refs REFS: id "1": reference 2 has no words: "  "`},
		{"punctuation reference", `{"1": ["..."], "2": ["a dog"]}`, goodCands, nil, `-refs REFS: id "1": reference 1 has no words: "..."`},
		{"no references", `{}`, goodCands, nil, "-refs REFS: no references: the object is empty"},
		{"repeated id", `{"1": ["a"], "1": ["b"]}`, goodCands, nil, `-refs REFS: id "1" appears twice`},
		{"trailing data", goodRefs + ` {}`, goodCands, nil, "-refs REFS: not JSON: more data after the object"},
		{"cands value a list", goodRefs, `{"1": ["a cat"]}`, nil, `-cands CANDS: id "1": want a candidate string, got a list`},
		{"cands value null", goodRefs, `{"1": null}`, nil, `-cands CANDS: id "1": want a candidate string, got null`},
		{"no candidates", goodRefs, `{}`, nil, "-cands CANDS: no candidates: the object is empty"},
		{"cands not JSON", goodRefs, `{"1": "a" "2": "b"}`, nil, "-cands CANDS: not JSON at byte 11: invalid character '\"' after object key:value pair"},
		{"ids not in refs", goodRefs, `{"1": "a", "x": "b", "7": "c"}`, nil, `-cands CANDS: 2 of 3 ids are not in -refs REFS: "7", "x"`},
	} {
		refs, cands := writeCaptionFiles(t, c.refs, c.cands)
		args := c.args
		if args == nil {
			args = []string{"-refs", "REFS", "-cands", "CANDS"}
		}
		args = append([]string{"score"}, args...)
		for i, a := range args {
			args[i] = strings.NewReplacer("REFS", refs, "CANDS", cands).Replace(a)
		}
		want := strings.NewReplacer("REFS", refs, "CANDS", cands).Replace(c.want)
		code, stdout, stderr := runInfer(args...)
		if code != exitBadArgs || stdout != "" || strings.Count(stderr, "\n") != 1 ||
			!strings.HasPrefix(stderr, "infer score: ") || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", c.name, code, stdout, stderr, want)
		}
	}
}

// FuzzParseCaptionFiles checks the two parsers on any input: no panic, and what they
// accept survives a round trip through encoding/json and meets their promises.
func FuzzParseCaptionFiles(f *testing.F) {
	for _, s := range []string{
		`{"1": ["a cat"], "2": ["a dog", "the dog"]}`, `{"1": "a cat", "2": ""}`, `{}`, `[]`, `"x"`, `{"1": null}`,
		`{"1": ["a", 3]}`, `{"1": []}`, `{"1": ["a"], "1": ["b"]}`, `{"1": ["a"]} {}`, `{"\u00e9": "caf\u00e9"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if refs, err := parseCaptionRefs(data); err == nil {
			if len(refs) == 0 {
				t.Fatalf("parseCaptionRefs(%q) accepted no ids", data)
			}
			for id, rs := range refs {
				if len(rs) == 0 {
					t.Fatalf("parseCaptionRefs(%q): id %q has no references", data, id)
				}
				for _, r := range rs {
					if len(eval.CaptionTokens(r)) == 0 {
						t.Fatalf("parseCaptionRefs(%q): id %q: reference %q has no words", data, id, r)
					}
				}
			}
			again, err := json.Marshal(refs)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := parseCaptionRefs(again); err != nil || !reflect.DeepEqual(back, refs) {
				t.Fatalf("parseCaptionRefs(%q) = %v; its JSON %s parses to %v, %v", data, refs, again, back, err)
			}
		}
		if cands, err := parseCaptionCands(data); err == nil {
			if len(cands) == 0 {
				t.Fatalf("parseCaptionCands(%q) accepted no ids", data)
			}
			again, err := json.Marshal(cands)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := parseCaptionCands(again); err != nil || !reflect.DeepEqual(back, cands) {
				t.Fatalf("parseCaptionCands(%q) = %v; its JSON %s parses to %v, %v", data, cands, again, back, err)
			}
		}
	})
}
