package safetensors

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// metadataKey is the header key of the optional string-to-string metadata.
const metadataKey = "__metadata__"

// ParseHeader parses and validates header, the JSON that follows the 8-byte length in a
// file whose data buffer (everything after the header) is dataLen bytes long. It returns
// the tensors sorted by name and the metadata (nil when the header has none).
//
// It applies the Rust reference's rules and a few stricter ones: valid UTF-8 starting
// with '{'; one JSON object with no duplicate keys and nothing but whitespace after it;
// known dtypes; shapes and offsets of non-negative integers; begin <= end <= dataLen;
// end-begin = shape x dtype size; offsets neither overlapping nor leaving a byte of the
// data buffer uncovered; metadata values that are strings. Errors are one line and name
// the tensor at fault. Unknown fields inside a tensor's entry are ignored, as the
// reference does.
func ParseHeader(header []byte, dataLen int64) ([]TensorInfo, map[string]string, error) {
	if len(header) == 0 {
		return nil, nil, errors.New("header is empty")
	}
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if header[0] != '{' {
		return nil, nil, fmt.Errorf("header starts with %q, not '{'", header[0])
	}
	if dataLen < 0 {
		return nil, nil, fmt.Errorf("data buffer length %d is negative", dataLen)
	}
	var (
		infos    []TensorInfo
		metadata map[string]string
	)
	err := forEachMember(header, "header", func(key string, value json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(value)
			metadata = m
			return err
		}
		info, err := parseTensorInfo(key, value, dataLen)
		infos = append(infos, info)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := checkLayout(infos, dataLen); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(infos, func(a, b TensorInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, metadata, nil
}

// forEachMember calls fn for each member of the JSON object data, in file order. It
// fails on invalid JSON, on a value that is not an object, on a duplicate key and on
// anything but whitespace after the object; what names data in the error.
func forEachMember(data []byte, what string, fn func(key string, value json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s is not valid JSON: %v", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s is %s, not a JSON object", what, jsonKind(data))
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s is not valid JSON: %v", what, err)
		}
		key := tok.(string) // inside an object the decoder yields only string keys
		if seen[key] {
			return fmt.Errorf("%s has the key %q twice", what, key)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return fmt.Errorf("%s is not valid JSON: %v", what, err)
		}
		if err := fn(key, value); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fmt.Errorf("%s is not valid JSON: %v", what, err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("%s has %q after its JSON object", what, clip(string(rest)))
	}
	return nil
}

// jsonKind names the kind of the JSON value raw for error messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseMetadata parses the "__metadata__" value: an object of strings, or null.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if jsonKind(raw) == "null" {
		return nil, nil // the reference reads it as an Option
	}
	m := make(map[string]string)
	err := forEachMember(raw, metadataKey, func(key string, value json.RawMessage) error {
		if jsonKind(value) != "a string" {
			return fmt.Errorf("%s %q is %s, not a string", metadataKey, key, jsonKind(value))
		}
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return fmt.Errorf("%s %q: %v", metadataKey, key, err)
		}
		m[key] = s
		return nil
	})
	return m, err
}

// parseTensorInfo parses one tensor's entry and checks it on its own: dtype, shape,
// offsets inside the data buffer and their length against shape x dtype.
func parseTensorInfo(name string, raw json.RawMessage, dataLen int64) (TensorInfo, error) {
	info := TensorInfo{Name: name}
	fail := func(format string, args ...any) (TensorInfo, error) {
		return info, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...))
	}
	fields := make(map[string]json.RawMessage)
	err := forEachMember(raw, fmt.Sprintf("tensor %q", name), func(key string, value json.RawMessage) error {
		fields[key] = value
		return nil
	})
	if err != nil {
		return info, err
	}
	for _, key := range []string{"dtype", "shape", "data_offsets"} {
		if _, ok := fields[key]; !ok {
			return fail("no %q", key)
		}
	}
	if jsonKind(fields["dtype"]) != "a string" {
		return fail("dtype is %s, not a string", jsonKind(fields["dtype"]))
	}
	var dtype string
	if err := json.Unmarshal(fields["dtype"], &dtype); err != nil {
		return fail("dtype: %v", err)
	}
	info.DType = DType(dtype)
	if !info.DType.Valid() {
		return fail("unknown dtype %q", clip(dtype))
	}
	shape, err := parseInts(fields["shape"], math.MaxInt)
	if err != nil {
		return fail("shape %v", err)
	}
	info.Shape = make([]int, len(shape))
	for i, d := range shape {
		info.Shape[i] = int(d)
	}
	offsets, err := parseInts(fields["data_offsets"], math.MaxInt64)
	if err != nil {
		return fail("data_offsets %v", err)
	}
	if len(offsets) != 2 {
		return fail("data_offsets has %d numbers, not 2", len(offsets))
	}
	info.Begin, info.End = offsets[0], offsets[1]
	if info.Begin > info.End {
		return fail("data_offsets [%d, %d] begin after they end", info.Begin, info.End)
	}
	if info.End > dataLen {
		return fail("data_offsets [%d, %d] go beyond the data buffer (%d bytes)", info.Begin, info.End, dataLen)
	}
	need, ok := byteSize(info.DType, info.Shape)
	if !ok {
		return fail("shape %s of %s overflows int64 bytes", shapeString(info.Shape), info.DType)
	}
	if have := info.End - info.Begin; have != need {
		return fail("data_offsets [%d, %d] hold %d bytes, shape %s of %s needs %d",
			info.Begin, info.End, have, shapeString(info.Shape), info.DType, need)
	}
	return info, nil
}

// parseInts parses a JSON array of integers in [0, max]; it refuses fractions,
// exponents, negative numbers and anything that is not a number.
func parseInts(raw json.RawMessage, max int64) ([]int64, error) {
	if jsonKind(raw) != "an array" {
		return nil, fmt.Errorf("is %s, not an array", jsonKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	out := make([]int64, len(elems))
	for i, e := range elems {
		s := string(bytes.TrimSpace(e))
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v > max {
			return nil, fmt.Errorf("has %s, not an integer in [0, %d]", clip(s), max)
		}
		out[i] = v
	}
	return out, nil
}

// byteSize returns the bytes that a tensor of dtype and shape holds; ok is false when
// the count overflows int64, checked like the reference (on the non-zero dimensions, so
// that a zero dimension does not hide an absurd shape).
func byteSize(dtype DType, shape []int) (n int64, ok bool) {
	n = int64(dtype.Size())
	zero := false
	for _, d := range shape {
		if d == 0 {
			zero = true
			continue
		}
		if n > math.MaxInt64/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	if zero {
		return 0, true
	}
	return n, true
}

// checkLayout checks that the tensors' byte ranges tile the data buffer exactly: sorted
// by offset, each begins where the previous ends, and the last ends at dataLen.
func checkLayout(infos []TensorInfo, dataLen int64) error {
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(a.End, b.End), strings.Compare(a.Name, b.Name))
	})
	var pos int64
	var prev *TensorInfo
	for i := range sorted {
		t := &sorted[i]
		switch {
		case t.Begin < pos:
			return fmt.Errorf("tensors %q [%d, %d] and %q [%d, %d] overlap",
				prev.Name, prev.Begin, prev.End, t.Name, t.Begin, t.End)
		case t.Begin > pos:
			return fmt.Errorf("data bytes [%d, %d) before tensor %q belong to no tensor", pos, t.Begin, t.Name)
		}
		pos, prev = t.End, t
	}
	if pos != dataLen {
		return fmt.Errorf("data bytes [%d, %d) at the end belong to no tensor", pos, dataLen)
	}
	return nil
}

// clip shortens s to at most 40 bytes (on a rune boundary), so that a damaged header
// cannot make an error message long.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
