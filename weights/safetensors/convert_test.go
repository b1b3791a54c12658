package safetensors

import (
	"math"
	"testing"
)

// pow2 returns 2^e as float32.
func pow2(e int) float32 { return float32(math.Ldexp(1, e)) }

// TestFloat32ToF16Values checks hand-computed half-precision bits, rounding ties
// included.
func TestFloat32ToF16Values(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.1, 0x2e66},                // 0.0999755859375
		{65504, 0x7bff},              // largest half
		{65519.996, 0x7bff},          // just under the tie with 65536
		{65520, 0x7c00},              // tie between 65504 and 65536: even is inf
		{1e6, 0x7c00},                // overflow
		{inf, 0x7c00},                //
		{-inf, 0xfc00},               //
		{pow2(-14), 0x0400},          // smallest normal
		{pow2(-24), 0x0001},          // smallest subnormal
		{pow2(-25), 0x0000},          // tie between 0 and 2^-24: even is 0
		{1.5 * pow2(-25), 0x0001},    // above the tie
		{pow2(-26), 0x0000},          // under half the smallest subnormal
		{3 * pow2(-25), 0x0002},      // tie between 1 and 2 subnormal units: even is 2
		{5 * pow2(-25), 0x0002},      // tie between 2 and 3: even is 2
		{1023 * pow2(-24), 0x03ff},   // largest subnormal
		{1023.5 * pow2(-24), 0x0400}, // rounds up into the smallest normal
		{1 + pow2(-11), 0x3c00},      // tie: even mantissa 0
		{1 + 3*pow2(-11), 0x3c02},    // tie: even mantissa 2
		{1 + pow2(-11) + pow2(-20), 0x3c01},
		{1 - pow2(-12), 0x3c00}, // tie between 0x3bff (1 - 2^-11) and 1.0: even is 1.0
		{1 - pow2(-11), 0x3bff}, // exact
		{-1e-10, 0x8000},        // negative underflow keeps the sign
	} {
		if got := Float32ToF16(tc.in); got != tc.want {
			t.Errorf("Float32ToF16(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	if got := Float32ToF16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("Float32ToF16(NaN) = %#04x, not a NaN", got)
	}
}

// TestFloat32ToBF16Values checks hand-computed bfloat16 bits.
func TestFloat32ToBF16Values(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{-2, 0xc000},
		{0.1, 0x3dcd}, // 0.10009765625
		{1 + pow2(-8), 0x3f80},
		{1 + 3*pow2(-8), 0x3f82},
		{1 + pow2(-8) + pow2(-20), 0x3f81},
		{math.MaxFloat32, 0x7f80}, // rounds up to inf, as torch does
		{float32(math.Inf(-1)), 0xff80},
		{pow2(-149), 0x0000}, // smallest float32 subnormal: far under half a bfloat16 unit
		{pow2(-133), 0x0001}, // smallest bfloat16 subnormal
	} {
		if got := Float32ToBF16(tc.in); got != tc.want {
			t.Errorf("Float32ToBF16(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	for _, nan := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff} {
		got := Float32ToBF16(math.Float32frombits(nan))
		if got&0x7f80 != 0x7f80 || got&0x7f == 0 || got>>15 != uint16(nan>>31) {
			t.Errorf("Float32ToBF16(NaN %#08x) = %#04x, not a NaN of the same sign", nan, got)
		}
	}
}

// TestHalfRoundTrips checks every one of the 65536 half and bfloat16 values: to float32
// and back gives the same bits (NaN stays NaN), and the float32 value is right for the
// normal, subnormal and special classes.
func TestHalfRoundTrips(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := F16ToFloat32(h)
		exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
		var want float64
		switch exp {
		case 0:
			want = math.Ldexp(mant, -24)
		case 0x1f:
			want = math.Inf(1)
			if mant != 0 {
				want = math.NaN()
			}
		default:
			want = math.Ldexp(1+mant/1024, exp-15)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		isNaN := math.IsNaN(want)
		if isNaN != math.IsNaN(float64(f)) || !isNaN && float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("F16ToFloat32(%#04x) = %g, want %g", h, f, want)
		}
		if back := Float32ToF16(f); back != h && !isNaN {
			t.Fatalf("Float32ToF16(F16ToFloat32(%#04x)) = %#04x", h, back)
		}
		b := BF16ToFloat32(h)
		if back := Float32ToBF16(b); back != h && !math.IsNaN(float64(b)) {
			t.Fatalf("Float32ToBF16(BF16ToFloat32(%#04x)) = %#04x", h, back)
		}
	}
}
