package shapeworld

import "testing"

// TestRelationQuestionsAreXOR: a relation question's answer is decided by the two named
// objects' places (their grid cells agree with it in 99% or more of the questions),
// while the relation word alone says nothing (each word's yes share is a half: the
// questions come as one yes and one no about the same pair). Nothing of first order
// points to the answer, word or image alone: a model must combine them, which is why
// relation is the type VQA models here stay at chance on (docs/results/vqa.md).
func TestRelationQuestionsAreXOR(t *testing.T) {
	w := generate(t, smallConfig())
	n, agree := 0, 0
	yes, asked := map[string]int{}, map[string]int{}
	for _, sc := range w.Train.Scenes {
		for _, qa := range sc.QA {
			if qa.Kind != RelationQ {
				continue
			}
			m := relQRe.FindStringSubmatch(qa.Question)
			if m == nil {
				t.Fatalf("relation question %q: not of the form 'is the A REL the B?'", qa.Question)
			}
			a, errA := resolve(sc.Objects, m[1])
			b, errB := resolve(sc.Objects, m[3])
			if errA != nil || errB != nil {
				t.Fatalf("%q: %v %v", qa.Question, errA, errB)
			}
			ca, cb := a.Cell(), b.Cell()
			cells := map[string]bool{"left of": ca%3 < cb%3, "right of": ca%3 > cb%3, "above": ca/3 < cb/3, "below": ca/3 > cb/3}[m[2]]
			n++
			if cells == (qa.Answer == "yes") {
				agree++
			}
			asked[m[2]]++
			if qa.Answer == "yes" {
				yes[m[2]]++
			}
		}
	}
	if n < 200 {
		t.Fatalf("%d relation questions; want at least 200", n)
	}
	if float64(agree) < 0.99*float64(n) {
		t.Errorf("the cells of the two objects agree with %d of %d relation answers; want 99%%", agree, n)
	}
	for word, k := range asked {
		if share := float64(yes[word]) / float64(k); share < 0.4 || share > 0.6 {
			t.Errorf("%q: yes in %d of %d questions (%.2f); want about half", word, yes[word], k, share)
		}
	}
}
