package train

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/weights/safetensors"
)

// allDTypesStore holds one variable of each dtype a checkpoint maps to safetensors,
// with values that are exact in every one of them.
func allDTypesStore(t *testing.T) *model.Store {
	t.Helper()
	s := model.NewStore()
	for path, value := range map[string]*tensors.Tensor{
		"/f32":      tensors.FromValue([][]float32{{1.5, -2, 3e-8}, {0, 1e30, -0.25}}),
		"/f64":      tensors.FromValue([]float64{math.Pi, -1e300}),
		"/f16":      tensors.FromValue(float16.FromFloat32s(0.5, -1024, 6e-5)),
		"/bf16":     tensors.FromValue(bfloat16.FromFloat32s(0.5, -3e38, 1e-30)),
		"/i64":      tensors.FromValue(int64(-1 << 62)),
		"/i32":      tensors.FromValue([]int32{-7, 1 << 30}),
		"/i16":      tensors.FromValue([]int16{-300}),
		"/i8":       tensors.FromValue([]int8{-128, 127}),
		"/u64":      tensors.FromValue([]uint64{math.MaxUint64, 1}),
		"/u32":      tensors.FromValue([]uint32{math.MaxUint32}),
		"/u16":      tensors.FromValue([]uint16{65535, 3}),
		"/u8":       tensors.FromValue([]uint8{255, 0, 9}),
		"/bool":     tensors.FromValue([][]bool{{true, false}, {false, true}}),
		"/a/b/deep": tensors.FromValue([][][]float32{{{1}, {2}}}),
	} {
		if _, err := s.CreateVariable(path, value); err != nil {
			t.Fatal(err)
		}
	}
	s.GetVariable("/f32").SetTrainable(false)
	if err := s.SetRNGStateFromSeed(5); err != nil { // "/#rngState", Uint64.
		t.Fatal(err)
	}
	return s
}

// Every mappable dtype round-trips bit for bit, under its store path, with the
// safetensors dtype of the format's table.
func TestCheckpointAllDTypes(t *testing.T) {
	saved := allDTypesStore(t)
	path, err := SaveCheckpoint(t.TempDir(), saved, CheckpointState{Step: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(path, varsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, want := range map[string]safetensors.DType{"/f32": "F32", "/f64": "F64", "/f16": "F16", "/bf16": "BF16",
		"/i64": "I64", "/i32": "I32", "/i16": "I16", "/i8": "I8", "/u64": "U64", "/u32": "U32", "/u16": "U16",
		"/u8": "U8", "/bool": "BOOL", "/#rngState": "U64"} {
		if info, ok := f.Info(name); !ok || info.DType != want {
			t.Errorf("tensor %s: %+v (found %v), want dtype %s", name, info, ok, want)
		}
	}
	loaded := model.NewStore()
	if _, err := LoadCheckpoint(path, loaded); err != nil {
		t.Fatal(err)
	}
	want, got := storeBytes(t, saved), storeBytes(t, loaded)
	if len(got) != len(want) {
		t.Errorf("loaded %d variables, saved %d", len(got), len(want))
	}
	for p, b := range want {
		if got[p] != b {
			t.Errorf("variable %s: loaded bytes differ from saved", p)
		}
	}
	if loaded.GetVariable("/f32").Trainable || !loaded.GetVariable("/f64").Trainable {
		t.Error("trainable flags not restored")
	}
}

func TestSaveCheckpointRefuses(t *testing.T) {
	for _, tc := range []struct {
		name      string
		value     *tensors.Tensor
		trainable bool
		want      string
		nonFinite bool
	}{
		{"complex dtype", tensors.FromValue([]complex64{1}), false, "/v has dtype Complex64, which safetensors cannot hold", false},
		{"NaN weight", tensors.FromValue([]float32{1, float32(math.NaN())}), true, "/v", true},
		{"infinite f64 weight", tensors.FromValue([]float64{math.Inf(-1)}), true, "/v", true},
		{"infinite bf16 weight", tensors.FromValue(bfloat16.FromFloat32s(1, 2, float32(math.Inf(1)))), true, "element 2", true},
		{"NaN f16 weight", tensors.FromValue(float16.FromFloat32s(float32(math.NaN()))), true, "element 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := model.NewStore()
			v, err := s.CreateVariable("/v", tc.value)
			if err != nil {
				t.Fatal(err)
			}
			v.SetTrainable(tc.trainable)
			_, err = SaveCheckpoint(dir, s, CheckpointState{Step: 1}, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNonFinite) != tc.nonFinite {
				t.Fatalf("error = %v, want one containing %q (ErrNonFinite: %v)", err, tc.want, tc.nonFinite)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused save left %v in %s", entries, dir)
			}
		})
	}
	// Non-finite values outside the weights (a metric's running state, say) are saved.
	s := storeWith(t, map[string][]float32{"/w": {1}, "/metric": {float32(math.Inf(1))}})
	s.GetVariable("/metric").SetTrainable(false)
	if _, err := SaveCheckpoint(t.TempDir(), s, CheckpointState{Step: 1}, 0); err != nil {
		t.Errorf("non-trainable Inf: %v", err)
	}
}

// A format 1 checkpoint (vars.bin, written by the code before format 2) still loads.
func TestLoadCheckpointFormat1(t *testing.T) {
	path := filepath.Join("testdata", "v1run", "checkpoints", "step-00000010")
	s := model.NewStore()
	st, err := LoadCheckpoint(path, s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != checkpointFormatV1 || st.Step != 10 || st.Best == nil || st.Best.Step != 10 {
		t.Errorf("state = %+v", st)
	}
	if got := tensors.ToScalar[int64](s.GetVariable("/global_step").MustValue()); got != 10 {
		t.Errorf("/global_step = %d, want 10", got)
	}
	if w := s.GetVariable("/hidden/dense/weights"); w == nil || !w.Trainable || !w.Shape().Equal(shapes.Make(dtypes.Float32, 2, 16)) {
		t.Errorf("/hidden/dense/weights = %v", w)
	}
	if len(st.Trainable) != len(storeBytes(t, s)) {
		t.Errorf("%d trainable flags for %d variables", len(st.Trainable), len(storeBytes(t, s)))
	}
}

const python = "/usr/bin/python3"

// haveTorch reports whether python can import torch; asked once (the import costs seconds).
var haveTorch = sync.OnceValue(func() bool { return exec.Command(python, "-c", "import torch").Run() == nil })

// TestCheckpointReadableByTorch reads checkpoints' vars.safetensors in Python with
// struct, json and torch.frombuffer only, and compares every tensor's name, dtype,
// shape and values with what the Go store held: a store of every dtype, and the
// checkpoint of a real (short) training run.
func TestCheckpointReadableByTorch(t *testing.T) {
	if !haveTorch() {
		t.Skip("no torch in " + python + " (make test installs it)")
	}
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Steps, cfg.EvalEvery, cfg.CkptEvery, cfg.BestMetric = 5, 0, 0, ""
	if _, err := run(t, t.Context(), filepath.Join(dir, "run"), false, cfg, xorSource{batch: 16, nanAt: -1}); err != nil {
		t.Fatal(err)
	}
	trained, _ := LatestCheckpoint(filepath.Join(dir, "run", "checkpoints"))
	synthetic, err := SaveCheckpoint(filepath.Join(dir, "synthetic"), allDTypesStore(t), CheckpointState{Step: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"testdata/read_checkpoint.py"}
	for i, ckpt := range []string{synthetic, trained} {
		s := model.NewStore()
		if _, err := LoadCheckpoint(ckpt, s); err != nil {
			t.Fatal(err)
		}
		expected := filepath.Join(dir, "expected"+string(rune('0'+i))+".json")
		data, err := json.Marshal(storeValues(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(expected, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(ckpt, varsFile), expected)
	}
	out, err := exec.Command(python, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("read_checkpoint.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// expectedTensor is what read_checkpoint.py compares a tensor with. Values are flat,
// floats as float64 (exact for every float dtype), integers exact (uint64 too).
type expectedTensor struct {
	DType  safetensors.DType `json:"dtype"`
	Shape  []int             `json:"shape"`
	Values any               `json:"values"`
}

func storeValues(t *testing.T, s *model.Store) map[string]expectedTensor {
	t.Helper()
	out := map[string]expectedTensor{}
	for v := range s.IterVariables() {
		value := v.MustValue()
		shape := value.Shape()
		var values any
		switch shape.DType {
		case dtypes.Float32:
			values = widen(tensors.MustCopyFlatData[float32](value), func(x float32) float64 { return float64(x) })
		case dtypes.Float64:
			values = tensors.MustCopyFlatData[float64](value)
		case dtypes.Float16:
			values = widen(tensors.MustCopyFlatData[float16.Float16](value), func(x float16.Float16) float64 { return float64(x.Float32()) })
		case dtypes.BFloat16:
			values = widen(tensors.MustCopyFlatData[bfloat16.BFloat16](value), func(x bfloat16.BFloat16) float64 { return float64(x.Float32()) })
		case dtypes.Int64:
			values = tensors.MustCopyFlatData[int64](value)
		case dtypes.Int32:
			values = tensors.MustCopyFlatData[int32](value)
		case dtypes.Int16:
			values = tensors.MustCopyFlatData[int16](value)
		case dtypes.Int8:
			values = tensors.MustCopyFlatData[int8](value)
		case dtypes.Uint64:
			values = tensors.MustCopyFlatData[uint64](value)
		case dtypes.Uint32:
			values = tensors.MustCopyFlatData[uint32](value)
		case dtypes.Uint16:
			values = tensors.MustCopyFlatData[uint16](value)
		case dtypes.Uint8:
			values = widen(tensors.MustCopyFlatData[uint8](value), func(x uint8) int { return int(x) }) // not base64.
		case dtypes.Bool:
			values = tensors.MustCopyFlatData[bool](value)
		default:
			t.Fatalf("variable %s: dtype %s not covered", v.Path(), shape.DType)
		}
		dims := append([]int{}, shape.Dimensions...)
		out[v.Path()] = expectedTensor{DType: safetensorsDType[shape.DType], Shape: dims, Values: values}
	}
	return out
}

func widen[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
