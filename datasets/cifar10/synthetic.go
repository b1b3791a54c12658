package cifar10

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// syntheticClasses are CIFAR-10's classes in label order, as batches.meta.txt lists them.
var syntheticClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// WriteSynthetic writes a complete CIFAR-10 directory in the real binary format, with
// perFile records in each of the six batch files: images whose colour depends on the
// label (plus noise), so a model can learn them. It lets the loader, the experiments
// and the benchmarks run where the real dataset cannot be downloaded.
func WriteSynthetic(dir string, perFile int, seed uint64) error {
	if perFile < 1 {
		return fmt.Errorf("cifar10: WriteSynthetic: perFile %d must be positive", perFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	meta := strings.Join(syntheticClasses, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte(meta), 0o644); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 10))
	plane := Height * Width
	for _, name := range append(TrainFiles[:], TestFile) {
		data := make([]byte, perFile*RecordSize)
		for r := range perFile {
			rec := data[r*RecordSize : (r+1)*RecordSize]
			label := rng.IntN(NumClasses)
			rec[0] = byte(label)
			for c := range Channels {
				base := 40 + 20*((label+c*3)%10) // a class-dependent colour per channel.
				for i := range plane {
					rec[1+c*plane+i] = byte(min(255, base+rng.IntN(40)))
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
