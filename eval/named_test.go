package eval

import (
	"slices"
	"testing"
)

func TestNamedPhrases(t *testing.T) {
	cases := []struct {
		caption string
		phrases []string
		want    []bool
	}{
		{"three shapes: a red circle, a red circle and a blue star", []string{"red circle", "red circle", "blue star"}, []bool{true, true, true}},
		{"A RED circle.", []string{"red circle", "red circle"}, []bool{true, false}},
		{"circle red", []string{"red circle"}, []bool{false}},
		{"", []string{"red circle"}, []bool{false}},
		{"a red circle", []string{"", "red"}, []bool{false, true}},
	}
	for _, c := range cases {
		if got := NamedPhrases(c.caption, c.phrases); !slices.Equal(got, c.want) {
			t.Errorf("NamedPhrases(%q, %q) = %v, want %v", c.caption, c.phrases, got, c.want)
		}
	}
}
