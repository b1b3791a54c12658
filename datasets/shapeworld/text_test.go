package shapeworld

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func colourWord(w string) (Colour, bool) {
	i := slices.Index(ColourNames[:], w)
	return Colour(i), i >= 0
}

func shapeWord(w string) (Shape, bool) {
	i := slices.Index(ShapeNames[:], w)
	return Shape(i), i >= 0
}

// find returns the object of a scene with the given colour and shape.
func find(objs []Object, c Colour, s Shape) (Object, bool) {
	for _, o := range objs {
		if o.Colour == c && o.Shape == s {
			return o, true
		}
	}
	return Object{}, false
}

// resolve finds the object named by "star" (the only star) or "red star".
func resolve(objs []Object, name string) (Object, error) {
	f := strings.Fields(name)
	var match []Object
	for _, o := range objs {
		if (len(f) == 1 && o.Shape.String() == f[0]) || (len(f) == 2 && o.Name() == name) {
			match = append(match, o)
		}
	}
	if len(match) != 1 {
		return Object{}, fmt.Errorf("%q names %d objects", name, len(match))
	}
	return match[0], nil
}

var (
	posAlt    = strings.Join(positionPhrases[:], "|")
	relAlt    = "overlapping|next to|to the left of|to the right of|above|below"
	placedRe  = regexp.MustCompile(`^(?:there is )?(?:an? |the )(?:(small|large) )?(\w+) (\w+) (?:is |placed )?(` + posAlt + `)$`)
	relCapRe  = regexp.MustCompile(`^(?:an? |the )(?:(small|large) )?(\w+) (\w+) (?:is )?(` + relAlt + `) (?:an? |the )(?:(small|large) )?(\w+) (\w+)$`)
	countRe   = regexp.MustCompile(`\b(one|two|three) (?:shapes|objects|shape)\b`)
	howManyRe = regexp.MustCompile(`^how many (\w+) are there\?$`)
	isThereRe = regexp.MustCompile(`^is there an? (\w+) (\w+)\?$`)
	colourQRe = regexp.MustCompile(`^what colour is the (\w+)\?$`)
	shapeQRe  = regexp.MustCompile(`^what shape is the (\w+) object\?$`)
	whereRe   = regexp.MustCompile(`^where is the ([\w ]+)\?$`)
	sizeQRe   = regexp.MustCompile(`^is the ([\w ]+) small or large\?$`)
	relQRe    = regexp.MustCompile(`^is the ([\w ]+) (left of|right of|above|below) the ([\w ]+)\?$`)
)

// checkCaption parses a caption back and checks it against the scene's objects.
func checkCaption(objs []Object, caption string) error {
	words := strings.Fields(strings.NewReplacer(",", " ", ":", " ").Replace(caption))
	for i, w := range words {
		if c, ok := colourWord(w); ok {
			var s Shape
			var okS bool
			switch {
			case i+1 < len(words):
				s, okS = shapeWord(words[i+1])
			}
			if !okS && i >= 2 && (words[i-1] == "colored" || words[i-1] == "is") {
				s, okS = shapeWord(words[i-2])
			}
			if !okS {
				return fmt.Errorf("colour %q names no shape", w)
			}
			o, found := find(objs, c, s)
			if !found {
				return fmt.Errorf("%s %s is not in the scene", c, s)
			}
			if i > 0 && (words[i-1] == "small" || words[i-1] == "large") && words[i-1] != o.SizeWord() {
				return fmt.Errorf("%s %s is %s, the caption says %s", c, s, o.SizeWord(), words[i-1])
			}
		}
		if s, ok := shapeWord(w); ok && !slices.ContainsFunc(objs, func(o Object) bool { return o.Shape == s }) {
			return fmt.Errorf("no %s in the scene", s)
		}
	}
	m := objs[0]
	if !strings.Contains(caption, m.Name()) && !strings.Contains(caption, m.Shape.String()+" colored "+m.Colour.String()) &&
		!strings.Contains(caption, "the "+m.Shape.String()+" is "+m.Colour.String()) {
		return fmt.Errorf("the main object %s is not named", m.Name())
	}
	for _, c := range countRe.FindAllStringSubmatch(caption, -1) {
		if c[1] != countWords[len(objs)] {
			return fmt.Errorf("count %q, the scene has %d objects", c[0], len(objs))
		}
	}
	if strings.Contains(caption, "single") || strings.Contains(caption, "only one") || strings.Contains(caption, "nothing else") {
		if len(objs) != 1 {
			return fmt.Errorf("says one object, the scene has %d", len(objs))
		}
	}
	if r := relCapRe.FindStringSubmatch(caption); r != nil {
		a, errA := resolve(objs, r[2]+" "+r[3])
		b, errB := resolve(objs, r[6]+" "+r[7])
		if errA != nil || errB != nil {
			return fmt.Errorf("relation between unknown objects: %v %v", errA, errB)
		}
		if got := relationPhrase(a, b); got != r[4] {
			return fmt.Errorf("relation %q, the centres say %q", r[4], got)
		}
	}
	for _, part := range regexp.MustCompile(`, | and `).Split(caption, -1) {
		if p := placedRe.FindStringSubmatch(part); p != nil {
			o, err := resolve(objs, p[2]+" "+p[3])
			if err != nil {
				return err
			}
			if want := positionPhrases[o.Cell()]; p[4] != want {
				return fmt.Errorf("%s %s, its cell says %s", o.Name(), p[4], want)
			}
		}
	}
	return nil
}

// answer recomputes the answer to a question from the objects.
func answer(objs []Object, q QA) (string, error) {
	yesNo := map[bool]string{true: "yes", false: "no"}
	switch q.Kind {
	case CountQ:
		if q.Question != "how many shapes are there?" {
			return "", fmt.Errorf("unexpected count question")
		}
		return countWords[len(objs)], nil
	case CountOfQ:
		m := howManyRe.FindStringSubmatch(q.Question)
		for s := range Shape(NumShapes) {
			if m != nil && s.Plural() == m[1] {
				k := 0
				for _, o := range objs {
					if o.Shape == s {
						k++
					}
				}
				return countWords[k], nil
			}
		}
	case PresenceQ:
		if m := isThereRe.FindStringSubmatch(q.Question); m != nil {
			c, okC := colourWord(m[1])
			s, okS := shapeWord(m[2])
			if okC && okS {
				_, found := find(objs, c, s)
				return yesNo[found], nil
			}
		}
	case ColourQ:
		if m := colourQRe.FindStringSubmatch(q.Question); m != nil {
			o, err := resolve(objs, m[1])
			return o.Colour.String(), err
		}
	case ShapeQ:
		if m := shapeQRe.FindStringSubmatch(q.Question); m != nil {
			var match []Object
			for _, o := range objs {
				if o.Colour.String() == m[1] {
					match = append(match, o)
				}
			}
			if len(match) == 1 {
				return match[0].Shape.String(), nil
			}
		}
	case PositionQ:
		if m := whereRe.FindStringSubmatch(q.Question); m != nil {
			o, err := resolve(objs, m[1])
			return PositionNames[o.Cell()], err
		}
	case SizeQ:
		if m := sizeQRe.FindStringSubmatch(q.Question); m != nil {
			o, err := resolve(objs, m[1])
			return o.SizeWord(), err
		}
	case RelationQ:
		if m := relQRe.FindStringSubmatch(q.Question); m != nil {
			a, errA := resolve(objs, m[1])
			b, errB := resolve(objs, m[3])
			if errA != nil || errB != nil {
				return "", fmt.Errorf("%v %v", errA, errB)
			}
			r := Relation(slices.Index(relationWords[:], m[2]))
			return yesNo[r.Holds(a, b)], nil
		}
	}
	return "", fmt.Errorf("cannot parse")
}

func TestCaptionsAgreeWithObjects(t *testing.T) {
	w := generate(t, smallConfig())
	for _, s := range splits(w) {
		for i, sc := range s.Scenes {
			if len(sc.Captions) != NumCaptions {
				t.Fatalf("%s[%d]: %d captions", s.Name, i, len(sc.Captions))
			}
			for _, c := range sc.Captions {
				if err := checkCaption(sc.Objects, c); err != nil {
					t.Fatalf("%s[%d] %q: %v", s.Name, i, c, err)
				}
			}
		}
	}
}

func TestCheckCaptionCatchesLies(t *testing.T) {
	objs := []Object{
		{Shape: Circle, Colour: Red, X: 0.17, Y: 0.5, R: smallRadius},
		{Shape: Star, Colour: Blue, Large: true, X: 0.83, Y: 0.5, R: largeRadius},
	}
	for _, lie := range []string{
		"a red star on the left",                        // no red star
		"a red circle on the right",                     // wrong place
		"a red circle to the right of a blue star",      // wrong relation
		"three shapes: a red circle and a blue star",    // wrong count
		"a large red circle to the left of a blue star", // wrong size
		"a blue star", // main object missing
	} {
		if checkCaption(objs, lie) == nil {
			t.Errorf("checkCaption accepts %q", lie)
		}
	}
	if err := checkCaption(objs, "a small red circle to the left of a large blue star"); err != nil {
		t.Errorf("checkCaption rejects a true caption: %v", err)
	}
}

func TestQAAgreeWithObjects(t *testing.T) {
	w := generate(t, smallConfig())
	var yes, no int
	kinds := map[QAKind]int{}
	for _, s := range splits(w) {
		for i, sc := range s.Scenes {
			for _, q := range sc.QA {
				got, err := answer(sc.Objects, q)
				if err != nil || got != q.Answer {
					t.Fatalf("%s[%d] %q -> %q; recomputed %q (%v); objects %+v", s.Name, i, q.Question, q.Answer, got, err, sc.Objects)
				}
				if q.AnswerID < 0 || Answers[q.AnswerID] != q.Answer || AnswerID(q.Answer) != q.AnswerID {
					t.Fatalf("answer %q has id %d", q.Answer, q.AnswerID)
				}
				yes += map[bool]int{true: 1}[q.Answer == "yes"]
				no += map[bool]int{true: 1}[q.Answer == "no"]
				kinds[q.Kind]++
			}
		}
	}
	if yes != no || yes == 0 {
		t.Errorf("%d yes and %d no answers, want balanced", yes, no)
	}
	if len(kinds) != NumQAKinds {
		t.Errorf("question kinds %v, want all %d", kinds, NumQAKinds)
	}
	if AnswerID("maybe") != -1 {
		t.Error("AnswerID of an unknown answer")
	}
	if len(Answers) != 2+4+NumColours+NumShapes+9+2 {
		t.Errorf("%d answers", len(Answers))
	}
}

// TestFullCaptionsNameEveryObject: the captions of FullCaptionSlots name every object
// of their scene as "colour shape" (each mention one object), and the other slots do
// not in some scenes with two or three objects (else the choice would not matter).
func TestFullCaptionsNameEveryObject(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Train, cfg.Val, cfg.Test = 300, 0, 0
	w, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := func(caption string, objs []Object) bool {
		for _, o := range objs {
			if strings.Count(caption, o.Name()) < countClass(objs, o.Class()) {
				return false
			}
		}
		return true
	}
	partial := 0
	for i, sc := range w.Train.Scenes {
		for slot, c := range sc.Captions {
			full := names(c, sc.Objects)
			if slices.Contains(FullCaptionSlots, slot) && !full {
				t.Errorf("scene %d, slot %d: %q does not name every object of %v", i, slot, c, sc.Objects)
			}
			if !slices.Contains(FullCaptionSlots, slot) && !full {
				partial++
			}
		}
	}
	if partial == 0 {
		t.Errorf("every caption of every slot names every object: FullCaptionSlots selects nothing")
	}
}

// countClass counts the objects of class c.
func countClass(objs []Object, c int) int {
	n := 0
	for _, o := range objs {
		if o.Class() == c {
			n++
		}
	}
	return n
}

// TestRelationNames checks that every word of a relation phrase or question is in
// RelationNames or is grammar ("to", "the", "of"), and that each name is used.
func TestRelationNames(t *testing.T) {
	grammar := map[string]bool{"to": true, "the": true, "of": true}
	used := map[string]bool{}
	phrases := append(append([]string{"overlapping"}, relationPhrases[:]...), relationWords[1:]...)
	for _, p := range phrases {
		for _, w := range strings.Fields(p) {
			switch {
			case slices.Contains(RelationNames[:], w):
				used[w] = true
			case !grammar[w]:
				t.Errorf("relation phrase %q: word %q is neither in RelationNames nor grammar", p, w)
			}
		}
	}
	for _, w := range RelationNames {
		if !used[w] {
			t.Errorf("RelationNames holds %q, which no relation phrase uses", w)
		}
	}
}
