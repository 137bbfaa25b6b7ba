package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// This file is the order-preserving ("byte-comparable") encoding of
// values: for two valid values a and b of a key type,
// bytes.Compare(enc(a), enc(b)) has the sign of Compare(t, a, b), and no
// encoding is a prefix of another (so encodings concatenate into
// composite keys). DESC inverts every bit of the encoding, which reverses
// the order and keeps it prefix-free.
//
// The encoding of each kind (an empty value is 0x00 wherever the natural
// encoding could begin with 0x00):
//
//	ascii, text, blob, custom  bytes with 00 escaped as 00 FF, then 00 01
//	boolean                    00 empty | 01 false | 02 true
//	integers, timestamp, time  01 + big-endian with the sign bit flipped
//	date                       01 + the 4 raw (unsigned) bytes
//	float, double              01 + IEEE bits, sign flipped (all bits if
//	                           negative), NaN canonical
//	uuid                       01 + version byte + (v1: time-first msb |
//	                           raw msb) + lsb
//	timeuuid                   01 + time-first msb + lsb with every
//	                           byte's sign bit flipped
//	inet                       04 + 4 bytes | 10 + 16 bytes
//	varint                     a sign-and-length header, then the
//	                           magnitude (positive) or the minimal two's
//	                           complement bytes (negative)
//	decimal                    40 negative | 80 zero | C0 positive, then the
//	                           adjusted exponent and base-100 digits,
//	                           inverted for negative values
//	list, set                  01 + (02 + element)* + 01
//	map                        01 + (02 + key + value)* + 01
//	tuple, UDT                 01 + (02 null | 03 + value)* + 01, trailing
//	                           nulls dropped
//
// Values are assumed valid (see Validate); AppendOrdered checks what it
// needs to and reports the rest as errors rather than panicking.

// Errors of the ordered encoding.
var (
	// ErrNotKeyType is returned for a type that has no order-preserving
	// encoding (counter, duration, non-frozen collections and UDTs).
	ErrNotKeyType = errors.New("schema: type cannot be part of a key")
	// ErrCorruptKey is wrapped by every DecodeOrdered error.
	ErrCorruptKey = errors.New("schema: corrupt ordered encoding")
)

const (
	ordEmpty   = 0x00
	ordPresent = 0x01
	ordTerm    = 0x01
	ordElem    = 0x02
	ordNull    = 0x02
	ordField   = 0x03
)

// AppendOrdered appends the order-preserving encoding of the serialized
// value v of t to dst; desc inverts it for descending order.
func AppendOrdered(dst []byte, t *Type, v []byte, desc bool) ([]byte, error) {
	if err := checkTypeShape(t, 0); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrNotKeyType, err)
	}
	if !t.CanBeKey() {
		return dst, fmt.Errorf("%w: %s", ErrNotKeyType, t)
	}
	if err := Validate(t, v); err != nil {
		return dst, err
	}
	start := len(dst)
	out, err := appendBody(dst, t, v, 0)
	if err != nil {
		return dst, err
	}
	if desc {
		invert(out[start:])
	}
	return out, nil
}

func invert(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

func appendBody(dst []byte, t *Type, v []byte, depth int) ([]byte, error) {
	if depth > maxTypeDepth {
		return dst, errors.New("type nested too deeply")
	}
	switch t.Kind {
	case KindASCII, KindVarchar, KindBlob, KindCustom:
		return appendEscaped(dst, v), nil
	}
	if len(v) == 0 {
		return append(dst, ordEmpty), nil
	}
	switch t.Kind {
	case KindBoolean:
		return append(dst, 1+byte(boolNorm(KindBoolean, v))), nil
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindTimestamp, KindTime:
		return append(append(dst, ordPresent), flipSign(v)...), nil
	case KindDate:
		return append(append(dst, ordPresent), v...), nil
	case KindFloat:
		return binary.BigEndian.AppendUint32(append(dst, ordPresent), float32Key(v)), nil
	case KindDouble:
		return binary.BigEndian.AppendUint64(append(dst, ordPresent), floatKey(v)), nil
	case KindUUID:
		return appendUUID(dst, v), nil
	case KindTimeUUID:
		dst = binary.BigEndian.AppendUint64(append(dst, ordPresent), reorderTimestamp(binary.BigEndian.Uint64(v)))
		return binary.BigEndian.AppendUint64(dst, binary.BigEndian.Uint64(v[8:])^signedBytesMask), nil
	case KindInet:
		return append(append(dst, byte(len(v))), v...), nil
	case KindVarint:
		return appendOrderedVarint(dst, bigFromVarint(v)), nil
	case KindDecimal:
		return appendOrderedDecimal(dst, v), nil
	case KindList, KindSet, KindMap:
		return appendOrderedCollection(dst, t, v, depth)
	case KindTuple, KindUDT:
		return appendOrderedFields(dst, t, v, depth)
	}
	return dst, fmt.Errorf("%w: %s", ErrNotKeyType, t)
}

func appendEscaped(dst, v []byte) []byte {
	for _, c := range v {
		if c == 0 {
			dst = append(dst, 0x00, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0x00, 0x01)
}

func float32Key(v []byte) uint32 {
	b := binary.BigEndian.Uint32(v)
	if f := math.Float32frombits(b); f != f {
		b = 0x7fc00000
	}
	if b>>31 == 1 {
		return ^b
	}
	return b | 1<<31
}

func appendUUID(dst, v []byte) []byte {
	msb := binary.BigEndian.Uint64(v)
	ver := uuidVersion(v)
	dst = append(dst, ordPresent, byte(ver))
	if ver == 1 {
		msb = reorderTimestamp(msb)
	}
	dst = binary.BigEndian.AppendUint64(dst, msb)
	return append(dst, v[8:16]...)
}

// Varint headers.
const (
	varintZero      = 0x80
	varintShortMax  = 0x3E // longest magnitude with a one-byte header
	varintLongPos   = 0xBF
	varintLongNeg   = 0x40
	varintPosOffset = 0x80
	varintNegOffset = 0x7F
)

func appendOrderedVarint(dst []byte, x *big.Int) []byte {
	switch x.Sign() {
	case 0:
		return append(dst, varintZero)
	case 1:
		mag := x.Bytes()
		dst = appendVarintLen(dst, len(mag), false)
		return append(dst, mag...)
	}
	raw := varintBytes(x)
	dst = appendVarintLen(dst, len(raw), true)
	return append(dst, raw...)
}

func appendVarintLen(dst []byte, n int, neg bool) []byte {
	switch {
	case n <= varintShortMax && !neg:
		return append(dst, byte(varintPosOffset+n))
	case n <= varintShortMax:
		return append(dst, byte(varintNegOffset-n))
	case !neg:
		return binary.BigEndian.AppendUint32(append(dst, varintLongPos), uint32(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, varintLongNeg), ^uint32(n))
}

// Decimal headers.
const (
	decimalNeg  = 0x40
	decimalZero = 0x80
	decimalPos  = 0xC0
)

func appendOrderedDecimal(dst, v []byte) []byte {
	d := Decimal{Unscaled: bigFromVarint(v[4:]), Scale: int32(binary.BigEndian.Uint32(v))}
	sign := d.unscaled().Sign()
	if sign == 0 {
		return append(dst, decimalZero)
	}
	digits, exp := decimalDigits(d)
	start := len(dst) + 1
	if sign > 0 {
		dst = append(dst, decimalPos)
	} else {
		dst = append(dst, decimalNeg)
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(exp)^1<<63)
	for i := 0; i < len(digits); i += 2 {
		d2 := byte(0)
		if i+1 < len(digits) {
			d2 = digits[i+1] - '0'
		}
		dst = append(dst, (digits[i]-'0')*10+d2+1)
	}
	dst = append(dst, 0x00)
	if sign < 0 {
		invert(dst[start:])
	}
	return dst
}

func appendOrderedCollection(dst []byte, t *Type, v []byte, depth int) ([]byte, error) {
	per := 1
	if t.Kind == KindMap {
		per = 2
	}
	elems, err := splitCollection(v, per)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ordPresent)
	for i, e := range elems {
		if i%per == 0 {
			dst = append(dst, ordElem)
		}
		if dst, err = appendBody(dst, t.Elems[i%per], e, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, ordTerm), nil
}

func appendOrderedFields(dst []byte, t *Type, v []byte, depth int) ([]byte, error) {
	fields, err := splitFields(v, len(t.Elems))
	if err != nil {
		return dst, err
	}
	for len(fields) > 0 && fields[len(fields)-1] == nil {
		fields = fields[:len(fields)-1]
	}
	dst = append(dst, ordPresent)
	for i, f := range fields {
		if f == nil {
			dst = append(dst, ordNull)
			continue
		}
		if dst, err = appendBody(append(dst, ordField), t.Elems[i], f, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, ordTerm), nil
}
