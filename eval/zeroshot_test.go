package eval

import (
	"math"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestClassifierWeightsHandComputed: class 0 has prompt embeddings (3,4) and (0,2),
// normalised to (0.6,0.8) and (0,1), averaged to (0.3,0.9), renormalised to
// (0.316228, 0.948683); averaging before normalising would give (0.447214, 0.894427).
// Class 1: (1,0) and (0,-1) average to (0.5,-0.5), renormalised (0.707107,-0.707107).
func TestClassifierWeightsHandComputed(t *testing.T) {
	prompts, err := NewMatrix(4, 2, []float32{3, 4, 0, 2, 1, 0, 0, -1})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ClassifierWeights(prompts, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.316228, 0.948683, 0.707107, -0.707107}
	for i, v := range w.Data {
		if !near(float64(v), want[i], 1e-5) {
			t.Fatalf("weights = %v, want %v", w.Data, want)
		}
	}
	if prompts.Data[0] != 3 {
		t.Error("ClassifierWeights modified its input")
	}
	if _, err := ClassifierWeights(prompts, 3); err == nil {
		t.Error("4 prompt embeddings split into 3 classes: no error")
	}
}

// TestZeroShotClassifier checks the prompt order (class-major) through a fake encoder
// that maps each prompt to a hand-made vector.
func TestZeroShotClassifier(t *testing.T) {
	vec := map[string][]float32{
		"a cat": {1, 0}, "the cat": {0, 1}, // class cat: (0.707, 0.707)
		"a dog": {-2, 0}, "the dog": {-1, 0}, // class dog: (-1, 0)
	}
	encode := func(texts []string) (Matrix, error) {
		var data []float32
		for _, s := range texts {
			v, ok := vec[s]
			if !ok {
				t.Fatalf("unexpected prompt %q", s)
			}
			data = append(data, v...)
		}
		return NewMatrix(len(texts), 2, data)
	}
	w, err := ZeroShotClassifier([]string{"cat", "dog"}, []string{"a {class}", "the {class}"}, encode)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{math.Sqrt2 / 2, math.Sqrt2 / 2, -1, 0}
	for i, v := range w.Data {
		if !near(float64(v), want[i], 1e-5) {
			t.Fatalf("weights = %v, want %v", w.Data, want)
		}
	}
	images, _ := NewMatrix(3, 2, []float32{0.6, 0.8, -1, 0, 0, -1})
	scores, err := Similarity(images, w)
	if err != nil {
		t.Fatal(err)
	}
	if got := Predict(scores, nil); got[0] != 0 || got[1] != 1 || got[2] != 1 {
		t.Errorf("predictions %v, want [0 1 1]", got)
	}
}

// TestPromptErrors: an empty class list, a template without {class}, no templates or an
// empty class name are one-line errors.
func TestPromptErrors(t *testing.T) {
	for _, tc := range []struct {
		name               string
		classes, templates []string
		want               string
	}{
		{"no classes", nil, []string{"a {class}"}, "empty class list"},
		{"empty classes", []string{}, []string{"a {class}"}, "empty class list"},
		{"no slot", []string{"cat"}, []string{"a {class}", "a photo"}, `template 1 "a photo" has no {class} slot`},
		{"misspelt slot", []string{"cat"}, []string{"a {klass}"}, "has no {class} slot"},
		{"no templates", []string{"cat"}, nil, "no prompt templates"},
		{"blank class", []string{"cat", " "}, []string{"{class}"}, "class 1 has an empty name"},
	} {
		_, err := Prompts(tc.classes, tc.templates)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.name, err, tc.want)
		}
		_, err = ZeroShotClassifier(tc.classes, tc.templates, func([]string) (Matrix, error) {
			t.Fatalf("%s: encoder called despite bad input", tc.name)
			return Matrix{}, nil
		})
		if err == nil {
			t.Errorf("%s: ZeroShotClassifier accepted it", tc.name)
		}
	}
	got, err := Prompts([]string{"red star", "cat"}, []string{"{class}", "a {class} and a {class}"})
	if err != nil || strings.Join(got, "|") != "red star|a red star and a red star|cat|a cat and a cat" {
		t.Errorf("Prompts = %q, %v", got, err)
	}
}

// FuzzPrompts: Prompts never panics, fails exactly on a blank class or a template
// without the slot, and otherwise puts the class name into the prompt.
func FuzzPrompts(f *testing.F) {
	f.Add("red star", "a {class}")
	f.Add("", "{class}{class}")
	f.Add("cat", "no slot")
	f.Fuzz(func(t *testing.T, class, template string) {
		got, err := Prompts([]string{class}, []string{template})
		valid := strings.TrimSpace(class) != "" && strings.Contains(template, ClassSlot)
		if (err == nil) != valid {
			t.Fatalf("Prompts(%q, %q): error %v, valid input %v", class, template, err, valid)
		}
		if err == nil && (len(got) != 1 || !strings.Contains(got[0], class)) {
			t.Fatalf("Prompts(%q, %q) = %q", class, template, got)
		}
	})
}
