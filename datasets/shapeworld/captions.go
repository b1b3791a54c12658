package shapeworld

import "strings"

// NumCaptions is the number of captions of every scene.
const NumCaptions = 6

// FullCaptionSlots are the caption slots (indices into Scene.Captions) that name
// every object of a scene by its colour and shape: the count-and-list caption ("two
// shapes: a red circle and a blue star") and every object with its place. The other
// slots name the main object, or it and one more.
var FullCaptionSlots = []int{2, 4}

// withArticle puts "a" or "an" before a phrase.
func withArticle(phrase string) string {
	if phrase != "" && strings.IndexByte("aeiou", phrase[0]) >= 0 {
		return "an " + phrase
	}
	return "a " + phrase
}

// describe returns "[size] colour shape" with its article.
func describe(o Object, size bool) string {
	if size {
		return withArticle(o.SizeWord() + " " + o.Name())
	}
	return withArticle(o.Name())
}

// listPhrases joins phrases as "x", "x and y", "x, y and z".
func listPhrases(p []string) string {
	if len(p) == 1 {
		return p[0]
	}
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// relationPhrase says how a lies relative to b, from their real centres.
func relationPhrase(a, b Object) string {
	if Overlapping(a, b) {
		return "overlapping"
	}
	return relationPhrases[DominantRelation(a, b)]
}

// pick returns one of the variants, chosen by the scene's generator.
func (g *generator) pick(variants ...string) string {
	return variants[g.rng.IntN(len(variants))]
}

// captions writes NumCaptions captions, one per slot; each slot has a few templates.
// Every caption names the main object objs[0] by its colour and shape.
func (g *generator) captions(objs []Object) []string {
	m := objs[0]
	pos := positionPhrases[m.Cell()]
	caps := make([]string, 0, NumCaptions)
	// 1. The main object and where it is.
	caps = append(caps, g.pick(
		describe(m, false)+" "+pos,
		"there is "+describe(m, false)+" "+pos,
		describe(m, false)+" placed "+pos))
	if len(objs) == 1 {
		caps = append(caps,
			// 2. Size.
			g.pick(describe(m, true), "a picture of "+describe(m, true), describe(m, true)+" on a dark background"),
			// 3. Count.
			g.pick("one shape: "+describe(m, false), "a single "+m.Name(), "only one object, "+describe(m, false)),
			// 4. Colour stated apart from the shape.
			g.pick("the "+m.Shape.String()+" is "+m.Colour.String(), withArticle(m.Shape.String())+" colored "+m.Colour.String(),
				describe(m, false)+" and nothing else"),
			// 5. Size and place.
			g.pick("the "+m.Name()+" is "+pos, describe(m, true)+" "+pos),
			// 6. Bare noun phrase, the zero-shot prompt style.
			m.Name())
		return caps
	}
	b := objs[1]
	all := make([]string, len(objs))
	allPos := make([]string, len(objs))
	bare := make([]string, len(objs))
	for i, o := range objs {
		all[i] = describe(o, false)
		allPos[i] = describe(o, false) + " " + positionPhrases[o.Cell()]
		bare[i] = o.Name()
	}
	sized := g.rng.IntN(2) == 0
	count := countWords[len(objs)]
	caps = append(caps,
		// 2. The main object relative to the second, sizes sometimes.
		describe(m, sized)+" "+relationPhrase(m, b)+" "+describe(b, sized),
		// 3. Count and list.
		g.pick(count+" shapes: "+listPhrases(all), count+" objects: "+listPhrases(all), "an image with "+listPhrases(all)),
		// 4. The same relation seen from the second object.
		g.pick(describe(b, false)+" "+relationPhrase(b, m)+" "+describe(m, false),
			"the "+b.Name()+" is "+relationPhrase(b, m)+" the "+m.Name()),
		// 5. Every object with its place.
		listPhrases(allPos),
		// 6. Bare noun phrases.
		listPhrases(bare))
	return caps
}
