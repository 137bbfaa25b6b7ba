package ring

import (
	"fmt"
	"math"
	"strconv"
)

// Token is a position on the ring: a signed 64-bit Murmur3 token, ordered
// as a signed integer, exactly as Cassandra's Murmur3Partitioner orders
// LongToken.
type Token int64

const (
	// MinToken is the ring's minimum token. No key hashes to it (Cassandra
	// maps a hash of Long.MIN_VALUE to Long.MAX_VALUE), so it is the
	// natural start of a range that covers the whole ring: (MinToken,
	// MinToken].
	MinToken Token = math.MinInt64
	// MaxToken is the largest token.
	MaxToken Token = math.MaxInt64
)

// String returns the token in decimal, the form system.local and
// system.peers report in their tokens column.
func (t Token) String() string { return strconv.FormatInt(int64(t), 10) }

// ParseToken parses a decimal signed 64-bit token, as written by String.
func ParseToken(s string) (Token, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cannot parse token %q: %w", s, err)
	}
	return Token(v), nil
}

// distance returns the clockwise distance from a to b on the ring, modulo
// 2^64: the number of tokens in (a, b]. A distance of 0 means a == b, which
// callers interpret as either nothing or the whole ring.
func distance(a, b Token) uint64 { return uint64(b) - uint64(a) }

// ringSize is 2^64 as a float64: the number of tokens on the ring.
const ringSize = 18446744073709551616.0
