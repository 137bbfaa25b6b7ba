package bench

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
)

// KeyGen chooses key indexes in [0, N). Next may be called by many
// goroutines at once, each passing its own random source.
type KeyGen interface {
	Next(r *rand.Rand) int64
}

// NewKeyGen returns the generator of distribution d over n keys.
func NewKeyGen(d Distribution, n int64, theta float64) (KeyGen, error) {
	if n < 1 {
		return nil, fmt.Errorf("bench: key space of %d keys is empty", n)
	}
	switch d {
	case DistUniform:
		return uniformGen{n: n}, nil
	case DistSequential:
		return &sequentialGen{n: n}, nil
	case DistZipf:
		return newZipfGen(n, theta)
	default:
		return nil, fmt.Errorf("bench: unknown distribution %q", d)
	}
}

type uniformGen struct{ n int64 }

func (g uniformGen) Next(r *rand.Rand) int64 { return r.Int64N(g.n) }

// sequentialGen hands out 0, 1, 2, ... across all callers and wraps at n.
type sequentialGen struct {
	n    int64
	next atomic.Int64
}

func (g *sequentialGen) Next(*rand.Rand) int64 {
	return (g.next.Add(1) - 1) % g.n
}

// zipfGen is YCSB's ScrambledZipfianGenerator: the zipfian generator of Gray
// et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD
// 1994), whose rank i is mapped to a key by a bijection of [0, n) so that hot
// keys are spread over the key space instead of packed at its start (which
// would put them all in the first partitions and on the same replicas).
type zipfGen struct {
	n                   int64
	theta, alpha, eta   float64
	zetan, halfPowTheta float64
	perm                affinePerm
}

func newZipfGen(n int64, theta float64) (*zipfGen, error) {
	if theta <= 0 || theta >= 1 {
		return nil, fmt.Errorf("bench: zipf theta %g is not in (0, 1)", theta)
	}
	zetan := zeta(n, theta)
	zeta2 := zeta(2, theta)
	g := &zipfGen{
		n:            n,
		theta:        theta,
		alpha:        1 / (1 - theta),
		zetan:        zetan,
		halfPowTheta: 1 + math.Pow(0.5, theta),
		eta:          (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/zetan),
		perm:         newAffinePerm(n),
	}
	return g, nil
}

// Next returns a key whose rank follows the zipfian law.
func (g *zipfGen) Next(r *rand.Rand) int64 {
	return g.perm.apply(g.rank(r.Float64()))
}

// rank maps a uniform u in [0, 1) to a zipfian rank in [0, n); rank 0 is the
// most popular.
func (g *zipfGen) rank(u float64) int64 {
	uz := u * g.zetan
	if uz < 1 {
		return 0
	}
	if uz < g.halfPowTheta && g.n > 1 {
		return 1
	}
	k := int64(float64(g.n) * math.Pow(g.eta*u-g.eta+1, g.alpha))
	return min(max(k, 0), g.n-1)
}

// zeta is sum_{i=1..n} 1/i^theta. For large n it sums the first million
// terms and approximates the tail by the Euler-Maclaurin formula, whose
// error there is far below float64 rounding of the sum, so generators over
// hundreds of millions of keys start at once.
func zeta(n int64, theta float64) float64 {
	const exact = 1_000_000
	var sum float64
	for i := int64(1); i <= min(n, exact); i++ {
		sum += math.Pow(float64(i), -theta)
	}
	if n <= exact {
		return sum
	}
	// sum_{i=a+1..n} f(i) ~ integral_a^n f + (f(n) - f(a))/2, f(x) = x^-theta.
	a, b := float64(exact), float64(n)
	f := func(x float64) float64 { return math.Pow(x, -theta) }
	integral := (math.Pow(b, 1-theta) - math.Pow(a, 1-theta)) / (1 - theta)
	return sum + integral + (f(b)-f(a))/2
}

// affinePerm is the bijection i -> (a*i + b) mod n of [0, n), with a coprime
// to n. Unlike YCSB's hash-and-modulo it is a true permutation, so the
// scrambled distribution has exactly the zipfian frequencies.
type affinePerm struct{ n, a, b uint64 }

func newAffinePerm(n int64) affinePerm {
	p := affinePerm{n: uint64(n)}
	if n <= 1 {
		return p
	}
	// A large odd multiplier (the 64-bit golden ratio) reduced mod n, moved
	// up until it is coprime to n; b an arbitrary offset.
	a := uint64(0x9E3779B97F4A7C15) % p.n
	for a == 0 || gcd(a, p.n) != 1 {
		a = (a + 1) % p.n
	}
	p.a = a
	p.b = uint64(0xD1B54A32D192ED03) % p.n
	return p
}

func (p affinePerm) apply(i int64) int64 {
	if p.n <= 1 {
		return 0
	}
	hi, lo := bits.Mul64(p.a, uint64(i))
	_, rem := bits.Div64(hi%p.n, lo, p.n)
	return int64((rem + p.b) % p.n)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
