package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Format 1 checkpoints (before safetensors) hold vars.bin, the variables' raw
// little-endian bytes concatenated, indexed by state.json. They are only read, so that
// runs started before format 2 resume; nothing writes them any more.
const (
	checkpointFormatV1 = "mmdna-checkpoint/1"
	varsFileV1         = "vars.bin"
)

// stateV1 is state.json of format 1.
type stateV1 struct {
	CheckpointState
	Variables []struct {
		Path      string `json:"path"`
		DType     string `json:"dtype"` // GoMLX's name: "Float32".
		Dims      []int  `json:"dims"`
		Offset    int64  `json:"offset"`
		Length    int64  `json:"length"`
		Trainable bool   `json:"trainable"`
	} `json:"variables"`
	DataHash  string `json:"data_sha256"`
	DataBytes int64  `json:"data_bytes"`
}

// parseStateV1 parses data, the state.json called name, and checks that its variables
// tile the data without gaps.
func parseStateV1(name string, data []byte) (*stateV1, error) {
	var st stateV1
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s: corrupted: %v", name, err)
	}
	var end int64
	for _, v := range st.Variables {
		if v.Offset != end || v.Length < 0 {
			return nil, fmt.Errorf("checkpoint %s: corrupted: variable %s at offset %d, want %d", name, v.Path, v.Offset, end)
		}
		end += v.Length
	}
	if end != st.DataBytes {
		return nil, fmt.Errorf("checkpoint %s: corrupted: variables cover %d bytes, data has %d", name, end, st.DataBytes)
	}
	return &st, nil
}

// state returns the format-independent part, with the trainable flags filled in.
func (st *stateV1) state() *CheckpointState {
	s := st.CheckpointState
	s.Trainable = make(map[string]bool, len(st.Variables))
	for _, v := range st.Variables {
		s.Trainable[v.Path] = v.Trainable
	}
	return &s
}

// stage reads vars.bin (the file called name), checks its size and hash, and returns
// its variables.
func (st *stateV1) stage(name string) ([]stagedVar, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, unwrapPathErr(err))
	}
	if int64(len(data)) != st.DataBytes {
		return nil, fmt.Errorf("checkpoint %s: truncated: %d bytes, want %d", name, len(data), st.DataBytes)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != st.DataHash {
		return nil, fmt.Errorf("checkpoint %s: corrupted: sha256 does not match state.json", name)
	}
	staged := make([]stagedVar, 0, len(st.Variables))
	for _, v := range st.Variables {
		dtype, err := dtypes.DTypeString(v.DType)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: unknown dtype %q", name, v.Path, v.DType)
		}
		if n, ok := shapeBytes(dtype, v.Dims); !ok || n != v.Length {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %d bytes for %s%v", name, v.Path, v.Length, dtype, v.Dims)
		}
		t := tensors.FromShape(shapes.Make(dtype, v.Dims...))
		if err := t.MutableBytes(func(b []byte) { copy(b, data[v.Offset:v.Offset+v.Length]) }); err != nil {
			return nil, fmt.Errorf("checkpoint %s: variable %s: %w", name, v.Path, err)
		}
		staged = append(staged, stagedVar{path: v.Path, value: t, trainable: v.Trainable})
	}
	return staged, nil
}

// shapeBytes returns the bytes of a dtype tensor of dims, checking before anything is
// allocated that the dimensions are not negative and the size does not overflow.
func shapeBytes(dtype dtypes.DType, dims []int) (int64, bool) {
	if dtype.Bits() == 0 || dtype.Bits()%8 != 0 {
		return 0, false
	}
	n := int64(dtype.Bits() / 8)
	for _, d := range dims {
		if d < 0 || (d > 0 && n > math.MaxInt64/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}
