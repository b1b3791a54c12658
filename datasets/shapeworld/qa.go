package shapeworld

// QAKind is the type of a question.
type QAKind int

// Question types.
const (
	CountQ     QAKind = iota // how many shapes
	CountOfQ                 // how many circles
	PresenceQ                // is there a red star (yes/no, one of each per scene)
	ColourQ                  // what colour is the star
	ShapeQ                   // what shape is the red object
	PositionQ                // where is the circle
	SizeQ                    // is the circle small or large
	RelationQ                // is the circle left of the star (yes/no, one of each)
	NumQAKinds int    = iota
)

// QAKindNames name the question types, indexed by QAKind.
var QAKindNames = [NumQAKinds]string{"count", "count_of", "presence", "colour", "shape", "position", "size", "relation"}

// QA is a question about a scene with its answer from the closed vocabulary Answers.
type QA struct {
	Question string
	Answer   string
	AnswerID int32 // index of Answer in Answers
	Kind     QAKind
	// Holding, in a RelationQ, tells which relations hold from the question's first
	// object to its second, Holding[r-LeftOf] for r in LeftOf..Below: the image's side
	// of the question, which the relation word then picks from (the answer is yes when
	// the asked relation holds). It is the first-order target of an auxiliary loss
	// (vilt.RelationLoss); all false in the other types.
	Holding [NumDirections]bool
	// Cells are the grid cells (Object.Cell, indices of PositionNames) of the objects
	// the question names, in the order it names them, each by a shape word or by
	// "object" (NounWords): one in position, size, colour and shape questions, two in
	// relation questions, none in the others (a count or presence question names a
	// kind, not an object). The target of a grounding loss (vilt.GroundLogits).
	Cells []int
}

// NounWords are the words by which questions name objects: the shapes and "object"
// ("what shape is the red object?"). The k-th of them in a question names the
// object of QA.Cells[k].
var NounWords = append(ShapeNames[:len(ShapeNames):len(ShapeNames)], "object")

// NumDirections is the number of relations LeftOf..Below that relation questions ask.
const NumDirections = int(Below - LeftOf + 1)

// Answers is the closed answer vocabulary, for VQA as classification over its indices.
var Answers = func() []string {
	a := []string{"yes", "no"}
	a = append(a, countWords[:]...)
	a = append(a, ColourNames[:]...)
	a = append(a, ShapeNames[:]...)
	a = append(a, PositionNames[:]...)
	return append(a, "small", "large")
}()

var answerIDs = func() map[string]int32 {
	m := make(map[string]int32, len(Answers))
	for i, a := range Answers {
		m[a] = int32(i)
	}
	return m
}()

// AnswerID returns the index of an answer in Answers, or -1.
func AnswerID(answer string) int32 {
	if id, ok := answerIDs[answer]; ok {
		return id
	}
	return -1
}

func qa(kind QAKind, question, answer string) QA {
	return QA{Question: question, Answer: answer, AnswerID: answerIDs[answer], Kind: kind}
}

// named records the cells of the objects a question names, in order.
func named(q QA, objs ...Object) QA {
	for _, o := range objs {
		q.Cells = append(q.Cells, o.Cell())
	}
	return q
}

// ref names an object unambiguously in its scene: "the star" when no other object is a
// star, else "the red star" (colour-shape pairs are unique in a scene).
func ref(o Object, objs []Object) string {
	for _, p := range objs {
		if p.Shape == o.Shape && p.Colour != o.Colour {
			return "the " + o.Name()
		}
	}
	return "the " + o.Shape.String()
}

// closeColour pairs each colour with the one it is most easily taken for, for hard
// negative questions.
var closeColour = [NumColours]Colour{Orange, Red, Orange, Cyan, Green, Purple, Blue, Yellow}

// questions writes the question-answer pairs of a scene; presence and relation
// questions come as one yes and one no, so yes/no answers are balanced.
func (g *generator) questions(objs []Object) []QA {
	n := len(objs)
	out := make([]QA, 0, 10)
	out = append(out, qa(CountQ, "how many shapes are there?", countWords[n]))

	s := objs[g.rng.IntN(n)].Shape
	if g.rng.IntN(2) == 0 {
		s = Shape(g.rng.IntN(NumShapes))
	}
	k := 0
	for _, o := range objs {
		if o.Shape == s {
			k++
		}
	}
	out = append(out, qa(CountOfQ, "how many "+s.Plural()+" are there?", countWords[k]))

	yes := objs[g.rng.IntN(n)]
	no := g.absentPair(objs, yes)
	pres := []QA{
		qa(PresenceQ, "is there "+describe(yes, false)+"?", "yes"),
		qa(PresenceQ, "is there "+withArticle(no.Name())+"?", "no"),
	}
	g.rng.Shuffle(2, func(i, j int) { pres[i], pres[j] = pres[j], pres[i] })
	out = append(out, pres...)

	// Colour of an object whose shape alone names it, shape of one whose colour does.
	var byShape, byColour []Object
	for _, o := range objs {
		us, uc := true, true
		for _, p := range objs {
			if p.Class() != o.Class() {
				us = us && p.Shape != o.Shape
				uc = uc && p.Colour != o.Colour
			}
		}
		if us {
			byShape = append(byShape, o)
		}
		if uc {
			byColour = append(byColour, o)
		}
	}
	if len(byShape) > 0 {
		o := byShape[g.rng.IntN(len(byShape))]
		out = append(out, named(qa(ColourQ, "what colour is the "+o.Shape.String()+"?", o.Colour.String()), o))
	}
	if len(byColour) > 0 {
		o := byColour[g.rng.IntN(len(byColour))]
		out = append(out, named(qa(ShapeQ, "what shape is the "+o.Colour.String()+" object?", o.Shape.String()), o))
	}

	o := objs[g.rng.IntN(n)]
	out = append(out, named(qa(PositionQ, "where is "+ref(o, objs)+"?", PositionNames[o.Cell()]), o))
	o = objs[g.rng.IntN(n)]
	out = append(out, named(qa(SizeQ, "is "+ref(o, objs)+" small or large?", o.SizeWord()), o))

	if n >= 2 {
		i := g.rng.IntN(n)
		j := (i + 1 + g.rng.IntN(n-1)) % n
		a, b := objs[i], objs[j]
		var holding []Relation
		var holds [NumDirections]bool
		for r := LeftOf; r <= Below; r++ {
			if r.Holds(a, b) {
				holding = append(holding, r)
				holds[r-LeftOf] = true
			}
		}
		if len(holding) > 0 {
			r := holding[g.rng.IntN(len(holding))]
			rel := []QA{
				named(qa(RelationQ, "is "+ref(a, objs)+" "+relationWords[r]+" "+ref(b, objs)+"?", "yes"), a, b),
				named(qa(RelationQ, "is "+ref(a, objs)+" "+relationWords[r.opposite()]+" "+ref(b, objs)+"?", "no"), a, b),
			}
			rel[0].Holding, rel[1].Holding = holds, holds
			g.rng.Shuffle(2, func(i, j int) { rel[i], rel[j] = rel[j], rel[i] })
			out = append(out, rel...)
		}
	}
	return out
}

// absentPair returns a colour-shape pair that is not in the scene and is allowed in this
// split (so train questions never name a held-out pair). Most are hard negatives: the
// shape of a present object in a close colour, or its colour on another shape.
func (g *generator) absentPair(objs []Object, like Object) Object {
	for try := 0; ; try++ {
		var c Colour
		var s Shape
		switch v := g.rng.IntN(3); {
		case try > 20 || v == 0:
			c, s = ClassOf(g.allowed[g.rng.IntN(len(g.allowed))])
		case v == 1:
			c, s = closeColour[like.Colour], like.Shape
		default:
			c, s = like.Colour, Shape(g.rng.IntN(NumShapes))
		}
		class := Class(c, s)
		ok := !g.train || !g.heldOut[class]
		for _, o := range objs {
			ok = ok && o.Class() != class
		}
		if ok {
			return Object{Colour: c, Shape: s}
		}
	}
}
