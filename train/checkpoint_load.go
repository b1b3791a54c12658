package train

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/weights/safetensors"
)

// safetensorsDType maps the GoMLX dtypes a checkpoint can hold to safetensors dtypes;
// gomlxDType is its inverse. Complex and sub-byte dtypes have no safetensors name.
var (
	safetensorsDType = map[dtypes.DType]safetensors.DType{
		dtypes.Bool: safetensors.BOOL, dtypes.Int8: safetensors.I8, dtypes.Int16: safetensors.I16,
		dtypes.Int32: safetensors.I32, dtypes.Int64: safetensors.I64, dtypes.Uint8: safetensors.U8,
		dtypes.Uint16: safetensors.U16, dtypes.Uint32: safetensors.U32, dtypes.Uint64: safetensors.U64,
		dtypes.Float16: safetensors.F16, dtypes.BFloat16: safetensors.BF16, dtypes.Float32: safetensors.F32,
		dtypes.Float64: safetensors.F64, dtypes.F8E5M2: safetensors.F8E5M2, dtypes.F8E4M3FN: safetensors.F8E4M3,
	}
	gomlxDType = func() map[safetensors.DType]dtypes.DType {
		m := make(map[safetensors.DType]dtypes.DType, len(safetensorsDType))
		for g, s := range safetensorsDType {
			m[s] = g
		}
		return m
	}()
)

// ReadCheckpointState reads and validates path/state.json without loading the data.
func ReadCheckpointState(path string) (*CheckpointState, error) {
	st, _, err := readState(path)
	return st, err
}

// readState reads path/state.json of either format; v1 is set for format 1.
func readState(path string) (*CheckpointState, *stateV1, error) {
	name := filepath.Join(path, stateFile)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", name, unwrapPathErr(err))
	}
	var st CheckpointState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: corrupted: %v", name, err)
	}
	switch st.Format {
	case checkpointFormat:
	case checkpointFormatV1:
		v1, err := parseStateV1(name, data)
		if err != nil {
			return nil, nil, err
		}
		return v1.state(), v1, nil
	default:
		return nil, nil, fmt.Errorf("checkpoint %s: format %q, want %q", name, st.Format, checkpointFormat)
	}
	if _, err := hex.DecodeString(st.VarsHash); err != nil || len(st.VarsHash) != 2*sha256.Size {
		return nil, nil, fmt.Errorf("checkpoint %s: corrupted: vars_sha256 %q is not a sha256", name, st.VarsHash)
	}
	var bad string
	switch {
	case st.Step < 0:
		bad = fmt.Sprintf("step %d is negative", st.Step)
	case st.VarsBytes < 8:
		bad = fmt.Sprintf("vars_bytes %d is too small for a safetensors file", st.VarsBytes)
	case st.Trainable == nil:
		bad = "no trainable flags"
	}
	if bad != "" {
		return nil, nil, fmt.Errorf("checkpoint %s: corrupted: %s", name, bad)
	}
	return &st, nil, nil
}

// stagedVar is a checkpoint variable read and checked, not yet in the store.
type stagedVar struct {
	path      string
	value     *tensors.Tensor
	trainable bool
}

// LoadCheckpoint reads the checkpoint at path into store (creating variables that do
// not exist yet, overwriting those that do) and returns its state. Everything is read
// and checked first (state.json, the file's size and sha256, every dtype and shape
// against the store's variables); only then is any variable set, so on any error (a
// damaged file, a variable the model wants in another shape) the store is unchanged
// and the error is one line naming the file.
func LoadCheckpoint(path string, store *model.Store) (*CheckpointState, error) {
	st, v1, err := readState(path)
	if err != nil {
		return nil, err
	}
	var staged []stagedVar
	name := filepath.Join(path, varsFile)
	if v1 != nil {
		name = filepath.Join(path, varsFileV1)
		staged, err = v1.stage(name)
	} else {
		staged, err = stageVars(name, st)
	}
	if err == nil {
		err = checkFits(name, staged, store)
	}
	if err != nil {
		for _, s := range staged {
			s.value.FinalizeAll()
		}
		return nil, err
	}
	for _, s := range staged {
		if existing := store.GetVariable(s.path); existing != nil {
			if err := existing.SetValue(s.value); err != nil {
				return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, s.path, err)
			}
			continue
		}
		created, err := store.CreateVariable(s.path, s.value)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, s.path, err)
		}
		created.SetTrainable(s.trainable)
	}
	return st, nil
}

// checkFits checks that every staged variable that the store already has keeps its
// shape (dtype and dimensions).
func checkFits(name string, staged []stagedVar, store *model.Store) error {
	for _, s := range staged {
		if existing := store.GetVariable(s.path); existing != nil && !existing.Shape().Equal(s.value.Shape()) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %s, the model wants %s",
				name, s.path, s.value.Shape(), existing.Shape())
		}
	}
	return nil
}

// stageVars reads vars.safetensors in one sequential pass, hashing every byte and
// copying each tensor into a new tensor, and checks the hash, the size and the names
// against st.
func stageVars(name string, st *CheckpointState) (staged []stagedVar, err error) {
	fail := func(format string, args ...any) ([]stagedVar, error) {
		for _, s := range staged {
			s.value.FinalizeAll()
		}
		return nil, fmt.Errorf("checkpoint %s: "+format, append([]any{name}, args...)...)
	}
	f, err := os.Open(name)
	if err != nil {
		return fail("%w", unwrapPathErr(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fail("%w", unwrapPathErr(err))
	}
	if info.Size() != st.VarsBytes {
		return fail("truncated: %d bytes, want %d", info.Size(), st.VarsBytes)
	}
	sf, err := safetensors.OpenReader(f, info.Size(), name)
	if err != nil {
		return fail("corrupted: %s", strings.TrimPrefix(err.Error(), "safetensors "+name+": "))
	}
	tensorInfos := sf.Tensors()
	if len(tensorInfos) != len(st.Trainable) {
		return fail("corrupted: %d tensors, state.json lists %d variables", len(tensorInfos), len(st.Trainable))
	}
	slices.SortFunc(tensorInfos, func(a, b safetensors.TensorInfo) int { return cmp.Compare(a.Begin, b.Begin) })

	h := sha256.New()
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), h)
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return fail("%v", err)
	}
	if _, err := io.CopyN(io.Discard, r, int64(binary.LittleEndian.Uint64(lenBuf[:]))); err != nil {
		return fail("%v", err)
	}
	var offset int64 // in the data buffer; OpenReader checked that tensors leave no holes.
	for _, t := range tensorInfos {
		trainable, listed := st.Trainable[t.Name]
		dtype, known := gomlxDType[t.DType]
		switch {
		case !listed:
			return fail("corrupted: tensor %q is not in state.json", t.Name)
		case !known:
			return fail("variable %s: dtype %s has no GoMLX dtype", t.Name, t.DType)
		case t.Begin != offset:
			return fail("corrupted: tensor %q at %d, want %d", t.Name, t.Begin, offset)
		}
		value := tensors.FromShape(shapes.Make(dtype, t.Shape...))
		var rerr error
		if err := value.MutableBytes(func(b []byte) { _, rerr = io.ReadFull(r, b) }); err != nil {
			rerr = err
		}
		staged = append(staged, stagedVar{path: t.Name, value: value, trainable: trainable})
		if rerr != nil {
			return fail("variable %s: %v", t.Name, rerr)
		}
		offset = t.End
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fail("%v", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != st.VarsHash {
		return fail("corrupted: sha256 does not match state.json")
	}
	return staged, nil
}

// firstNonFinite returns the index of the first NaN or infinite element of data (the
// little-endian bytes of a dtype tensor), or -1 if there is none or dtype is not a
// float: a float is not finite when its exponent bits are all ones.
func firstNonFinite(dtype safetensors.DType, data []byte) int {
	switch dtype {
	case safetensors.F32:
		for i := 0; i+4 <= len(data); i += 4 {
			if binary.LittleEndian.Uint32(data[i:])&0x7f80_0000 == 0x7f80_0000 {
				return i / 4
			}
		}
	case safetensors.F64:
		for i := 0; i+8 <= len(data); i += 8 {
			if binary.LittleEndian.Uint64(data[i:])&0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000 {
				return i / 8
			}
		}
	case safetensors.F16, safetensors.BF16:
		mask := uint16(0x7c00) // F16: 5 exponent bits.
		if dtype == safetensors.BF16 {
			mask = 0x7f80 // BF16: 8, as float32.
		}
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&mask == mask {
				return i / 2
			}
		}
	}
	return -1
}
