package nn

import (
	"testing"

	"github.com/mmdna/mmdna/internal/pyref"
)

// TestBicubicMatrixByHand checks ATen's bicubic at scale 1/2 (2 -> 4): output 0 reads
// source -0.25, i.e. x0 = -1, t = 0.75, with a = -0.75 weights
// (-0.03515625, 0.26171875, 0.87890625, -0.10546875) on sources -2, -1, 0, 1, clamped
// to 0, 0, 0, 1.
func TestBicubicMatrixByHand(t *testing.T) {
	m := InterpolationMatrix(InterpBicubic, 4, 2)
	w := []float64{cubic(1.75, -0.75), cubic(0.75, -0.75), cubic(-0.25, -0.75), cubic(-1.25, -0.75)}
	assertClose64(t, "row 0", m[0], []float64{w[0] + w[1] + w[2], w[3]}, 1e-12)
	assertClose64(t, "weights", w, []float64{-0.03515625, 0.26171875, 0.87890625, -0.10546875}, 1e-12)
	for mode, mat := range map[Interpolation][][]float64{InterpBicubic: m, InterpBicubicAA: InterpolationMatrix(InterpBicubicAA, 3, 7)} {
		for _, row := range mat {
			var s float64
			for _, v := range row {
				s += v
			}
			assertClose64(t, string(mode)+" row sum", []float64{s}, []float64{1}, 1e-12)
		}
	}
}

// TestInterpolationMatchesTorch compares every mode with torch.nn.functional.interpolate
// on identity inputs (row j of the result is column j of the matrix), up and down.
func TestInterpolationMatchesTorch(t *testing.T) {
	pyref.Require(t, "torch")
	type pair struct{ Out, In int }
	pairs := []pair{{4, 2}, {14, 7}, {24, 14}, {7, 14}, {3, 7}, {5, 5}, {1, 3}, {9, 4}}
	var want map[string][][][]float64
	pyref.Run(t, `
import json, sys, torch
import torch.nn.functional as F
pairs = json.load(sys.stdin)
out = {}
for mode, kw in [("bilinear", dict(mode="bilinear", align_corners=False)),
                 ("bicubic", dict(mode="bicubic", align_corners=False)),
                 ("bicubic_aa", dict(mode="bicubic", align_corners=False, antialias=True))]:
    mats = []
    for p in pairs:
        x = torch.eye(p["In"], dtype=torch.float64).reshape(p["In"], 1, 1, p["In"])
        y = F.interpolate(x, size=(1, p["Out"]), **kw).reshape(p["In"], p["Out"])
        mats.append(y.t().tolist())
    out[mode] = mats
print(json.dumps(out))
`, pairs, &want)
	for mode, mats := range want {
		for i, p := range pairs {
			got := InterpolationMatrix(Interpolation(mode), p.Out, p.In)
			assertClose64(t, mode, flat64(got), flat64(mats[i]), 1e-9)
		}
	}
}
