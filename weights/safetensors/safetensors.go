// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors) in pure Go, without GoMLX, so that it
// stays small and fuzzable; the weights package builds GoMLX tensors on top of it.
//
// A file is 8 bytes of little-endian uint64 N, N bytes of UTF-8 JSON that map tensor
// names to {"dtype", "shape", "data_offsets": [begin, end]} (plus an optional
// "__metadata__" object of strings), then the data buffer; offsets are relative to the
// start of the data buffer. Open validates the whole header and layout with the rules of
// the Rust reference (safetensors/src/tensor.rs) before anything is read: header length
// against the file size, JSON, dtypes, shapes, shape x dtype = byte length, offsets inside
// the data, neither overlapping nor leaving holes. Tensors are then read with ReadAt
// straight into the caller's buffers, so loading a model holds about the destination
// buffers only.
//
// Data is little-endian, as the format specifies; the package is tested on
// little-endian hosts only (big-endian hosts are out of scope).
package safetensors

import (
	"fmt"
	"strings"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes: the limit of the Rust
// reference (100 MB), so a corrupt length never causes a huge allocation.
const MaxHeaderSize = 100_000_000

// DType is a safetensors element type, spelled as in the header ("F32", "BF16", ...).
type DType string

// The dtypes of the safetensors format that this package knows.
const (
	BOOL   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

// dtypeOrder lists the dtypes in the order of the Rust reference's Dtype enum
// ("increasing alignment order"); its writer lays tensors out by descending rank here,
// then by name, which keeps every tensor aligned to its element size.
var dtypeOrder = []DType{BOOL, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64}

// dtypeRank maps a dtype to its index in dtypeOrder.
var dtypeRank = func() map[DType]int {
	m := make(map[DType]int, len(dtypeOrder))
	for i, d := range dtypeOrder {
		m[d] = i
	}
	return m
}()

// DTypes returns the known dtypes in the reference's alignment order.
func DTypes() []DType { return append([]DType(nil), dtypeOrder...) }

// Size returns the bytes per element of d, or 0 if d is not a known dtype.
func (d DType) Size() int {
	switch d {
	case BOOL, U8, I8, F8E5M2, F8E4M3:
		return 1
	case I16, U16, F16, BF16:
		return 2
	case I32, U32, F32:
		return 4
	case F64, I64, U64:
		return 8
	}
	return 0
}

// Valid reports whether d is a known dtype.
func (d DType) Valid() bool { return d.Size() != 0 }

// IsFloat reports whether ReadFloat32 and ReadFloat64 convert d (F16, BF16, F32, F64).
func (d DType) IsFloat() bool { return d == F16 || d == BF16 || d == F32 || d == F64 }

// TensorInfo describes one tensor of a file. Begin and End are byte offsets into the
// data buffer (End exclusive); End-Begin = Elements()*DType.Size().
type TensorInfo struct {
	Name       string
	DType      DType
	Shape      []int // nil or empty for a scalar (rank 0)
	Begin, End int64
}

// Elements returns the number of elements (1 for a scalar, 0 if any dimension is 0).
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// shapeString formats a shape as the error messages spell it: [2 3], [] for a scalar.
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
