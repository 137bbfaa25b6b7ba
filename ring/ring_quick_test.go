package ring

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

var quickSeed = flag.Uint64("ring.seed", 0, "seed for the randomized ring tests (0 = random, printed)")

func seed(t *testing.T) uint64 {
	s := *quickSeed
	if s == 0 {
		s = rand.Uint64()
	}
	t.Logf("seed %d (replay with -ring.seed=%d)", s, s)
	return s
}

func hostID(n int) HostID {
	var h HostID
	h[14], h[15] = byte(n>>8), byte(n)
	return h
}

// randomRing builds a ring of 1-12 nodes over 1-3 DCs and 1-4 racks, with
// 1-8 random tokens each, some joining and some leaving.
func randomRing(rnd *rand.Rand) (*Snapshot, []Node) {
	b := NewBuilder(nil)
	used := map[Token]bool{}
	var nodes []Node
	for i := range rnd.IntN(12) + 1 {
		n := Node{
			ID:     hostID(i + 1),
			DC:     fmt.Sprintf("dc%d", rnd.IntN(3)+1),
			Rack:   fmt.Sprintf("r%d", rnd.IntN(4)+1),
			Status: StatusNormal,
		}
		switch rnd.IntN(6) {
		case 0:
			n.Status = StatusJoining
		case 1:
			n.Status = StatusLeaving
		}
		for range rnd.IntN(8) + 1 {
			tok := Token(rnd.Uint64())
			if rnd.IntN(4) == 0 { // small tokens collide with probes more often
				tok = Token(rnd.IntN(200) - 100)
			}
			if !used[tok] {
				used[tok] = true
				n.Tokens = append(n.Tokens, tok)
			}
		}
		if len(n.Tokens) == 0 {
			continue
		}
		nodes = append(nodes, n)
		b.Upsert(n)
	}
	s, err := b.Build()
	if err != nil {
		panic(err)
	}
	return s, nodes
}

type naiveEntry struct {
	tok  Token
	node Node
}

// naiveWalk lists the ring (nodes selected by include) sorted by token,
// starting from the first token >= t.
func naiveWalk(nodes []Node, t Token, include func(Node) bool) []naiveEntry {
	var ring []naiveEntry
	for _, n := range nodes {
		if include(n) {
			for _, tok := range n.Tokens {
				ring = append(ring, naiveEntry{tok, n})
			}
		}
	}
	sort.Slice(ring, func(i, j int) bool { return ring[i].tok < ring[j].tok })
	for i, e := range ring {
		if e.tok >= t {
			return append(ring[i:], ring[:i]...)
		}
	}
	return ring
}

func naiveSimple(nodes []Node, t Token, rf int, include func(Node) bool) []HostID {
	var out []HostID
	for _, e := range naiveWalk(nodes, t, include) {
		if len(out) < rf && !slices.Contains(out, e.node.ID) {
			out = append(out, e.node.ID)
		}
	}
	return out
}

// naiveNTS places each DC on its own, then orders all replicas by their
// first position in the ring walk.
func naiveNTS(nodes []Node, t Token, rfs map[string]int, include func(Node) bool) []HostID {
	walk := naiveWalk(nodes, t, include)
	chosen := map[HostID]bool{}
	for dc, rf := range rfs {
		var dcNodes []Node
		racks := map[string]bool{}
		for _, e := range walk {
			if e.node.DC == dc && !slices.ContainsFunc(dcNodes, func(n Node) bool { return n.ID == e.node.ID }) {
				dcNodes = append(dcNodes, e.node)
				racks[e.node.Rack] = true
			}
		}
		want := min(rf, len(dcNodes))
		repeats := want - len(racks)
		used := map[string]bool{}
		got := 0
		for _, n := range dcNodes { // dcNodes is already in walk order, distinct
			if got == want {
				break
			}
			if !used[n.Rack] {
				used[n.Rack] = true
			} else if repeats > 0 {
				repeats--
			} else {
				continue
			}
			chosen[n.ID] = true
			got++
		}
	}
	var out []HostID
	for _, e := range walk {
		if chosen[e.node.ID] && !slices.Contains(out, e.node.ID) {
			out = append(out, e.node.ID)
		}
	}
	return out
}

func owningNode(n Node) bool { return n.Status == StatusNormal || n.Status == StatusLeaving }
func futureNode(n Node) bool { return n.Status == StatusNormal || n.Status == StatusJoining }

// TestQuickReplicasAgainstNaive compares Replicas and PendingReplicas with
// the naive walk above on random rings, strategies and tokens.
func TestQuickReplicasAgainstNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(seed(t), 1))
	for iter := range 200 {
		s, nodes := randomRing(rnd)
		simple := SimpleStrategy{RF: rnd.IntN(5) + 1}
		nts := NetworkTopologyStrategy{RF: map[string]int{"dc1": rnd.IntN(4), "dc2": rnd.IntN(4) + 1}}
		for range 25 {
			tok := Token(rnd.Uint64())
			if rnd.IntN(3) == 0 {
				tok = Token(rnd.IntN(220) - 110)
			}
			checkReplicas(t, iter, s, nodes, tok, simple, func(inc func(Node) bool) []HostID {
				return naiveSimple(nodes, tok, simple.RF, inc)
			})
			checkReplicas(t, iter, s, nodes, tok, nts, func(inc func(Node) bool) []HostID {
				return naiveNTS(nodes, tok, nts.RF, inc)
			})
		}
	}
}

func checkReplicas(t *testing.T, iter int, s *Snapshot, nodes []Node, tok Token, st Strategy, naive func(func(Node) bool) []HostID) {
	t.Helper()
	want := naive(owningNode)
	got := s.Replicas(tok, st)
	if !slices.Equal(got, want) {
		t.Fatalf("iter %d %s token %d: Replicas = %v, naive %v\nnodes %+v", iter, st, tok, got, want, nodes)
	}
	var wantPending []HostID
	moving := slices.ContainsFunc(nodes, func(n Node) bool { return n.Status != StatusNormal })
	if moving {
		for _, id := range naive(futureNode) {
			if !slices.Contains(want, id) {
				wantPending = append(wantPending, id)
			}
		}
	}
	if gotPending := s.PendingReplicas(tok, st); !slices.Equal(gotPending, wantPending) {
		t.Fatalf("iter %d %s token %d: PendingReplicas = %v, naive %v", iter, st, tok, gotPending, wantPending)
	}
	p := s.Placement(st)
	if !slices.Equal(p.Replicas(tok), want) || !slices.Equal(p.PendingReplicas(tok), wantPending) {
		t.Fatalf("iter %d %s token %d: Placement disagrees with Snapshot", iter, st, tok)
	}
}

// TestQuickRangesAgainstReplicas checks that Ranges(host) is exactly the
// set of ranges whose tokens have host among their replicas, that the
// ranges of one node partition nothing twice, and that ownership sums up.
func TestQuickRangesAgainstReplicas(t *testing.T) {
	rnd := rand.New(rand.NewPCG(seed(t), 2))
	for iter := range 200 {
		s, nodes := randomRing(rnd)
		st := SimpleStrategy{RF: rnd.IntN(3) + 1}
		for _, n := range nodes {
			ranges := s.Ranges(n.ID, st)
			for range 30 {
				tok := Token(rnd.Uint64())
				in := slices.ContainsFunc(ranges, func(r Range) bool { return r.Contains(tok) })
				if rep := slices.Contains(s.Replicas(tok, st), n.ID); rep != in {
					t.Fatalf("iter %d node %s token %d: in Ranges %v, replica %v", iter, n.ID, tok, in, rep)
				}
			}
		}
		if len(s.Tokens()) == 0 {
			continue
		}
		sum := 0.0
		for _, f := range s.Ownership() {
			sum += f
		}
		if sum < 0.999999 || sum > 1.000001 {
			t.Fatalf("iter %d: ownership sums to %f", iter, sum)
		}
	}
}

func TestRangeContainsAndUnwrap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(seed(t), 3))
	for range 10000 {
		r := Range{Start: Token(rnd.IntN(21) - 10), End: Token(rnd.IntN(21) - 10)}
		if rnd.IntN(5) == 0 {
			r.End = MinToken
		}
		tok := Token(rnd.IntN(25) - 12)
		parts := r.Unwrap()
		inParts := slices.ContainsFunc(parts, func(p Range) bool { return !p.Wraps() && p.Contains(tok) })
		if r.Contains(tok) != inParts {
			t.Fatalf("range %s token %d: Contains %v, unwrapped %v %v", r, tok, r.Contains(tok), parts, inParts)
		}
		norm := Normalize([]Range{r})
		inNorm := slices.ContainsFunc(norm, func(p Range) bool { return p.Contains(tok) })
		if r.Contains(tok) != inNorm {
			t.Fatalf("range %s token %d: Contains %v, normalized %v %v", r, tok, r.Contains(tok), norm, inNorm)
		}
	}
}

func BenchmarkReplicas(b *testing.B) {
	for _, nodes := range []int{3, 10, 100} {
		s := randomTokensRing(b, nodes, DefaultNumTokens, rand.New(rand.NewPCG(5, 5)))
		for _, st := range []Strategy{SimpleStrategy{RF: 3}, NetworkTopologyStrategy{RF: map[string]int{"dc1": 3}}} {
			b.Run(fmt.Sprintf("nodes=%d/%s/snapshot", nodes, st.Class()[29:]), func(b *testing.B) {
				s.Replicas(0, st) // warm the placement memo
				rnd := rand.New(rand.NewPCG(1, 1))
				for b.Loop() {
					s.Replicas(Token(rnd.Uint64()), st)
				}
			})
			b.Run(fmt.Sprintf("nodes=%d/%s/placement", nodes, st.Class()[29:]), func(b *testing.B) {
				p := s.Placement(st)
				rnd := rand.New(rand.NewPCG(1, 1))
				for b.Loop() {
					p.Replicas(Token(rnd.Uint64()))
				}
			})
		}
	}
	b.Run("nodes=10/cold-placement", func(b *testing.B) {
		s := balancedRing(b, 10, DefaultNumTokens, 3)
		st := NetworkTopologyStrategy{RF: map[string]int{"dc1": 3}}
		for b.Loop() {
			fresh, _ := NewBuilder(s).Build()
			fresh.Replicas(0, st)
		}
	})
}

func TestNegativeAndZeroRF(t *testing.T) {
	s := balancedRing(t, 4, 4, 2)
	for _, st := range []Strategy{
		SimpleStrategy{RF: -1}, SimpleStrategy{RF: 0},
		NetworkTopologyStrategy{RF: map[string]int{"dc1": -2, "dc2": 3}},
		NetworkTopologyStrategy{RF: map[string]int{"dc1": -2}},
	} {
		if got := s.Replicas(12345, st); len(got) != 0 {
			t.Errorf("%s: replicas %v, want none", st, got)
		}
	}
	if got := s.Replicas(1, NetworkTopologyStrategy{RF: map[string]int{"dc1": -2, "dc9": 1}}); len(got) != 0 {
		t.Errorf("negative RF placed %v", got)
	}
	if toks, err := AllocateTokens(mustEmpty(t), 4, 3, nil); err != nil || len(toks) != 4 {
		t.Errorf("allocation on an empty ring without randomness: %v, %v", toks, err)
	}
}

func mustEmpty(t *testing.T) *Snapshot {
	s, err := NewBuilder(nil).Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEmptyRing(t *testing.T) {
	s := mustEmpty(t)
	if s.Replicas(0, SimpleStrategy{RF: 3}) != nil || s.PendingReplicas(0, SimpleStrategy{RF: 3}) != nil {
		t.Fatal("empty ring has replicas")
	}
	if _, ok := s.Owner(0); ok {
		t.Fatal("empty ring has an owner")
	}
	if len(s.Ownership()) != 0 || len(s.EffectiveOwnership(SimpleStrategy{RF: 1})) != 0 {
		t.Fatal("empty ring has ownership")
	}
	// Only joining nodes: no natural replicas, all pending.
	b := NewBuilder(s).Upsert(Node{ID: hostID(1), Status: StatusJoining, Tokens: []Token{5}})
	j, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Replicas(0, SimpleStrategy{RF: 1})) != 0 || len(j.PendingReplicas(0, SimpleStrategy{RF: 1})) != 1 {
		t.Fatal("joining-only ring: wrong natural or pending replicas")
	}
}

func TestBuilderRejectsInvalidNodes(t *testing.T) {
	for name, n := range map[string]Node{
		"zero id":   {Status: StatusNormal, Tokens: []Token{1}},
		"no status": {ID: hostID(1), Tokens: []Token{1}},
		"no tokens": {ID: hostID(1), Status: StatusNormal},
	} {
		if _, err := NewBuilder(nil).Upsert(n).Build(); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRangeSplit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(seed(t), 4))
	for range 2000 {
		r := Range{Start: Token(rnd.Uint64()), End: Token(rnd.Uint64())}
		switch rnd.IntN(3) {
		case 0:
			r.End = r.Start + Token(rnd.IntN(10)+1)
		case 1:
			r.End = r.Start
		}
		n := rnd.IntN(20)
		parts := r.Split(n)
		if len(parts) == 0 || parts[0].Start != r.Start || parts[len(parts)-1].End != r.End {
			t.Fatalf("%s split %d: %v", r, n, parts)
		}
		var total uint64
		for i, p := range parts {
			if i > 0 && p.Start != parts[i-1].End {
				t.Fatalf("%s split %d: gap at %d: %v", r, n, i, parts)
			}
			if len(parts) > 1 && p.IsFull() {
				t.Fatalf("%s split %d: empty piece %d: %v", r, n, i, parts)
			}
			total += p.Width()
		}
		if total != r.Width() {
			t.Fatalf("%s split %d: widths sum to %d, want %d", r, n, total, r.Width())
		}
		tok := r.Start + 1 + Token(rnd.Uint64()%max(r.Width(), 1))
		if r.Contains(tok) {
			in := 0
			for _, p := range parts {
				if p.Contains(tok) {
					in++
				}
			}
			if in != 1 {
				t.Fatalf("%s split %d: token %d in %d pieces", r, n, tok, in)
			}
		}
	}
}

func TestNormalizeEdges(t *testing.T) {
	cases := []struct {
		in   []Range
		want []Range
	}{
		{[]Range{{Start: 5, End: MinToken}}, []Range{{Start: 5, End: MaxToken}}},
		{[]Range{{Start: MinToken, End: 0}, {Start: 100, End: MinToken}}, []Range{{Start: MinToken, End: 0}, {Start: 100, End: MaxToken}}},
		{[]Range{{Start: MinToken, End: 0}, {Start: 0, End: MinToken}}, []Range{FullRing}},
		{[]Range{{Start: 7, End: 7}}, []Range{FullRing}},
		{[]Range{{Start: 10, End: 20}, {Start: 15, End: 30}, {Start: 40, End: 50}, {Start: 30, End: 35}}, []Range{{Start: 10, End: 35}, {Start: 40, End: 50}}},
		{[]Range{{Start: 100, End: -100}}, []Range{{Start: MinToken, End: -100}, {Start: 100, End: MaxToken}}},
		{nil, nil},
	}
	for _, c := range cases {
		if got := Normalize(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Normalize(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestStrategyFactors(t *testing.T) {
	if f := (SimpleStrategy{RF: 3}).Factors(); len(f) != 1 || f[""] != 3 {
		t.Fatalf("simple factors %v", f)
	}
	nts := NetworkTopologyStrategy{RF: map[string]int{"dc1": 3, "dc2": 2}}
	f := nts.Factors()
	f["dc1"] = 9
	if nts.RF["dc1"] != 3 || len(f) != 2 {
		t.Fatalf("NTS factors are not a copy: %v", nts.RF)
	}
}
