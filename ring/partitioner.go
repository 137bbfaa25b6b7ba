package ring

import (
	"encoding/binary"
	"math/bits"
)

// PartitionerName is the partitioner class Sibyl reports in system.local.
// Drivers match its suffix to choose their token hash, so it must be
// Cassandra's name for exactly the hash Murmur3Token computes.
const PartitionerName = "org.apache.cassandra.dht.Murmur3Partitioner"

const (
	mmC1 = 0x87c37b91114253d5
	mmC2 = 0x4cf5ad432745937f
)

// Murmur3Token returns the token Cassandra's Murmur3Partitioner assigns to
// a serialized partition key (its routing-key form, see RoutingKey).
//
// The token is the first 64 bits (h1) of Cassandra's variant of
// MurmurHash3_x64_128 with seed 0. Cassandra's variant differs from the
// reference hash (and from spaolacci/murmur3) in one place: the 1 to 15
// tail bytes are sign-extended before they are shifted into k1 and k2,
// because Java bytes are signed. Keys whose tail holds a byte >= 0x80
// therefore hash differently; drivers (gocql's internal/murmur, the Python
// driver's murmur3.py) copy Cassandra, and so do we. A result of
// math.MinInt64 becomes math.MaxInt64 (Murmur3Partitioner.getToken), so no
// key owns MinToken. The empty key has MinToken, as in Cassandra.
func Murmur3Token(key []byte) Token {
	if len(key) == 0 {
		return MinToken
	}
	return hashToToken(murmur3H1(key))
}

// hashToToken applies Murmur3Partitioner.getToken's one adjustment: the
// hash Long.MIN_VALUE becomes Long.MAX_VALUE, keeping MinToken free.
func hashToToken(h uint64) Token {
	if Token(h) == MinToken {
		return MaxToken
	}
	return Token(h)
}

// murmur3H1 is Cassandra's MurmurHash3_x64_128 (seed 0), h1 only.
func murmur3H1(data []byte) uint64 {
	var h1, h2 uint64
	n := len(data)
	body := n / 16 * 16
	for i := 0; i < body; i += 16 {
		k1 := binary.LittleEndian.Uint64(data[i:])
		k2 := binary.LittleEndian.Uint64(data[i+8:])
		h1 ^= mixK1(k1)
		h1 = bits.RotateLeft64(h1, 27) + h2
		h1 = h1*5 + 0x52dce729
		h2 ^= mixK2(k2)
		h2 = bits.RotateLeft64(h2, 31) + h1
		h2 = h2*5 + 0x38495ab5
	}
	k1, k2 := tailWords(data[body:])
	if n&15 > 8 {
		h2 ^= mixK2(k2)
	}
	if n&15 > 0 {
		h1 ^= mixK1(k1)
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	return h1 + h2
}

// tailWords folds the last len(tail) < 16 bytes into k1 (bytes 0-7) and k2
// (bytes 8-14), sign-extending each byte first as Java does.
func tailWords(tail []byte) (k1, k2 uint64) {
	for i := len(tail) - 1; i >= 0; i-- {
		v := uint64(int64(int8(tail[i]))) // sign extension: Cassandra's quirk
		if i >= 8 {
			k2 ^= v << (8 * uint(i-8))
		} else {
			k1 ^= v << (8 * uint(i))
		}
	}
	return k1, k2
}

func mixK1(k uint64) uint64 {
	k *= mmC1
	k = bits.RotateLeft64(k, 31)
	return k * mmC2
}

func mixK2(k uint64) uint64 {
	k *= mmC2
	k = bits.RotateLeft64(k, 33)
	return k * mmC1
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// RoutingKey encodes the serialized components of a partition key as the
// bytes that are hashed, exactly as drivers build routing keys and as
// Cassandra's CompositeType serializes them: a single component is used
// as is; several components are each written as a big-endian uint16
// length, the bytes, and a 0x00 end-of-component byte. A component longer
// than 65535 bytes cannot be part of a composite key; RoutingKey reports
// ok == false for it.
func RoutingKey(components ...[]byte) (key []byte, ok bool) {
	if len(components) == 1 {
		return components[0], true
	}
	size := 0
	for _, c := range components {
		if len(c) > 0xffff {
			return nil, false
		}
		size += 3 + len(c)
	}
	key = make([]byte, 0, size)
	for _, c := range components {
		key = binary.BigEndian.AppendUint16(key, uint16(len(c)))
		key = append(key, c...)
		key = append(key, 0)
	}
	return key, true
}
