package nn

import (
	"fmt"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX's graph DSL.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mmdna/mmdna/internal/testbackend"
)

// padded returns the sentences as ids and int32 masks padded with [PAD]=0 to length.
func padded(sentences [][]int32, length int) (ids, mask [][]int32) {
	for _, s := range sentences {
		row, m := make([]int32, length), make([]int32, length)
		copy(row, s)
		for i := range s {
			m[i] = 1
		}
		ids, mask = append(ids, row), append(mask, m)
	}
	return ids, mask
}

// TestTextEncoderPaddingInvariance encodes the same two sentences padded to lengths 6,
// 9 and 16 (in one store): the pooled vectors and the tokens at real positions must
// agree to 1e-5, for both poolings and both positional embeddings. EOS pooling must
// pick the token at the last real position.
func TestTextEncoderPaddingInvariance(t *testing.T) {
	sentences := [][]int32{{1, 7, 9, 4, 12, 2}, {1, 5, 2}}
	for _, sinusoidal := range []bool{false, true} {
		for _, pooling := range []Pooling{PoolEOS, PoolMean} {
			t.Run(fmt.Sprintf("sinusoidal=%v/pooling=%d", sinusoidal, pooling), func(t *testing.T) {
				cfg := TextEncoderConfig{VocabSize: 16, MaxLen: 16, Dim: 8, Depth: 2, Heads: 2,
					SinusoidalPositions: sinusoidal, Pooling: pooling}
				store := model.NewStore()
				var refPooled, refTokens []float32
				for _, length := range []int{6, 9, 16} {
					ids, mask := padded(sentences, length)
					outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
						enc := TextEncoder(scope.In("text"), cfg, in[0], in[1])
						return []*Node{enc.Pooled, enc.Tokens}
					}, ids, mask)
					pooled, tokens := flat(t, outs[0]), flat(t, outs[1])
					// Real tokens: sentence 0 at positions 0..5, sentence 1 at 0..2.
					realTokens := append(append([]float32{}, tokens[:6*8]...), tokens[length*8:length*8+3*8]...)
					if pooling == PoolEOS {
						assertClose(t, "EOS pooled vs last real token of sentence 0", pooled[:8], tokens[5*8:6*8], 0)
						assertClose(t, "EOS pooled vs last real token of sentence 1", pooled[8:], tokens[(length+2)*8:(length+3)*8], 0)
					}
					if refPooled == nil {
						refPooled, refTokens = pooled, realTokens
						continue
					}
					assertClose(t, fmt.Sprintf("pooled at length %d", length), pooled, refPooled, 1e-5)
					assertClose(t, fmt.Sprintf("real tokens at length %d", length), realTokens, refTokens, 1e-5)
				}
			})
		}
	}
}

// TestTextEncoderBoolMask checks that a bool mask gives the same result as the int32 one.
func TestTextEncoderBoolMask(t *testing.T) {
	cfg := TextEncoderConfig{VocabSize: 16, MaxLen: 8, Dim: 8, Depth: 1, Heads: 2, Pooling: PoolMean}
	ids, mask := padded([][]int32{{1, 3, 2}}, 5)
	boolMask := [][]bool{{true, true, true, false, false}}
	store := model.NewStore()
	encode := func(m any) []float32 {
		outs := testbackend.Run(t, store, func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{TextEncoder(scope.In("text"), cfg, in[0], in[1]).Pooled}
		}, ids, m)
		return flat(t, outs[0])
	}
	assertClose(t, "pooled", encode(boolMask), encode(mask), 0)
}

func TestTextEncoderBadInput(t *testing.T) {
	cfg := TextEncoderConfig{VocabSize: 16, MaxLen: 4, Dim: 8, Depth: 1, Heads: 2}
	for _, tc := range []struct {
		name string
		cfg  TextEncoderConfig
		want string
	}{
		{"too long", cfg, "exceeds MaxLen=4"},
		{"no vocab", TextEncoderConfig{MaxLen: 8, Dim: 8, Depth: 1, Heads: 2}, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, mask := padded([][]int32{{1, 2}}, 6)
			err := runErr(t, func(scope *model.Scope, in []*Node) []*Node {
				return []*Node{TextEncoder(scope, tc.cfg, in[0], in[1]).Pooled}
			}, ids, mask)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
