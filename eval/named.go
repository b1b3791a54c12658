package eval

import "strings"

// NamedPhrases says which of phrases a caption names: both are tokenised with
// CaptionTokens and a phrase is named where its words occur consecutively in the
// caption. Each occurrence names one phrase, in order, so two objects both called
// "red circle" need two mentions. Captioning's object recall counts with it (the
// phrases are the objects' "colour shape" names).
func NamedPhrases(caption string, phrases []string) []bool {
	words := CaptionTokens(caption)
	mentions := map[string]int{}
	out := make([]bool, len(phrases))
	for i, p := range phrases {
		key := strings.Join(CaptionTokens(p), " ")
		n := len(strings.Fields(key))
		if n == 0 {
			continue
		}
		if _, counted := mentions[key]; !counted {
			for j := 0; j+n <= len(words); j++ {
				if strings.Join(words[j:j+n], " ") == key {
					mentions[key]++
				}
			}
		}
		if mentions[key] > 0 {
			mentions[key]--
			out[i] = true
		}
	}
	return out
}
