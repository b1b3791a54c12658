package safetensors

import (
	"encoding/binary"
	"math"
	"sync"
)

// f16Table holds F16ToFloat32 of all 65536 half values (256 KiB, built on first use):
// a lookup decodes F16 tensors several times faster than the branches.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToFloat32(uint16(i))
	}
	return &t
})

// F16ToFloat32 converts an IEEE 754 half-precision value (its bits) to float32. Every
// half value, subnormals included, is exact in float32; NaN payloads are kept.
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
	// zero or subnormal: mant x 2^-24, exact in float32
	f := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// Float32ToF16 converts f to IEEE 754 half precision (its bits), rounding to nearest
// even as PyTorch does: values beyond the half range become ±inf, values below half the
// smallest subnormal ±0, and NaN the quiet NaN 0x7e00 with f's sign (torch's choice).
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // the half's biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	var h, rest, half uint32
	if e <= 0 {
		// subnormal half: m x 2^-24 with m = significand x 2^(e-14), so drop 14-e bits of
		// the 24-bit significand; beyond 24 bits (e < -10) the value is under half of
		// the smallest subnormal and rounds to zero.
		if e < -10 {
			return sign
		}
		sig := mant | 0x800000
		shift := uint(14 - e)
		h, rest, half = sig>>shift, sig&(1<<shift-1), 1<<(shift-1)
	} else {
		// normal half: drop 13 mantissa bits; a carry out of the mantissa increments the
		// exponent, and out of the largest exponent gives inf, as it should.
		h, rest, half = uint32(e)<<10|mant>>13, mant&0x1fff, 0x1000
	}
	if rest > half || (rest == half && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

// BF16ToFloat32 converts a bfloat16 value (its bits) to float32; exact.
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToBF16 converts f to bfloat16 (its bits), rounding to nearest even as PyTorch
// does; NaN stays a quiet NaN with f's sign.
func Float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x0040
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// decodeFloats converts src, little-endian elements of the float dtype, into dst
// (len(dst) = len(src) / dtype.Size()).
func decodeFloats[T float32 | float64](dst []T, src []byte, dtype DType) {
	le := binary.LittleEndian
	switch dtype {
	case F16:
		table := f16Table()
		for i := range dst {
			dst[i] = T(table[le.Uint16(src[2*i:])])
		}
	case BF16:
		for i := range dst {
			dst[i] = T(BF16ToFloat32(le.Uint16(src[2*i:])))
		}
	case F32:
		for i := range dst {
			dst[i] = T(math.Float32frombits(le.Uint32(src[4*i:])))
		}
	case F64:
		for i := range dst {
			dst[i] = T(math.Float64frombits(le.Uint64(src[8*i:])))
		}
	}
}

// encodeFloats converts src into dst as little-endian elements of the float dtype
// (len(dst) = len(src) * dtype.Size()).
func encodeFloats(dst []byte, src []float32, dtype DType) {
	le := binary.LittleEndian
	switch dtype {
	case F16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], Float32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], Float32ToBF16(v))
		}
	case F32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F64:
		for i, v := range src {
			le.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
}
