package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// This file holds the low-level pieces of the native-protocol (v3+) value
// serialization shared by the codec, the validator and the comparator:
// collections are [int32 n] then n × [int32 len][bytes]; tuples and UDTs
// are a sequence of [int32 len][bytes] with len < 0 for null; durations
// are three Cassandra vints.

// maxCollectionElems bounds the element count a decoder believes before
// it has read the elements, so a hostile count cannot force a huge
// allocation.
const maxCollectionElems = 1 << 16

// splitCollection splits a serialized list or set into its elements. For
// a map, perElem is 2 and the result alternates key and value.
func splitCollection(b []byte, perElem int) ([][]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("not enough bytes to read the element count: %d", len(b))
	}
	n := int32(binary.BigEndian.Uint32(b))
	if n < 0 {
		return nil, fmt.Errorf("negative element count %d", n)
	}
	b = b[4:]
	total := int(n) * perElem
	// Every element needs at least 4 bytes, which bounds a believable n.
	if total > len(b)/4 {
		return nil, fmt.Errorf("element count %d exceeds the %d bytes that follow", n, len(b))
	}
	out := make([][]byte, 0, min(total, maxCollectionElems))
	for i := 0; i < total; i++ {
		v, rest, err := readValue(b)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i/perElem, err)
		}
		if v == nil {
			return nil, fmt.Errorf("element %d: null is not supported inside collections", i/perElem)
		}
		out = append(out, v)
		b = rest
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the last element", len(b))
	}
	return out, nil
}

// readValue reads one [int32 len][bytes]; len < 0 yields nil (null).
func readValue(b []byte) (v, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("not enough bytes to read a length: %d", len(b))
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n < 0 {
		return nil, b, nil
	}
	if int(n) > len(b) {
		return nil, nil, fmt.Errorf("length %d exceeds the %d bytes that follow", n, len(b))
	}
	return b[:n:n], b[n:], nil
}

// splitFields splits a serialized tuple or UDT value into at most max
// components; missing trailing components are absent from the result,
// null components are nil.
func splitFields(b []byte, max int) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(out) == max {
			return nil, fmt.Errorf("more than the %d components declared", max)
		}
		v, rest, err := readValue(b)
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", len(out), err)
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

// appendValue appends [int32 len][bytes], or [int32 -1] for nil.
func appendValue(dst, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

// buildCollection serializes elements (already serialized) as a
// collection of n entries.
func buildCollection(n int, elems [][]byte) []byte {
	size := 4
	for _, e := range elems {
		size += 4 + len(e)
	}
	out := make([]byte, 0, size)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	for _, e := range elems {
		if e == nil {
			e = []byte{}
		}
		out = appendValue(out, e)
	}
	return out
}

var errVintTruncated = errors.New("truncated vint")

// readVint reads one Cassandra unsigned vint: the number of leading 1 bits
// of the first byte is the number of extra bytes.
func readVint(b []byte) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errVintTruncated
	}
	extra := bits.LeadingZeros8(^b[0])
	if len(b) < 1+extra {
		return 0, nil, errVintTruncated
	}
	v := uint64(b[0] & (0xff >> extra))
	if extra == 8 {
		v = 0
	}
	for i := 1; i <= extra; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, b[1+extra:], nil
}

// appendVint appends v as a Cassandra unsigned vint.
func appendVint(dst []byte, v uint64) []byte {
	magnitude := bits.LeadingZeros64(v | 1)
	size := (639 - magnitude*9) >> 6
	extra := size - 1
	var buf [9]byte
	for i := size - 1; i >= 0; i-- {
		buf[i] = byte(v)
		v >>= 8
	}
	if extra == 8 {
		buf[0] = 0xff
	} else {
		buf[0] |= ^byte(0xff >> extra)
	}
	return append(dst, buf[:size]...)
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// decodeDuration parses a serialized duration.
func decodeDuration(b []byte) (Duration, error) {
	var parts [3]int64
	for i := range parts {
		u, rest, err := readVint(b)
		if err != nil {
			return Duration{}, err
		}
		parts[i] = unzigzag(u)
		b = rest
	}
	if len(b) != 0 {
		return Duration{}, fmt.Errorf("%d unexpected trailing bytes", len(b))
	}
	if parts[0] < minInt32 || parts[0] > maxInt32 || parts[1] < minInt32 || parts[1] > maxInt32 {
		return Duration{}, errors.New("months or days out of the int32 range")
	}
	d := Duration{Months: int32(parts[0]), Days: int32(parts[1]), Nanos: parts[2]}
	if !sameSign(parts[:]) {
		return Duration{}, errors.New("the duration months, days and nanoseconds must be all of the same sign")
	}
	return d, nil
}

func sameSign(p []int64) bool {
	neg, pos := false, false
	for _, v := range p {
		neg = neg || v < 0
		pos = pos || v > 0
	}
	return !(neg && pos)
}

func encodeDuration(d Duration) ([]byte, error) {
	if !sameSign([]int64{int64(d.Months), int64(d.Days), d.Nanos}) {
		return nil, errors.New("the duration months, days and nanoseconds must be all of the same sign")
	}
	out := appendVint(nil, zigzag(int64(d.Months)))
	out = appendVint(out, zigzag(int64(d.Days)))
	return appendVint(out, zigzag(d.Nanos)), nil
}
