// Command samplegrid writes a PNG grid of shapes-world images with their captions,
// the picture in the docs:
//
//	go run ./datasets/shapeworld/cmd/samplegrid -size 64 -out docs/images/shapes_samples.png
//
// It draws the test split, where held-out colour-shape pairs appear (red captions).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mmdna/mmdna/datasets/shapeworld"
	"github.com/mmdna/mmdna/viz"
)

func main() {
	size := flag.Int("size", 64, "image size in pixels")
	n := flag.Int("n", 24, "number of images")
	cols := flag.Int("cols", 6, "images per row")
	seed := flag.Uint64("seed", 1, "world seed")
	out := flag.String("out", "docs/images/shapes_samples.png", "PNG file to write")
	flag.Parse()
	if err := run(*size, *n, *cols, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "samplegrid:", err)
		os.Exit(1)
	}
}

func run(size, n, cols int, seed uint64, out string) error {
	if n < 1 || cols < 1 {
		return fmt.Errorf("-n %d -cols %d: want at least 1 each", n, cols)
	}
	cfg := shapeworld.DefaultConfig()
	cfg.Seed, cfg.Size, cfg.Train, cfg.Val, cfg.Test = seed, size, 0, 0, n
	w, err := shapeworld.Generate(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return viz.SavePNG(out, shapeworld.SampleGrid(w.Test, n, cols))
}
