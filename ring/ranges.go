package ring

import (
	"fmt"
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

// Wraps reports whether r crosses the end of the ring (MaxToken to
// MinToken). The full ring counts as wrapping unless it starts at MinToken.
func (r Range) Wraps() bool { return r.Start >= r.End && r.End != MinToken }

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

// Unwrap splits r into ranges that do not wrap, in token order: a range
// that crosses the end of the ring becomes (MinToken, End] and (Start,
// MaxToken]. MaxToken is a token no range can exceed, so (Start, MaxToken]
// reaches the end. Storage scans and Merkle trees take unwrapped ranges.
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
