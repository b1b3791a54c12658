package shapeworld

import (
	"fmt"
	"testing"
)

// BenchmarkGenerate reports images generated per second (pixels, captions and
// questions), on all cores.
//
//	go test -run XXX -bench Generate ./datasets/shapeworld
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []int{32, 64} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Size, cfg.Train, cfg.Val, cfg.Test = size, 4096, 0, 0
			images := 0
			for b.Loop() {
				if _, err := Generate(cfg); err != nil {
					b.Fatal(err)
				}
				images += cfg.Train
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
