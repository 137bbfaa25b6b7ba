package schema

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"time"
)

// Marshal serializes v as a value of t in the native-protocol (v3+) form.
// A nil v yields nil (null). The Go values accepted, per type:
//
//	ascii, text         string or []byte (checked: ASCII / UTF-8)
//	blob, custom        []byte or string
//	tinyint, smallint,  any Go integer type, range-checked
//	int, bigint,
//	counter
//	varint              *big.Int, big.Int or any Go integer type
//	decimal             Decimal, *Decimal, *big.Int or any Go integer type
//	float, double       float32 or float64
//	boolean             bool
//	timestamp           time.Time (millisecond precision) or int64 ms
//	date                Date or time.Time
//	time                Time or time.Duration since midnight
//	duration            Duration or time.Duration
//	uuid, timeuuid      UUID, [16]byte or a string in 8-4-4-4-12 form
//	inet                netip.Addr, net.IP or a string address
//	list, set           []any or any other Go slice (sets are sorted and
//	                    de-duplicated)
//	map                 []MapEntry or a Go map (sorted by key; a later
//	                    duplicate wins)
//	tuple               []any (nil elements are null)
//	UDT                 []any in field order, or map[string]any by name
//	any type            Empty{}, the empty value (zero bytes, not null)
//
// Unmarshal returns the first type listed for each kind (int8, int16,
// int32, int64 for the integer kinds; netip.Addr for inet).
func Marshal(t *Type, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if _, ok := v.(Empty); ok {
		return []byte{}, nil
	}
	b, err := marshal(t, v, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot marshal %T as %s: %w", ErrInvalidValue, v, t, err)
	}
	return b, nil
}

func marshal(t *Type, v any, depth int) ([]byte, error) {
	if depth > maxTypeDepth || t == nil {
		return nil, fmt.Errorf("type missing or nested too deeply")
	}
	if _, ok := v.(Empty); ok {
		return []byte{}, nil
	}
	switch t.Kind {
	case KindASCII, KindVarchar, KindBlob, KindCustom:
		return marshalBytes(t, v)
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter:
		return marshalInt(t.Kind, v)
	case KindVarint:
		return marshalVarint(v)
	case KindDecimal:
		return marshalDecimal(v)
	case KindFloat, KindDouble:
		return marshalFloat(t.Kind, v)
	case KindBoolean:
		if x, ok := v.(bool); ok {
			if x {
				return []byte{1}, nil
			}
			return []byte{0}, nil
		}
	case KindTimestamp, KindDate, KindTime, KindDuration:
		return marshalTemporal(t.Kind, v)
	case KindUUID, KindTimeUUID:
		return marshalUUID(t, v)
	case KindInet:
		return marshalInet(v)
	case KindList, KindSet, KindMap:
		return marshalCollection(t, v, depth)
	case KindTuple, KindUDT:
		return marshalFields(t, v, depth)
	}
	return nil, fmt.Errorf("unsupported Go type")
}

func marshalBytes(t *Type, v any) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = slices.Clone(x)
		if b == nil {
			b = []byte{}
		}
	default:
		return nil, fmt.Errorf("unsupported Go type")
	}
	if len(b) > 0 {
		if err := validate(t, b, 0); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// toInt64 converts any Go integer type.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

func marshalInt(k Kind, v any) ([]byte, error) {
	n, ok := toInt64(v)
	if !ok {
		return nil, fmt.Errorf("unsupported Go type or value out of range")
	}
	w, _ := fixedWidth(k)
	if w < 8 {
		lim := int64(1) << (w*8 - 1)
		if n < -lim || n >= lim {
			return nil, fmt.Errorf("%d out of range for %s", n, k)
		}
	}
	out := make([]byte, w)
	for i := w - 1; i >= 0; i-- {
		out[i] = byte(n)
		n >>= 8
	}
	return out, nil
}

func marshalVarint(v any) ([]byte, error) {
	switch x := v.(type) {
	case *big.Int:
		if x == nil {
			return nil, nil
		}
		return varintBytes(x), nil
	case big.Int:
		return varintBytes(&x), nil
	}
	if n, ok := toInt64(v); ok {
		return varintBytes(big.NewInt(n)), nil
	}
	if u, ok := v.(uint64); ok {
		return varintBytes(new(big.Int).SetUint64(u)), nil
	}
	if u, ok := v.(uint); ok {
		return varintBytes(new(big.Int).SetUint64(uint64(u))), nil
	}
	return nil, fmt.Errorf("unsupported Go type")
}

// varintBytes returns the minimal two's complement big-endian form of x.
func varintBytes(x *big.Int) []byte {
	switch x.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := x.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Negative: two's complement of |x| over enough bytes.
	n := len(x.Bytes()) + 1
	m := new(big.Int).Lsh(big.NewInt(1), uint(n*8))
	m.Add(m, x)
	b := m.FillBytes(make([]byte, n))
	// Strip redundant leading 0xff bytes.
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

// bigFromVarint decodes a two's complement big-endian integer.
func bigFromVarint(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return x
}

func marshalDecimal(v any) ([]byte, error) {
	var d Decimal
	switch x := v.(type) {
	case Decimal:
		d = x
	case *Decimal:
		if x == nil {
			return nil, nil
		}
		d = *x
	case *big.Int:
		if x == nil {
			return nil, nil
		}
		d = Decimal{Unscaled: x}
	default:
		n, ok := toInt64(v)
		if !ok {
			return nil, fmt.Errorf("unsupported Go type")
		}
		d = Decimal{Unscaled: big.NewInt(n)}
	}
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(d.Scale))
	return append(out, varintBytes(u)...), nil
}

func marshalFloat(k Kind, v any) ([]byte, error) {
	var f float64
	switch x := v.(type) {
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return nil, fmt.Errorf("unsupported Go type")
	}
	if k == KindFloat {
		return binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(f))), nil
	}
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(f)), nil
}

func marshalTemporal(k Kind, v any) ([]byte, error) {
	switch k {
	case KindTimestamp:
		switch x := v.(type) {
		case time.Time:
			return binary.BigEndian.AppendUint64(nil, uint64(x.UnixMilli())), nil
		case int64:
			return binary.BigEndian.AppendUint64(nil, uint64(x)), nil
		}
	case KindDate:
		switch x := v.(type) {
		case Date:
			return binary.BigEndian.AppendUint32(nil, uint32(int64(x)+1<<31)), nil
		case time.Time:
			return binary.BigEndian.AppendUint32(nil, uint32(int64(DateOf(x))+1<<31)), nil
		}
	case KindTime:
		var n int64
		switch x := v.(type) {
		case Time:
			n = int64(x)
		case time.Duration:
			n = int64(x)
		default:
			return nil, fmt.Errorf("unsupported Go type")
		}
		if n < 0 || n >= int64(MaxTime) {
			return nil, fmt.Errorf("time %d out of range 0..86399999999999", n)
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	case KindDuration:
		switch x := v.(type) {
		case Duration:
			return encodeDuration(x)
		case time.Duration:
			return encodeDuration(Duration{Nanos: int64(x)})
		}
	}
	return nil, fmt.Errorf("unsupported Go type")
}

func marshalUUID(t *Type, v any) ([]byte, error) {
	var u UUID
	switch x := v.(type) {
	case UUID:
		u = x
	case [16]byte:
		u = x
	case string:
		p, err := ParseUUID(x)
		if err != nil {
			return nil, err
		}
		u = p
	default:
		return nil, fmt.Errorf("unsupported Go type")
	}
	if err := validateFixed(t.Kind, u[:]); err != nil {
		return nil, err
	}
	return u[:], nil
}

func marshalInet(v any) ([]byte, error) {
	switch x := v.(type) {
	case netip.Addr:
		if !x.IsValid() {
			return nil, fmt.Errorf("invalid address")
		}
		return x.AsSlice(), nil
	case net.IP:
		if v4 := x.To4(); v4 != nil {
			return slices.Clone([]byte(v4)), nil
		}
		if len(x) == 16 {
			return slices.Clone([]byte(x)), nil
		}
		return nil, fmt.Errorf("invalid address")
	case string:
		a, err := netip.ParseAddr(x)
		if err != nil {
			return nil, err
		}
		return a.AsSlice(), nil
	}
	return nil, fmt.Errorf("unsupported Go type")
}

func marshalCollection(t *Type, v any, depth int) ([]byte, error) {
	v = genericCollection(v)
	if t.Kind == KindMap {
		entries, ok := v.([]MapEntry)
		if !ok || len(t.Elems) != 2 {
			return nil, fmt.Errorf("unsupported Go type")
		}
		return marshalMap(t, entries, depth)
	}
	items, ok := v.([]any)
	if !ok || len(t.Elems) != 1 {
		return nil, fmt.Errorf("unsupported Go type")
	}
	elems := make([][]byte, len(items))
	for i, it := range items {
		b, err := marshalElem(t.Elems[0], it, depth)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		elems[i] = b
	}
	if t.Kind == KindSet {
		elems = sortUnique(t.Elems[0], elems, 1)
	}
	return buildCollection(len(elems), elems), nil
}

// genericCollection converts a typed Go slice ([]string, []int32, ...)
// to []any and a Go map to []MapEntry, so callers need not build them.
func genericCollection(v any) any {
	switch v.(type) {
	case []any, []MapEntry, []byte:
		return v
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out
	case reflect.Map:
		out := make([]MapEntry, 0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out = append(out, MapEntry{Key: it.Key().Interface(), Value: it.Value().Interface()})
		}
		return out
	}
	return v
}

func marshalElem(t *Type, v any, depth int) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("null is not supported inside collections")
	}
	return marshal(t, v, depth+1)
}

func marshalMap(t *Type, entries []MapEntry, depth int) ([]byte, error) {
	flat := make([][]byte, 0, 2*len(entries))
	for i, e := range entries {
		k, err := marshalElem(t.Elems[0], e.Key, depth)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		val, err := marshalElem(t.Elems[1], e.Value, depth)
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i, err)
		}
		flat = append(flat, k, val)
	}
	flat = sortUnique(t.Elems[0], flat, 2)
	return buildCollection(len(flat)/2, flat), nil
}

// sortUnique sorts groups of per elements by their first element under
// t's comparison and keeps the last of each run of equal keys.
func sortUnique(t *Type, flat [][]byte, per int) [][]byte {
	groups := make([][][]byte, 0, len(flat)/per)
	for i := 0; i+per <= len(flat); i += per {
		groups = append(groups, flat[i:i+per])
	}
	slices.SortStableFunc(groups, func(a, b [][]byte) int { return Compare(t, a[0], b[0]) })
	out := make([][]byte, 0, len(flat))
	for i, g := range groups {
		if i+1 < len(groups) && Compare(t, g[0], groups[i+1][0]) == 0 {
			continue
		}
		out = append(out, g...)
	}
	return out
}

func marshalFields(t *Type, v any, depth int) ([]byte, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case map[string]any:
		if t.Kind != KindUDT {
			return nil, fmt.Errorf("unsupported Go type")
		}
		items = make([]any, len(t.FieldNames))
		for name, fv := range x {
			i := t.FieldIndex(name)
			if i < 0 {
				return nil, fmt.Errorf("unknown field %s", QuoteIdent(name))
			}
			items[i] = fv
		}
	default:
		return nil, fmt.Errorf("unsupported Go type")
	}
	if len(items) > len(t.Elems) {
		return nil, fmt.Errorf("%d components for a type of %d", len(items), len(t.Elems))
	}
	var out []byte
	for i, it := range items {
		var b []byte
		if it != nil {
			var err error
			if b, err = marshal(t.Elems[i], it, depth+1); err != nil {
				return nil, fmt.Errorf("%s: %w", fieldLabel(t, i), err)
			}
		}
		out = appendValue(out, b)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}
