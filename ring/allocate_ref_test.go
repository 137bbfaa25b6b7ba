package ring

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// referenceScore is the allocator's score computed from scratch, the way
// the allocator did before it scored incrementally: the sum of squares of
// every owner's effective share (rf replicas, scaled by 1/rf) plus, for
// rf > 1, the sum of squares of primary shares.
func referenceScore(tokens []Token, owners []int32, nodes, rf int) float64 {
	sum := 0.0
	for _, v := range effectiveShares(tokens, owners, nodes, rf) {
		sum += v * v
	}
	sum /= float64(rf * rf)
	if rf > 1 {
		for _, v := range effectiveShares(tokens, owners, nodes, 1) {
			sum += v * v
		}
	}
	return sum
}

// effectiveShares computes each owner's replicated share of the ring for
// a replication factor of rf, walking for rf distinct owners.
func effectiveShares(tokens []Token, owners []int32, nodes, rf int) []float64 {
	own := make([]float64, nodes)
	for i := range tokens {
		f := Range{Start: tokens[(i+len(tokens)-1)%len(tokens)], End: tokens[i]}.Fraction()
		var seen []int32
		for k := 0; k < len(tokens) && len(seen) < rf; k++ {
			if o := owners[(i+k)%len(tokens)]; !slices.Contains(seen, o) {
				seen = append(seen, o)
				own[o] += f
			}
		}
	}
	return own
}

// TestIncrementalScoreMatchesReference: on random rings, the score change
// the allocator computes for every split it considers equals the change of
// the score recomputed over the whole ring, and the shares it keeps after
// placing tokens equal the shares recomputed from scratch.
func TestIncrementalScoreMatchesReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(seed(t), 7))
	for iter := range 300 {
		s, _ := randomRing(rnd)
		if len(s.future.tokens) == 0 {
			continue
		}
		rf := rnd.IntN(5) + 1
		a, err := newAllocator(context.Background(), s, rf)
		if err != nil {
			t.Fatal(err)
		}
		nodes := len(s.nodes) + 1
		for step := range rnd.IntN(6) + 1 {
			before := referenceScore(a.tokens, a.owners, nodes, a.rf)
			effectiveJump := 0.0
			if a.rf > 1 && !slices.Contains(a.owners, a.newOwner) {
				effectiveJump = 1 / float64(a.rf*a.rf)
			}
			for i := range a.tokens {
				start, w := a.span(i)
				if w < 3 {
					continue
				}
				var rep [maxAllocRF]int32
				var base changes
				last := a.walkChanges(i, &base, rep[:0])
				xbest := a.bestSplit(i, w, &base, last)
				deltas := map[uint64]float64{}
				for _, x := range []uint64{w / 3, w / 2, w - w/3, w/3 + rnd.Uint64N(w-w/3-w/3+1), xbest} {
					tok := Token(uint64(start) + x)
					eff, prim := a.splitChanges(i, fraction(x), &base, last)
					got := a.cost(&eff, &prim)
					deltas[x] = got
					toks, owns := slices.Clone(a.tokens), slices.Clone(a.owners)
					pos, _ := slices.BinarySearch(toks, tok)
					toks, owns = slices.Insert(toks, pos, tok), slices.Insert(owns, pos, a.newOwner)
					want := referenceScore(toks, owns, nodes, a.rf) - before
					if !a.replicated {
						// Every owner replicates everything: the effective
						// term is left out; it changes only when the
						// joining node's first token adds its share of 1,
						// the same for every candidate.
						want -= effectiveJump
					}
					if math.Abs(got-want) > 1e-9 {
						t.Fatalf("ring %d step %d, rf %d, %d tokens: splitting range %d at %d changes the score by %g, reference %g",
							iter, step, a.rf, len(a.tokens), i, tok, got, want)
					}
				}
				for x, d := range deltas {
					if d < deltas[xbest]-1e-12 {
						t.Fatalf("ring %d step %d: range %d split at +%d scores %g, better than the chosen split +%d (%g)",
							iter, step, i, x, d, xbest, deltas[xbest])
					}
				}
			}
			c, ok, err := a.best(context.Background())
			if err != nil || !ok {
				break
			}
			a.place(c)
			checkShares(t, a.primary, effectiveShares(a.tokens, a.owners, nodes, 1))
			if a.replicated {
				checkShares(t, a.effective, effectiveShares(a.tokens, a.owners, nodes, a.rf))
			}
		}
	}
}

func checkShares(t *testing.T, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("owner %d: kept share %g, recomputed %g", i, got[i], want[i])
		}
	}
}
