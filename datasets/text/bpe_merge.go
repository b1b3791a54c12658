package text

// mergePiece returns the tokens of one piece: its bytes as byte-level symbols, the last
// with "</w>", merged by rank.
//
// OpenAI's bpe() repeatedly takes the lowest-ranked adjacent pair and merges all its
// occurrences left to right. Here a heap of candidate pairs ordered by (rank, position)
// does the same in O(n log n) instead of O(n²): the loaders check that every merge is
// made of base symbols or of the results of earlier merges, so a merge never creates a
// pair ranked below the one being merged, and the pops come in the same order as the
// reference's rounds. (An overly long piece, a 100 kB word, stays fast.)
func (t *BPE) mergePiece(piece string) []int32 {
	n := len(piece)
	// syms is a doubly linked list over the piece's symbols; a merged-away symbol gets
	// id -1. The heap refers to symbols by their index, which never changes.
	syms := make([]symbol, n)
	for i := 0; i < n; i++ {
		id := t.byteID[piece[i]]
		if i == n-1 {
			id = t.byteEndID[piece[i]]
		}
		syms[i] = symbol{id: id, prev: int32(i - 1), next: int32(i + 1)}
	}
	syms[n-1].next = -1
	h := pairHeap(make([]pair, 0, n))
	for i := 0; i+1 < n; i++ {
		t.pushPair(&h, syms, int32(i))
	}
	for len(h) > 0 {
		p := h.pop()
		left := &syms[p.pos]
		if left.id != p.left || left.next < 0 || syms[left.next].id != p.right {
			continue // stale: one of the two symbols has been merged since
		}
		right := left.next
		left.id = p.merged
		left.next = syms[right].next
		syms[right].id = -1
		if left.next >= 0 {
			syms[left.next].prev = p.pos
		}
		if left.prev >= 0 {
			t.pushPair(&h, syms, left.prev)
		}
		t.pushPair(&h, syms, p.pos)
	}
	out := make([]int32, 0, 4)
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}

// symbol is one node of mergePiece's list.
type symbol struct{ id, prev, next int32 }

// pushPair adds the pair starting at symbol i to the heap if the vocabulary merges it.
func (t *BPE) pushPair(h *pairHeap, syms []symbol, i int32) {
	j := syms[i].next
	if j < 0 {
		return
	}
	a, b := syms[i].id, syms[j].id
	if m, ok := t.merges[uint64(a)<<32|uint64(b)]; ok {
		h.push(pair{rank: m.rank, pos: i, left: a, right: b, merged: m.id})
	}
}

// pair is a candidate merge of symbol pos (id left) with the next symbol (id right).
type pair struct{ rank, pos, left, right, merged int32 }

func (p pair) less(q pair) bool { return p.rank < q.rank || p.rank == q.rank && p.pos < q.pos }

// pairHeap is a binary min-heap of pairs by (rank, position).
type pairHeap []pair

func (h *pairHeap) push(p pair) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].less(s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *pairHeap) pop() pair {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].less(s[m]) {
			m = l
		}
		if r < len(s) && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
