package safetensors

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds whole files to OpenReader. Whatever it gets, it must not panic and
// must answer in one line; whatever it accepts must read back tensor by tensor and
// round-trip through Encode: same names, dtypes, shapes, bytes and metadata.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./weights/safetensors/
func FuzzParse(f *testing.F) {
	for _, tc := range malformed {
		f.Add(tc.file)
	}
	seeds := [][]Entry{
		nil,
		{{Name: "x", DType: F32, Shape: []int{2, 2}, Data: make([]byte, 16)}},
		{FloatEntry("h", F16, []int{3}, []float32{1, -2, 0.5}), FloatEntry("b", BF16, nil, []float32{7}),
			{Name: "e", DType: I8, Shape: []int{0, 5}}, {Name: "m", DType: BOOL, Shape: []int{1}, Data: []byte{1}}},
	}
	for i, entries := range seeds {
		var buf bytes.Buffer
		meta := map[string]string{"i": strings.Repeat("x", i)}
		if err := Encode(&buf, entries, meta); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := OpenReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "safetensors fuzz: ") {
				t.Fatalf("error not one line about the file: %q", msg)
			}
			return
		}
		infos := file.Tensors()
		var entries []Entry
		raw := map[string][]byte{}
		for _, info := range infos {
			b := make([]byte, info.End-info.Begin)
			if err := file.ReadRaw(info.Name, b); err != nil {
				t.Fatalf("accepted file, but %v", err)
			}
			if info.DType.IsFloat() {
				if err := file.ReadFloat32(info.Name, make([]float32, info.Elements())); err != nil {
					t.Fatalf("accepted file, but %v", err)
				}
			}
			raw[info.Name] = b
			entries = append(entries, Entry{Name: info.Name, DType: info.DType, Shape: info.Shape, Data: b})
		}
		var buf bytes.Buffer
		if err := Encode(&buf, entries, file.Metadata()); err != nil {
			t.Fatalf("accepted file does not encode: %v", err)
		}
		again, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "again")
		if err != nil {
			t.Fatalf("re-encoded file refused: %v", err)
		}
		got := again.Tensors()
		if len(got) != len(infos) {
			t.Fatalf("%d tensors after the round trip, %d before", len(got), len(infos))
		}
		for i, g := range got {
			w := infos[i]
			if g.Name != w.Name || g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || g.End-g.Begin != w.End-w.Begin {
				t.Fatalf("round trip changed %+v into %+v", w, g)
			}
			b := make([]byte, g.End-g.Begin)
			if err := again.ReadRaw(g.Name, b); err != nil || !bytes.Equal(b, raw[g.Name]) {
				t.Fatalf("tensor %q: bytes changed in the round trip (%v)", g.Name, err)
			}
		}
		if m1, m2 := file.Metadata(), again.Metadata(); !maps.Equal(m1, m2) {
			t.Fatalf("metadata %q became %q", m1, m2)
		}
	})
}
