package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/mmdna/mmdna/eval"
)

// runScore scores candidate captions against references: BLEU-1..4 and CIDEr-D as
// pycocoevalcap computes them, on captions tokenised by eval.CaptionTokens.
func runScore(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("score", flag.ContinueOnError)
	refsPath := fset.String("refs", "", `reference captions: a JSON object {"id": ["a reference", ...], ...}`)
	candsPath := fset.String("cands", "", `candidate captions: a JSON object {"id": "a candidate", ...}`)
	asJSON := fset.Bool("json", false, `print one JSON object {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "cider"}`)
	if err := parse(fset, args, stderr); err != nil {
		return err
	}
	switch {
	case *refsPath == "":
		return bad("-refs is required")
	case *candsPath == "":
		return bad("-cands is required")
	case fset.NArg() > 0:
		return bad("unexpected arguments %q: captions come in the -refs and -cands files", fset.Args())
	}
	refs, err := readCaptionFile(*refsPath, "-refs", parseCaptionRefs)
	if err != nil {
		return err
	}
	cands, err := readCaptionFile(*candsPath, "-cands", parseCaptionCands)
	if err != nil {
		return err
	}
	var missing []string
	for id := range cands {
		if _, ok := refs[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return bad("-cands %s: %d of %d ids are not in -refs %s: %s", *candsPath, len(missing), len(cands), *refsPath, quoteIDs(missing, 5))
	}
	if unscored := len(refs) - len(cands); unscored > 0 {
		// As COCOEvalCap scores the images of the results file.
		fmt.Fprintf(stderr, "infer score: %d of the %d ids in -refs %s have no candidate and are left out\n", unscored, len(refs), *refsPath)
	}
	score, err := eval.CaptionScores(refs, cands)
	if err != nil {
		return bad("%v", err)
	}
	return printResult(stdout, *asJSON, score, func() string {
		return fmt.Sprintf("BLEU-1   %.4f\nBLEU-2   %.4f\nBLEU-3   %.4f\nBLEU-4   %.4f\nCIDEr-D  %.4f",
			score.BLEU1, score.BLEU2, score.BLEU3, score.BLEU4, score.CIDEr)
	})
}

// readCaptionFile reads and parses the file a flag names; errors are bad input that
// name the flag and the file.
func readCaptionFile[T any](path, flagName string, parseFile func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return zero, bad("%s %s: %v", flagName, path, err)
	}
	v, err := parseFile(data)
	if err != nil {
		return zero, bad("%s %s: %v", flagName, path, err)
	}
	return v, nil
}

// parseCaptionRefs parses {"id": ["a reference", ...], ...}: at least one id, every
// id once, with at least one reference, each with words.
func parseCaptionRefs(data []byte) (map[string][]string, error) {
	refs := map[string][]string{}
	err := parseCaptionObject(data, `{"id": ["a reference", ...]}`, func(id string, v any) error {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("id %q: want a list of reference strings, got %s", id, jsonKind(v))
		}
		if len(list) == 0 {
			return fmt.Errorf("id %q: no references", id)
		}
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("id %q: reference %d: want a string, got %s", id, i+1, jsonKind(e))
			}
			if len(eval.CaptionTokens(s)) == 0 {
				return fmt.Errorf("id %q: reference %d has no words: %q", id, i+1, s)
			}
			out[i] = s
		}
		refs[id] = out
		return nil
	})
	if err == nil && len(refs) == 0 {
		err = errors.New("no references: the object is empty")
	}
	return refs, err
}

// parseCaptionCands parses {"id": "a candidate", ...}: at least one id, every id once.
// A candidate may be empty (a model can say nothing; it scores 0).
func parseCaptionCands(data []byte) (map[string]string, error) {
	cands := map[string]string{}
	err := parseCaptionObject(data, `{"id": "a candidate"}`, func(id string, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("id %q: want a candidate string, got %s", id, jsonKind(v))
		}
		cands[id] = s
		return nil
	})
	if err == nil && len(cands) == 0 {
		err = errors.New("no candidates: the object is empty")
	}
	return cands, err
}

// parseCaptionObject reads one JSON object and hands each member to add; it refuses
// other values, repeated ids and anything after the object.
func parseCaptionObject(data []byte, want string, add func(id string, v any) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err, want)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object %s, got %s", want, tokenKind(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err, want)
		}
		id := tok.(string) // inside an object the decoder yields keys as strings
		if seen[id] {
			return fmt.Errorf("id %q appears twice", id)
		}
		seen[id] = true
		var v any
		if err := dec.Decode(&v); err != nil {
			return jsonError(err, want)
		}
		if err := add(id, v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return jsonError(err, want)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not JSON: more data after the object")
	}
	return nil
}

// jsonError says what is wrong with a file that is not the JSON expected.
func jsonError(err error, want string) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not JSON at byte %d: %v; want %s", se.Offset, se, want)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("not JSON: unexpected end of file; want %s", want)
	}
	return fmt.Errorf("not JSON: %v; want %s", err, want)
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// tokenKind names the JSON type of the first token of a value.
func tokenKind(tok json.Token) string {
	if d, ok := tok.(json.Delim); ok {
		if d == '[' {
			return "a list"
		}
		return string(d)
	}
	return jsonKind(tok)
}

// quoteIDs lists ids for an error message: sorted, quoted, at most limit of them and
// then how many more.
func quoteIDs(ids []string, limit int) string {
	sort.Strings(ids)
	quoted := make([]string, 0, limit)
	for i, id := range ids {
		if i == limit {
			return strings.Join(quoted, ", ") + fmt.Sprintf(" and %d more", len(ids)-limit)
		}
		quoted = append(quoted, fmt.Sprintf("%q", id))
	}
	return strings.Join(quoted, ", ")
}
