package crossattn

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
)

// Fn builds one version: image features img [batch, n_img, dim] and text features txt
// [batch, n_txt, dim] (txtMask [batch, n_txt] or nil) to (imgOut, txtOut) of the same
// shapes. The scope carries LinearInit; variables go below it.
type Fn func(scope *model.Scope, cfg Config, img, txt, txtMask *Node) (imgOut, txtOut *Node)

// Where a version's definition comes from (docs/crossattn.md has the details).
const (
	// SourceCode: the chapter prints the version's code; ours follows it line by line.
	SourceCode = "code"
	// SourceProse: the chapter describes the version in words; ours is our reading,
	// checked against the dldna package's file where the index holds one.
	SourceProse = "prose"
	// SourceReading: the chapter only names the version in its run list; ours is a
	// reading from its second results table and its conclusions.
	SourceReading = "reading"
)

// Version is one entry of the ablation's table.
type Version struct {
	Name   string
	Adds   string // what it adds over its predecessor, in a few words.
	Source string // SourceCode, SourceProse or SourceReading.
	Fn     Fn
}

// table holds every version by name: one line per version.
var table = map[string]Version{
	"v0":    {"v0", "bidirectional scaled dot-product attention, no parameters", SourceCode, v0},
	"v1":    {"v1", "one shared attention matrix (co-attention) and its transpose", SourceProse, v1},
	"v2":    {"v2", "v1 + one LayerNorm on both inputs", SourceCode, v2},
	"v3":    {"v3", "v2 + residual connection to the raw input features", SourceCode, v3},
	"v4":    {"v4", "v2 + modality-specific linear projections", SourceProse, v4},
	"v5":    {"v5", "v4 with one projection shared by both modalities", SourceReading, v5},
	"v6":    {"v6", "v5 split into heads (multi-head co-attention)", SourceReading, v6},
	"v7":    {"v7", "v2 + shared multi-head attention: shared Q/K/V/out and attention matrix", SourceProse, v7},
	"v8":    {"v8", "independent attention per direction, shared Q/K/V, output LayerNorm", SourceCode, v8},
	"v9":    {"v9", "v8 with pre-LN, dropout and a gated FFN with residual", SourceCode, v9},
	"v10_1": {"v10_1", "v9 + modality-specific Q/K/V projections", SourceProse, v10_1},
	"v10_2": {"v10_2", "v9 + learned gate mixing attended and own features", SourceReading, v10_2},
	"v10_3": {"v10_3", "v9 + learned softmax temperature per head", SourceReading, v10_3},
	"v10_4": {"v10_4", "v9 with multi-query attention (one shared K/V head)", SourceProse, v10_4},
	"v10_5": {"v10_5", "v9 + three-level hierarchy, weighted fusion of levels", SourceProse, v10_5},
	"v10_6": {"v10_6", "v9 + contrastive projection whose similarity is added to the features", SourceProse, v10_6},
	"v11":   {"v11", "v10_4's multi-query + v10_5's hierarchical fusion", SourceProse, v11},
	// Not in the chapter's run list: the dldna package's v7 file as it is (its text
	// direction multiplies the transposed attention by the text values).
	"v7_upstream": {"v7_upstream", "v7 as the dldna file: text direction reuses the text values", SourceProse, v7Upstream},
}

// ChapterOrder is the chapter's run list (model_versions in section 10.4).
var ChapterOrder = []string{"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
	"v10_1", "v10_2", "v10_3", "v10_4", "v10_5", "v10_6", "v11"}

var tableMu sync.RWMutex

// Get returns the version called name, or an error listing the known ones.
func Get(name string) (Version, error) {
	tableMu.RLock()
	defer tableMu.RUnlock()
	v, ok := table[name]
	if !ok {
		return Version{}, fmt.Errorf("crossattn: unknown version %q; known: %s", name, strings.Join(namesLocked(), ", "))
	}
	return v, nil
}

// Names returns every registered version: the chapter's run list first, in its
// order, then the others sorted.
func Names() []string {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	var extra []string
	for n := range table {
		if !slices.Contains(ChapterOrder, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(slices.Clone(ChapterOrder), extra...)
}

// Register adds a version (an experiment of your own, or a test's); it returns an
// error when the name is taken or the version has no name or function.
func Register(v Version) error {
	tableMu.Lock()
	defer tableMu.Unlock()
	switch {
	case v.Name == "" || v.Fn == nil:
		return fmt.Errorf("crossattn: Register: version needs a name and a function")
	case table[v.Name].Fn != nil:
		return fmt.Errorf("crossattn: Register: version %q exists", v.Name)
	}
	table[v.Name] = v
	return nil
}
