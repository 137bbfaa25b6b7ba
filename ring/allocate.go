package ring

import (
	"context"
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

// maxAllocRF caps the replication factor the allocator models: walks for
// replicas use fixed arrays of this size.
const maxAllocRF = 16

// AllocateTokens chooses n tokens for a node joining the ring of s so that
// ownership stays balanced when data is replicated rf times, and returns
// them sorted. rf is the replication factor the cluster's main keyspaces
// use (Cassandra's allocate_tokens_for_local_replication_factor, default
// 3); 1 balances primary ownership only.
//
// The ring it balances is the future one (normal and joining nodes, since
// leaving nodes' tokens are going away). On an empty ring the tokens are
// evenly spaced from a random offset. Otherwise each token is chosen
// greedily: every existing range is a candidate, split somewhere in its
// middle third, and the candidate that most lowers the score wins. The
// score is the sum of squares of every node's effective ownership (the
// ranges it would replicate with a replication factor of rf, walking the
// ring for rf distinct nodes, SimpleStrategy placement, scaled by 1/rf)
// plus, when rf > 1, the sum of squares of primary ownership.
// Minimising the sum of squares with a fixed total minimises the variance,
// and splitting at no less than a third of a range leaves no slivers that
// would make later placements worse. Racks are not considered. This is
// the spirit of Cassandra's replication-aware allocator, kept simple;
// ring/README.md reports the spread it reaches.
//
// Scoring is incremental, as in Cassandra's allocator. Splitting a range
// changes only the primary shares of its owner and of the joining node,
// and the replica sets of the ranges whose replica walk reaches the split
// (the split range and the few before it: up to rf-1 when owners do not
// repeat). So the allocator keeps the sorted ring and every node's primary
// and effective totals, scores a candidate by the change of the sums of
// squares of the few nodes it touches, and updates the totals when it
// places a token. For a given range that change is a convex quadratic in
// the width split off, so the best split within the middle third is found
// directly.
//
// Cost, for R ring ranges and replica walks of L ranges (L is about rf
// when no node has adjacent tokens): scoring a range costs O(L·rf²);
// setting up the totals O(R·L·rf); each token scores every range,
// O(R·L·rf²), and inserts into the sorted ring, O(R). n tokens cost
// O(n·R·L·rf²): about 0.1 s for 256 tokens joining ten nodes of 256
// (BenchmarkAllocateTokens256On10Nodes). rnd only picks the offset on an
// empty ring; otherwise the result is a pure function of s, n and rf.
//
// AllocateTokens cannot be interrupted; a node allocating at startup uses
// AllocateTokensContext.
func AllocateTokens(s *Snapshot, n, rf int, rnd *rand.Rand) ([]Token, error) {
	return AllocateTokensContext(context.Background(), s, n, rf, rnd)
}

// AllocateTokensContext is AllocateTokens that gives up once ctx is done:
// it checks ctx before each token and every pollEvery ranges while
// scoring, and returns ctx's error wrapped (errors.Is(err,
// context.Canceled) holds after a cancel) and no tokens.
func AllocateTokensContext(ctx context.Context, s *Snapshot, n, rf int, rnd *rand.Rand) ([]Token, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cannot allocate %d tokens: %w", n, ErrNoTokenSpace)
	}
	if err := ctx.Err(); err != nil {
		return nil, stopped(0, n, err)
	}
	if len(s.future.tokens) == 0 {
		return evenTokens(n, rnd), nil
	}
	a, err := newAllocator(ctx, s, rf)
	if err != nil {
		return nil, stopped(0, n, err)
	}
	out := make([]Token, 0, n)
	for range n {
		if err := ctx.Err(); err != nil {
			return nil, stopped(len(out), n, err)
		}
		c, ok, err := a.best(ctx)
		if err != nil {
			return nil, stopped(len(out), n, err)
		}
		if !ok {
			return nil, fmt.Errorf("cannot allocate token %d of %d: %w", len(out)+1, n, ErrNoTokenSpace)
		}
		out = append(out, a.place(c))
	}
	slices.Sort(out)
	return out, nil
}

// pollEvery is how many ranges the allocator scores between two checks of
// its context: a few hundred microseconds of work.
const pollEvery = 4096

// stopped wraps the context error that interrupted an allocation.
func stopped(done, n int, err error) error {
	return fmt.Errorf("token allocation stopped after %d of %d tokens: %w", done, n, err)
}

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
// owners, where owner newOwner is the joining node, and every owner's
// primary and effective (replicated) share of that ring.
type allocator struct {
	rf       int   // replication factor modelled, 1..maxAllocRF
	newOwner int32 // owners are 0..newOwner; the joining node is newOwner
	tokens   []Token
	owners   []int32
	primary  []float64 // per owner: sum of the ranges it owns
	// effective, when replicated is set: per owner, the sum of the ranges
	// it replicates. With no more owners than rf (the joining node
	// counted) every owner replicates everything, its effective share is 1
	// whatever the tokens, and the term is left out of the score.
	effective  []float64
	replicated bool
}

// candidate is one way to place the next token: split the range ending at
// ring position pos at token tok; delta is the change of the score.
type candidate struct {
	pos   int
	tok   Token
	delta float64
}

func newAllocator(ctx context.Context, s *Snapshot, rf int) (*allocator, error) {
	a := &allocator{
		rf:       min(max(rf, 1), maxAllocRF),
		newOwner: int32(len(s.nodes)),
		tokens:   slices.Clone(s.future.tokens),
		owners:   slices.Clone(s.future.owners),
	}
	owners := len(s.nodes) + 1
	a.primary = make([]float64, owners)
	for i, o := range a.owners {
		a.primary[o] += fraction(a.width(i))
	}
	distinct := map[int32]bool{a.newOwner: true}
	for _, o := range a.owners {
		distinct[o] = true
	}
	a.replicated = a.rf > 1 && len(distinct) > a.rf
	if a.replicated {
		a.effective = make([]float64, owners)
		var rep [maxAllocRF]int32
		for i := range a.tokens {
			if i%pollEvery == pollEvery-1 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			f := fraction(a.width(i))
			for _, o := range a.replicas(i, rep[:0]) {
				a.effective[o] += f
			}
		}
	}
	return a, nil
}

// width returns the width of the range ending at ring position i, 0
// standing for the whole ring.
func (a *allocator) width(i int) uint64 {
	return distance(a.tokens[(i+len(a.tokens)-1)%len(a.tokens)], a.tokens[i])
}

// fraction returns the share of the ring a range of width w covers (0 is
// the whole ring).
func fraction(w uint64) float64 {
	if w == 0 {
		return 1
	}
	return float64(w) / ringSize
}

// replicas appends to dst the first rf distinct owners met walking the
// ring from position i, in walk order.
func (a *allocator) replicas(i int, dst []int32) []int32 {
	start := len(dst)
	for k := 0; k < len(a.tokens) && len(dst)-start < a.rf; k++ {
		if o := a.owners[(i+k)%len(a.tokens)]; !slices.Contains(dst[start:], o) {
			dst = append(dst, o)
		}
	}
	return dst
}

// best scores every candidate and returns the one with the lowest score,
// the first in ring order among equals; it returns ctx's error if ctx is
// done.
func (a *allocator) best(ctx context.Context) (candidate, bool, error) {
	var b candidate
	found := false
	for i := range a.tokens {
		if i%pollEvery == pollEvery-1 {
			if err := ctx.Err(); err != nil {
				return candidate{}, false, err
			}
		}
		if c, ok := a.evaluate(i); ok && (!found || c.delta < b.delta) {
			b, found = c, true
		}
	}
	return b, found, nil
}

// changes accumulates the share changes a candidate makes, per owner.
type changes struct {
	n int
	c [maxAllocRF + 2]struct {
		owner int32
		d     float64
	}
}

func (c *changes) add(o int32, d float64) {
	for i := range c.n {
		if c.c[i].owner == o {
			c.c[i].d += d
			return
		}
	}
	c.c[c.n].owner, c.c[c.n].d = o, d
	c.n++
}

// of returns the change recorded for owner o.
func (c *changes) of(o int32) float64 {
	for _, ch := range c.c[:c.n] {
		if ch.owner == o {
			return ch.d
		}
	}
	return 0
}

// cost returns the change of the sum of squares of tot that the changes
// make: (t+d)² - t² = d·(2t+d) per owner. The explicit conversion keeps
// the compiler from fusing the multiply and add, so the result is the same
// on every architecture.
func (c *changes) cost(tot []float64) float64 {
	s := 0.0
	for _, ch := range c.c[:c.n] {
		s += float64(ch.d * (2*tot[ch.owner] + ch.d))
	}
	return s
}

// apply adds the changes to tot.
func (c *changes) apply(tot []float64) {
	for _, ch := range c.c[:c.n] {
		tot[ch.owner] += ch.d
	}
}

// span returns the start and width of the range ending at ring position
// i, a single token's whole ring counting as 2^64-1 tokens.
func (a *allocator) span(i int) (start Token, w uint64) {
	start = a.tokens[(i+len(a.tokens)-1)%len(a.tokens)]
	w = distance(start, a.tokens[i])
	if w == 0 {
		w = ^uint64(0)
	}
	return start, w
}

// evaluate returns the best split of the range ending at ring position i,
// at no less than a third of its width from either end. The score change
// is a convex quadratic in the width split off (the joining node gains it
// as primary, and as a replica unless it replicates the range already;
// the range's owner and last replica lose it), so the best split is the
// quadratic's minimum, clamped to the middle third.
func (a *allocator) evaluate(i int) (candidate, bool) {
	start, w := a.span(i)
	if w < 3 {
		return candidate{}, false
	}
	var rep [maxAllocRF]int32
	var base changes
	last := a.walkChanges(i, &base, rep[:0])
	x := a.bestSplit(i, w, &base, last)
	eff, prim := a.splitChanges(i, fraction(x), &base, last)
	return candidate{pos: i, tok: Token(uint64(start) + x), delta: a.cost(&eff, &prim)}, true
}

// cost returns the score change of the share changes.
func (a *allocator) cost(eff, prim *changes) float64 {
	d := prim.cost(a.primary)
	if a.replicated {
		d += eff.cost(a.effective) / float64(a.rf*a.rf)
	}
	return d
}

// bestSplit returns how many tokens of the range ending at position i,
// w wide, the joining node should take: the minimum of the score change
// b·f + c·f² (plus a constant) for a split-off share f, within [w/3,
// w-w/3].
func (a *allocator) bestSplit(i int, w uint64, base *changes, last int32) uint64 {
	lo, hi := w/3, w-w/3
	var b, c float64
	if o := a.owners[i]; o != a.newOwner {
		b += 2 * (a.primary[a.newOwner] - a.primary[o])
		c += 2
	}
	if a.replicated && last >= 0 {
		k := 1 / float64(a.rf*a.rf)
		b += 2 * k * (a.effective[a.newOwner] + base.of(a.newOwner) - a.effective[last] - base.of(last))
		c += 2 * k
	}
	if c == 0 {
		return w / 2
	}
	f := -b / (2 * c)
	switch {
	case f <= fraction(lo):
		return lo
	case f >= fraction(hi):
		return hi
	}
	return min(max(uint64(f*ringSize), lo), hi)
}

// walkChanges adds to eff the effective share changes that splitting the
// range ending at position i makes to the ranges before it, which do not
// depend on where the range is split, and returns the owner that stops
// replicating the split-off part of range i (-1 if none: the joining node
// replicates range i already).
//
// The new range takes the joining node as primary and the first rf-1
// other replicas of range i. A range before i whose replica walk reaches
// position i (fewer than rf distinct owners between it and the split)
// now meets the joining node there: unless it already has the node as a
// replica, the node replaces its last replica.
func (a *allocator) walkChanges(i int, eff *changes, rep []int32) int32 {
	if !a.replicated {
		return -1
	}
	rep = a.replicas(i, rep)
	var seen [maxAllocRF]int32
	prev := seen[:0]
	n := len(a.tokens)
	for k := 1; k < n; k++ {
		j := (i - k + n) % n
		o := a.owners[j]
		if o == a.newOwner {
			break // this range and those before already have the node
		}
		if !slices.Contains(prev, o) {
			if len(prev)+1 >= a.rf {
				break // range j's replicas are all before the split
			}
			prev = append(prev, o)
		}
		// Range j's replicas: prev, then the first rf-len(prev) replicas
		// of range i that are not in prev. The joining node takes the
		// place of the last of them, unless it is one of them.
		need := a.rf - len(prev)
		for _, r := range rep {
			if slices.Contains(prev, r) {
				continue
			}
			if r == a.newOwner {
				break
			}
			if need--; need == 0 {
				f := fraction(a.width(j))
				eff.add(a.newOwner, f)
				eff.add(r, -f)
				break
			}
		}
	}
	if slices.Contains(rep, a.newOwner) {
		return -1
	}
	return rep[len(rep)-1]
}

// splitChanges returns the effective and primary share changes of
// splitting off the first f of the range ending at position i, given the
// changes walkChanges found.
func (a *allocator) splitChanges(i int, f float64, base *changes, last int32) (eff, prim changes) {
	prim.add(a.newOwner, f)
	prim.add(a.owners[i], -f)
	if a.replicated {
		eff = *base
		if last >= 0 {
			eff.add(a.newOwner, f)
			eff.add(last, -f)
		}
	}
	return eff, prim
}

// place inserts the candidate's token into the ring, updates the shares
// and returns the token.
func (a *allocator) place(c candidate) Token {
	start, _ := a.span(c.pos)
	f := fraction(distance(start, c.tok))
	var rep [maxAllocRF]int32
	var base changes
	last := a.walkChanges(c.pos, &base, rep[:0])
	eff, prim := a.splitChanges(c.pos, f, &base, last)
	prim.apply(a.primary)
	if a.replicated {
		eff.apply(a.effective)
	}
	// The split range may be the one that wraps past MaxToken.
	pos, _ := slices.BinarySearch(a.tokens, c.tok)
	a.tokens = slices.Insert(a.tokens, pos, c.tok)
	a.owners = slices.Insert(a.owners, pos, a.newOwner)
	return c.tok
}
