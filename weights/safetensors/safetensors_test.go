package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// randomBytes returns n deterministic pseudo-random bytes.
func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestRoundTripEveryDType writes a scalar, an empty and a [2 3] tensor of every dtype
// with metadata, reads them back and checks names, dtypes, shapes, bytes, metadata, and
// that every tensor lies aligned to its element size in the file.
func TestRoundTripEveryDType(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var entries []Entry
	for _, d := range DTypes() {
		for _, shape := range [][]int{nil, {0, 3}, {2, 3}} {
			n := d.Size()
			for _, s := range shape {
				n *= s
			}
			name := string(d) + "/" + shapeString(shape)
			entries = append(entries, Entry{Name: name, DType: d, Shape: shape, Data: randomBytes(r, n)})
		}
	}
	meta := map[string]string{"format": "pt", "note": `a "quoted" <&> é`, "": "empty key"}
	path := filepath.Join(t.TempDir(), "all.safetensors")
	if err := Write(path, entries, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	for _, e := range entries {
		want = append(want, e.Name)
	}
	slices.Sort(want)
	if got := f.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if err := f.CheckNames(want); err != nil {
		t.Error(err)
	}
	for _, e := range entries {
		info, ok := f.Info(e.Name)
		if !ok {
			t.Fatalf("no %q", e.Name)
		}
		if info.DType != e.DType || !slices.Equal(info.Shape, e.Shape) || info.End-info.Begin != int64(len(e.Data)) {
			t.Errorf("%q: info %+v, wrote %s %v with %d bytes", e.Name, info, e.DType, e.Shape, len(e.Data))
		}
		if (f.dataStart+info.Begin)%int64(e.DType.Size()) != 0 {
			t.Errorf("%q of %s at file offset %d: misaligned", e.Name, e.DType, f.dataStart+info.Begin)
		}
		got := make([]byte, len(e.Data))
		if err := f.ReadRaw(e.Name, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, e.Data) {
			t.Errorf("%q: read %x, wrote %x", e.Name, got, e.Data)
		}
	}
	if got := f.Metadata(); len(got) != len(meta) || got["note"] != meta["note"] || got[""] != "empty key" {
		t.Errorf("Metadata() = %q, want %q", got, meta)
	}
	if f.dataStart%8 != 0 {
		t.Errorf("data starts at %d, not a multiple of 8", f.dataStart)
	}
}

// TestReferenceBytes checks the writer byte for byte against the files that the Rust
// reference's own tests spell out (test_serialization, test_empty,
// test_serialization_forced_alignement in safetensors/src/tensor.rs).
func TestReferenceBytes(t *testing.T) {
	f32s := func(v ...float32) []byte {
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
	data := f32s(0, 1, 2, 3, 4, 5)
	tests := []struct {
		name    string
		entries []Entry
		meta    map[string]string
		header  string // JSON and padding
	}{
		{"serialization", []Entry{{Name: "attn.0", DType: F32, Shape: []int{1, 2, 3}, Data: data}}, nil,
			`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`},
		{"forced alignment", []Entry{{Name: "attn0", DType: F32, Shape: []int{1, 1, 2, 3}, Data: data}}, nil,
			`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `},
		{"empty", nil, nil, "{}      "},
		{"empty with metadata", nil, map[string]string{"framework": "pt"}, `{"__metadata__":{"framework":"pt"}}     `},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := Encode(&buf, tc.entries, tc.meta); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := binary.LittleEndian.AppendUint64(nil, uint64(len(tc.header)))
		want = append(want, tc.header...)
		for _, e := range tc.entries {
			want = append(want, e.Data...)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, buf.Bytes(), want)
		}
	}
}

// TestLayoutOrder checks the reference's order: descending dtype alignment, then name.
func TestLayoutOrder(t *testing.T) {
	entries := []Entry{
		{Name: "a", DType: U8, Shape: []int{3}, Data: []byte{1, 2, 3}},
		{Name: "b", DType: F16, Shape: []int{1}, Data: []byte{0, 0x3c}},
		{Name: "c", DType: F64, Shape: []int{}, Data: make([]byte, 8)},
		{Name: "d", DType: F32, Shape: []int{1}, Data: make([]byte, 4)},
		{Name: "e", DType: BF16, Shape: []int{1}, Data: make([]byte, 2)},
		{Name: "f", DType: I64, Shape: []int{1}, Data: make([]byte, 8)},
		{Name: "a2", DType: F32, Shape: []int{1}, Data: make([]byte, 4)},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, entries, nil); err != nil {
		t.Fatal(err)
	}
	f, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "order")
	if err != nil {
		t.Fatal(err)
	}
	infos := f.Tensors()
	slices.SortFunc(infos, func(a, b TensorInfo) int { return int(a.Begin - b.Begin) })
	var order []string
	for _, i := range infos {
		order = append(order, i.Name)
	}
	// I64 and F64 rank above F32 in the reference's enum, BF16 above F16.
	if want := []string{"f", "c", "a2", "d", "e", "b", "a"}; !slices.Equal(order, want) {
		t.Errorf("layout order %q, want %q", order, want)
	}
}

// TestReadFloats reads hand-checked values of every float dtype as float32 and float64.
func TestReadFloats(t *testing.T) {
	exact := []float32{1, -2.5, 0.5, 1024, 65504, 1.0 / (1 << 24), 0, float32(math.Inf(-1))}
	entries := []Entry{
		FloatEntry("f16", F16, []int{2, 4}, exact),
		FloatEntry("bf16", BF16, []int{4}, exact[:4]),
		FloatEntry("f32", F32, []int{4, 2}, exact),
		FloatEntry("f64", F64, []int{8}, exact),
		// 0.1 in half is 0x2e66 (0.0999755859375), in bfloat16 0x3dcd (0.10009765625).
		FloatEntry("tenth16", F16, nil, []float32{0.1}),
		FloatEntry("tenthbf", BF16, nil, []float32{0.1}),
		{Name: "d64", DType: F64, Shape: []int{1}, Data: binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.1))},
	}
	path := filepath.Join(t.TempDir(), "floats.safetensors")
	if err := Write(path, entries, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]float64{"tenth16": {0.0999755859375}, "tenthbf": {0.10009765625}, "d64": {0.1}}
	for _, name := range []string{"f16", "bf16", "f32", "f64"} {
		info, _ := f.Info(name)
		for _, v := range exact[:info.Elements()] {
			want[name] = append(want[name], float64(v))
		}
	}
	for name, w := range want {
		got32 := make([]float32, len(w))
		got64 := make([]float64, len(w))
		if err := f.ReadFloat32(name, got32); err != nil {
			t.Fatal(err)
		}
		if err := f.ReadFloat64(name, got64); err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if float64(got32[i]) != float64(float32(w[i])) || got64[i] != w[i] {
				t.Errorf("%s[%d]: float32 %v, float64 %v, want %v", name, i, got32[i], got64[i], w[i])
			}
		}
	}
}

// TestReadChunked reads tensors larger than the conversion chunk and checks each
// element against the stored bits converted one by one.
func TestReadChunked(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 3*chunkBytes/2 + 7 // crosses chunk boundaries with a ragged end
	values := make([]float32, n)
	for i := range values {
		values[i] = float32(r.NormFloat64() * 100)
	}
	var buf bytes.Buffer
	entries := []Entry{FloatEntry("h", F16, []int{n}, values), FloatEntry("b", BF16, []int{n}, values),
		FloatEntry("s", F32, []int{n}, values)}
	if err := Encode(&buf, entries, nil); err != nil {
		t.Fatal(err)
	}
	f, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "chunked")
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 2*n)
	got := make([]float32, n)
	got64 := make([]float64, n)
	for _, tc := range []struct {
		name string
		conv func(uint16) float32
	}{{"h", F16ToFloat32}, {"b", BF16ToFloat32}} {
		if err := f.ReadRaw(tc.name, raw); err != nil {
			t.Fatal(err)
		}
		if err := f.ReadFloat32(tc.name, got); err != nil {
			t.Fatal(err)
		}
		if err := f.ReadFloat64(tc.name, got64); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			w := tc.conv(binary.LittleEndian.Uint16(raw[2*i:]))
			if got[i] != w || got64[i] != float64(w) {
				t.Fatalf("%s[%d] = %v / %v, want %v", tc.name, i, got[i], got64[i], w)
			}
		}
	}
	if err := f.ReadFloat64("s", got64); err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if got64[i] != float64(v) {
			t.Fatalf("s[%d] = %v, want %v", i, got64[i], v)
		}
	}
}

// TestReadErrors checks the one-line errors of misuse: unknown names, wrong buffer
// sizes, integer tensors read as floats.
func TestReadErrors(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, []Entry{FloatEntry("x", F32, []int{2, 2}, []float32{1, 2, 3, 4}),
		{Name: "ids", DType: I64, Shape: []int{1}, Data: make([]byte, 8)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "m.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{f.ReadRaw("y", nil), `safetensors m.safetensors: no tensor "y"`},
		{f.ReadRaw("x", make([]byte, 12)), `tensor "x" holds 16 bytes, the buffer 12`},
		{f.ReadFloat32("x", make([]float32, 3)), `tensor "x" has 4 elements (shape [2 2]), the buffer 3`},
		{f.ReadFloat64("ids", make([]float64, 1)), `tensor "ids" is I64, not a float dtype`},
		{f.ReadFloat32("nope", nil), `no tensor "nope"`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", tc.err, tc.want)
		}
	}
}

// TestCheckNames checks that missing and unexpected names are listed, sorted, and that
// long lists are cut.
func TestCheckNames(t *testing.T) {
	var entries []Entry
	for _, n := range []string{"b", "a", "c"} {
		entries = append(entries, Entry{Name: n, DType: U8, Shape: []int{1}, Data: []byte{1}})
	}
	var buf bytes.Buffer
	if err := Encode(&buf, entries, nil); err != nil {
		t.Fatal(err)
	}
	f, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "m.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CheckNames([]string{"c", "a", "b", "a"}); err != nil {
		t.Errorf("same names: %v", err)
	}
	err = f.CheckNames([]string{"z", "a", "y"})
	want := `safetensors m.safetensors: 2 missing tensors ["y" "z"], 2 unexpected tensors ["b" "c"]`
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	var many []string
	for i := range 25 {
		many = append(many, string(rune('A'+i)))
	}
	err = f.CheckNames(append(many, "a", "b", "c"))
	want = `25 missing tensors ["A" "B" "C" "D" "E" "F" "G" "H" "I" "J" ... 15 more]`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v\nwant suffix %s", err, want)
	}
}

// TestWriteErrors checks that bad entries are refused before anything is created, and
// that a failing WriteTo leaves neither the target nor a temporary file behind.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	one := []byte{1, 2, 3, 4}
	tests := []struct {
		entries []Entry
		want    string
	}{
		{[]Entry{{Name: "x", DType: F32, Data: one}, {Name: "x", DType: F32, Data: one}}, `tensor "x" is given twice`},
		{[]Entry{{Name: "__metadata__", DType: F32, Data: one}}, `reserved for the metadata`},
		{[]Entry{{Name: "x", DType: "F7", Data: one}}, `tensor "x": unknown dtype "F7"`},
		{[]Entry{{Name: "x", DType: F32, Shape: []int{-1}}}, `shape [-1] has a negative dimension`},
		{[]Entry{{Name: "x", DType: F32, Shape: []int{2}, Data: one}}, `Data has 4 bytes, shape [2] of F32 needs 8`},
		{[]Entry{{Name: "x", DType: F32, Shape: []int{1 << 62}}}, `overflows int64 bytes`},
		{[]Entry{{Name: "x", DType: F32, Data: one, WriteTo: func(io.Writer) error { return nil }}}, `both Data and WriteTo`},
		{[]Entry{{Name: "\xff", DType: U8, Data: []byte{1}}}, `not valid UTF-8`},
		{[]Entry{{Name: "x", DType: F32, Shape: []int{2}, WriteTo: func(w io.Writer) error { _, err := w.Write(one); return err }}},
			`WriteTo wrote 4 bytes, shape [2] of F32 needs 8`},
		{[]Entry{FloatEntry("x", I32, []int{1}, []float32{1})}, `not I32`},
		{[]Entry{FloatEntry("x", F16, []int{3}, []float32{1})}, `1 values for shape [3]`},
	}
	for _, tc := range tests {
		err := Write(path, tc.entries, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "safetensors "+path+": ") {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed writes left %d files: %v", len(left), left[0].Name())
	}
	// A failed write keeps the previous file.
	if err := Write(path, []Entry{{Name: "old", DType: U8, Shape: []int{1}, Data: []byte{7}}}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := Write(path, tests[len(tests)-1].entries, nil); err == nil {
		t.Fatal("want an error")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}
