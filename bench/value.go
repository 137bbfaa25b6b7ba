package bench

import (
	"bytes"
	"encoding/binary"
)

// Value appends to dst[:0] the value of row (pk, ck): size bytes derived
// deterministically from the key alone, so that any later run can recompute
// what an earlier run wrote. Distinct keys give different values with
// overwhelming probability (for sizes of 8 bytes and more), and the bytes
// look random, so compression does not flatter the figures.
func Value(dst []byte, pk, ck int64, size int) []byte {
	dst = dst[:0]
	if cap(dst) < size {
		dst = make([]byte, 0, size)
	}
	state := uint64(pk)*0x9E3779B97F4A7C15 ^ uint64(ck)*0xC2B2AE3D27D4EB4F
	var word [8]byte
	for len(dst) < size {
		binary.LittleEndian.PutUint64(word[:], splitmix64(&state))
		n := min(8, size-len(dst))
		dst = append(dst, word[:n]...)
	}
	return dst
}

// CheckValue reports whether got is the value of row (pk, ck) of the given
// size; scratch is reused to compute the expectation and returned.
func CheckValue(scratch, got []byte, pk, ck int64, size int) (bool, []byte) {
	scratch = Value(scratch, pk, ck, size)
	return bytes.Equal(scratch, got), scratch
}

// splitmix64 is Vigna's SplitMix64 step: a full-period generator whose
// output passes BigCrush, used here as a keyed stream.
func splitmix64(state *uint64) uint64 {
	*state += 0x9E3779B97F4A7C15
	z := *state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}
