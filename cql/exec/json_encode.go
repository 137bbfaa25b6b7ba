package exec

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// JSON encoding of values, as Cassandra 4.1's AbstractType.toJSONString
// writes them for SELECT JSON and toJson():
//
//   - numbers bare (ints, varint, decimal as BigDecimal.toString; float
//     and double as Java's Float/Double.toString, NaN and ±Infinity as
//     null, which JSON has no word for);
//   - booleans bare; text and ascii as JSON strings;
//   - blob "0x..", uuid and timeuuid in their canonical form, inet as
//     Java's getHostAddress ("0:0:0:0:0:0:0:1"), date "yyyy-mm-dd", time
//     "hh:mm:ss.nnnnnnnnn", timestamp "yyyy-mm-dd hh:mm:ss.SSSZ" (UTC),
//     duration as Cassandra's Duration.toString, all as strings;
//   - lists and sets as arrays, tuples as arrays (null elements as
//     null), maps as objects whose keys are the key's JSON text, quoted
//     as a JSON string when it is not one already, user types as objects
//     whose field names are quoted ("\"Foo\"") when case-sensitive;
//   - an empty value of a type that is not text or blob as "".

// toJSON returns the JSON text of a serialized value of t; nil is null.
// An invalid value (never stored: writes validate) encodes as its blob.
func toJSON(t *schema.Type, v []byte) string {
	if v == nil {
		return "null"
	}
	if err := schema.Validate(t, v); err != nil {
		return `"0x` + hex.EncodeToString(v) + `"`
	}
	var b strings.Builder
	writeJSON(&b, t, v)
	return b.String()
}

// writeJSON writes a validated value.
func writeJSON(b *strings.Builder, t *schema.Type, v []byte) {
	if len(v) == 0 {
		// Cassandra's empty value: the empty string for text, "0x" for a
		// blob, and for any other type "" (its toJSONString of a value
		// that deserializes to nothing).
		if t.Kind == schema.KindBlob || t.Kind == schema.KindCustom {
			b.WriteString(`"0x"`)
		} else {
			b.WriteString(`""`)
		}
		return
	}
	switch t.Kind {
	case schema.KindASCII, schema.KindVarchar:
		writeJSONString(b, string(v))
	case schema.KindBlob, schema.KindCustom:
		b.WriteString(`"0x` + hex.EncodeToString(v) + `"`)
	case schema.KindBoolean:
		b.WriteString(strconv.FormatBool(v[0] != 0))
	case schema.KindTinyint:
		b.WriteString(strconv.Itoa(int(int8(v[0]))))
	case schema.KindSmallint:
		b.WriteString(strconv.Itoa(int(int16(binary.BigEndian.Uint16(v)))))
	case schema.KindInt:
		b.WriteString(strconv.Itoa(int(int32(binary.BigEndian.Uint32(v)))))
	case schema.KindBigint, schema.KindCounter:
		b.WriteString(strconv.FormatInt(int64(binary.BigEndian.Uint64(v)), 10))
	case schema.KindVarint:
		b.WriteString(bigFromVarint(v).String())
	case schema.KindDecimal:
		d := schema.Decimal{Unscaled: bigFromVarint(v[4:]), Scale: int32(binary.BigEndian.Uint32(v))}
		b.WriteString(d.String())
	case schema.KindFloat:
		writeJSONFloat(b, float64(math.Float32frombits(binary.BigEndian.Uint32(v))), 32)
	case schema.KindDouble:
		writeJSONFloat(b, math.Float64frombits(binary.BigEndian.Uint64(v)), 64)
	default:
		writeJSONOther(b, t, v)
	}
}

func writeJSONOther(b *strings.Builder, t *schema.Type, v []byte) {
	switch t.Kind {
	case schema.KindUUID, schema.KindTimeUUID:
		b.WriteString(`"` + schema.UUID(v).String() + `"`)
	case schema.KindInet:
		b.WriteString(`"` + javaHostAddress(v) + `"`)
	case schema.KindTimestamp:
		ms := int64(binary.BigEndian.Uint64(v))
		b.WriteString(`"` + jsonTimestamp(ms) + `"`)
	case schema.KindDate:
		days := int64(binary.BigEndian.Uint32(v)) - 1<<31
		b.WriteString(`"` + jsonDate(days) + `"`)
	case schema.KindTime:
		b.WriteString(`"` + schema.Time(binary.BigEndian.Uint64(v)).String() + `"`)
	case schema.KindDuration:
		d, err := schema.DecodeDuration(v)
		if err != nil || (d.Months == 0 && d.Days == 0 && d.Nanos == 0) {
			// Cassandra's Duration.toString writes no unit at all for
			// a zero duration.
			b.WriteString(`""`)
			return
		}
		b.WriteString(`"` + d.String() + `"`)
	default:
		writeComposite(b, t, v)
	}
}

// writeComposite writes a list, set, map, tuple or user type value.
func writeComposite(b *strings.Builder, t *schema.Type, v []byte) {
	switch t.Kind {
	case schema.KindList, schema.KindSet:
		elems, _ := decodeElems(v) // validated
		b.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONElem(b, t.Elems[0], e)
		}
		b.WriteByte(']')
	case schema.KindMap:
		keys, vals, _ := decodeMap(v)
		b.WriteByte('{')
		for i := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			var kb strings.Builder
			writeJSONElem(&kb, t.Elems[0], keys[i])
			if k := kb.String(); strings.HasPrefix(k, `"`) {
				b.WriteString(k)
			} else {
				writeJSONString(b, k)
			}
			b.WriteString(": ")
			writeJSONElem(b, t.Elems[1], vals[i])
		}
		b.WriteByte('}')
	case schema.KindTuple:
		comps, _ := decodeComponents(v, len(t.Elems))
		b.WriteByte('[')
		for i := range t.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONElem(b, t.Elems[i], componentAt(comps, i))
		}
		b.WriteByte(']')
	case schema.KindUDT:
		comps, _ := decodeComponents(v, len(t.Elems))
		b.WriteByte('{')
		for i, name := range t.FieldNames {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, jsonName(name))
			b.WriteString(": ")
			writeJSONElem(b, t.Elems[i], componentAt(comps, i))
		}
		b.WriteByte('}')
	}
}

func componentAt(comps [][]byte, i int) []byte {
	if i < len(comps) {
		return comps[i]
	}
	return nil
}

func writeJSONElem(b *strings.Builder, t *schema.Type, v []byte) {
	if v == nil {
		b.WriteString("null")
		return
	}
	writeJSON(b, t, v)
}

// jsonName is how a column or field name appears as a JSON key: quoted
// with double quotes when it is case-sensitive (not all lower case), so
// INSERT JSON reads it back as the same name.
func jsonName(name string) string {
	if name != strings.ToLower(name) {
		return `"` + name + `"`
	}
	return name
}

// writeJSONString writes s as a JSON string, escaped as Jackson's
// JsonStringEncoder does: quote and backslash, \b \t \n \f \r, other
// control characters as \u00XX; everything else as is.
func writeJSONString(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
				continue
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func writeJSONFloat(b *strings.Builder, f float64, bits int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		b.WriteString("null")
		return
	}
	b.WriteString(javaDoubleString(f, bits)) // aggregates.go: Java's Double/Float.toString
}

// javaHostAddress formats an address as Java's InetAddress.
// getHostAddress: dotted IPv4 (also for an IPv4-mapped IPv6 address,
// which Java turns into an Inet4Address), IPv6 as eight uncompressed
// groups of lower-case hex.
func javaHostAddress(v []byte) string {
	a, ok := netip.AddrFromSlice(v)
	if !ok {
		return "0x" + hex.EncodeToString(v)
	}
	if a.Is4() || a.Is4In6() {
		return a.Unmap().String()
	}
	b := a.As16()
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = strconv.FormatUint(uint64(binary.BigEndian.Uint16(b[2*i:])), 16)
	}
	return strings.Join(groups, ":")
}

// jsonTimestamp formats milliseconds since the epoch as Cassandra's JSON
// date formatter (yyyy-MM-dd HH:mm:ss.SSSX in UTC).
func jsonTimestamp(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	return fourDigitYear(t.Year()) + t.Format("-01-02 15:04:05.000") + "Z"
}

// jsonDate formats days since the epoch as yyyy-MM-dd.
func jsonDate(days int64) string {
	t := time.Unix(days*86400, 0).UTC()
	return fourDigitYear(t.Year()) + t.Format("-01-02")
}

func fourDigitYear(y int) string {
	if y < 0 {
		return "-" + leftPad(strconv.Itoa(-y), 4)
	}
	return leftPad(strconv.Itoa(y), 4)
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// bigFromVarint decodes a big-endian two's complement integer.
func bigFromVarint(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}
