package ring

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// DefaultNumTokens is the number of vnode tokens a node takes when the
// operator does not say (Cassandra 4's num_tokens default: few enough that
// repair ranges and outage probability stay small, enough for the
// allocator below to balance ownership).
const DefaultNumTokens = 16

// ErrNoTokenSpace is returned by AllocateTokens when the ring has no room
// for more distinct tokens (only possible on a pathologically full ring).
var ErrNoTokenSpace = errors.New("ring: no room for new tokens")

// AllocateTokens chooses n tokens for a node joining the ring of s so that
// ownership stays balanced when data is replicated rf times, and returns
// them sorted. rf is the replication factor the cluster's main keyspaces
// use (Cassandra's allocate_tokens_for_local_replication_factor, default
// 3); 1 balances primary ownership only.
//
// The ring it balances is the future one (normal and joining nodes, since
// leaving nodes' tokens are going away). On an empty ring the tokens are
// evenly spaced from a random offset. Otherwise each token is chosen
// greedily: every existing range is a candidate, split at 1/3, 1/2 or 2/3
// of its width, and the candidate that minimises the sum of squares of
// every node's effective ownership (the ranges it would replicate with a
// replication factor of rf, walking the ring for rf distinct nodes, scaled
// by 1/rf) plus the sum of squares of primary ownership wins.
// Minimising the sum of squares with a fixed total minimises the variance,
// and splitting at no less than a third of a range leaves no slivers that
// would make later placements worse. Racks are not considered. This is
// the spirit of Cassandra's replication-aware allocator, kept simple;
// ring/README.md reports the spread it reaches.
//
// Cost: O(n · R² · rf) for R ring ranges; beyond maxCandidates ranges only
// the widest ones are tried. rnd only picks the offset on an empty ring;
// otherwise the result is a pure function of s, n and rf.
func AllocateTokens(s *Snapshot, n, rf int, rnd *rand.Rand) ([]Token, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cannot allocate %d tokens: %w", n, ErrNoTokenSpace)
	}
	a := newAllocator(s, max(rf, 1))
	if len(a.tokens) == 0 {
		return evenTokens(n, rnd), nil
	}
	out := make([]Token, 0, n)
	for range n {
		t, ok := a.next()
		if !ok {
			return nil, fmt.Errorf("cannot allocate token %d of %d: %w", len(out)+1, n, ErrNoTokenSpace)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

// maxCandidates bounds the ranges tried per token, keeping allocation on
// large rings (hundreds of nodes) well under a second.
const maxCandidates = 512

// evenTokens spaces n tokens 2^64/n apart starting at a random token.
func evenTokens(n int, rnd *rand.Rand) []Token {
	step := ^uint64(0)/uint64(n) + 1
	var off uint64
	if rnd != nil {
		off = rnd.Uint64()
	}
	out := make([]Token, n)
	for i := range out {
		out[i] = Token(off + uint64(i)*step)
	}
	slices.Sort(out)
	return out
}

// allocator is the working ring of AllocateTokens: sorted tokens and their
// owners, where owner nodes is the new node.
type allocator struct {
	rf      int
	nodes   int // owners are 0..nodes-1; the new node is nodes
	tokens  []Token
	owners  []int32
	scratch struct {
		tokens []Token
		owners []int32
		own    []float64
	}
}

func newAllocator(s *Snapshot, rf int) *allocator {
	return &allocator{
		rf:     rf,
		nodes:  len(s.nodes),
		tokens: slices.Clone(s.future.tokens),
		owners: slices.Clone(s.future.owners),
	}
}

// next picks, inserts and returns the best next token.
func (a *allocator) next() (Token, bool) {
	bestScore, bestTok, found := 0.0, Token(0), false
	for _, i := range a.candidateRanges() {
		start := a.tokens[(i+len(a.tokens)-1)%len(a.tokens)]
		w := distance(start, a.tokens[i])
		if w == 0 {
			w = ^uint64(0) // a single token owns the whole ring
		}
		if w < 3 {
			continue
		}
		for _, x := range [...]uint64{w / 3, w / 2, w - w/3} {
			t := Token(uint64(start) + x)
			if score := a.score(t); !found || score < bestScore {
				bestScore, bestTok, found = score, t, true
			}
		}
	}
	if found {
		a.tokens, a.owners = a.insert(a.tokens, a.owners, bestTok)
	}
	return bestTok, found
}

// candidateRanges returns the ring positions whose ranges are tried: all
// of them, or the maxCandidates widest.
func (a *allocator) candidateRanges() []int {
	idx := make([]int, len(a.tokens))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) <= maxCandidates {
		return idx
	}
	width := func(i int) uint64 { return distance(a.tokens[(i+len(a.tokens)-1)%len(a.tokens)], a.tokens[i]) }
	slices.SortFunc(idx, func(x, y int) int {
		wx, wy := width(x), width(y)
		switch {
		case wx > wy:
			return -1
		case wx < wy:
			return 1
		}
		return x - y
	})
	return idx[:maxCandidates]
}

// insert returns tokens/owners with t added for the new node, reusing the
// destination slices' storage.
func (a *allocator) insert(tokens []Token, owners []int32, t Token) ([]Token, []int32) {
	pos, _ := slices.BinarySearch(tokens, t)
	tokens = slices.Insert(tokens, pos, t)
	owners = slices.Insert(owners, pos, int32(a.nodes))
	return tokens, owners
}

// score returns the sum of squared effective ownerships if t were added.
func (a *allocator) score(t Token) float64 {
	sc := &a.scratch
	sc.tokens = append(sc.tokens[:0], a.tokens...)
	sc.owners = append(sc.owners[:0], a.owners...)
	sc.tokens, sc.owners = a.insert(sc.tokens, sc.owners, t)
	sc.own = effectiveShares(sc.tokens, sc.owners, a.nodes+1, a.rf, sc.own)
	sum := 0.0
	for _, v := range sc.own {
		sum += v * v
	}
	sum /= float64(a.rf * a.rf)
	if a.rf > 1 {
		// Primary ownership breaks ties (with rf nodes or fewer every node
		// replicates everything) and keeps single-replica data balanced.
		sc.own = effectiveShares(sc.tokens, sc.owners, a.nodes+1, 1, sc.own)
		for _, v := range sc.own {
			sum += v * v
		}
	}
	return sum
}

// effectiveShares computes each owner's replicated share of the ring for a
// replication factor of rf, walking for rf distinct owners (SimpleStrategy
// placement).
func effectiveShares(tokens []Token, owners []int32, nodes, rf int, own []float64) []float64 {
	own = slices.Grow(own[:0], nodes)[:nodes]
	clear(own)
	var seen [16]int32
	rf = min(rf, len(seen))
	for i := range tokens {
		f := Range{Start: tokens[(i+len(tokens)-1)%len(tokens)], End: tokens[i]}.Fraction()
		got := 0
		for k := 0; k < len(tokens) && got < rf; k++ {
			o := owners[(i+k)%len(tokens)]
			if slices.Contains(seen[:got], o) {
				continue
			}
			seen[got] = o
			got++
			own[o] += f
		}
	}
	return own
}
