package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// balancedRing grows a ring one node at a time with AllocateTokens, nodes
// spread over `racks` racks of dc1.
func balancedRing(tb testing.TB, nodes, numTokens, racks int) *Snapshot {
	tb.Helper()
	rnd := rand.New(rand.NewPCG(42, 42))
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
// each and checks that ownership stays balanced. Run with -v to print the
// table reported in README.md.
func TestAllocationSpread(t *testing.T) {
	rf3 := SimpleStrategy{RF: 3}
	t.Logf("%-6s %-10s %-22s %-22s %-22s", "nodes", "tokens", "primary max/min (cv)", "effective rf=3 max/min", "random tokens primary")
	for _, n := range []int{3, 5, 10} {
		s := balancedRing(t, n, DefaultNumTokens, 3)
		pr, pcv := spread(s.Ownership(), n)
		er, ecv := spread(s.EffectiveOwnership(rf3), n)
		rr, rcv := spread(randomTokensRing(t, n, DefaultNumTokens, rand.New(rand.NewPCG(42, 43))).Ownership(), n)
		t.Logf("%-6d %-10d %.3f (cv %.3f)      %.3f (cv %.3f)      %.3f (cv %.3f)", n, DefaultNumTokens, pr, pcv, er, ecv, rr, rcv)
		if pr > 1.20 {
			t.Errorf("%d nodes: primary ownership max/min %.3f, want <= 1.20", n, pr)
		}
		if er > 1.35 {
			t.Errorf("%d nodes: effective rf=3 ownership max/min %.3f, want <= 1.35", n, er)
		}
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
