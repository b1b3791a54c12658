package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fileBytes builds a file from a header (its length prefixed) and a data buffer.
func fileBytes(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// lengthOnly is a file of just a header length, n.
func lengthOnly(n uint64, extra int) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), make([]byte, extra)...)
}

// t16 is one F32 tensor "x" of shape [2 2]: 16 bytes at offsets [0, 16].
const t16 = `"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`

// malformed lists one broken file per validation rule and the error it must give.
var malformed = []struct {
	name string
	file []byte
	want string
}{
	{"shorter than 8 bytes", []byte{1, 2, 3}, "file is 3 bytes, shorter than the 8-byte header length"},
	{"empty file", nil, "file is 0 bytes"},
	{"header length 0", lengthOnly(0, 8), "header length is 0"},
	{"header length beyond the file", lengthOnly(100, 20), "header length 100 goes beyond the end of the file (28 bytes)"},
	{"header length huge", lengthOnly(1<<62, 0), "header length 4611686018427387904 is over the limit of 100000000 bytes"},
	{"header length max uint64", lengthOnly(^uint64(0), 4), "is over the limit"},
	{"header length at the limit, file short", lengthOnly(MaxHeaderSize, 16), "header length 100000000 goes beyond the end"},
	{"header not JSON", fileBytes(`{"x":`, nil), "header is not valid JSON"},
	{"header truncated object", fileBytes(`{"x":{"dtype":"F32"`, nil), "is not valid JSON"},
	{"header trailing comma", fileBytes(`{`+t16+`,}`, make([]byte, 16)), "header is not valid JSON"},
	{"header not an object", fileBytes(`[1,2]`, nil), "header starts with '[', not '{'"},
	{"header starts with a space", fileBytes(` {}`, nil), "header starts with ' ', not '{'"},
	{"header not UTF-8", fileBytes("{\"\xff\":1}", nil), "header is not valid UTF-8"},
	{"header with trailing bytes", fileBytes(`{}x`, nil), `header has "x" after its JSON object`},
	{"two JSON objects", fileBytes(`{}{}`, nil), `header has "{}" after its JSON object`},
	{"duplicate names", fileBytes(`{`+t16+`,`+t16+`}`, make([]byte, 16)), `header has the key "x" twice`},
	{"duplicate field", fileBytes(`{"x":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)),
		`tensor "x" has the key "dtype" twice`},
	{"tensor not an object", fileBytes(`{"x":[0,4]}`, make([]byte, 4)), `tensor "x" is an array, not a JSON object`},
	{"missing dtype", fileBytes(`{"x":{"shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "x": no "dtype"`},
	{"missing shape", fileBytes(`{"x":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "x": no "shape"`},
	{"missing offsets", fileBytes(`{"x":{"dtype":"F32","shape":[]}}`, make([]byte, 4)), `tensor "x": no "data_offsets"`},
	{"unknown dtype", fileBytes(`{"x":{"dtype":"F7","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "x": unknown dtype "F7"`},
	{"lower-case dtype", fileBytes(`{"x":{"dtype":"f32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `unknown dtype "f32"`},
	{"dtype not a string", fileBytes(`{"x":{"dtype":4,"shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `dtype is a number, not a string`},
	{"dtype null", fileBytes(`{"x":{"dtype":null,"shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `dtype is null, not a string`},
	{"negative shape", fileBytes(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)),
		`tensor "x": shape has -1, not an integer in [0,`},
	{"fractional shape", fileBytes(`{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), `shape has 1.5, not an integer`},
	{"shape 1.0", fileBytes(`{"x":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, make([]byte, 4)), `shape has 1.0, not an integer`},
	{"exponent shape", fileBytes(`{"x":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, make([]byte, 4)), `shape has 1e0, not an integer`},
	{"string shape", fileBytes(`{"x":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, make([]byte, 4)), `shape has "1", not an integer`},
	{"shape not an array", fileBytes(`{"x":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}`, make([]byte, 4)), `shape is a number, not an array`},
	{"shape null", fileBytes(`{"x":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)), `shape is null, not an array`},
	{"shape too big for int64", fileBytes(`{"x":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}}`, make([]byte, 4)),
		`shape has 9223372036854775808, not an integer`},
	{"shape overflows", fileBytes(`{"x":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, nil),
		`shape [4294967296 4294967296 0] of F32 overflows int64 bytes`},
	{"negative offset", fileBytes(`{"x":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}}`, make([]byte, 4)), `data_offsets has -4`},
	{"three offsets", fileBytes(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, make([]byte, 4)), `data_offsets has 3 numbers, not 2`},
	{"offsets beyond the data", fileBytes(`{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`, make([]byte, 12)),
		`tensor "x": data_offsets [0, 16] go beyond the data buffer (12 bytes)`},
	{"begin after end", fileBytes(`{"x":{"dtype":"F32","shape":[],"data_offsets":[8,4]}}`, make([]byte, 8)),
		`tensor "x": data_offsets [8, 4] begin after they end`},
	{"shape x dtype != length", fileBytes(`{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`, make([]byte, 12)),
		`tensor "x": data_offsets [0, 12] hold 12 bytes, shape [2 2] of F32 needs 16`},
	{"overlapping offsets", fileBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
		`tensors "a" [0, 8] and "b" [4, 12] overlap`},
	{"same offsets", fileBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)),
		`tensors "a" [0, 8] and "b" [0, 8] overlap`},
	{"hole between tensors", fileBytes(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
		`data bytes [4, 8) before tensor "b" belong to no tensor`},
	{"hole at the start", fileBytes(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
		`data bytes [0, 4) before tensor "a" belong to no tensor`},
	{"hole at the end", fileBytes(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)),
		`data bytes [4, 8) at the end belong to no tensor`},
	{"data but no tensors", fileBytes(`{}`, make([]byte, 4)), `data bytes [0, 4) at the end belong to no tensor`},
	{"long garbage clipped", fileBytes(`{"x":{"dtype":"`+strings.Repeat("F", 1000)+`","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)),
		`unknown dtype "` + strings.Repeat("F", 40) + `..."`},
	{"metadata value a number", fileBytes(`{"__metadata__":{"epoch":3}}`, nil), `__metadata__ "epoch" is a number, not a string`},
	{"metadata value null", fileBytes(`{"__metadata__":{"a":null}}`, nil), `__metadata__ "a" is null, not a string`},
	{"metadata an array", fileBytes(`{"__metadata__":["a"]}`, nil), `__metadata__ is an array, not a JSON object`},
	{"metadata twice", fileBytes(`{"__metadata__":{},"__metadata__":{}}`, nil), `header has the key "__metadata__" twice`},
	{"metadata key twice", fileBytes(`{"__metadata__":{"a":"1","a":"2"}}`, nil), `__metadata__ has the key "a" twice`},
}

// TestMalformed checks that every broken file gives its one-line error, naming the
// file, and never panics.
func TestMalformed(t *testing.T) {
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			f, err := OpenReader(bytes.NewReader(tc.file), int64(len(tc.file)), "bad.safetensors")
			if err == nil {
				t.Fatalf("accepted: %v", f.Tensors())
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "safetensors bad.safetensors: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant one containing %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
		})
	}
}

// TestMalformedOnDisk runs the table through Open on real files, where the size comes
// from the file system, and checks the missing-file and directory errors.
func TestMalformedOnDisk(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range malformed[:8] {
		path := filepath.Join(dir, tc.name+".safetensors")
		if err := os.WriteFile(path, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		if f, err := Open(path); err == nil || !strings.Contains(err.Error(), tc.want) ||
			!strings.HasPrefix(err.Error(), "safetensors "+path+": ") {
			t.Errorf("%d %s: error %v (file %v), want %q", i, tc.name, err, f, tc.want)
		}
	}
	missing := filepath.Join(dir, "missing.safetensors")
	if _, err := Open(missing); err == nil || err.Error() != "safetensors "+missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || err.Error() != "safetensors "+dir+": is a directory" {
		t.Errorf("directory: %v", err)
	}
}

// TestAccepted checks files that look odd but that the reference accepts.
func TestAccepted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   []byte
		shapes map[string]string
	}{
		{"no tensors", fileBytes(`{}`, nil), map[string]string{}},
		{"metadata null", fileBytes(`{"__metadata__":null}`, nil), map[string]string{}},
		{"padding and newlines", fileBytes("{\n"+t16+"\n}  \t\r\n ", make([]byte, 16)), map[string]string{"x": "[2 2]"}},
		{"unknown field ignored", fileBytes(`{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":[1]}}`, []byte{9}),
			map[string]string{"x": "[1]"}},
		{"empty tensors sharing an offset", fileBytes(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},`+
			`"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F16","shape":[3,0],"data_offsets":[4,4]}}`, make([]byte, 4)),
			map[string]string{"a": "[0]", "b": "[1]", "c": "[3 0]"}},
		{"offsets in any order", fileBytes(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, []byte{1, 2}),
			map[string]string{"a": "[]", "b": "[1]"}},
		{"escaped name", fileBytes(`{"a\u00e9\n":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, []byte{1}), map[string]string{"aé\n": "[]"}},
	} {
		f, err := OpenReader(bytes.NewReader(tc.file), int64(len(tc.file)), tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := map[string]string{}
		for _, info := range f.Tensors() {
			got[info.Name] = shapeString(info.Shape)
		}
		if len(got) != len(tc.shapes) {
			t.Errorf("%s: tensors %v, want %v", tc.name, got, tc.shapes)
		}
		for n, s := range tc.shapes {
			if got[n] != s {
				t.Errorf("%s: %q has shape %s, want %s", tc.name, n, got[n], s)
			}
		}
	}
}

// TestHugeHeaderLengthAllocatesLittle checks that a header length near the limit in a
// short file is refused before the header buffer is allocated.
func TestHugeHeaderLengthAllocatesLittle(t *testing.T) {
	file := lengthOnly(MaxHeaderSize-8, 64)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := OpenReader(bytes.NewReader(file), int64(len(file)), "huge")
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("accepted")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes to refuse the file", alloc)
	}
}
