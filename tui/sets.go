package tui

import (
	"slices"
	"strings"
)

// paramSets holds the parameters a user set for one experiment, in the order they
// were first set, so the request reads back the way it was typed.
type paramSets struct {
	keys []string
	vals map[string]string
}

// parseSets splits -set strings ("k=v;k2=v2", several add up, later ones win) into
// paramSets. Pieces without "=" are kept with an empty key so that validation, which
// the catalog does, reports them instead of the UI dropping them silently.
func parseSets(in []string) paramSets {
	s := paramSets{vals: map[string]string{}}
	for _, arg := range in {
		for _, kv := range strings.Split(arg, ";") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				s.set(kv, "") // rendered back as "kv=", which validation names.
				continue
			}
			s.set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return s
}

// with returns a copy with key set to value.
func (s paramSets) with(key, value string) paramSets {
	c := s.clone()
	c.set(key, value)
	return c
}

// without returns a copy without key (back to its default).
func (s paramSets) without(key string) paramSets {
	c := s.clone()
	if _, ok := c.vals[key]; ok {
		delete(c.vals, key)
		c.keys = slices.DeleteFunc(c.keys, func(k string) bool { return k == key })
	}
	return c
}

func (s *paramSets) set(key, value string) {
	if s.vals == nil {
		s.vals = map[string]string{}
	}
	if _, ok := s.vals[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.vals[key] = value
}

func (s paramSets) clone() paramSets {
	c := paramSets{keys: slices.Clone(s.keys), vals: make(map[string]string, len(s.vals))}
	for k, v := range s.vals {
		c.vals[k] = v
	}
	return c
}

// has reports whether key was set.
func (s paramSets) has(key string) bool {
	_, ok := s.vals[key]
	return ok
}

// list renders the sets as "key=value" strings, for Request.Sets.
func (s paramSets) list() []string {
	out := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k+"="+s.vals[k])
	}
	return out
}

// String renders the sets the way -set takes them: "k=v;k2=v2".
func (s paramSets) String() string { return strings.Join(s.list(), ";") }
