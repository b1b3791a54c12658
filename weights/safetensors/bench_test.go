package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// namedShape is one tensor of a model's checkpoint.
type namedShape struct {
	name  string
	shape []int
}

// vitB16 returns the tensor names and shapes of timm's vit_base_patch16_224.
func vitB16() []namedShape {
	const dim, mlp, depth = 768, 3072, 12
	out := []namedShape{{"cls_token", []int{1, 1, dim}}, {"pos_embed", []int{1, 197, dim}},
		{"patch_embed.proj.weight", []int{dim, 3, 16, 16}}, {"patch_embed.proj.bias", []int{dim}}}
	for i := range depth {
		p := fmt.Sprintf("blocks.%d.", i)
		out = append(out,
			namedShape{p + "norm1.weight", []int{dim}}, namedShape{p + "norm1.bias", []int{dim}},
			namedShape{p + "attn.qkv.weight", []int{3 * dim, dim}}, namedShape{p + "attn.qkv.bias", []int{3 * dim}},
			namedShape{p + "attn.proj.weight", []int{dim, dim}}, namedShape{p + "attn.proj.bias", []int{dim}},
			namedShape{p + "norm2.weight", []int{dim}}, namedShape{p + "norm2.bias", []int{dim}},
			namedShape{p + "mlp.fc1.weight", []int{mlp, dim}}, namedShape{p + "mlp.fc1.bias", []int{mlp}},
			namedShape{p + "mlp.fc2.weight", []int{dim, mlp}}, namedShape{p + "mlp.fc2.bias", []int{dim}})
	}
	return append(out, namedShape{"norm.weight", []int{dim}}, namedShape{"norm.bias", []int{dim}},
		namedShape{"head.weight", []int{1000, dim}}, namedShape{"head.bias", []int{1000}})
}

// TestViTB16Size checks the benchmark's model against timm's parameter count.
func TestViTB16Size(t *testing.T) {
	n := 0
	for _, s := range vitB16() {
		n += (TensorInfo{Shape: s.shape}).Elements()
	}
	if n != 86_567_656 {
		t.Errorf("vit_base_patch16_224 has %d parameters, timm says 86,567,656", n)
	}
}

// randomF32 returns an Entry that streams n normal(0, 0.02) float32s of shape, drawn
// from seed, without holding them.
func randomF32(name string, shape []int, seed uint64) Entry {
	return Entry{Name: name, DType: F32, Shape: shape, WriteTo: func(w io.Writer) error {
		r := rand.New(rand.NewPCG(seed, 1))
		n := (TensorInfo{Shape: shape}).Elements()
		buf := make([]byte, 0, chunkBytes)
		for i := range n {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(r.NormFloat64()*0.02)))
			if len(buf) == cap(buf) || i == n-1 {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		return nil
	}}
}

// loadEnv names the file that TestHelperLoad loads, when it runs as the benchmark's
// child process.
const loadEnv = "MMDNA_SAFETENSORS_LOAD"

// BenchmarkLoadViTB16 writes a ViT-B/16-size F32 file (86.6M parameters, 346 MB,
// random values) and loads every tensor into a fresh []float32 in a child process, so
// that the writer's memory does not count. It reports the child's peak resident memory
// (VmHWM) over the file size (peak/file, target <= 1.5), the child's resident memory
// before loading (base-MB), the load speed (MB/s, from the page cache, which includes
// the kernel's first touch of the fresh buffers) and the speed of reading everything
// again into the same buffers (reread-MB/s: the reader's own cost).
//
//	go test -run '^$' -bench LoadViTB16 -benchtime 3x ./weights/safetensors/
func BenchmarkLoadViTB16(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vit_b16.safetensors")
	var entries []Entry
	for i, s := range vitB16() {
		entries = append(entries, randomF32(s.name, s.shape, uint64(i)))
	}
	if err := Write(path, entries, map[string]string{"format": "pt"}); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	size := float64(st.Size())
	var total loadStats
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLoad$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), loadEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		s, err := parseLoadLine(out)
		if err != nil {
			b.Fatalf("%v in:\n%s", err, out)
		}
		total = loadStats{max(total.peak, s.peak), max(total.base, s.base), total.secs + s.secs, total.reread + s.reread}
	}
	if total.peak == 0 {
		b.Skip("no VmHWM in /proc/self/status on this system")
	}
	b.ReportMetric(total.peak/size, "peak/file")
	b.ReportMetric(total.base/1e6, "base-MB")
	b.ReportMetric(size/1e6*float64(b.N)/total.secs, "MB/s")
	b.ReportMetric(size/1e6*float64(b.N)/total.reread, "reread-MB/s")
}

// loadStats is what TestHelperLoad measures: bytes of resident memory, seconds.
type loadStats struct{ peak, base, secs, reread float64 }

// parseLoadLine finds TestHelperLoad's "load: peak=P base=B seconds=S reread=R" line.
func parseLoadLine(out []byte) (s loadStats, err error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "load: ") {
			_, err = fmt.Sscanf(line, "load: peak=%g base=%g seconds=%g reread=%g", &s.peak, &s.base, &s.secs, &s.reread)
			return s, err
		}
	}
	return s, fmt.Errorf("no load line")
}

// TestHelperLoad is BenchmarkLoadViTB16's child: it loads the file named by loadEnv as a
// model would, every tensor into a freshly allocated []float32 kept until the end, and
// prints its peak resident memory.
func TestHelperLoad(t *testing.T) {
	path := os.Getenv(loadEnv)
	if path == "" {
		t.Skip("the child process of BenchmarkLoadViTB16")
	}
	base := vmHWM(t)
	start := time.Now()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors := make(map[string][]float32)
	for _, info := range f.Tensors() {
		dst := make([]float32, info.Elements())
		if err := f.ReadFloat32(info.Name, dst); err != nil {
			t.Fatal(err)
		}
		tensors[info.Name] = dst
	}
	secs := time.Since(start).Seconds()
	peak := vmHWM(t)
	start = time.Now()
	for name, dst := range tensors { // again, into memory the kernel has already mapped
		if err := f.ReadFloat32(name, dst); err != nil {
			t.Fatal(err)
		}
	}
	reread := time.Since(start).Seconds()
	f.Close()
	fmt.Printf("load: peak=%d base=%d seconds=%g reread=%g\n", peak, base, secs, reread)
	runtime.KeepAlive(tensors)
}

// vmHWM returns the process's peak resident memory in bytes, 0 where /proc has none.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	return 0
}

// BenchmarkReadFloat32 reads a 4M-element tensor of each float dtype into []float32
// from memory, to show the conversion speed apart from the disk (MB/s of stored bytes).
func BenchmarkReadFloat32(b *testing.B) {
	const n = 4 << 20
	values := make([]float32, n)
	r := rand.New(rand.NewPCG(9, 9))
	for i := range values {
		values[i] = float32(r.NormFloat64())
	}
	for _, d := range []DType{F32, F16, BF16, F64} {
		b.Run(string(d), func(b *testing.B) {
			var buf bytes.Buffer
			if err := Encode(&buf, []Entry{FloatEntry("x", d, []int{n}, values)}, nil); err != nil {
				b.Fatal(err)
			}
			f, err := OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "mem")
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]float32, n)
			b.SetBytes(int64(n * d.Size()))
			for b.Loop() {
				if err := f.ReadFloat32("x", dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
