// Package fmnist loads Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 70,000
// grey 28×28 images of clothing in 10 classes, 60,000 for training and 10,000
// for test, stored as IDX files (the MNIST format), gzip-compressed or not.
//
// The Debian package dataset-fashion-mnist installs them in DefaultDir
// (`make data`). Load returns them as datasets.Images with C = 1.
package fmnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mmdna/mmdna/datasets"
)

// DefaultDir is where the Debian package dataset-fashion-mnist installs the files.
const DefaultDir = "/usr/share/datasets/fashion-mnist"

// Image size and class count of Fashion-MNIST.
const (
	Height     = 28
	Width      = 28
	NumClasses = 10
)

// Mean and Std are the mean and (population) standard deviation of pixel/255
// over all 60,000 × 784 pixels of the training set, computed once in two float64
// passes from the files in DefaultDir; TestMeanStdFromRealData recomputes them.
// Use them as ImageBatcher{Mean: []float32{Mean}, Std: []float32{Std}}.
const (
	Mean = 0.2860405969804586
	Std  = 0.3530242445535156
)

// Classes are the class names, indexed by label (an array, so callers get a copy).
var Classes = [NumClasses]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// File base names; each is looked up with ".gz" first, then without.
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

// Load reads the train and test splits from dir (DefaultDir for the Debian
// package). It checks that each image file holds 28×28 images, that each
// labels file has one label below 10 per image.
func Load(dir string) (train, test *datasets.Images, err error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("fmnist: %s: no such directory (install with: make data)", dir)
	case err != nil:
		return nil, nil, fmt.Errorf("fmnist: %v", err)
	case !st.IsDir():
		return nil, nil, fmt.Errorf("fmnist: %s: not a directory", dir)
	}
	if train, err = loadSplit(dir, "fashion-mnist/train", TrainImages, TrainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = loadSplit(dir, "fashion-mnist/test", TestImages, TestLabels); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadSplit reads one images file and its labels file into a validated set.
func loadSplit(dir, name, imagesBase, labelsBase string) (*datasets.Images, error) {
	imgDims, pixels, imgPath, err := readFile(dir, imagesBase)
	if err != nil {
		return nil, err
	}
	if len(imgDims) != 3 {
		return nil, fmt.Errorf("fmnist: %s: %d dimensions, want 3 (an images file)", imgPath, len(imgDims))
	}
	if imgDims[1] != Height || imgDims[2] != Width {
		return nil, fmt.Errorf("fmnist: %s: images are %dx%d, want %dx%d", imgPath, imgDims[1], imgDims[2], Height, Width)
	}
	labDims, labels, labPath, err := readFile(dir, labelsBase)
	if err != nil {
		return nil, err
	}
	if len(labDims) != 1 {
		return nil, fmt.Errorf("fmnist: %s: %d dimensions, want 1 (a labels file)", labPath, len(labDims))
	}
	if labDims[0] != imgDims[0] {
		return nil, fmt.Errorf("fmnist: %s: %d labels for the %d images of %s", labPath, labDims[0], imgDims[0], imgPath)
	}
	classes := Classes // a copy, so that editing one set's names changes nothing else
	set := &datasets.Images{Name: name, Pixels: pixels, Labels: make([]int32, len(labels)),
		N: imgDims[0], H: Height, W: Width, C: 1, Classes: classes[:]}
	for i, l := range labels {
		if l >= NumClasses {
			return nil, fmt.Errorf("fmnist: %s: label %d of image %d out of range [0, %d)", labPath, l, i, NumClasses)
		}
		set.Labels[i] = int32(l)
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("fmnist: %s: %v", imgPath, err)
	}
	return set, nil
}

// readFile reads dir/base.gz, or dir/base when there is no .gz, and returns the
// path it read.
func readFile(dir, base string) (dims []int, data []uint8, path string, err error) {
	path = filepath.Join(dir, base+".gz")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		path = filepath.Join(dir, base)
		f, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, "", fmt.Errorf("fmnist: %s(.gz): no such file (install with: make data)", path)
		}
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("fmnist: %v", err)
	}
	defer f.Close()
	dims, data, err = ReadIDX(f, path)
	return dims, data, path, err
}
