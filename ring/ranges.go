package ring

import (
	"fmt"
	"math/bits"
	"slices"
)

// Range is the token range (Start, End]: every token t with Start < t <=
// End, wrapping around the ring when Start >= End. Start == End is the
// whole ring (what a single token owns), as in Cassandra.
type Range struct {
	Start, End Token
}

// FullRing is the range that covers every token.
var FullRing = Range{Start: MinToken, End: MinToken}

// String formats r as Cassandra does: (start,end].
func (r Range) String() string { return fmt.Sprintf("(%d,%d]", int64(r.Start), int64(r.End)) }

// IsFull reports whether r covers the whole ring.
func (r Range) IsFull() bool { return r.Start == r.End }

// Wraps reports whether r crosses the end of the ring (from MaxToken to
// MinToken): Start >= End, except for FullRing, which starts at MinToken
// and so needs no wrapping.
func (r Range) Wraps() bool { return r.Start >= r.End && r != FullRing }

// Contains reports whether t lies in r.
func (r Range) Contains(t Token) bool {
	switch {
	case r.Start == r.End:
		return true
	case r.Start < r.End:
		return r.Start < t && t <= r.End
	default:
		return t > r.Start || t <= r.End
	}
}

// Width returns the number of tokens in r; 0 stands for 2^64 (the full
// ring).
func (r Range) Width() uint64 { return distance(r.Start, r.End) }

// Fraction returns the share of the ring r covers, in (0, 1].
func (r Range) Fraction() float64 {
	if r.IsFull() {
		return 1
	}
	return float64(r.Width()) / ringSize
}

// Unwrap splits r into ranges with Start < End, in token order: a range
// that crosses the end of the ring becomes (MinToken, End] and (Start,
// MaxToken]; a non-wrapping range and FullRing come back as they are.
// MinToken itself is the token of no key (Murmur3Token maps the one hash
// that would give it to MaxToken; only the empty key has it), so pieces
// may leave it out: (s, MinToken] unwraps to (s, MaxToken]. Storage scans
// and Merkle trees take unwrapped ranges.
func (r Range) Unwrap() []Range {
	if !r.Wraps() {
		return []Range{r}
	}
	var out []Range
	if r.End != MinToken {
		out = append(out, Range{Start: MinToken, End: r.End})
	}
	if r.Start != MaxToken {
		out = append(out, Range{Start: r.Start, End: MaxToken})
	}
	return out
}

// Normalize sorts ranges by start and merges those that touch or overlap,
// returning the smallest list of non-wrapping ranges that covers the same
// tokens. A list covering the whole ring becomes [FullRing].
func Normalize(rs []Range) []Range {
	var flat []Range
	for _, r := range rs {
		if r.IsFull() {
			return []Range{FullRing}
		}
		flat = append(flat, r.Unwrap()...)
	}
	slices.SortFunc(flat, func(a, b Range) int {
		if a.Start != b.Start {
			return cmpToken(a.Start, b.Start)
		}
		return cmpToken(a.End, b.End)
	})
	var out []Range
	for _, r := range flat {
		if n := len(out); n > 0 && r.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	if len(out) == 1 && out[0].Start == MinToken && out[0].End == MaxToken {
		return []Range{FullRing}
	}
	return out
}

func cmpToken(a, b Token) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Split divides r into n contiguous ranges of (nearly) equal width, in
// ring order from r.Start; fewer when r has fewer than n tokens. Repair
// uses it to keep each Merkle tree's range small enough for its depth.
// n < 1 is treated as 1.
func (r Range) Split(n int) []Range {
	w := r.Width() // 0 is 2^64
	if n < 1 {
		n = 1
	}
	if w != 0 && uint64(n) > w {
		n = int(w)
	}
	out := make([]Range, 0, n)
	start := r.Start
	for i := 1; i <= n; i++ {
		end := r.End
		if i < n {
			end = r.Start + Token(splitPoint(w, uint64(i), uint64(n)))
		}
		out = append(out, Range{Start: start, End: end})
		start = end
	}
	return out
}

// splitPoint returns floor(i·w/n) for w tokens (0 meaning 2^64), i < n.
func splitPoint(w, i, n uint64) uint64 {
	if w == 0 {
		hi, lo := i, uint64(0) // i·2^64
		q, _ := bits.Div64(hi, lo, n)
		return q
	}
	hi, lo := bits.Mul64(i, w)
	q, _ := bits.Div64(hi, lo, n)
	return q
}
