package shell

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/schema"
)

// errShortValue reports a serialized value whose length does not fit its type.
var errShortValue = errors.New("shell: value has the wrong length for its type")

// Layouts of the temporal values as cqlsh prints them (its default
// time_format '%Y-%m-%d %H:%M:%S.%f%z', in UTC).
const (
	timestampLayout = "2006-01-02 15:04:05.000000-0700"
	dateLayout      = "2006-01-02"
)

// Precision of floating-point values, as cqlsh's float_precision and
// double_precision defaults.
const (
	floatPrecision  = 5
	doublePrecision = 5
	// epsilon is Python's sys.float_info.epsilon, below which cqlsh
	// skips the precision widening.
	epsilon = 2.220446049250313e-16
)

// rawValue receives one column of a row as gocql read it off the wire: the
// type and the serialized bytes, nil for null. It implements
// gocql.Unmarshaler so the shell formats values itself, the way cqlsh does,
// instead of going through Go types.
type rawValue struct {
	info gocql.TypeInfo
	data []byte
	null bool
}

// UnmarshalCQL copies the value, since gocql reuses its frame buffers.
func (v *rawValue) UnmarshalCQL(info gocql.TypeInfo, data []byte) error {
	v.info = info
	v.null = data == nil
	v.data = append(v.data[:0], data...)
	return nil
}

// style says how formatValue renders a value.
type style struct {
	// nested is set inside a collection, tuple or user type, where strings
	// and temporal values are quoted so the text is a CQL literal.
	nested bool
	// exact prints floating-point values with all their digits (COPY TO),
	// rather than with cqlsh's display precision.
	exact bool
}

var (
	display = style{}
	exact   = style{exact: true}
)

func (s style) inner() style { return style{nested: true, exact: s.exact} }

// formatValue renders a serialized value as cqlsh does. A value that does
// not decode is shown as its bytes in hex, never as an error.
func formatValue(info gocql.TypeInfo, data []byte, st style) string {
	if data == nil {
		return "null"
	}
	s, err := formatTyped(info, data, st)
	if err != nil {
		return "0x" + hex.EncodeToString(data)
	}
	return s
}

func formatTyped(info gocql.TypeInfo, data []byte, st style) (string, error) {
	if info == nil {
		return "", errShortValue
	}
	switch info.Type() {
	case gocql.TypeAscii, gocql.TypeVarchar, gocql.TypeText:
		return formatText(string(data), st.nested), nil
	case gocql.TypeList, gocql.TypeSet, gocql.TypeMap:
		return formatCollection(info, data, st.inner())
	case gocql.TypeTuple:
		return formatTuple(info, data, st.inner())
	case gocql.TypeUDT:
		return formatUDT(info, data, st.inner())
	}
	return formatScalar(info.Type(), data, st)
}

func formatText(s string, nested bool) string {
	if !nested {
		return s
	}
	return quote(s)
}

// quote makes a CQL string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func formatScalar(t gocql.Type, data []byte, st style) (string, error) {
	switch t {
	case gocql.TypeBigInt, gocql.TypeCounter, gocql.TypeInt, gocql.TypeSmallInt, gocql.TypeTinyInt:
		return formatInteger(t, data)
	case gocql.TypeBoolean:
		return formatBool(data)
	case gocql.TypeFloat, gocql.TypeDouble:
		return formatFloating(t, data, st.exact)
	case gocql.TypeDecimal:
		return formatDecimal(data)
	case gocql.TypeVarint:
		return varintFromBytes(data).String(), nil
	case gocql.TypeUUID, gocql.TypeTimeUUID:
		return formatUUID(data)
	case gocql.TypeBlob, gocql.TypeCustom:
		return "0x" + hex.EncodeToString(data), nil
	}
	s, err := formatQuotable(t, data)
	if err != nil || !st.nested {
		return s, err
	}
	return quote(s), nil
}

// formatQuotable renders the types whose CQL literal is a quoted string.
func formatQuotable(t gocql.Type, data []byte) (string, error) {
	switch t {
	case gocql.TypeInet:
		return formatInet(data)
	case gocql.TypeTimestamp:
		return formatTimestamp(data)
	case gocql.TypeDate:
		return formatDate(data)
	case gocql.TypeTime:
		return formatTime(data)
	case gocql.TypeDuration:
		return formatDuration(data)
	}
	return "", fmt.Errorf("shell: unknown type %d", t)
}

func formatInteger(t gocql.Type, data []byte) (string, error) {
	want := map[gocql.Type]int{gocql.TypeBigInt: 8, gocql.TypeCounter: 8, gocql.TypeInt: 4,
		gocql.TypeSmallInt: 2, gocql.TypeTinyInt: 1}[t]
	if len(data) != want {
		return "", errShortValue
	}
	var v int64
	switch want {
	case 8:
		v = int64(binary.BigEndian.Uint64(data))
	case 4:
		v = int64(int32(binary.BigEndian.Uint32(data)))
	case 2:
		v = int64(int16(binary.BigEndian.Uint16(data)))
	default:
		v = int64(int8(data[0]))
	}
	return strconv.FormatInt(v, 10), nil
}

func formatBool(data []byte) (string, error) {
	if len(data) != 1 {
		return "", errShortValue
	}
	if data[0] != 0 {
		return "True", nil
	}
	return "False", nil
}

func formatFloating(t gocql.Type, data []byte, exact bool) (string, error) {
	switch {
	case t == gocql.TypeFloat && len(data) == 4:
		v := math.Float32frombits(binary.BigEndian.Uint32(data))
		if exact {
			return exactFloat(float64(v), 32), nil
		}
		return formatFloat(float64(v), floatPrecision), nil
	case t == gocql.TypeDouble && len(data) == 8:
		v := math.Float64frombits(binary.BigEndian.Uint64(data))
		if exact {
			return exactFloat(v, 64), nil
		}
		return formatFloat(v, doublePrecision), nil
	}
	return "", errShortValue
}

// exactFloat prints the shortest text that reads back as the same value.
func exactFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// formatFloat is cqlsh's format_floating_point_type: %g with the precision
// widened by the digits left of the point, so ordinary values are not
// printed in scientific notation.
func formatFloat(v float64, precision int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	if math.Abs(v) > epsilon {
		exp := int(math.Log10(math.Abs(v))) // truncated toward zero, as Python's int()
		if exp >= -4 && exp < precision {
			precision += exp + 1
		}
	}
	return strconv.FormatFloat(v, 'g', precision, 64)
}

// formatDecimal prints a decimal as Python's Decimal.__str__ does.
func formatDecimal(data []byte) (string, error) {
	if len(data) < 4 {
		return "", errShortValue
	}
	scale := int64(int32(binary.BigEndian.Uint32(data)))
	unscaled := varintFromBytes(data[4:])
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
		unscaled.Neg(unscaled)
	}
	return sign + decimalString(unscaled.String(), -scale), nil
}

// decimalString is Python's Decimal to-scientific-string for the digits d
// times ten to exp.
func decimalString(d string, exp int64) string {
	left := exp + int64(len(d))
	dot := int64(1)
	if exp <= 0 && left > -6 {
		dot = left
	}
	var out string
	switch {
	case dot <= 0:
		out = "0." + strings.Repeat("0", int(-dot)) + d
	case dot >= int64(len(d)):
		out = d + strings.Repeat("0", int(dot-int64(len(d))))
	default:
		out = d[:dot] + "." + d[dot:]
	}
	if left != dot {
		out += fmt.Sprintf("E%+d", left-dot)
	}
	return out
}

// varintFromBytes decodes a big-endian two's-complement integer.
func varintFromBytes(data []byte) *big.Int {
	v := new(big.Int).SetBytes(data)
	if len(data) > 0 && data[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(data))*8))
	}
	return v
}

func formatUUID(data []byte) (string, error) {
	if len(data) != 16 {
		return "", errShortValue
	}
	h := hex.EncodeToString(data)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func formatInet(data []byte) (string, error) {
	if len(data) != 4 && len(data) != 16 {
		return "", errShortValue
	}
	return net.IP(data).String(), nil
}

// formatTimestamp prints milliseconds since the epoch in UTC; outside the
// years 1 to 9999, which cqlsh cannot print either, it shows the number.
func formatTimestamp(data []byte) (string, error) {
	if len(data) != 8 {
		return "", errShortValue
	}
	ms := int64(binary.BigEndian.Uint64(data))
	t := time.UnixMilli(ms).UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return strconv.FormatInt(ms, 10), nil
	}
	return t.Format(timestampLayout), nil
}

// formatDate prints days counted from 2^31 at the epoch.
func formatDate(data []byte) (string, error) {
	if len(data) != 4 {
		return "", errShortValue
	}
	days := int64(binary.BigEndian.Uint32(data)) - 1<<31
	t := time.Unix(days*86400, 0).UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return strconv.FormatInt(days, 10), nil
	}
	return t.Format(dateLayout), nil
}

// formatTime prints nanoseconds since midnight as HH:MM:SS.nnnnnnnnn.
func formatTime(data []byte) (string, error) {
	if len(data) != 8 {
		return "", errShortValue
	}
	ns := int64(binary.BigEndian.Uint64(data))
	if ns < 0 || ns >= 24*int64(time.Hour) {
		return "", errShortValue
	}
	s := ns / int64(time.Second)
	return fmt.Sprintf("%02d:%02d:%02d.%09d", s/3600, s/60%60, s%60, ns%int64(time.Second)), nil
}

// formatDuration prints months, days and nanoseconds as Cassandra's
// Duration.toString does: 1y2mo3d4h5m6s7ms8us9ns.
func formatDuration(data []byte) (string, error) {
	d, err := schema.DecodeDuration(data) // zig-zag vints; one sign, 32-bit months and days
	if err != nil {
		return "", errShortValue
	}
	return durationString(int64(d.Months), int64(d.Days), d.Nanos), nil
}

func durationString(months, days, nanos int64) string {
	if months == 0 && days == 0 && nanos == 0 {
		return "0s"
	}
	var b strings.Builder
	if months < 0 || days < 0 || nanos < 0 {
		b.WriteByte('-')
	}
	abs := func(v int64) uint64 {
		if v < 0 {
			return uint64(^v) + 1 // also right for math.MinInt64
		}
		return uint64(v)
	}
	m, d, n := abs(months), abs(days), abs(nanos)
	appendUnits(&b, m, []unit{{12, "y"}, {1, "mo"}})
	appendUnits(&b, d, []unit{{1, "d"}})
	appendUnits(&b, n, []unit{{3600e9, "h"}, {60e9, "m"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}})
	return b.String()
}

type unit struct {
	size uint64
	name string
}

func appendUnits(b *strings.Builder, v uint64, units []unit) {
	for _, u := range units {
		if q := v / u.size; q > 0 {
			fmt.Fprintf(b, "%d%s", q, u.name)
			v -= q * u.size
		}
	}
}
