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
			if !placeChecked(t, a) {
				break
			}
		}
	}
}

// TestLazyQueueMatchesFullScan: on rings that grew with the allocator and
// on random-token rings, each token the lazy queue picks scores as well as
// the best of a scan of every range, and the queue's invariants hold after
// every placement.
func TestLazyQueueMatchesFullScan(t *testing.T) {
	for _, s := range []*Snapshot{
		balancedRing(t, 3, 16, 3),
		balancedRing(t, 7, 8, 3),
		joinFixture(t, 10, 32),
		joinFixture(t, 4, 64),
	} {
		for _, rf := range []int{1, 2, 3, 5} {
			a, err := newAllocator(context.Background(), s, rf)
			if err != nil {
				t.Fatal(err)
			}
			for range 32 {
				if !placeChecked(t, a) {
					t.Fatalf("%d nodes, rf %d: no room", len(s.Nodes()), rf)
				}
			}
		}
	}
}

// placeChecked picks the next token with the lazy queue, checks it against
// a full scan, places it, and checks the allocator's state against a
// recomputation. It reports false when no range can be split.
func placeChecked(t *testing.T, a *allocator) bool {
	t.Helper()
	r, err := a.next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	full, ok := fullScan(a)
	if (r != nil) != ok {
		t.Fatalf("step %d: the queue found a candidate: %v, the full scan: %v", a.step, r != nil, ok)
	}
	if r == nil {
		return false
	}
	if math.Abs(r.delta-full.delta) > 1e-12 {
		t.Fatalf("step %d, rf %d, %d tokens: the queue picked %d (score change %g), the full scan %d (%g)",
			a.step, a.rf, len(a.tokens), r.tok, r.delta, full.tok, full.delta)
	}
	if got, want := a.place(r), full.tok; got != want {
		t.Fatalf("step %d: placed %d, the full scan's choice is %d", a.step, got, want)
	} else if i, ok := slices.BinarySearch(a.tokens, got); !ok || a.owners[i] != a.newOwner {
		t.Fatalf("step %d: placed %d, which the ring does not give to the joining node", a.step, got)
	}
	nodes := len(a.primary)
	checkShares(t, a.primary, effectiveShares(a.tokens, a.owners, nodes, 1))
	if a.replicated {
		checkShares(t, a.effective, effectiveShares(a.tokens, a.owners, nodes, a.rf))
	}
	checkQueue(t, a)
	return true
}

// fullScan scores every range and returns the best candidate, the first
// in ring order among equals: what the lazy queue must find.
func fullScan(a *allocator) (candidate, bool) {
	var best candidate
	found := false
	for i := range a.tokens {
		if c, ok := a.evaluate(i); ok && (!found || c.delta < best.delta) {
			best, found = c, true
		}
	}
	return best, found
}

// checkQueue checks that every range is in the queue exactly when it can
// be split, with its current score if scored at this step and a lower
// bound of it otherwise.
func checkQueue(t *testing.T, a *allocator) {
	t.Helper()
	if len(a.ranges) != len(a.tokens) {
		t.Fatalf("%d ranges for %d tokens", len(a.ranges), len(a.tokens))
	}
	queued := 0
	for i, r := range a.ranges {
		if r.end != a.tokens[i] {
			t.Fatalf("range %d ends at %d, its token is %d", i, r.end, a.tokens[i])
		}
		c, ok := a.evaluate(i)
		if ok != (r.index >= 0) || (r.index >= 0 && a.queue[r.index] != r) {
			t.Fatalf("step %d: range %d can be split: %v, queue index %d", a.step, i, ok, r.index)
		}
		if !ok {
			continue
		}
		queued++
		switch {
		case r.step == a.step && (r.delta != c.delta || r.tok != c.tok):
			t.Fatalf("step %d: range %d scored now as %g at %d, scoring again gives %g at %d", a.step, i, r.delta, r.tok, c.delta, c.tok)
		case r.delta > c.delta+1e-12:
			t.Fatalf("step %d, rf %d: range %d scored at step %d as %g, now %g: not a lower bound, it should have been rescored",
				a.step, a.rf, i, r.step, r.delta, c.delta)
		}
	}
	if queued != len(a.queue) {
		t.Fatalf("%d ranges can be split, %d queued", queued, len(a.queue))
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
