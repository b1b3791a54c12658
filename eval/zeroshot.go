package eval

import (
	"fmt"
	"strings"
)

// ClassSlot is where a template takes the class name.
const ClassSlot = "{class}"

// PhotoTemplates are prompt templates in the style of CLIP's ImageNet prompts, for
// datasets described in words the text tower knows ("a photo of a {class}").
var PhotoTemplates = []string{
	"a photo of a {class}.",
	"a photo of the {class}.",
	"a picture of a {class}.",
	"an image of a {class}.",
	"a {class}.",
}

// Prompts fills every template with every class: class-major order, prompt
// c*len(templates)+t is template t for class c. An empty class list, an empty
// template list, an empty class name or a template without ClassSlot is an error.
func Prompts(classes, templates []string) ([]string, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("eval: zero-shot: empty class list")
	}
	if len(templates) == 0 {
		return nil, fmt.Errorf("eval: zero-shot: no prompt templates")
	}
	for t, tmpl := range templates {
		if !strings.Contains(tmpl, ClassSlot) {
			return nil, fmt.Errorf("eval: zero-shot: template %d %q has no %s slot", t, tmpl, ClassSlot)
		}
	}
	out := make([]string, 0, len(classes)*len(templates))
	for c, name := range classes {
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("eval: zero-shot: class %d has an empty name", c)
		}
		for _, tmpl := range templates {
			out = append(out, strings.ReplaceAll(tmpl, ClassSlot, name))
		}
	}
	return out, nil
}

// ClassifierWeights turns the text embeddings of the prompts (class-major, as Prompts
// orders them: [classes*templates, dim]) into one weight per class, as open_clip's
// build_zero_shot_classifier: each prompt embedding L2-normalised, averaged over the
// templates of its class, and the average renormalised. Returns [classes, dim]; the
// prompt embeddings are not modified.
func ClassifierWeights(prompts Matrix, classes int) (Matrix, error) {
	if err := prompts.Validate(); err != nil {
		return Matrix{}, err
	}
	if classes < 1 || prompts.Rows%classes != 0 || prompts.Rows == 0 {
		return Matrix{}, fmt.Errorf("eval: zero-shot: %d prompt embeddings do not divide into %d classes", prompts.Rows, classes)
	}
	per := prompts.Rows / classes
	w := Matrix{Rows: classes, Cols: prompts.Cols, Data: make([]float32, classes*prompts.Cols)}
	unit := make([]float32, prompts.Cols)
	for c := range classes {
		dst := w.Row(c)
		for t := range per {
			copy(unit, prompts.Row(c*per+t))
			normalize(unit)
			for d, v := range unit {
				dst[d] += v / float32(per)
			}
		}
		normalize(dst)
	}
	return w, nil
}

// ZeroShotClassifier builds the class weights [classes, dim] from class names and
// templates, embedding the prompts with encode (which returns one row per text).
func ZeroShotClassifier(classes, templates []string, encode func(texts []string) (Matrix, error)) (Matrix, error) {
	prompts, err := Prompts(classes, templates)
	if err != nil {
		return Matrix{}, err
	}
	emb, err := encode(prompts)
	if err != nil {
		return Matrix{}, err
	}
	if emb.Rows != len(prompts) {
		return Matrix{}, fmt.Errorf("eval: zero-shot: encoder returned %d embeddings for %d prompts", emb.Rows, len(prompts))
	}
	return ClassifierWeights(emb, len(classes))
}
