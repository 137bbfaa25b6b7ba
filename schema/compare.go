package schema

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"math/big"
)

// Compare orders two serialized values of t as CQL (Cassandra 4.1) does
// and returns -1, 0 or +1. An empty value sorts before every other value;
// null (nil) is treated as empty. Per type:
//
//   - integers, counter, timestamp, time: signed numeric order;
//   - varint and decimal: numeric order (1.0 == 1.00);
//   - float and double: Java's Double.compare (-0 < +0, every NaN equal and
//     above +Inf);
//   - boolean: false < true;
//   - date: unsigned days (the epoch is at 2^31);
//   - uuid: as Cassandra's UUIDType: version first; version 1 by
//     timestamp, others by the most significant 64 bits unsigned; then the
//     least significant 64 bits unsigned;
//   - timeuuid: as TimeUUIDType: by timestamp, then the least significant
//     8 bytes as signed bytes;
//   - inet: 4-byte addresses before 16-byte ones, then bytewise;
//   - ascii, text, blob, custom, duration: bytewise;
//   - frozen lists and sets: element-wise, then the shorter first; maps:
//     entry-wise (key, then value), then the shorter first;
//   - tuples and UDTs: component-wise, where null < empty < any value and
//     missing trailing components count as null.
//
// Values that are not valid for t are compared bytewise so that Compare
// never panics; validate first when it matters.
func Compare(t *Type, a, b []byte) int {
	return compare(t, a, b, 0)
}

func compare(t *Type, a, b []byte, depth int) int {
	if len(a) == 0 || len(b) == 0 {
		return cmp.Compare(len(a), len(b)) // empty sorts first; both empty: equal
	}
	if depth > maxTypeDepth || t == nil {
		return bytes.Compare(a, b)
	}
	if w, ok := fixedWidth(t.Kind); ok && (len(a) != w || len(b) != w) {
		return bytes.Compare(a, b)
	}
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter, KindTimestamp, KindTime:
		return cmp.Compare(signedInt(a), signedInt(b))
	case KindDate, KindBoolean:
		return cmp.Compare(boolNorm(t.Kind, a), boolNorm(t.Kind, b))
	case KindFloat, KindDouble:
		return cmp.Compare(floatKey(a), floatKey(b))
	case KindVarint:
		return bigFromVarint(a).Cmp(bigFromVarint(b))
	case KindDecimal:
		return compareDecimal(a, b)
	case KindUUID:
		return compareUUID(a, b)
	case KindTimeUUID:
		return compareTimeUUID(a, b)
	case KindInet:
		if len(a) != len(b) {
			return cmp.Compare(len(a), len(b))
		}
		return bytes.Compare(a, b)
	case KindList, KindSet, KindMap:
		return compareCollection(t, a, b, depth)
	case KindTuple, KindUDT:
		return compareFields(t, a, b, depth)
	}
	return bytes.Compare(a, b)
}

// boolNorm maps a boolean to 0/1 and a date to its unsigned day number.
func boolNorm(k Kind, b []byte) uint64 {
	if k == KindBoolean {
		if b[0] != 0 {
			return 1
		}
		return 0
	}
	return uint64(binary.BigEndian.Uint32(b))
}

// signedInt decodes a big-endian two's complement integer of 1 to 8 bytes.
func signedInt(b []byte) int64 {
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v
}

// flipSign returns a copy of a big-endian two's complement integer with
// the sign bit flipped, so that unsigned byte order is numeric order.
func flipSign(b []byte) []byte {
	var buf [8]byte
	c := buf[:len(b)]
	copy(c, b)
	c[0] ^= 0x80
	return c
}

// floatKey maps a float or double to a uint64 whose order is Java's
// Double.compare order (all NaNs canonical and greatest).
func floatKey(b []byte) uint64 {
	var bitsv uint64
	if len(b) == 4 {
		f := math.Float32frombits(binary.BigEndian.Uint32(b))
		bitsv = math.Float64bits(float64(f))
		if f != f {
			bitsv = 0x7ff8000000000000
		}
	} else {
		bitsv = binary.BigEndian.Uint64(b)
		if f := math.Float64frombits(bitsv); f != f {
			bitsv = 0x7ff8000000000000
		}
	}
	if bitsv>>63 == 1 {
		return ^bitsv
	}
	return bitsv | 1<<63
}

func compareDecimal(a, b []byte) int {
	if len(a) < 4 || len(b) < 4 {
		return bytes.Compare(a, b)
	}
	da := Decimal{Unscaled: bigFromVarint(a[4:]), Scale: int32(binary.BigEndian.Uint32(a))}
	db := Decimal{Unscaled: bigFromVarint(b[4:]), Scale: int32(binary.BigEndian.Uint32(b))}
	return da.Cmp(db)
}

// Cmp compares two decimals numerically.
func (d Decimal) Cmp(o Decimal) int {
	x, y := d.unscaled(), o.unscaled()
	if x.Sign() != y.Sign() || x.Sign() == 0 {
		return cmp.Compare(x.Sign(), y.Sign())
	}
	// Compare by normalized exponent first to avoid huge multiplications.
	na, ea := decimalDigits(d)
	nb, eb := decimalDigits(o)
	if ea != eb {
		if x.Sign() > 0 {
			return cmp.Compare(ea, eb)
		}
		return cmp.Compare(eb, ea)
	}
	// Same adjusted exponent: compare the digit strings left-aligned.
	c := compareDigits(na, nb)
	if x.Sign() < 0 {
		return -c
	}
	return c
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// decimalDigits returns the significant decimal digits of |d| (no
// trailing zeros) and the exponent E with |d| = 0.digits × 10^E.
func decimalDigits(d Decimal) (string, int64) {
	s := new(big.Int).Abs(d.unscaled()).String()
	n := len(s)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s, int64(n) - int64(d.Scale)
}

// compareDigits compares two digit strings as 0.a and 0.b.
func compareDigits(a, b string) int {
	n := min(len(a), len(b))
	if c := cmp.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	return cmp.Compare(len(a), len(b))
}

func uuidVersion(b []byte) int { return int(b[6] >> 4) }

// reorderTimestamp moves a version 1 UUID's time_hi/time_mid/time_low to
// the front, as Cassandra's TimeUUIDType.reorderTimestampBytes.
func reorderTimestamp(msb uint64) uint64 {
	return msb<<48 | (msb<<16)&0xFFFF00000000 | msb>>32
}

func compareUUID(a, b []byte) int {
	va, vb := uuidVersion(a), uuidVersion(b)
	if va != vb {
		return cmp.Compare(va, vb)
	}
	ma, mb := binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b)
	var c int
	if va == 1 {
		c = cmp.Compare(int64(reorderTimestamp(ma)), int64(reorderTimestamp(mb)))
	} else {
		c = cmp.Compare(ma, mb)
	}
	if c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// signedBytesMask flips every byte's sign bit so that an unsigned
// comparison of the result is a signed per-byte comparison.
const signedBytesMask = 0x8080808080808080

func compareTimeUUID(a, b []byte) int {
	ma, mb := binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b)
	if c := cmp.Compare(int64(reorderTimestamp(ma)), int64(reorderTimestamp(mb))); c != 0 {
		return c
	}
	la := binary.BigEndian.Uint64(a[8:]) ^ signedBytesMask
	lb := binary.BigEndian.Uint64(b[8:]) ^ signedBytesMask
	return cmp.Compare(la, lb)
}

func compareCollection(t *Type, a, b []byte, depth int) int {
	per := 1
	if t.Kind == KindMap {
		per = 2
	}
	if len(t.Elems) != per {
		return bytes.Compare(a, b)
	}
	ea, errA := splitCollection(a, per)
	eb, errB := splitCollection(b, per)
	if errA != nil || errB != nil {
		return bytes.Compare(a, b)
	}
	n := min(len(ea), len(eb))
	for i := 0; i < n; i++ {
		if c := compare(t.Elems[i%per], ea[i], eb[i], depth+1); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ea), len(eb))
}

func compareFields(t *Type, a, b []byte, depth int) int {
	fa, errA := splitFields(a, len(t.Elems))
	fb, errB := splitFields(b, len(t.Elems))
	if errA != nil || errB != nil {
		return bytes.Compare(a, b)
	}
	for i := range t.Elems {
		var x, y []byte
		if i < len(fa) {
			x = fa[i]
		}
		if i < len(fb) {
			y = fb[i]
		}
		if c := compareNullable(t.Elems[i], x, y, depth); c != 0 {
			return c
		}
	}
	return 0
}

// compareNullable orders null < empty < value.
func compareNullable(t *Type, x, y []byte, depth int) int {
	if x == nil || y == nil {
		return cmp.Compare(boolInt(x != nil), boolInt(y != nil))
	}
	return compare(t, x, y, depth+1)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
