package bench

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
)

func TestSequentialCoversEveryKeyOnce(t *testing.T) {
	const n = 10_000
	g, err := NewKeyGen(DistSequential, n, 0.99)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(1, uint64(w)))
			for range n / 8 {
				k := g.Next(r)
				mu.Lock()
				counts[k]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for k, c := range counts {
		if c != 1 {
			t.Fatalf("key %d drawn %d times in one pass, want exactly once", k, c)
		}
	}
	if k := g.Next(nil); k != 0 {
		t.Fatalf("after a full pass got key %d, want a wrap to 0", k)
	}
}

func TestUniformInRangeAndSpread(t *testing.T) {
	const n, draws = 100, 100_000
	g, err := NewKeyGen(DistUniform, n, 0.99)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	counts := make([]int, n)
	for range draws {
		counts[g.Next(r)]++
	}
	for k, c := range counts {
		// Expect 1000 each; 6 standard deviations (~190) is a wide margin.
		if c < 800 || c > 1200 {
			t.Fatalf("key %d drawn %d times of %d, want about %d", k, c, draws, draws/n)
		}
	}
}

// TestZipfSkew checks the zipfian law: the most popular key carries about
// 1/zeta(n) of the draws, the top 1% of keys about half, and the hot keys
// are spread over the key space rather than packed at its start.
func TestZipfSkew(t *testing.T) {
	const n, draws = 10_000, 400_000
	g, err := NewKeyGen(DistZipf, n, 0.99)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, n)
	for range draws {
		k := g.Next(r)
		if k < 0 || k >= n {
			t.Fatalf("key %d out of [0, %d)", k, n)
		}
		counts[k]++
	}
	sorted := append([]int(nil), counts...)
	sort.Sort(sort.Reverse(sort.IntSlice(sorted)))
	top := float64(sorted[0]) / draws
	want := 1 / zeta(n, 0.99)
	if math.Abs(top-want) > 0.15*want {
		t.Errorf("hottest key has %.4f of draws, want %.4f", top, want)
	}
	var top1pct int
	for _, c := range sorted[:n/100] {
		top1pct += c
	}
	if frac := float64(top1pct) / draws; frac < 0.4 || frac > 0.7 {
		t.Errorf("top 1%% of keys have %.3f of draws, want about half", frac)
	}
	var firstPct int
	for _, c := range counts[:n/100] {
		firstPct += c
	}
	if float64(firstPct)/draws > 0.2 {
		t.Errorf("the first 1%% of the key space has %.3f of draws: hot keys not scrambled", float64(firstPct)/draws)
	}
}

func TestAffinePermIsBijection(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 64, 1000, 1 << 16, 65537, 3 * 5 * 7 * 11 * 13} {
		p := newAffinePerm(n)
		seen := make([]bool, n)
		for i := range n {
			k := p.apply(i)
			if k < 0 || k >= n || seen[k] {
				t.Fatalf("n=%d: %d maps to %d, out of range or taken", n, i, k)
			}
			seen[k] = true
		}
	}
}

func TestZetaTailApproximation(t *testing.T) {
	const n = 3_000_000
	var exact float64
	for i := 1; i <= n; i++ {
		exact += math.Pow(float64(i), -0.99)
	}
	if got := zeta(n, 0.99); math.Abs(got-exact)/exact > 1e-9 {
		t.Fatalf("zeta(%d) = %.12f, exact %.12f", n, got, exact)
	}
}

func TestZipfTinyKeySpaces(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int64{1, 2, 3} {
		g, err := NewKeyGen(DistZipf, n, 0.99)
		if err != nil {
			t.Fatal(err)
		}
		for range 1000 {
			if k := g.Next(r); k < 0 || k >= n {
				t.Fatalf("n=%d: key %d out of range", n, k)
			}
		}
	}
	if _, err := NewKeyGen(DistZipf, 0, 0.99); err == nil {
		t.Fatal("empty key space accepted")
	}
}
