package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

const python = "/usr/bin/python3"

// haveTorch reports whether python can import torch and numpy; asked once, since an
// import of torch costs seconds.
var haveTorch = sync.OnceValue(func() bool {
	return exec.Command(python, "-c", "import torch, numpy").Run() == nil
})

// interop runs testdata/interop.py with args, skipping the test when torch is missing.
func interop(t *testing.T, args ...string) {
	t.Helper()
	if !haveTorch() {
		t.Skip("no torch in " + python + " (make peers installs it)")
	}
	out, err := exec.Command(python, append([]string{"testdata/interop.py"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("interop.py %v: %v\n%s", args[0], err, out)
	}
}

// sameFloat32 reports whether a and b have the same bits, or are both NaN.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestTorchConversions compares Float32ToF16 and Float32ToBF16 with torch's .to() on
// every half and bfloat16 value, every midpoint between neighbours (the rounding ties)
// and its two float32 neighbours, and random float32 bit patterns (subnormals, inf and
// NaN included); and F16ToFloat32 and BF16ToFloat32 with torch's .float() on all 65536
// bit patterns each.
func TestTorchConversions(t *testing.T) {
	t.Parallel()
	var in []float32
	add := func(bits uint32) {
		in = append(in, math.Float32frombits(bits-1), math.Float32frombits(bits), math.Float32frombits(bits+1))
	}
	for i := range 1 << 16 {
		h := uint16(i)
		add(math.Float32bits(F16ToFloat32(h)))
		if h&0x7c00 != 0x7c00 { // the midpoint above h, a tie for rounding to half
			f := math.Float32bits(F16ToFloat32(h))
			next := math.Float32bits(F16ToFloat32(h + 1))
			if h&0x7fff == 0x7bff { // above the largest half lies 65536, not inf
				next = math.Float32bits(65536) | uint32(h&0x8000)<<16
			}
			add(uint32((uint64(f) + uint64(next)) / 2))
		}
		add(uint32(h)<<16 | 0x8000) // the bfloat16 ties
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 100_000 {
		in = append(in, math.Float32frombits(r.Uint32()))
	}
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.bin")
	raw := make([]byte, 4*len(in))
	for i, v := range in {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(inPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	interop(t, "convert", inPath, outPath)
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4*len(in) + 8*(1<<16); len(out) != want {
		t.Fatalf("interop.py wrote %d bytes, want %d", len(out), want)
	}
	u16 := func(i int) uint16 { return binary.LittleEndian.Uint16(out[2*i:]) }
	bad := 0
	for i, v := range in {
		for _, c := range []struct {
			name  string
			got   uint16
			torch uint16
			back  func(uint16) float32
		}{{"F16", Float32ToF16(v), u16(i), F16ToFloat32}, {"BF16", Float32ToBF16(v), u16(len(in) + i), BF16ToFloat32}} {
			if !sameFloat32(c.back(c.got), c.back(c.torch)) && bad < 10 {
				bad++
				t.Errorf("Float32To%s(%g = %#08x) = %#04x, torch %#04x", c.name, v, math.Float32bits(v), c.got, c.torch)
			}
		}
	}
	back := out[4*len(in):]
	for i := range 1 << 16 {
		h := uint16(i)
		torchF16 := math.Float32frombits(binary.LittleEndian.Uint32(back[4*i:]))
		torchBF16 := math.Float32frombits(binary.LittleEndian.Uint32(back[4*(1<<16)+4*i:]))
		if !sameFloat32(F16ToFloat32(h), torchF16) || !sameFloat32(BF16ToFloat32(h), torchBF16) {
			t.Fatalf("%#04x: F16ToFloat32 %g (torch %g), BF16ToFloat32 %g (torch %g)",
				h, F16ToFloat32(h), torchF16, BF16ToFloat32(h), torchBF16)
		}
	}
	t.Logf("%d float32 inputs and 2 x 65536 half patterns agree with torch", len(in))
}

// TestTorchWritesGoReads reads a file that PyTorch wrote (by hand, in the reference's
// layout) and compares every value with the float32 bits torch gives for it.
func TestTorchWritesGoReads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, expPath := filepath.Join(dir, "torch.safetensors"), filepath.Join(dir, "expected.json")
	interop(t, "write", path, expPath)
	var expected map[string][]uint32
	b, err := os.ReadFile(expPath)
	if err == nil {
		err = json.Unmarshal(b, &expected)
	}
	if err != nil {
		t.Fatalf("reading %s: %v", expPath, err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"big.f16", "empty", "ids", "mask", "scalar", "special.bf16", "special.f16", "special.f32",
		"w16", "w32", "w64", "wbf"}
	if err := f.CheckNames(want); err != nil {
		t.Fatal(err)
	}
	if m := f.Metadata(); m["format"] != "pt" || m["source"] != "interop.py" || len(m) != 2 {
		t.Errorf("metadata %v", m)
	}
	for name, bits := range expected {
		got := make([]float32, len(bits))
		if err := f.ReadFloat32(name, got); err != nil {
			t.Fatal(err)
		}
		got64 := make([]float64, len(bits))
		if err := f.ReadFloat64(name, got64); err != nil {
			t.Fatal(err)
		}
		for i, b := range bits {
			w := math.Float32frombits(b)
			if !sameFloat32(got[i], w) || name != "w64" && !(float64(w) == got64[i] || w != w && got64[i] != got64[i]) {
				t.Fatalf("%s[%d] = %g / %g, torch %g", name, i, got[i], got64[i], w)
			}
		}
	}
	ids := make([]byte, 48)
	if err := f.ReadRaw("ids", ids); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if v := binary.LittleEndian.Uint64(ids[8*i:]); v != uint64(i) {
			t.Errorf("ids[%d] = %d", i, v)
		}
	}
	mask := make([]byte, 3)
	if err := f.ReadRaw("mask", mask); err != nil || !slices.Equal(mask, []byte{1, 0, 1}) {
		t.Errorf("mask = %v (%v)", mask, err)
	}
	if info, _ := f.Info("empty"); info.DType != F16 || !slices.Equal(info.Shape, []int{0, 2}) {
		t.Errorf("empty: %+v", info)
	}
	if info, _ := f.Info("scalar"); len(info.Shape) != 0 || info.DType != F32 {
		t.Errorf("scalar: %+v", info)
	}
}

// TestGoWritesTorchReads writes a file in Go and has interop.py parse it with json,
// struct and torch.frombuffer: values must equal torch's own conversion of the same
// float32 inputs, and the file must be byte for byte what the reference layout gives.
func TestGoWritesTorchReads(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 0.1, 65504, 65520, 1e-7, 5.96e-8, 1e-40, 3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	type want struct {
		DType DType    `json:"dtype"`
		Shape []int    `json:"shape"`
		Bits  []uint32 `json:"bits,omitempty"`
		Ints  []int64  `json:"ints,omitempty"`
	}
	expected := map[string]want{}
	var entries []Entry
	float := func(name string, dtype DType, shape []int, v []float32) {
		entries = append(entries, FloatEntry(name, dtype, shape, v))
		bits := make([]uint32, len(v))
		for i, x := range v {
			bits[i] = math.Float32bits(x)
		}
		expected[name] = want{DType: dtype, Shape: shape, Bits: bits}
	}
	float("w32", F32, []int{3, 4}, randn(12))
	float("w16", F16, []int{5}, randn(5))
	float("wbf", BF16, []int{2, 2, 2}, randn(8))
	float("w64", F64, []int{3}, randn(3))
	float("special.f16", F16, []int{len(special)}, special)
	float("special.bf16", BF16, []int{len(special)}, special)
	float("big.bf16", BF16, []int{100, 400}, randn(40000))
	float("scalar", F32, []int{}, []float32{-7.25})
	float("empty", F16, []int{0, 4}, nil)
	ids := []int64{3, -1, 1 << 40}
	idBytes := make([]byte, 0, 24)
	for _, v := range ids {
		idBytes = binary.LittleEndian.AppendUint64(idBytes, uint64(v))
	}
	entries = append(entries, Entry{Name: "ids", DType: I64, Shape: []int{3}, Data: idBytes},
		Entry{Name: "mask", DType: BOOL, Shape: []int{2}, Data: []byte{0, 1}},
		Entry{Name: "bytes", DType: U8, Shape: []int{2}, Data: []byte{200, 7}})
	expected["ids"] = want{DType: I64, Shape: []int{3}, Ints: ids}
	expected["mask"] = want{DType: BOOL, Shape: []int{2}, Ints: []int64{0, 1}}
	expected["bytes"] = want{DType: U8, Shape: []int{2}, Ints: []int64{200, 7}}
	meta := map[string]string{"format": "pt", "note": "written by Go <&>"}
	dir := t.TempDir()
	path, expPath := filepath.Join(dir, "go.safetensors"), filepath.Join(dir, "expected.json")
	if err := Write(path, entries, meta); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"tensors": expected, "metadata": meta})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(expPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	interop(t, "check", path, expPath)
}
