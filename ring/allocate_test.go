package ring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// balancedRing grows a ring one node at a time with AllocateTokens, nodes
// spread over `racks` racks of dc1.
func balancedRing(tb testing.TB, nodes, numTokens, racks int) *Snapshot {
	return grownRing(tb, nodes, numTokens, racks, rand.New(rand.NewPCG(42, 42)))
}

// grownRing is balancedRing with the randomness (the first node's offset)
// given.
func grownRing(tb testing.TB, nodes, numTokens, racks int, rnd *rand.Rand) *Snapshot {
	tb.Helper()
	s, err := NewBuilder(nil).Build()
	if err != nil {
		tb.Fatal(err)
	}
	for i := range nodes {
		toks, err := AllocateTokens(s, numTokens, 3, rnd)
		if err != nil {
			tb.Fatal(err)
		}
		n := Node{ID: hostID(i + 1), DC: "dc1", Rack: fmt.Sprintf("r%d", i%racks+1), Status: StatusNormal, Tokens: toks}
		if s, err = NewBuilder(s).Upsert(n).Build(); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// randomRing grows a ring with uniformly random tokens: the baseline the
// allocator has to beat.
func randomTokensRing(tb testing.TB, nodes, numTokens int, rnd *rand.Rand) *Snapshot {
	tb.Helper()
	b := NewBuilder(nil)
	for i := range nodes {
		toks := make([]Token, numTokens)
		for j := range toks {
			toks[j] = Token(rnd.Uint64())
		}
		b.Upsert(Node{ID: hostID(i + 1), DC: "dc1", Rack: fmt.Sprintf("r%d", i%3+1), Status: StatusNormal, Tokens: toks})
	}
	s, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// spread returns max/min and the coefficient of variation (stddev/mean)
// of the shares in own, over n nodes.
func spread(own map[HostID]float64, n int) (ratio, cv float64) {
	var vals []float64
	for _, v := range own {
		vals = append(vals, v)
	}
	for len(vals) < n {
		vals = append(vals, 0)
	}
	mean, sq := 0.0, 0.0
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	for _, v := range vals {
		sq += (v - mean) * (v - mean)
	}
	return slices.Max(vals) / slices.Min(vals), math.Sqrt(sq/float64(len(vals))) / mean
}

// TestAllocationSpread grows rings of 3, 5 and 10 nodes with 16 tokens
// each, and of 10 nodes with 256, and checks that ownership stays
// balanced. Run with -v to print the table reported in README.md.
func TestAllocationSpread(t *testing.T) {
	rf3 := SimpleStrategy{RF: 3}
	t.Logf("%-6s %-10s %-22s %-22s %-22s", "nodes", "tokens", "primary max/min (cv)", "effective rf=3 max/min", "random tokens primary")
	for _, c := range []struct {
		nodes, tokens            int
		maxPrimary, maxEffective float64
	}{
		{3, DefaultNumTokens, 1.20, 1.35},
		{5, DefaultNumTokens, 1.20, 1.35},
		{10, DefaultNumTokens, 1.20, 1.35},
		{10, 256, 1.10, 1.10},
	} {
		n := c.nodes
		s := balancedRing(t, n, c.tokens, 3)
		pr, pcv := spread(s.Ownership(), n)
		er, ecv := spread(s.EffectiveOwnership(rf3), n)
		rr, rcv := spread(randomTokensRing(t, n, c.tokens, rand.New(rand.NewPCG(42, 43))).Ownership(), n)
		t.Logf("%-6d %-10d %.3f (cv %.3f)      %.3f (cv %.3f)      %.3f (cv %.3f)", n, c.tokens, pr, pcv, er, ecv, rr, rcv)
		if pr > c.maxPrimary {
			t.Errorf("%d nodes of %d tokens: primary ownership max/min %.3f, want <= %.2f", n, c.tokens, pr, c.maxPrimary)
		}
		if er > c.maxEffective {
			t.Errorf("%d nodes of %d tokens: effective rf=3 ownership max/min %.3f, want <= %.2f", n, c.tokens, er, c.maxEffective)
		}
	}
}

// TestAllocationSpreadOverOffsets: the rings TestAllocationSpread grows
// differ only in the first node's random offset, which decides how the
// allocator breaks ties, and a single ring's max/min moves by a few
// hundredths with it. This grows 16-token rings of 5 and 10 nodes from 30
// offsets and checks the mean spread. Run with -v for the README figures.
func TestAllocationSpreadOverOffsets(t *testing.T) {
	const offsets = 30
	rf3 := SimpleStrategy{RF: 3}
	for _, n := range []int{5, 10} {
		var sumP, sumE float64
		for seed := range uint64(offsets) {
			s := grownRing(t, n, DefaultNumTokens, 3, rand.New(rand.NewPCG(seed, 42)))
			pr, _ := spread(s.Ownership(), n)
			er, _ := spread(s.EffectiveOwnership(rf3), n)
			sumP, sumE = sumP+pr, sumE+er
		}
		mp, me := sumP/offsets, sumE/offsets
		t.Logf("%d nodes of %d tokens, mean over %d offsets: primary max/min %.3f, effective rf=3 max/min %.3f", n, DefaultNumTokens, offsets, mp, me)
		if mp > 1.15 || me > 1.25 {
			t.Errorf("%d nodes: mean primary max/min %.3f (want <= 1.15), effective %.3f (want <= 1.25)", n, mp, me)
		}
	}
}

// TestAllocationJoinBalance: a node taking 256 tokens in a ring of ten
// nodes with 256 random tokens each ends up with its fair primary and
// effective share, within 3%, and evens out the ring. Run with -v for the
// README figures.
func TestAllocationJoinBalance(t *testing.T) {
	rf3 := SimpleStrategy{RF: 3}
	s := joinFixture(t, 10, 256)
	pr, pcv := spread(s.Ownership(), 10)
	er, ecv := spread(s.EffectiveOwnership(rf3), 10)
	t.Logf("before: primary max/min %.3f (cv %.4f), effective rf=3 max/min %.3f (cv %.4f)", pr, pcv, er, ecv)
	toks, err := AllocateTokens(s, 256, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := hostID(11)
	if s, err = NewBuilder(s).Upsert(Node{ID: id, DC: "dc1", Rack: "r1", Status: StatusNormal, Tokens: toks}).Build(); err != nil {
		t.Fatal(err)
	}
	pr2, pcv2 := spread(s.Ownership(), 11)
	er2, ecv2 := spread(s.EffectiveOwnership(rf3), 11)
	p, e := s.Ownership()[id]*11, s.EffectiveOwnership(rf3)[id]*11/3
	t.Logf("after: primary max/min %.3f (cv %.4f), effective rf=3 max/min %.3f (cv %.4f); the new node's shares are %.3f and %.3f of a fair share",
		pr2, pcv2, er2, ecv2, p, e)
	if math.Abs(p-1) > 0.03 || math.Abs(e-1) > 0.03 {
		t.Errorf("the new node owns %.3f of a fair primary share and %.3f of a fair effective share, want both within 3%%", p, e)
	}
	if pr2 > pr || er2 > er || pcv2 > pcv || ecv2 > ecv {
		t.Errorf("joining made the ring less even: primary max/min %.3f -> %.3f, effective %.3f -> %.3f", pr, pr2, er, er2)
	}
}

func TestAllocateTokensDistinctAndDeterministic(t *testing.T) {
	s := balancedRing(t, 4, 8, 2)
	a, err := AllocateTokens(s, 16, 3, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := AllocateTokens(s, 16, 3, rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(a, b) {
		t.Fatalf("allocation on a non-empty ring depends on the random source: %v vs %v", a, b)
	}
	existing := map[Token]bool{}
	for _, tok := range s.Tokens() {
		existing[tok] = true
	}
	for i, tok := range a {
		if existing[tok] || (i > 0 && a[i-1] == tok) {
			t.Fatalf("token %d allocated twice", tok)
		}
	}
	if _, err := AllocateTokens(s, 0, 3, nil); err == nil {
		t.Fatal("allocating 0 tokens succeeded")
	}
}

func TestAllocateOnSingleTokenRing(t *testing.T) {
	s, err := NewBuilder(nil).Upsert(Node{ID: hostID(1), Status: StatusNormal, Tokens: []Token{0}}).Build()
	if err != nil {
		t.Fatal(err)
	}
	toks, err := AllocateTokens(s, 1, 3, nil)
	if err != nil || len(toks) != 1 || toks[0] == 0 {
		t.Fatalf("AllocateTokens on a one-token ring = %v, %v", toks, err)
	}
}

// cancelAfter is a context that a SIGTERM cancels in the middle of an
// allocation: its Err reports the parent's state for the first `after`
// calls, then cancels the parent. calls counts every call.
type cancelAfter struct {
	context.Context
	cancel       context.CancelFunc
	after, calls int
}

func newCancelAfter(after int) *cancelAfter {
	ctx, cancel := context.WithCancel(context.Background())
	return &cancelAfter{Context: ctx, cancel: cancel, after: after}
}

func (c *cancelAfter) Err() error {
	if c.calls++; c.calls > c.after {
		c.cancel()
	}
	return c.Context.Err()
}

func TestAllocateTokensContextDone(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	for _, s := range []*Snapshot{mustEmpty(t), joinFixture(t, 3, 16)} {
		if toks, err := AllocateTokensContext(cancelled, s, 16, 3, nil); !errors.Is(err, context.Canceled) || toks != nil {
			t.Errorf("cancelled context, %d tokens in the ring: %v, %v; want no tokens and context.Canceled", len(s.Tokens()), toks, err)
		}
		if toks, err := AllocateTokensContext(expired, s, 16, 3, nil); !errors.Is(err, context.DeadlineExceeded) || toks != nil {
			t.Errorf("expired context, %d tokens in the ring: %v, %v; want no tokens and context.DeadlineExceeded", len(s.Tokens()), toks, err)
		}
	}
}

// TestAllocateTokensContextCancelledMidway: a context cancelled while 256
// tokens are being allocated stops the allocation at the next check, with
// the context's error and no tokens; and the context is checked between
// tokens, so cancellation is noticed before the next token at the latest.
func TestAllocateTokensContextCancelledMidway(t *testing.T) {
	s := joinFixture(t, 10, 256)
	full := newCancelAfter(math.MaxInt)
	want, err := AllocateTokensContext(full, s, 256, 3, nil)
	if err != nil || len(want) != 256 {
		t.Fatalf("uncancelled allocation: %d tokens, %v", len(want), err)
	}
	if full.calls < 256 {
		t.Fatalf("the context was checked %d times while allocating 256 tokens, want at least once per token", full.calls)
	}
	for _, after := range []int{1, 10, full.calls / 2, full.calls - 1} {
		ctx := newCancelAfter(after)
		toks, err := AllocateTokensContext(ctx, s, 256, 3, nil)
		if !errors.Is(err, context.Canceled) || toks != nil {
			t.Fatalf("cancelled at check %d of %d: %d tokens, %v; want none and context.Canceled", after+1, full.calls, len(toks), err)
		}
		if ctx.calls != after+1 {
			t.Errorf("cancelled at check %d: the context was checked %d times, want the allocation to stop at that check", after+1, ctx.calls)
		}
	}
	// The context is also checked while a single token is scored on a
	// large ring, not only between tokens.
	big := joinFixture(t, 100, 256)
	if toks, err := AllocateTokensContext(newCancelAfter(2), big, 1, 3, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while scoring the only token on a ring of %d ranges: %v, %v; want context.Canceled", len(big.Tokens()), toks, err)
	}
	if got, err := AllocateTokensContext(context.Background(), s, 256, 3, nil); err != nil || !slices.Equal(got, want) {
		t.Errorf("AllocateTokensContext with a background context differs from the counted run: %v", err)
	}
}

// joinFixture is a ring of nodes with numTokens random tokens each, the
// ring a node joins in the allocation benchmarks; its tokens are fixed so
// runs of different versions compare.
func joinFixture(tb testing.TB, nodes, numTokens int) *Snapshot {
	return randomTokensRing(tb, nodes, numTokens, rand.New(rand.NewPCG(uint64(nodes), uint64(numTokens))))
}

func benchmarkJoin(b *testing.B, nodes, numTokens int) {
	s := joinFixture(b, nodes, numTokens)
	for b.Loop() {
		if _, err := AllocateTokens(s, numTokens, 3, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllocateTokens256On10Nodes: a node with --num-tokens 256 joins
// ten nodes of 256 tokens each (rf=3).
func BenchmarkAllocateTokens256On10Nodes(b *testing.B) { benchmarkJoin(b, 10, 256) }

// BenchmarkAllocateTokens16On10Nodes: the default 16 tokens joining ten
// nodes of 16, the baseline to read the 256-token case against.
func BenchmarkAllocateTokens16On10Nodes(b *testing.B) { benchmarkJoin(b, 10, DefaultNumTokens) }

// BenchmarkAllocateTokens256On100Nodes: a large ring, 25,600 ranges.
func BenchmarkAllocateTokens256On100Nodes(b *testing.B) { benchmarkJoin(b, 100, 256) }
