package weights

import (
	"fmt"
	"slices"
)

// conversion says how the tensors a layout stores become one mmdna variable, and back.
// PyTorch stores Linear weights [out, in] and convolutions [out, in, kh, kw]; mmdna's
// Dense keeps [in, out] and its patch embedding is a Dense over patches flattened
// row-major with channels innermost (nn.Patchify).
type conversion int

const (
	// convCopy: the same elements in the same order; only the shape may differ
	// ([1, 1, D] -> [D]).
	convCopy conversion = iota
	// convLinear: a Linear weight [out, in] -> [in, out].
	convLinear
	// convPatch: a patch convolution [D, C, p, p] -> [p*p*C, D].
	convPatch
	// convLinearConcat: Linear weights [out_i, in] side by side -> [in, Σ out_i]
	// (Hugging Face's query, key, value -> mmdna's fused to_qkv).
	convLinearConcat
	// convConcat: vectors end to end (the q, k, v biases).
	convConcat
	// convPosGrid: a position table [(1,) prefix+h*w, D] -> the patch grid [h, w, D],
	// leaving out the prefix (cls) rows.
	convPosGrid
	// convClsPos: a class token [(1, 1,) D] plus row 0 of a position table -> [D]:
	// mmdna's cls token carries its own position (vit.EncodeTokens).
	convClsPos
)

// tensor is a float32 array with its shape, row-major.
type tensor struct {
	shape []int
	data  []float32
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// mapping ties one mmdna variable to the tensors it is made of in a layout.
type mapping struct {
	ours        string   // variable path in the store, e.g. "/encoder/block_00/ln_1/gain".
	oursShape   []int    // its shape.
	theirs      []string // tensor names in the layout's file.
	theirShapes [][]int  // their shapes, as the configuration implies.
	conv        conversion
}

// toOursInto builds the mmdna value into out (size(m.oursShape) values) from the
// layout's tensors, in the order of m.theirs.
func (m mapping) toOursInto(out []float32, in []tensor) error {
	switch m.conv {
	case convCopy:
		copy(out, in[0].data)
	case convLinear:
		transposeInto(out, in[0].data, in[0].shape[0], in[0].shape[1])
	case convPatch:
		d, c, p := in[0].shape[0], in[0].shape[1], in[0].shape[2]
		// out[(i*p+j)*c+ch][o] = w[o][ch][i][j]
		for o := range d {
			for ch := range c {
				for i := range p {
					for j := range p {
						out[((i*p+j)*c+ch)*d+o] = in[0].data[((o*c+ch)*p+i)*p+j]
					}
				}
			}
		}
	case convLinearConcat:
		cols, off := size(m.oursShape[1:]), 0
		for _, t := range in {
			rows, inDim := t.shape[0], t.shape[1]
			for r := range rows {
				for k := range inDim {
					out[k*cols+off+r] = t.data[r*inDim+k]
				}
			}
			off += rows
		}
	case convConcat:
		off := 0
		for _, t := range in {
			off += copy(out[off:], t.data)
		}
	case convPosGrid:
		prefix := len(in[0].data)/lastDim(in[0].shape) - size(m.oursShape[:2])
		copy(out, in[0].data[prefix*lastDim(in[0].shape):])
	case convClsPos:
		copy(out, in[0].data)
		for i := range out {
			out[i] += in[1].data[i]
		}
	default:
		return fmt.Errorf("unknown conversion %d", m.conv)
	}
	return nil
}

// toTheirs is the inverse of toOurs, for export: the layout's tensors from the mmdna
// value. The prefix rows of a position table are zero (the cls position lives in the
// token), and convClsPos writes the token alone.
func (m mapping) toTheirs(v []float32) [][]float32 {
	out := make([][]float32, len(m.theirs))
	for i, s := range m.theirShapes {
		out[i] = make([]float32, size(s))
	}
	switch m.conv {
	case convCopy, convClsPos:
		copy(out[0], v)
	case convLinear:
		s := m.theirShapes[0]
		transposeInto(out[0], v, s[1], s[0])
	case convPatch:
		s := m.theirShapes[0]
		d, c, p := s[0], s[1], s[2]
		for o := range d {
			for ch := range c {
				for i := range p {
					for j := range p {
						out[0][((o*c+ch)*p+i)*p+j] = v[((i*p+j)*c+ch)*d+o]
					}
				}
			}
		}
	case convLinearConcat:
		cols, off := m.oursShape[1], 0
		for t, s := range m.theirShapes {
			rows, inDim := s[0], s[1]
			for r := range rows {
				for k := range inDim {
					out[t][r*inDim+k] = v[k*cols+off+r]
				}
			}
			off += rows
		}
	case convConcat:
		off := 0
		for t := range out {
			off += copy(out[t], v[off:])
		}
	case convPosGrid:
		n := len(out[0])
		copy(out[0][n-len(v):], v)
	}
	return out
}

// transposeInto writes the transpose of src [rows, cols] into dst [cols, rows].
func transposeInto(dst, src []float32, rows, cols int) {
	for r := range rows {
		for c := range cols {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

func lastDim(shape []int) int {
	if len(shape) == 0 {
		return 1
	}
	return shape[len(shape)-1]
}

// checkShapes compares the shapes a file has with those the configuration implies.
func (m mapping) checkShapes(file string, have func(name string) ([]int, bool)) error {
	for i, name := range m.theirs {
		got, ok := have(name)
		if !ok {
			continue // reported with the other missing names.
		}
		if !slices.Equal(got, m.theirShapes[i]) {
			return fmt.Errorf("%s: tensor %s has shape %v, the configuration implies %v", file, name, got, m.theirShapes[i])
		}
	}
	return nil
}
