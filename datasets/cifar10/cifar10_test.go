package cifar10

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// record builds one binary record; px gives the value of channel c at (row, col).
func record(label byte, px func(c, row, col int) byte) []byte {
	rec := make([]byte, RecordSize)
	rec[0] = label
	for c := range Channels {
		for row := range Height {
			for col := range Width {
				rec[1+c*Height*Width+row*Width+col] = px(c, row, col)
			}
		}
	}
	return rec
}

// dot is an image with a single non-zero value v at channel c, (row, col).
func dot(label byte, c, row, col int, v byte) []byte {
	return record(label, func(cc, r, cl int) byte {
		if cc == c && r == row && cl == col {
			return v
		}
		return 0
	})
}

func TestReadBatchPixelPlacement(t *testing.T) {
	in := slices.Concat(
		dot(7, 0, 3, 5, 200),  // red at row 3, col 5
		dot(2, 1, 0, 31, 100), // green at row 0, col 31
		dot(9, 2, 31, 0, 50),  // blue at row 31, col 0
	)
	pixels, labels, err := ReadBatch(bytes.NewReader(in), "b.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []int32{7, 2, 9}) {
		t.Errorf("labels %v, want [7 2 9]", labels)
	}
	const img = Height * Width * Channels
	if len(pixels) != 3*img {
		t.Fatalf("%d pixel bytes, want %d", len(pixels), 3*img)
	}
	// [n, row, col, c] offsets of the three dots.
	want := map[int]byte{
		0*img + (3*Width+5)*Channels + 0:  200,
		1*img + (0*Width+31)*Channels + 1: 100,
		2*img + (31*Width+0)*Channels + 2: 50,
	}
	for q, v := range pixels {
		if v != want[q] {
			t.Errorf("pixel byte %d (image %d, row %d, col %d, channel %d) = %d, want %d",
				q, q/img, q%img/(Width*Channels), q%(Width*Channels)/Channels, q%Channels, v, want[q])
		}
	}
	// A whole image: value = channel*100 + row, to check every plane's layout.
	pixels, _, err = ReadBatch(bytes.NewReader(record(0, func(c, r, _ int) byte { return byte(c*100 + r) })), "c.bin")
	if err != nil {
		t.Fatal(err)
	}
	for q, v := range pixels {
		c, r := q%Channels, q/(Width*Channels)
		if v != byte(c*100+r) {
			t.Fatalf("pixel [%d,%d,%d] = %d, want %d", r, q/Channels%Width, c, v, c*100+r)
		}
	}
}

func TestReadBatchMalformed(t *testing.T) {
	good := dot(1, 0, 0, 0, 1)
	cases := []struct {
		name, want string
		in         []byte
	}{
		{"one byte over", "size 3074 bytes is not a multiple of the 3073-byte record", append(slices.Clone(good), 0)},
		{"short record", "size 3072 bytes is not a multiple", good[:3072]},
		{"second record short", "size 6145 bytes", slices.Concat(good, good[:3072])},
		{"label 10", "record 1: label 10 out of range [0, 10)", slices.Concat(good, dot(10, 0, 0, 0, 0))},
		{"label 255", "record 0: label 255", dot(255, 0, 0, 0, 0)},
	}
	for _, tc := range cases {
		_, _, err := ReadBatch(bytes.NewReader(tc.in), "x.bin")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cifar10: x.bin: ") {
			t.Errorf("%s: err = %v, want \"cifar10: x.bin: ...%s...\"", tc.name, err, tc.want)
		}
	}
	pixels, labels, err := ReadBatch(bytes.NewReader(nil), "empty.bin")
	if err != nil || len(pixels) != 0 || len(labels) != 0 {
		t.Errorf("empty batch: %d pixels, %d labels, %v; want none and no error", len(pixels), len(labels), err)
	}
}

var classNames = "airplane\nautomobile\nbird\ncat\ndeer\n\ndog\nfrog\nhorse\nship\ntruck  \n\n"

// writeDir writes a small data set: train batch i holds i+1 records with labels
// i, test holds two records with labels 8 and 9. edit may change the files
// (nil content = do not write) before they are written.
func writeDir(t *testing.T, dir string, edit func(files map[string][]byte)) {
	t.Helper()
	files := map[string][]byte{MetaFile: []byte(classNames), TestFile: slices.Concat(dot(8, 0, 0, 0, 8), dot(9, 0, 0, 0, 9))}
	for i, name := range TrainFiles {
		var b []byte
		for range i + 1 {
			b = append(b, dot(byte(i), 2, 1, 1, byte(10+i))...)
		}
		files[name] = b
	}
	if edit != nil {
		edit(files)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if data == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	flat := t.TempDir()
	writeDir(t, flat, nil)
	parent := t.TempDir()
	writeDir(t, filepath.Join(parent, SubDir), nil)
	for _, dir := range []string{flat, parent} {
		train, test, err := Load(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if train.N != 15 || test.N != 2 || train.H != 32 || train.W != 32 || train.C != 3 {
			t.Fatalf("%s: train %d×%d×%d×%d, test %d; want 15×32×32×3 and 2", dir, train.N, train.H, train.W, train.C, test.N)
		}
		wantLabels := []int32{0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4}
		if !slices.Equal(train.Labels, wantLabels) || !slices.Equal(test.Labels, []int32{8, 9}) {
			t.Errorf("labels %v and %v, want %v and [8 9]", train.Labels, test.Labels, wantLabels)
		}
		// Image 3 is the first of data_batch_3.bin: blue 12 at (1, 1).
		if got := train.Image(3)[(1*Width+1)*Channels+2]; got != 12 {
			t.Errorf("train image 3 blue (1,1) = %d, want 12", got)
		}
		if len(train.Classes) != 10 || train.Classes[5] != "dog" || train.Classes[9] != "truck" {
			t.Errorf("classes %q", train.Classes)
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(files map[string][]byte)
	}{
		{"missing meta", MetaFile + ": no such file", func(f map[string][]byte) { f[MetaFile] = nil }},
		{"nine classes", "9 class names, want 10", func(f map[string][]byte) { f[MetaFile] = []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\n") }},
		{"missing batch", "data_batch_3.bin: no such file", func(f map[string][]byte) { f[TrainFiles[2]] = nil }},
		{"missing test", TestFile + ": no such file", func(f map[string][]byte) { f[TestFile] = nil }},
		{"bad size", "data_batch_2.bin: size 6147 bytes is not a multiple of the 3073-byte record", func(f map[string][]byte) {
			f[TrainFiles[1]] = append(f[TrainFiles[1]], 1)
		}},
		{"label 10", "test_batch.bin: record 0: label 10 out of range", func(f map[string][]byte) { f[TestFile][0] = 10 }},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		writeDir(t, dir, tc.edit)
		_, _, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line containing %q", tc.name, err, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, _, err := Load(missing); err == nil || !strings.HasPrefix(err.Error(), "cifar10: "+missing+": no such directory") {
		t.Errorf("missing dir: err = %v", err)
	}
}

func FuzzReadBatch(f *testing.F) {
	f.Add(dot(3, 0, 3, 5, 200))
	f.Add(slices.Concat(dot(0, 1, 0, 0, 1), dot(9, 2, 31, 31, 255)))
	f.Add(dot(10, 0, 0, 0, 0))
	f.Add(make([]byte, RecordSize+1))
	f.Fuzz(func(t *testing.T, in []byte) {
		pixels, labels, err := ReadBatch(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cifar10: fuzz: ") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		if len(in)%RecordSize != 0 || len(labels) != len(in)/RecordSize || len(pixels) != len(labels)*(RecordSize-1) {
			t.Fatalf("%d bytes gave %d labels and %d pixel bytes", len(in), len(labels), len(pixels))
		}
		const plane = Height * Width
		for n, l := range labels {
			rec := in[n*RecordSize:]
			if l != int32(rec[0]) || l >= NumClasses {
				t.Fatalf("record %d: label %d from byte %d", n, l, rec[0])
			}
			for q := range plane {
				for c := range Channels {
					if pixels[(n*plane+q)*Channels+c] != rec[1+c*plane+q] {
						t.Fatalf("record %d: pixel %d channel %d misplaced", n, q, c)
					}
				}
			}
		}
	})
}

func TestWriteSyntheticLoads(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSynthetic(dir, 20, 1); err != nil {
		t.Fatal(err)
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 100 || test.N != 20 || train.Classes[9] != "truck" {
		t.Errorf("synthetic set: %d train, %d test, classes %v", train.N, test.N, train.Classes)
	}
	if err := WriteSynthetic(dir, 0, 1); err == nil {
		t.Error("WriteSynthetic accepted 0 records per file")
	}
}
