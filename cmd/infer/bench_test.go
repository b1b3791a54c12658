package main

import (
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mmdna/mmdna/imageproc"
	"github.com/mmdna/mmdna/internal/pyref"
	"github.com/mmdna/mmdna/internal/testbackend"
	"github.com/mmdna/mmdna/weights"
)

// BenchmarkEmbedCLIPB32 is issue 13's speed check: `infer embed` on OpenAI CLIP's
// ViT-B/32 (random weights, OpenAI's layout) against PyTorch with the same weights and
// files, on this machine's cores, side by side. Both decode, preprocess (OpenAI's
// pipeline) and run the image tower on batches of 16 JPEGs (500x375), timed after one
// warm-up batch; PyTorch's OpenMP threads wait passively (pyref.TimedEnv). Reports
// img/s, torch_img/s and their ratio.
//
//	go test -run XXX -bench EmbedCLIPB32 -benchtime 1x ./cmd/infer
func BenchmarkEmbedCLIPB32(b *testing.B) {
	pyref.Require(b, "torch", "torchvision", "PIL", "numpy")
	const images, batch = 64, 16
	dir := b.TempDir()
	peer := peerScript()
	if out, err := exec.Command(pyref.Python, peer, "write", "--dir", dir, "--images", "64").CombinedOutput(); err != nil {
		b.Fatalf("writing the model: %v\n%s", err, out)
	}
	m, err := weights.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "images", "*.jpg"))
	r := m.NewRunner(testbackend.Go(), batch)
	load := func(i int) (image.Image, error) { return imageproc.Decode(paths[i]) }
	emit := func(int, []float32) error { return nil }
	for b.Loop() {
		if err := r.ForImages(batch, load, m.ImageEmbeddings, emit); err != nil { // warm-up: compiles the graph.
			b.Fatal(err)
		}
		start := time.Now()
		rest := func(i int) (image.Image, error) { return load(batch + i) }
		if err := r.ForImages(images-batch, rest, m.ImageEmbeddings, emit); err != nil {
			b.Fatal(err)
		}
		ours := float64(images-batch) / time.Since(start).Seconds()
		cmd := exec.Command(pyref.Python, peer, "bench", "--dir", dir, "--batch", "16")
		cmd.Env = pyref.TimedEnv(os.Environ())
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("PyTorch peer: %v", err)
		}
		var torch struct {
			ImgPerS float64 `json:"img_per_s"`
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &torch); err != nil {
			b.Fatalf("PyTorch peer output %q: %v", out, err)
		}
		b.ReportMetric(ours, "img/s")
		b.ReportMetric(torch.ImgPerS, "torch_img/s")
		b.ReportMetric(ours/torch.ImgPerS, "ratio")
	}
}

func peerScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "bench", "peers", "clip_embed.py")
}
