package main

import (
	"testing"

	"github.com/mmdna/mmdna/experiments"
)

// TestCatalogHidesBenchOnly: the list offers every trainable experiment and none of
// the synthetic benchmark sizes, which still start by name.
func TestCatalogHidesBenchOnly(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range (&catalog{}).Experiments() {
		listed[e.Name] = true
	}
	benchOnly := 0
	for _, e := range experiments.All() {
		if e.BenchOnly {
			benchOnly++
		}
		if listed[e.Name] == e.BenchOnly {
			t.Errorf("%s (bench only %v): listed %v", e.Name, e.BenchOnly, listed[e.Name])
		}
	}
	if benchOnly == 0 || !listed[experiments.Default()] {
		t.Errorf("%d bench-only experiments registered, default %s listed %v: want some and true",
			benchOnly, experiments.Default(), listed[experiments.Default()])
	}
	if _, err := (&catalog{}).Params("bench-vit", []string{"smoke=true"}); err != nil {
		t.Errorf("bench-vit by name: %v", err)
	}
}
