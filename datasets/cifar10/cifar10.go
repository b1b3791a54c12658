// Package cifar10 loads CIFAR-10 (Krizhevsky, 2009) in its binary version
// (cifar-10-binary.tar.gz): 60,000 colour 32×32 images in 10 classes, 50,000
// for training in data_batch_1.bin … data_batch_5.bin and 10,000 for test in
// test_batch.bin, with the class names in batches.meta.txt.
//
// Each record of a batch file is 1 label byte and 3072 pixel bytes: the red,
// green and blue planes of 1024 bytes each, every plane 32×32 row-major. Load
// converts them to channels-last datasets.Images ([N, 32, 32, 3]).
package cifar10

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmdna/mmdna/datasets"
)

// Sizes of the CIFAR-10 binary format.
const (
	Height     = 32
	Width      = 32
	Channels   = 3
	NumClasses = 10
	// RecordSize is the bytes of one record: a label byte and the R, G, B planes.
	RecordSize = 1 + Height*Width*Channels
)

// SubDir is the directory that cifar-10-binary.tar.gz unpacks to; Load accepts
// either it or its parent.
const SubDir = "cifar-10-batches-bin"

// File names of the binary version.
const (
	TestFile = "test_batch.bin"
	MetaFile = "batches.meta.txt"
)

// TrainFiles are the training batches, read in this order (an array, so callers
// get a copy).
var TrainFiles = [5]string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}

// Mean and Std are the standard per-channel (R, G, B) statistics of pixel/255
// over the 50,000 training images: the whole-set mean and population std, as in
// fb.resnet.torch's datasets/cifar10.lua ({125.3, 123.0, 113.9} and {63.0, 62.1,
// 66.7} on the 0-255 scale) and recomputed to more digits in
// akamaster/pytorch_resnet_cifar10 issue #9. (The often-copied std 0.2023,
// 0.1994, 0.2010 is the mean of per-image stds, not the set's std.)
var (
	Mean = [Channels]float32{0.49139968, 0.48215841, 0.44653091}
	Std  = [Channels]float32{0.24703223, 0.24348513, 0.26158784}
)

// ReadBatch reads one batch file and returns its images and labels.
// pixels: [n, 32, 32, 3] channels last; labels: [n], each below 10. The input
// must be a whole number of 3073-byte records; name is used in error messages.
func ReadBatch(r io.Reader, name string) (pixels []uint8, labels []int32, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var rec [RecordSize]byte
	const plane = Height * Width
	for n := 0; ; n++ {
		k, err := io.ReadFull(br, rec[:])
		if errors.Is(err, io.EOF) {
			return pixels, labels, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("cifar10: %s: size %d bytes is not a multiple of the %d-byte record",
				name, n*RecordSize+k, RecordSize)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cifar10: %s: record %d: %v", name, n, err)
		}
		if rec[0] >= NumClasses {
			return nil, nil, fmt.Errorf("cifar10: %s: record %d: label %d out of range [0, %d)", name, n, rec[0], NumClasses)
		}
		labels = append(labels, int32(rec[0]))
		// Planes [3][32*32] → pixels [32*32][3].
		pixels = append(pixels, make([]uint8, plane*Channels)...)
		img := pixels[len(pixels)-plane*Channels:]
		for c := range Channels {
			src := rec[1+c*plane : 1+(c+1)*plane]
			for q, v := range src {
				img[q*Channels+c] = v
			}
		}
	}
}

// Load reads the five training batches and the test batch from dir, or from
// dir/cifar-10-batches-bin when that exists, with the class names of
// batches.meta.txt.
func Load(dir string) (train, test *datasets.Images, err error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("cifar10: %s: no such directory (unpack the CIFAR-10 binary version, cifar-10-binary.tar.gz, there)", dir)
	case err != nil:
		return nil, nil, fmt.Errorf("cifar10: %v", err)
	case !st.IsDir():
		return nil, nil, fmt.Errorf("cifar10: %s: not a directory", dir)
	}
	if st, err := os.Stat(filepath.Join(dir, SubDir)); err == nil && st.IsDir() {
		dir = filepath.Join(dir, SubDir)
	}
	classes, err := readMeta(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, nil, err
	}
	if train, err = loadFiles(dir, "cifar10/train", TrainFiles[:], classes); err != nil {
		return nil, nil, err
	}
	if test, err = loadFiles(dir, "cifar10/test", []string{TestFile}, classes); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// readMeta reads the class names, one per line; blank lines are ignored.
func readMeta(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cifar10: %s: no such file (the class names of the binary version)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("cifar10: %v", err)
	}
	var classes []string
	for line := range strings.Lines(string(data)) {
		if name := strings.TrimSpace(line); name != "" {
			classes = append(classes, name)
		}
	}
	if len(classes) != NumClasses {
		return nil, fmt.Errorf("cifar10: %s: %d class names, want %d", path, len(classes), NumClasses)
	}
	return classes, nil
}

// loadFiles concatenates the records of the named batch files into one set.
func loadFiles(dir, name string, files []string, classes []string) (*datasets.Images, error) {
	set := &datasets.Images{Name: name, H: Height, W: Width, C: Channels, Classes: classes}
	for _, f := range files {
		path := filepath.Join(dir, f)
		pixels, labels, err := readFile(path)
		if err != nil {
			return nil, err
		}
		set.Pixels = append(set.Pixels, pixels...)
		set.Labels = append(set.Labels, labels...)
	}
	set.N = len(set.Labels)
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("cifar10: %v", err)
	}
	return set, nil
}

// readFile opens and reads one batch file.
func readFile(path string) ([]uint8, []int32, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("cifar10: %s: no such file", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cifar10: %v", err)
	}
	defer f.Close()
	return ReadBatch(f, path)
}
