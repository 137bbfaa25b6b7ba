package ring

import (
	"container/heap"
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
// Nor is every range rescored for every token. The ranges wait in a
// priority queue ordered by their last score change. Placing a token only
// raises the joining node's shares and lowers others', which makes every
// later split at least as dear, so an old score is a lower bound of the
// current one; the allocator rescores the queue's head until the head is
// fresh, when no other range can beat it, and rescores at once the few
// ranges around each placed token whose replica walks it changed. The
// choice is the one scoring every range would make.
//
// Cost, for R ring ranges and replica walks of L ranges (L is about rf
// when no node has adjacent tokens): scoring a range costs O(L·rf²), plus
// O(log R) to requeue it. Setting up scores every range and sums the
// shares, O(R·L·rf²). Each token rescores the ranges that reach the head
// of the queue stale and the O(L) ranges around it, and inserts into the
// sorted ring, O(R). How many ranges reach the head stale depends on the
// ring: at most R, in practice about 80 a token with ten nodes of 256
// tokens and 300 with a hundred. So n tokens cost O(n·R·L·rf²) at worst
// and far less in practice: about 8 ms for 256 tokens joining ten nodes of
// 256 and 45 ms joining a hundred (BenchmarkAllocateTokens256On10Nodes,
// BenchmarkAllocateTokens256On100Nodes). rnd only picks the offset on an
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
		r, err := a.next(ctx)
		if err != nil {
			return nil, stopped(len(out), n, err)
		}
		if r == nil {
			return nil, fmt.Errorf("cannot allocate token %d of %d: %w", len(out)+1, n, ErrNoTokenSpace)
		}
		out = append(out, a.place(r))
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

	// ranges[i] is the range ending at ring position i, with its best
	// split as last scored; queue holds the ranges wide enough to split,
	// lowest score change first; step counts the tokens placed.
	ranges []*rangeState
	queue  rangeQueue
	step   int
}

// candidate is one way to place the next token: split the range ending at
// ring position pos at token tok; delta is the change of the score.
type candidate struct {
	pos   int
	tok   Token
	delta float64
}

// rangeState is a range of the working ring and its best split when it
// was last scored, after step tokens had been placed. The range keeps its
// end token while tokens are inserted around it, which identifies it.
//
// A score computed before the latest placements is a lower bound of the
// range's score now, unless the placements changed the ranges around it
// (which place rescores at once): placing the joining node's token only
// raises its shares and lowers others', and every split adds to the
// joining node's shares and takes from others', so it only gets dearer.
// Hence the queue is lazy: the range at its head is rescored, and once
// the head is fresh it is the best candidate of all.
type rangeState struct {
	end   Token
	index int // in queue; -1 when the range is too narrow to split
	step  int
	tok   Token
	delta float64
}

// rangeQueue is a heap of ranges, lowest score change first, ties going to
// the lowest end token (the first in ring order, as a full scan would).
type rangeQueue []*rangeState

func (q rangeQueue) Len() int { return len(q) }
func (q rangeQueue) Less(i, j int) bool {
	if q[i].delta != q[j].delta {
		return q[i].delta < q[j].delta
	}
	return q[i].end < q[j].end
}
func (q rangeQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *rangeQueue) Push(x any) {
	r := x.(*rangeState)
	r.index = len(*q)
	*q = append(*q, r)
}
func (q *rangeQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	r.index = -1
	return r
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
	a.ranges = make([]*rangeState, len(a.tokens))
	for i, t := range a.tokens {
		if i%pollEvery == pollEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r := &rangeState{end: t, index: -1}
		a.ranges[i] = r
		if c, ok := a.evaluate(i); ok {
			r.tok, r.delta = c.tok, c.delta
			r.index = len(a.queue)
			a.queue = append(a.queue, r)
		}
	}
	heap.Init(&a.queue)
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

// next returns the range whose best split lowers the score most, nil if
// no range can be split, or ctx's error if ctx is done.
func (a *allocator) next(ctx context.Context) (*rangeState, error) {
	for n := 1; len(a.queue) > 0; n++ {
		if n%pollEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r := a.queue[0]
		if r.step == a.step {
			return r, nil
		}
		a.rescore(r, a.find(r.end))
	}
	return nil, nil
}

// find returns the ring position of the range ending at t.
func (a *allocator) find(t Token) int {
	i, _ := slices.BinarySearch(a.tokens, t)
	return i
}

// rescore scores the range ending at ring position i again and puts it in
// its place in the queue (or out of it, if it is too narrow to split).
func (a *allocator) rescore(r *rangeState, i int) {
	c, ok := a.evaluate(i)
	switch {
	case !ok && r.index >= 0:
		heap.Remove(&a.queue, r.index)
	case ok:
		r.step, r.tok, r.delta = a.step, c.tok, c.delta
		if r.index >= 0 {
			heap.Fix(&a.queue, r.index)
		} else {
			heap.Push(&a.queue, r)
		}
	}
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
		b += float64(2 * k * (a.effective[a.newOwner] + base.of(a.newOwner) - a.effective[last] - base.of(last))) // unfused, as in cost
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

// place splits range r at its best split: it inserts the token into the
// ring, updates the shares, rescores the ranges whose score the split
// changed, and returns the token.
func (a *allocator) place(r *rangeState) Token {
	t, i := r.tok, a.find(r.end)
	start, _ := a.span(i)
	f := fraction(distance(start, t))
	var rep [maxAllocRF]int32
	var base changes
	last := a.walkChanges(i, &base, rep[:0])
	eff, prim := a.splitChanges(i, f, &base, last)
	prim.apply(a.primary)
	if a.replicated {
		eff.apply(a.effective)
	}
	// The split range may be the one that wraps past MaxToken.
	p := a.find(t)
	a.tokens = slices.Insert(a.tokens, p, t)
	a.owners = slices.Insert(a.owners, p, a.newOwner)
	a.ranges = slices.Insert(a.ranges, p, &rangeState{end: t, index: -1})
	a.step++
	a.rescoreAround(p) // rescores r too
	return t
}

// rescoreAround rescores the ranges whose score depends on the ring
// around position p, where the joining node's token was just inserted:
// the new range and the rest of the one it split, and, since scoring a
// range reads the owners of the ranges its replica walk crosses and of
// the ranges whose walk reaches it, the ranges after p whose backward walk
// (stopping at the joining node or at rf distinct owners) reached past p,
// and the ranges before p whose replica walk reached past p.
func (a *allocator) rescoreAround(p int) {
	n := len(a.tokens)
	a.rescore(a.ranges[p], p)
	a.rescore(a.ranges[(p+1)%n], (p+1)%n)
	if !a.replicated {
		return
	}
	var buf [maxAllocRF]int32
	seen := buf[:0]
	for k := 1; k < n-1; k++ {
		o := a.owners[(p+k)%n]
		if o == a.newOwner {
			break
		}
		if !slices.Contains(seen, o) {
			if len(seen)+1 >= a.rf {
				break
			}
			seen = append(seen, o)
		}
		j := (p + k + 1) % n
		a.rescore(a.ranges[j], j)
	}
	seen = buf[:0]
	for k := 1; k < n-1; k++ {
		j := (p - k + n) % n
		if o := a.owners[j]; !slices.Contains(seen, o) {
			if len(seen)+1 >= a.rf {
				break
			}
			seen = append(seen, o)
		}
		a.rescore(a.ranges[j], j)
	}
}
