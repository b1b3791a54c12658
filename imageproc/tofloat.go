package imageproc

import "fmt"

// ToFloat returns img as float32 in HWC layout ([H, W, 3], what mmdna's models take),
// each value (x*rescale - mean[c]) / std[c], computed as the PyTorch pipelines do:
// x*rescale in float64 rounded to float32 (Hugging Face's rescale), then the
// subtraction and the division in float32 with mean and std rounded to float32
// (numpy's and torch's Normalize). torchvision's ToTensor divides by 255 in float32
// instead of multiplying by 1/255 in float64; for every byte value the two give the
// same float32 (TestRescaleMatchesToTensor checks all 256), so one formula serves
// both and the result is bit-identical to either. mean and std hold 3 values, or 1
// for all channels; nil mean and std skip normalisation.
func ToFloat(img *RGB8, rescale float64, mean, std []float64) ([]float32, error) {
	if img == nil || len(img.Pix) != img.W*img.H*3 {
		return nil, fmt.Errorf("to float: empty or malformed image")
	}
	m, s, err := channelStats(mean, std)
	if err != nil {
		return nil, err
	}
	// The 256 possible values per channel, computed once: lut[c][x].
	var lut [3][256]float32
	for c := range 3 {
		for x := range 256 {
			v := float32(float64(x) * rescale)
			if s != nil {
				v = (v - m[c]) / s[c]
			}
			lut[c][x] = v
		}
	}
	out := make([]float32, len(img.Pix))
	for i := 0; i < len(out); i += 3 {
		out[i] = lut[0][img.Pix[i]]
		out[i+1] = lut[1][img.Pix[i+1]]
		out[i+2] = lut[2][img.Pix[i+2]]
	}
	return out, nil
}

// channelStats rounds mean and std to float32 per channel; both nil means none.
func channelStats(mean, std []float64) (m, s []float32, err error) {
	if mean == nil && std == nil {
		return nil, nil, nil
	}
	expand := func(name string, v []float64) ([]float32, error) {
		switch len(v) {
		case 1:
			return []float32{float32(v[0]), float32(v[0]), float32(v[0])}, nil
		case 3:
			return []float32{float32(v[0]), float32(v[1]), float32(v[2])}, nil
		}
		return nil, fmt.Errorf("%s has %d values, want 3 (or 1 for all channels)", name, len(v))
	}
	if m, err = expand("mean", mean); err != nil {
		return nil, nil, err
	}
	if s, err = expand("std", std); err != nil {
		return nil, nil, err
	}
	for c, v := range s {
		if v == 0 {
			return nil, nil, fmt.Errorf("std[%d] is 0", c)
		}
	}
	return m, s, nil
}
