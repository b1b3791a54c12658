package datasets

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// indexSet returns n grey h×w images whose pixels are all (i % 256) and whose
// label is i % 10, so a batch tells which images it holds.
func indexSet(n, h, w int) *Images {
	s := &Images{Name: "index", N: n, H: h, W: w, C: 1, Pixels: make([]uint8, n*h*w), Labels: make([]int32, n),
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for i := range n {
		for q := range h * w {
			s.Pixels[i*h*w+q] = uint8(i)
		}
		s.Labels[i] = int32(i % 10)
	}
	return s
}

// batchImages returns the index of each image of a batch built from indexSet
// (n <= 256) with Mean/Std nil, read back from its first pixel.
func batchImages(x []float32, batch int) []int {
	per := len(x) / batch
	out := make([]int, batch)
	for j := range batch {
		out[j] = int(math.Round(float64(x[j*per] * 255)))
	}
	return out
}

func TestBatchDeterministic(t *testing.T) {
	set := indexSet(50, 4, 4)
	newB := func(seed uint64) *ImageBatcher {
		return &ImageBatcher{Set: set, BatchSize: 8, Seed: seed, Augment: Augment{CropPad: 1, HFlip: true}}
	}
	b := newB(7)
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	x1, y1 := b.Batch(13)
	_, _ = b.Batch(2) // another epoch in between must not change step 13.
	x2, y2 := b.Batch(13)
	x3, y3 := newB(7).Batch(13) // a resumed run: fresh batcher, straight to step 13.
	if !slices.Equal(x1, x2) || !slices.Equal(y1, y2) || !slices.Equal(x1, x3) || !slices.Equal(y1, y3) {
		t.Fatal("step 13 differs between calls")
	}
	if x4, _ := b.Batch(14); slices.Equal(x1, x4) {
		t.Error("steps 13 and 14 gave the same batch")
	}
	if x5, _ := newB(8).Batch(13); slices.Equal(x1, x5) {
		t.Error("seeds 7 and 8 gave the same batch")
	}
}

func TestBatchEpochCoversEveryImageOnce(t *testing.T) {
	set := indexSet(48, 2, 2)
	b := &ImageBatcher{Set: set, BatchSize: 8, Seed: 3}
	if got := b.StepsPerEpoch(); got != 6 {
		t.Fatalf("StepsPerEpoch = %d, want 6", got)
	}
	var epochs [2][]int
	for e := range 2 {
		for s := e * 6; s < (e+1)*6; s++ {
			x, y := b.Batch(s)
			imgs := batchImages(x, 8)
			for j, i := range imgs {
				if y[j] != int32(i%10) {
					t.Fatalf("step %d: image %d has label %d, want %d", s, i, y[j], i%10)
				}
			}
			epochs[e] = append(epochs[e], imgs...)
		}
		got := slices.Sorted(slices.Values(epochs[e]))
		for i, v := range got {
			if v != i {
				t.Fatalf("epoch %d: sorted images %v, want 0..47 once each", e, got)
			}
		}
	}
	if slices.Equal(epochs[0], epochs[1]) {
		t.Error("epochs 0 and 1 visit the images in the same order")
	}
}

func TestBatchDropsLastPartialBatch(t *testing.T) {
	b := &ImageBatcher{Set: indexSet(50, 1, 1), BatchSize: 8, Seed: 1}
	if got := b.StepsPerEpoch(); got != 6 {
		t.Fatalf("StepsPerEpoch = %d, want 50/8 = 6", got)
	}
	seen := map[int]bool{}
	for s := range 6 {
		x, _ := b.Batch(s)
		for _, i := range batchImages(x, 8) {
			if seen[i] {
				t.Fatalf("image %d seen twice in epoch 0", i)
			}
			seen[i] = true
		}
	}
	if len(seen) != 48 {
		t.Errorf("epoch 0 saw %d images, want 48", len(seen))
	}
}

func TestNormalizeHandChecked(t *testing.T) {
	// Two 1×1 RGB images: (255, 0, 51) and (102, 255, 0).
	set := &Images{Name: "rgb", N: 2, H: 1, W: 1, C: 3, Pixels: []uint8{255, 0, 51, 102, 255, 0}, Labels: []int32{0, 1}}
	mean := []float32{0.5, 0.25, 0.2}
	std := []float32{0.5, 0.25, 0.1}
	x := make([]float32, 6)
	Normalize(set, []int{1, 0}, mean, std, x)
	// (102/255-0.5)/0.5 = (0.4-0.5)/0.5 = -0.2; (1-0.25)/0.25 = 3; (0-0.2)/0.1 = -2;
	// (1-0.5)/0.5 = 1; (0-0.25)/0.25 = -1; (51/255-0.2)/0.1 = 0.
	want := []float32{-0.2, 3, -2, 1, -1, 0}
	for q := range want {
		if math.Abs(float64(x[q]-want[q])) > 1e-5 {
			t.Errorf("x[%d] = %v, want %v (all: %v)", q, x[q], want[q], x)
		}
	}
	Normalize(set, []int{0}, nil, nil, x[:3])
	for q, w := range []float32{1, 0, 0.2} {
		if math.Abs(float64(x[q]-w)) > 1e-6 {
			t.Errorf("no mean/std: x[%d] = %v, want %v", q, x[q], w)
		}
	}
	// The batcher without augmentation gives the same values.
	b := &ImageBatcher{Set: set, BatchSize: 2, Mean: mean, Std: std}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	bx, by := b.Batch(0)
	order := EpochOrder(0, 0, 2)
	Normalize(set, order, mean, std, x)
	if !slices.Equal(bx, x) || by[0] != set.Labels[order[0]] || by[1] != set.Labels[order[1]] {
		t.Errorf("Batch(0) = %v %v, want Normalize of order %v = %v", bx, by, order, x)
	}
}

// TestAugmentTinyImage checks crop and flip on a 3×3 image holding 1..9.
func TestAugmentTinyImage(t *testing.T) {
	set := &Images{Name: "tiny", N: 1, H: 3, W: 3, C: 1, Pixels: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}, Labels: []int32{0}}
	cases := []struct {
		name   string
		dy, dx int
		flip   bool
		want   []uint8
	}{
		{"identity", 0, 0, false, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"window down", 1, 0, false, []uint8{4, 5, 6, 7, 8, 9, 0, 0, 0}},
		{"window up right", -1, 1, false, []uint8{0, 0, 0, 2, 3, 0, 5, 6, 0}},
		{"flip", 0, 0, true, []uint8{3, 2, 1, 6, 5, 4, 9, 8, 7}},
		// Crop [2 3 0; 5 6 0; 8 9 0], then mirror it.
		{"crop then flip", 0, 1, true, []uint8{0, 3, 2, 0, 6, 5, 0, 9, 8}},
	}
	for _, tc := range cases {
		dst := make([]float32, 9)
		augmentInto(set, 0, tc.dy, tc.dx, tc.flip, nil, nil, dst)
		for q := range dst {
			if got := math.Round(float64(dst[q] * 255)); got != float64(tc.want[q]) {
				t.Errorf("%s: pixel %d = %v, want %d", tc.name, q, got, tc.want[q])
			}
		}
	}
	// Padding is raw 0, so after normalisation it reads -mean/std.
	dst := make([]float32, 9)
	augmentInto(set, 0, 1, 0, false, []float32{0.5}, []float32{0.25}, dst)
	if math.Abs(float64(dst[8]+2)) > 1e-6 {
		t.Errorf("normalised padding = %v, want (0-0.5)/0.25 = -2", dst[8])
	}
}

// TestBatchAugmentDraws checks that the batcher's crops and flips are among the
// 2×9 possible views of the tiny image, and that all of them occur.
func TestBatchAugmentDraws(t *testing.T) {
	set := &Images{Name: "tiny", N: 1, H: 3, W: 3, C: 1, Pixels: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}, Labels: []int32{0}}
	views := map[string]bool{}
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			for _, flip := range []bool{false, true} {
				v := make([]float32, 9)
				augmentInto(set, 0, dy, dx, flip, nil, nil, v)
				views[viewKey(v)] = false
			}
		}
	}
	if len(views) != 18 {
		t.Fatalf("%d distinct views, want 18", len(views))
	}
	b := &ImageBatcher{Set: set, BatchSize: 1, Seed: 5, Augment: Augment{CropPad: 1, HFlip: true}}
	x := make([]float32, 9)
	y := make([]int32, 1)
	for step := range 400 {
		b.BatchInto(step, x, y)
		k := viewKey(x)
		if _, ok := views[k]; !ok {
			t.Fatalf("step %d: %s is not a crop/flip of the image", step, k)
		}
		views[k] = true
	}
	for k, seen := range views {
		if !seen {
			t.Errorf("view %s never drawn in 400 steps", k)
		}
	}
}

func viewKey(x []float32) string {
	var sb strings.Builder
	for _, v := range x {
		sb.WriteByte(byte('0' + int(math.Round(float64(v*255)))))
	}
	return sb.String()
}

func TestBatchValidate(t *testing.T) {
	ok := func() *ImageBatcher {
		return &ImageBatcher{Set: indexSet(10, 2, 2), BatchSize: 4, Mean: []float32{0.5}, Std: []float32{0.2}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid batcher: %v", err)
	}
	cases := []struct {
		name, want string
		edit       func(b *ImageBatcher)
	}{
		{"nil set", "Set is nil", func(b *ImageBatcher) { b.Set = nil }},
		{"bad set", "pixel bytes", func(b *ImageBatcher) { b.Set.Pixels = b.Set.Pixels[:5] }},
		{"zero batch", "must be positive", func(b *ImageBatcher) { b.BatchSize = 0 }},
		{"batch too big", "larger than the 10 images", func(b *ImageBatcher) { b.BatchSize = 11 }},
		{"mean length", "one per channel", func(b *ImageBatcher) { b.Mean = []float32{0.1, 0.2} }},
		{"std only", "one per channel", func(b *ImageBatcher) { b.Mean = nil }},
		{"zero std", "std > 0", func(b *ImageBatcher) { b.Std = []float32{0} }},
		{"nan mean", "finite mean", func(b *ImageBatcher) { b.Mean = []float32{float32(math.NaN())} }},
		{"negative pad", "CropPad -1", func(b *ImageBatcher) { b.Augment.CropPad = -1 }},
	}
	for _, tc := range cases {
		b := ok()
		tc.edit(b)
		err := b.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestBatchConcurrent(t *testing.T) {
	b := &ImageBatcher{Set: indexSet(64, 3, 3), BatchSize: 4, Seed: 9, Augment: Augment{CropPad: 1}}
	want := make([][]float32, 64)
	for s := range want {
		want[s], _ = (&ImageBatcher{Set: b.Set, BatchSize: 4, Seed: 9, Augment: b.Augment}).Batch(s)
	}
	var wg sync.WaitGroup
	errs := make(chan int, 64)
	for g := range 4 {
		wg.Go(func() {
			for s := g; s < 64; s += 4 {
				if x, _ := b.Batch(s); !slices.Equal(x, want[s]) {
					errs <- s
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("step %d differs when batches are built concurrently", s)
	}
}

func TestBatchIntoAllocations(t *testing.T) {
	b := &ImageBatcher{Set: indexSet(256, 28, 28), BatchSize: 32, Mean: []float32{0.3}, Std: []float32{0.35}}
	x := make([]float32, 32*28*28)
	y := make([]int32, 32)
	b.BatchInto(0, x, y) // fills the epoch cache
	if n := testing.AllocsPerRun(20, func() { b.BatchInto(3, x, y) }); n != 0 {
		t.Errorf("BatchInto without augmentation allocates %v times per call, want 0", n)
	}
}

// benchSet is a Fashion-MNIST-sized set of 60000 28×28 grey images.
func benchSet() *Images {
	s := indexSet(60000, 28, 28)
	for q := range s.Pixels {
		s.Pixels[q] = uint8(q * 7)
	}
	return s
}

// BenchmarkBatch builds a 128×28×28×1 batch; compare with a ~300 ms training step.
func BenchmarkBatch(b *testing.B) {
	set := benchSet()
	for _, bc := range []struct {
		name string
		aug  Augment
	}{{"plain", Augment{}}, {"crop2_flip", Augment{CropPad: 2, HFlip: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			bt := &ImageBatcher{Set: set, BatchSize: 128, Seed: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Augment: bc.aug}
			x := make([]float32, 128*28*28)
			y := make([]int32, 128)
			b.ReportAllocs()
			step := 0
			for b.Loop() {
				bt.BatchInto(step%bt.StepsPerEpoch(), x, y)
				step++
			}
		})
	}
}
