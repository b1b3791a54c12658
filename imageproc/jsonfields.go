package imageproc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// fields reads typed values out of a JSON object, with errors that name the file and
// the field. A missing field or a JSON null gives the default, as Python's
// `x if x is not None else default` does in the processors.
type fields struct {
	file string
	m    map[string]json.RawMessage
}

// parseObject decodes data as a JSON object.
func parseObject(file string, data []byte) (fields, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fields{}, fmt.Errorf("%s: not a JSON object: %v", file, err)
	}
	if m == nil {
		return fields{}, fmt.Errorf("%s: not a JSON object: null", file)
	}
	return fields{file: file, m: m}, nil
}

// raw returns the field's JSON, or nil when it is absent or null.
func (f fields) raw(key string) json.RawMessage {
	r, ok := f.m[key]
	if !ok || bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
		return nil
	}
	return r
}

func (f fields) errorf(key, want string, r json.RawMessage) error {
	got := string(bytes.TrimSpace(r))
	if len(got) > 40 {
		got = got[:37] + "..."
	}
	return fmt.Errorf("%s: field %q: want %s, got %s", f.file, key, want, got)
}

func (f fields) boolean(key string, def bool) (bool, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	var v bool
	if err := json.Unmarshal(r, &v); err != nil {
		return false, f.errorf(key, "true or false", r)
	}
	return v, nil
}

func (f fields) number(key string, def float64) (float64, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	var v float64
	if err := json.Unmarshal(r, &v); err != nil {
		return 0, f.errorf(key, "a number", r)
	}
	return v, nil
}

// integer accepts integral numbers only (3, or 3.0 as Python may write it).
func (f fields) integer(key string, def int) (int, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	var v float64
	if err := json.Unmarshal(r, &v); err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<30 {
		return 0, f.errorf(key, "an integer", r)
	}
	return int(v), nil
}

func (f fields) str(key, def string) (string, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	var v string
	if err := json.Unmarshal(r, &v); err != nil {
		return "", f.errorf(key, "a string", r)
	}
	return v, nil
}

// floats accepts a number (one value for every channel) or a list of numbers.
func (f fields) floats(key string, def []float64) ([]float64, error) {
	r := f.raw(key)
	if r == nil {
		return def, nil
	}
	var one float64
	if err := json.Unmarshal(r, &one); err == nil {
		return []float64{one}, nil
	}
	var v []float64
	if err := json.Unmarshal(r, &v); err != nil || (len(v) != 1 && len(v) != 3) {
		return nil, f.errorf(key, "a number or a list of 3 numbers", r)
	}
	return v, nil
}

// ints accepts a list of integers.
func (f fields) ints(key string) ([]int, error) {
	r := f.raw(key)
	if r == nil {
		return nil, nil
	}
	var v []float64
	if err := json.Unmarshal(r, &v); err != nil {
		return nil, f.errorf(key, "a list of integers", r)
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x != math.Trunc(x) || math.Abs(x) > 1<<30 {
			return nil, f.errorf(key, "a list of integers", r)
		}
		out[i] = int(x)
	}
	return out, nil
}

// object returns a nested object field, ok false when it is absent or null.
func (f fields) object(key string) (fields, bool, error) {
	r := f.raw(key)
	if r == nil {
		return fields{}, false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return fields{}, false, f.errorf(key, "an object", r)
	}
	return fields{file: f.file + ": " + key, m: m}, true, nil
}
