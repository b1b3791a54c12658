package imageproc

import (
	"math"
	"slices"
	"testing"
)

func TestCropOffset(t *testing.T) {
	for _, tc := range []struct {
		n, crop int
		tv, hf  int
		why     string
	}{
		{375, 224, 76, 75, "margin 151: round(75.5) is 76 (half to even), floor 75"},
		{373, 224, 74, 74, "margin 149: round(74.5) is 74 (half to even)"},
		{298, 224, 37, 37, "margin 74"},
		{224, 224, 0, 0, "no margin"},
		{23, 48, -12, -13, "pad 25: torchvision 12 before, HF ceil(12.5) = 13 before"},
		{22, 48, -13, -13, "pad 26: 13 before in both"},
		{1, 2, 0, -1, "pad 1: torchvision after, HF before"},
	} {
		if got := TorchvisionCrop.CropOffset(tc.n, tc.crop); got != tc.tv {
			t.Errorf("torchvision offset(%d, %d) = %d, want %d (%s)", tc.n, tc.crop, got, tc.tv, tc.why)
		}
		if got := HFCrop.CropOffset(tc.n, tc.crop); got != tc.hf {
			t.Errorf("HF offset(%d, %d) = %d, want %d (%s)", tc.n, tc.crop, got, tc.hf, tc.why)
		}
	}
}

func TestCenterCrop(t *testing.T) {
	// 5x3 image with values 0..14; crop 3x1 takes row 1, columns 1..3.
	in := grey(5, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)
	out, err := CenterCrop(in, 1, 3, TorchvisionCrop)
	if err != nil {
		t.Fatal(err)
	}
	if got := channel0(out); !slices.Equal(got, []uint8{6, 7, 8}) {
		t.Errorf("crop: %v", got)
	}
	// A 1x1 image cropped to 2x2: torchvision pads after (pixel top-left), HF before
	// (pixel bottom-right); the rest is black.
	one := grey(1, 1, 200)
	for rule, want := range map[CropRule][]uint8{TorchvisionCrop: {200, 0, 0, 0}, HFCrop: {0, 0, 0, 200}} {
		out, err := CenterCrop(one, 2, 2, rule)
		if err != nil {
			t.Fatal(err)
		}
		if got := channel0(out); !slices.Equal(got, want) {
			t.Errorf("%v pad: %v, want %v", rule, got, want)
		}
	}
	// Wider than the image, shorter in height: padded across, cropped down.
	out, err = CenterCrop(in, 1, 7, TorchvisionCrop)
	if err != nil {
		t.Fatal(err)
	}
	if got := channel0(out); !slices.Equal(got, []uint8{0, 5, 6, 7, 8, 9, 0}) {
		t.Errorf("mixed pad/crop: %v", got)
	}
	if _, err := CenterCrop(in, 0, 2, HFCrop); err == nil {
		t.Error("crop to zero height: no error")
	}
}

// TestRescaleMatchesToTensor: for every byte, HF's float32(x * (1/255) in float64)
// equals torchvision's float32(x) / 255 in float32, so ToFloat matches both exactly.
func TestRescaleMatchesToTensor(t *testing.T) {
	for x := range 256 {
		hf := float32(float64(x) * (1.0 / 255))
		tv := float32(x) / float32(255)
		if hf != tv {
			t.Errorf("x=%d: HF %v, torchvision %v", x, hf, tv)
		}
	}
}

func TestToFloat(t *testing.T) {
	m := NewRGB8(2, 1)
	copy(m.Pix, []uint8{0, 255, 51, 255, 0, 102})
	got, err := ToFloat(m, 1.0/255, []float64{0.5, 0.25, 0.2}, []float64{0.5, 0.25, 0.4})
	if err != nil {
		t.Fatal(err)
	}
	// (0-.5)/.5, (1-.25)/.25, (.2-.2)/.4, (1-.5)/.5, (0-.25)/.25, (.4-.2)/.4.
	want := []float32{-1, 3, 0, 1, -1, 0.5}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
	raw, err := ToFloat(m, 1, nil, nil)
	if err != nil || raw[1] != 255 || raw[2] != 51 {
		t.Errorf("no normalisation: %v %v", raw, err)
	}
	one, _ := ToFloat(m, 1.0/255, []float64{0.5}, []float64{0.5})
	if one[0] != -1 || one[1] != 1 {
		t.Errorf("one mean for all channels: %v", one)
	}
	for _, bad := range [][2][]float64{{{1, 2}, {1, 1, 1}}, {{0, 0, 0}, {1, 0, 1}}, {{0, 0, 0}, nil}} {
		if _, err := ToFloat(m, 1, bad[0], bad[1]); err == nil {
			t.Errorf("mean %v std %v: no error", bad[0], bad[1])
		}
	}
}
