package schema

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"time"
)

// Unmarshal decodes a serialized value of t into its Go value (see
// Marshal for the mapping). nil (null) yields nil. An empty value (zero
// bytes, not null) yields "" for ascii and text, an empty []byte for blob
// and custom, and Empty{} for every other type, at the top level and
// inside collections, tuples and UDTs. The value is validated first; the
// result never aliases b.
func Unmarshal(t *Type, b []byte) (any, error) {
	if b == nil {
		return nil, nil
	}
	if err := Validate(t, b); err != nil {
		return nil, err
	}
	return unmarshal(t, b), nil
}

// unmarshal decodes a validated value.
func unmarshal(t *Type, b []byte) any {
	if len(b) == 0 {
		switch t.Kind {
		case KindASCII, KindVarchar:
			return ""
		case KindBlob, KindCustom:
			return []byte{}
		}
		return Empty{}
	}
	switch t.Kind {
	case KindASCII, KindVarchar:
		return string(b)
	case KindBlob, KindCustom:
		return slices.Clone(b)
	case KindTinyint:
		return int8(b[0])
	case KindSmallint:
		return int16(binary.BigEndian.Uint16(b))
	case KindInt:
		return int32(binary.BigEndian.Uint32(b))
	case KindBigint, KindCounter:
		return int64(binary.BigEndian.Uint64(b))
	case KindVarint:
		return bigFromVarint(b)
	case KindDecimal:
		return Decimal{Unscaled: bigFromVarint(b[4:]), Scale: int32(binary.BigEndian.Uint32(b))}
	case KindFloat:
		return math.Float32frombits(binary.BigEndian.Uint32(b))
	case KindDouble:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	case KindBoolean:
		return b[0] != 0
	}
	return unmarshalOther(t, b)
}

func unmarshalOther(t *Type, b []byte) any {
	switch t.Kind {
	case KindTimestamp:
		return time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC()
	case KindDate:
		return Date(int64(binary.BigEndian.Uint32(b)) - 1<<31)
	case KindTime:
		return Time(binary.BigEndian.Uint64(b))
	case KindDuration:
		d, _ := decodeDuration(b) // validated
		return d
	case KindUUID, KindTimeUUID:
		return UUID(b)
	case KindInet:
		a, _ := netip.AddrFromSlice(b) // validated: 4 or 16 bytes
		return a
	case KindList, KindSet:
		elems, _ := splitCollection(b, 1)
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = unmarshal(t.Elems[0], e)
		}
		return out
	case KindMap:
		flat, _ := splitCollection(b, 2)
		out := make([]MapEntry, len(flat)/2)
		for i := range out {
			out[i] = MapEntry{Key: unmarshal(t.Elems[0], flat[2*i]), Value: unmarshal(t.Elems[1], flat[2*i+1])}
		}
		return out
	case KindTuple, KindUDT:
		fields, _ := splitFields(b, len(t.Elems))
		out := make([]any, len(t.Elems))
		for i, f := range fields {
			if f != nil {
				out[i] = unmarshal(t.Elems[i], f)
			}
		}
		return out
	}
	return slices.Clone(b) // unreachable: Validate rejects unknown kinds
}
