package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// DecodeOrdered decodes one order-preserving encoding of a value of t
// from the front of src (desc as it was encoded) and returns the
// serialized value and the bytes after it. Values whose serialization is
// not unique come back in canonical form: varints minimal, decimals
// without trailing zeros, booleans as 0/1, NaNs canonical, tuples without
// trailing nulls. It never panics on any input; malformed input yields an
// error wrapping ErrCorruptKey.
func DecodeOrdered(src []byte, t *Type, desc bool) (v, rest []byte, err error) {
	if err := checkTypeShape(t, 0); err != nil {
		return nil, src, fmt.Errorf("%w: %w", ErrNotKeyType, err)
	}
	if !t.CanBeKey() {
		return nil, src, fmt.Errorf("%w: %s", ErrNotKeyType, t)
	}
	r := ordReader{b: src}
	if desc {
		r.mask = 0xFF
	}
	v, err = r.body(t, 0)
	if err != nil {
		return nil, src, fmt.Errorf("%w: %s at offset %d: %w", ErrCorruptKey, t, r.pos, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, src[r.pos:], nil
}

// ordReader reads an encoding, un-inverting every byte with mask.
type ordReader struct {
	b    []byte
	pos  int
	mask byte
}

var errShort = errors.New("unexpected end of key")

func (r *ordReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.pos] ^ r.mask
	r.pos++
	return c, nil
}

func (r *ordReader) bytes(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.pos < n {
		return nil, errShort
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = r.b[r.pos+i] ^ r.mask
	}
	r.pos += n
	return out, nil
}

func (r *ordReader) uint64() (uint64, error) {
	b, err := r.bytes(8)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

func (r *ordReader) body(t *Type, depth int) ([]byte, error) {
	if depth > maxTypeDepth {
		return nil, errors.New("type nested too deeply")
	}
	switch t.Kind {
	case KindASCII, KindVarchar, KindBlob, KindCustom:
		return r.escaped(t)
	}
	h, err := r.byte()
	if err != nil {
		return nil, err
	}
	if h == ordEmpty {
		return []byte{}, nil
	}
	switch t.Kind {
	case KindBoolean:
		if h > 2 {
			return nil, fmt.Errorf("bad boolean byte 0x%02x", h)
		}
		return []byte{h - 1}, nil
	case KindVarint:
		return r.varint(h)
	case KindDecimal:
		return r.decimal(h)
	case KindInet:
		if h != 4 && h != 16 {
			return nil, fmt.Errorf("bad address length %d", h)
		}
		return r.bytes(int(h))
	}
	if h != ordPresent {
		return nil, fmt.Errorf("bad header byte 0x%02x", h)
	}
	return r.present(t, depth)
}

func (r *ordReader) present(t *Type, depth int) ([]byte, error) {
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindTimestamp, KindTime:
		w, _ := fixedWidth(t.Kind)
		b, err := r.bytes(w)
		if err != nil {
			return nil, err
		}
		b[0] ^= 0x80
		return b, r.check(t, b)
	case KindDate:
		return r.bytes(4)
	case KindFloat:
		b, err := r.bytes(4)
		if err != nil {
			return nil, err
		}
		k := binary.BigEndian.Uint32(b)
		if k>>31 == 1 {
			k ^= 1 << 31
		} else {
			k = ^k
		}
		return binary.BigEndian.AppendUint32(nil, k), nil
	case KindDouble:
		k, err := r.uint64()
		if err != nil {
			return nil, err
		}
		if k>>63 == 1 {
			k ^= 1 << 63
		} else {
			k = ^k
		}
		return binary.BigEndian.AppendUint64(nil, k), nil
	case KindUUID, KindTimeUUID:
		return r.uuid(t)
	case KindList, KindSet, KindMap:
		return r.collection(t, depth)
	case KindTuple, KindUDT:
		return r.fields(t, depth)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotKeyType, t)
}

// check validates a decoded fixed-width value (a time out of range).
func (r *ordReader) check(t *Type, b []byte) error {
	return validateFixed(t.Kind, b)
}

func (r *ordReader) escaped(t *Type) ([]byte, error) {
	out := []byte{}
	for {
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		if c != 0 {
			out = append(out, c)
			continue
		}
		e, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch e {
		case 0xFF:
			out = append(out, 0)
		case 0x01:
			if err := validate(t, out, 0); len(out) > 0 && err != nil {
				return nil, err
			}
			return out, nil
		default:
			return nil, fmt.Errorf("bad escape 00 %02x", e)
		}
	}
}

func unreorderTimestamp(r uint64) uint64 {
	return (r&0xFFFFFFFF)<<32 | (r>>32&0xFFFF)<<16 | r>>48
}

func (r *ordReader) uuid(t *Type) ([]byte, error) {
	ver := 1
	if t.Kind == KindUUID {
		v, err := r.byte()
		if err != nil {
			return nil, err
		}
		if v > 15 {
			return nil, fmt.Errorf("bad UUID version %d", v)
		}
		ver = int(v)
	}
	msb, err := r.uint64()
	if err != nil {
		return nil, err
	}
	lsb, err := r.uint64()
	if err != nil {
		return nil, err
	}
	if ver == 1 {
		msb = unreorderTimestamp(msb)
	}
	if t.Kind == KindTimeUUID {
		lsb ^= signedBytesMask
	}
	out := binary.BigEndian.AppendUint64(nil, msb)
	out = binary.BigEndian.AppendUint64(out, lsb)
	if uuidVersion(out) != ver {
		return nil, fmt.Errorf("UUID version byte %d does not match the UUID", ver)
	}
	return out, nil
}

func (r *ordReader) varint(h byte) ([]byte, error) {
	if h == varintZero {
		return []byte{0}, nil
	}
	neg := h < varintZero
	n, err := r.varintLen(h, neg)
	if err != nil {
		return nil, err
	}
	b, err := r.bytes(n)
	if err != nil {
		return nil, err
	}
	if !neg {
		if b[0] == 0 {
			return nil, errors.New("non-canonical varint")
		}
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b, nil
	}
	if b[0]&0x80 == 0 || len(b) > 1 && b[0] == 0xFF && b[1]&0x80 != 0 {
		return nil, errors.New("non-canonical varint")
	}
	return b, nil
}

func (r *ordReader) varintLen(h byte, neg bool) (int, error) {
	var n int
	switch {
	case h == varintLongPos || h == varintLongNeg:
		b, err := r.bytes(4)
		if err != nil {
			return 0, err
		}
		u := binary.BigEndian.Uint32(b)
		if neg {
			u = ^u
		}
		if u <= varintShortMax || u > 1<<30 {
			return 0, fmt.Errorf("bad varint length %d", u)
		}
		n = int(u)
	case h > varintLongNeg && h < varintNegOffset:
		n = varintNegOffset - int(h)
	case h > varintZero && h < varintLongPos:
		n = int(h) - varintPosOffset
	default:
		return 0, fmt.Errorf("bad varint header 0x%02x", h)
	}
	if n > len(r.b)-r.pos {
		return 0, errShort
	}
	return n, nil
}

func (r *ordReader) decimal(h byte) ([]byte, error) {
	if h == decimalZero {
		return []byte{0, 0, 0, 0, 0}, nil
	}
	if h != decimalPos && h != decimalNeg {
		return nil, fmt.Errorf("bad decimal header 0x%02x", h)
	}
	if h == decimalNeg {
		r.mask = ^r.mask
		defer func() { r.mask = ^r.mask }()
	}
	e, err := r.uint64()
	if err != nil {
		return nil, err
	}
	digits, err := r.decimalDigits()
	if err != nil {
		return nil, err
	}
	return buildDecimal(digits, int64(e^1<<63), h == decimalNeg)
}

func (r *ordReader) decimalDigits() (string, error) {
	var sb strings.Builder
	for {
		c, err := r.byte()
		if err != nil {
			return "", err
		}
		if c == 0 {
			break
		}
		if c > 100 {
			return "", fmt.Errorf("bad decimal digit pair 0x%02x", c)
		}
		if sb.Len() > 1<<20 {
			return "", errors.New("decimal too long")
		}
		sb.WriteByte('0' + (c-1)/10)
		sb.WriteByte('0' + (c-1)%10)
	}
	s := sb.String()
	s = strings.TrimSuffix(s, "0") // the pad of an odd digit count
	if s == "" || s[0] == '0' || s[len(s)-1] == '0' {
		return "", errors.New("non-canonical decimal digits")
	}
	return s, nil
}

// buildDecimal serializes 0.digits × 10^exp (negated when neg).
func buildDecimal(digits string, exp int64, neg bool) ([]byte, error) {
	u, _ := new(big.Int).SetString(digits, 10)
	scale := int64(len(digits)) - exp
	if exp < 0 && scale < 0 || exp > 0 && scale > int64(len(digits)) {
		return nil, errors.New("decimal exponent out of range")
	}
	if scale > maxInt32 {
		return nil, errors.New("decimal scale out of range")
	}
	if scale < minInt32 {
		excess := minInt32 - scale
		if excess > 1<<16 {
			return nil, errors.New("decimal scale out of range")
		}
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(excess), nil))
		scale = minInt32
	}
	if neg {
		u.Neg(u)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(int32(scale)))
	return append(out, varintBytes(u)...), nil
}

func (r *ordReader) collection(t *Type, depth int) ([]byte, error) {
	per := 1
	if t.Kind == KindMap {
		per = 2
	}
	var elems [][]byte
	for {
		m, err := r.byte()
		if err != nil {
			return nil, err
		}
		if m == ordTerm {
			break
		}
		if m != ordElem {
			return nil, fmt.Errorf("bad element marker 0x%02x", m)
		}
		for j := 0; j < per; j++ {
			e, err := r.body(t.Elems[j], depth+1)
			if err != nil {
				return nil, err
			}
			elems = append(elems, e)
		}
	}
	return buildCollection(len(elems)/per, elems), nil
}

func (r *ordReader) fields(t *Type, depth int) ([]byte, error) {
	out := []byte{}
	n := 0
	last := ordTerm
	for {
		m, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch {
		case m == ordTerm && last == ordNull:
			return nil, errors.New("non-canonical trailing null")
		case m == ordTerm && n == 0:
			// Every component null: keep one null so the value stays
			// distinct from the empty value.
			return appendValue(out, nil), nil
		case m == ordTerm:
			return out, nil
		case n >= len(t.Elems):
			return nil, errors.New("more components than the type has")
		case m == ordNull:
			out = appendValue(out, nil)
		case m == ordField:
			f, err := r.body(t.Elems[n], depth+1)
			if err != nil {
				return nil, err
			}
			out = appendValue(out, f)
		default:
			return nil, fmt.Errorf("bad component marker 0x%02x", m)
		}
		last = int(m)
		n++
	}
}
