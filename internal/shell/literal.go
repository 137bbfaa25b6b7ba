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

// parseValue turns the text form of a value, as formatValue prints it (and
// as COPY TO writes it), into its serialized bytes. Nested values (inside
// collections, tuples and user types) are CQL literals: strings quoted,
// null as null.
func parseValue(info gocql.TypeInfo, text string, nested bool) ([]byte, error) {
	if info == nil {
		return nil, errors.New("shell: no type for the value")
	}
	if nested {
		text = strings.TrimSpace(text)
		if strings.EqualFold(text, "null") {
			return nil, nil
		}
	}
	switch info.Type() {
	case gocql.TypeAscii, gocql.TypeVarchar, gocql.TypeText:
		if nested {
			s, ok := unquote(text)
			if !ok {
				return nil, fmt.Errorf("shell: %q is not a quoted string", text)
			}
			return []byte(s), nil
		}
		return []byte(text), nil
	case gocql.TypeList, gocql.TypeSet:
		return parseListOrSet(info, text)
	case gocql.TypeMap:
		return parseMap(info, text)
	case gocql.TypeTuple:
		return parseTuple(info, text)
	case gocql.TypeUDT:
		return parseUDT(info, text)
	}
	if s, ok := unquote(text); ok {
		text = s
	}
	return parseScalar(info.Type(), strings.TrimSpace(text))
}

// unquote strips a CQL single-quoted string.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Count(inner, "'")%2 != 0 || strings.ReplaceAll(inner, "''", "") != strings.ReplaceAll(inner, "'", "") {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}

func parseScalar(t gocql.Type, s string) ([]byte, error) {
	switch t {
	case gocql.TypeBigInt, gocql.TypeCounter:
		return parseInt(s, 64)
	case gocql.TypeInt:
		return parseInt(s, 32)
	case gocql.TypeSmallInt:
		return parseInt(s, 16)
	case gocql.TypeTinyInt:
		return parseInt(s, 8)
	case gocql.TypeBoolean:
		return parseBool(s)
	case gocql.TypeFloat, gocql.TypeDouble:
		return parseFloating(t, s)
	case gocql.TypeDecimal:
		return parseDecimal(s)
	case gocql.TypeVarint:
		return parseVarint(s)
	}
	return parseTextual(t, s)
}

func parseTextual(t gocql.Type, s string) ([]byte, error) {
	switch t {
	case gocql.TypeUUID, gocql.TypeTimeUUID:
		return parseUUID(s)
	case gocql.TypeBlob, gocql.TypeCustom:
		return parseBlob(s)
	case gocql.TypeInet:
		return parseInet(s)
	case gocql.TypeTimestamp:
		return parseTimestamp(s)
	case gocql.TypeDate:
		return parseDate(s)
	case gocql.TypeTime:
		return parseTime(s)
	case gocql.TypeDuration:
		return parseDuration(s)
	}
	return nil, fmt.Errorf("shell: cannot parse values of type %d", t)
}

func parseInt(s string, bits int) ([]byte, error) {
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return nil, fmt.Errorf("shell: invalid integer %q", s)
	}
	out := binary.BigEndian.AppendUint64(nil, uint64(v))
	return out[8-bits/8:], nil
}

func parseBool(s string) ([]byte, error) {
	switch strings.ToLower(s) {
	case "true":
		return []byte{1}, nil
	case "false":
		return []byte{0}, nil
	}
	return nil, fmt.Errorf("shell: invalid boolean %q", s)
}

func parseFloating(t gocql.Type, s string) ([]byte, error) {
	switch s {
	case "Infinity":
		s = "+Inf"
	case "-Infinity":
		s = "-Inf"
	}
	if t == gocql.TypeFloat {
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, fmt.Errorf("shell: invalid float %q", s)
		}
		return binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(v))), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("shell: invalid double %q", s)
	}
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)), nil
}

// parseDecimal reads [-]digits[.digits][E[+-]exp] into scale and unscaled.
func parseDecimal(s string) ([]byte, error) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("shell: invalid decimal %q", s)
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	unscaled, ok := new(big.Int).SetString(digits, 10)
	if !ok || strings.ContainsAny(digits[min(1, len(digits)):], "+-") {
		return nil, fmt.Errorf("shell: invalid decimal %q", s)
	}
	scale := int64(len(frac)) - exp
	if scale < math.MinInt32 || scale > math.MaxInt32 {
		return nil, fmt.Errorf("shell: decimal %q out of range", s)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(int32(scale))), varintBytes(unscaled)...), nil
}

func parseVarint(s string) ([]byte, error) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("shell: invalid varint %q", s)
	}
	return varintBytes(v), nil
}

// varintBytes is the shortest big-endian two's complement of v.
func varintBytes(v *big.Int) []byte {
	if v.Sign() >= 0 {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	n := (v.BitLen() + 8) / 8 // room for the sign bit
	t := new(big.Int).Add(v, new(big.Int).Lsh(big.NewInt(1), uint(n)*8))
	b := t.FillBytes(make([]byte, n))
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

func parseUUID(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 || len(s) != 36 {
		return nil, fmt.Errorf("shell: invalid uuid %q", s)
	}
	return b, nil
}

func parseBlob(s string) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return nil, fmt.Errorf("shell: invalid blob %q: want 0x followed by hex digits", s)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("shell: invalid blob %q: %w", s, err)
	}
	return b, nil
}

func parseInet(s string) ([]byte, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("shell: invalid inet %q", s)
	}
	if v4 := ip.To4(); v4 != nil {
		return v4, nil
	}
	return ip.To16(), nil
}

// timestampLayouts are accepted by COPY FROM, the shell's own first.
var timestampLayouts = []string{
	timestampLayout, "2006-01-02 15:04:05-0700", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", dateLayout,
}

func parseTimestamp(s string) ([]byte, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return binary.BigEndian.AppendUint64(nil, uint64(ms)), nil
	}
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return binary.BigEndian.AppendUint64(nil, uint64(t.UnixMilli())), nil
		}
	}
	return nil, fmt.Errorf("shell: invalid timestamp %q", s)
}

func parseDate(s string) ([]byte, error) {
	var days int64
	if d, err := strconv.ParseInt(s, 10, 64); err == nil {
		days = d
	} else if t, err := time.Parse(dateLayout, s); err == nil {
		days = t.Unix() / 86400
	} else {
		return nil, fmt.Errorf("shell: invalid date %q", s)
	}
	if days < -1<<31 || days >= 1<<31 {
		return nil, fmt.Errorf("shell: date %q out of range", s)
	}
	return binary.BigEndian.AppendUint32(nil, uint32(days+1<<31)), nil
}

// parseTime reads HH:MM:SS[.fraction] or nanoseconds.
func parseTime(s string) ([]byte, error) {
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		ns, err = clockNanos(s)
		if err != nil {
			return nil, err
		}
	}
	if ns < 0 || ns >= 24*int64(time.Hour) {
		return nil, fmt.Errorf("shell: time %q out of range", s)
	}
	return binary.BigEndian.AppendUint64(nil, uint64(ns)), nil
}

func clockNanos(s string) (int64, error) {
	clock, frac, _ := strings.Cut(s, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 || len(frac) > 9 {
		return 0, fmt.Errorf("shell: invalid time %q", s)
	}
	var total int64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 8)
		if err != nil || len(p) != 2 || (i > 0 && v > 59) {
			return 0, fmt.Errorf("shell: invalid time %q", s)
		}
		total = total*60 + int64(v)
	}
	total *= int64(time.Second)
	if frac != "" {
		f, err := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("shell: invalid time %q", s)
		}
		total += int64(f)
	}
	return total, nil
}

// parseDuration reads a duration as the server does (schema.ParseDuration:
// 1y2mo3d4h, P1DT2H, P0001-02-03T04:05:06), refusing totals that do not
// fit instead of wrapping them.
func parseDuration(s string) ([]byte, error) {
	d, err := schema.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("shell: invalid duration %q: %w", s, err)
	}
	out, err := schema.EncodeDuration(d)
	if err != nil {
		return nil, fmt.Errorf("shell: invalid duration %q: %w", s, err)
	}
	return out, nil
}
