package schema

import (
	"encoding/hex"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// FormatValue renders a serialized value of t as a CQL literal, in the
// style cqlsh uses inside collections: strings, dates, times, timestamps
// and addresses single-quoted; blobs as 0x...; uuids, numbers and
// booleans bare; durations as 1y2mo3d4h...; collections as [..], {..},
// {k: v, ..}; tuples as (..); UDTs as {field: value, ..}. null prints as
// "null" and an empty non-string value as the empty string. An invalid
// value prints as a blob literal.
func FormatValue(t *Type, b []byte) string {
	if b == nil {
		return "null"
	}
	if err := Validate(t, b); err != nil {
		return formatBlob(b)
	}
	var sb strings.Builder
	formatValue(&sb, t, b)
	return sb.String()
}

func formatBlob(b []byte) string { return "0x" + hex.EncodeToString(b) }

func formatValue(sb *strings.Builder, t *Type, b []byte) {
	if len(b) == 0 {
		switch t.Kind {
		case KindASCII, KindVarchar:
			sb.WriteString("''")
		case KindBlob, KindCustom:
			sb.WriteString("0x")
		}
		return
	}
	switch t.Kind {
	case KindList, KindSet, KindMap:
		formatCollection(sb, t, b)
	case KindTuple, KindUDT:
		formatFields(sb, t, b)
	default:
		sb.WriteString(formatScalar(t, unmarshal(t, b)))
	}
}

func formatScalar(t *Type, v any) string {
	switch x := v.(type) {
	case string:
		return QuoteString(x)
	case []byte:
		return formatBlob(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case *big.Int:
		return x.String()
	case Decimal:
		return x.String()
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if y := x.Year(); y < 1 || y > 9999 {
			return strconv.FormatInt(x.UnixMilli(), 10) // as cqlsh does out of range
		}
		return QuoteString(x.Format("2006-01-02 15:04:05.000-0700"))
	case Date:
		return QuoteString(x.String())
	case Time:
		return QuoteString(x.String())
	case Duration:
		return x.String()
	case UUID:
		return x.String()
	case netip.Addr:
		return QuoteString(x.String())
	}
	return "null"
}

// formatFloat prints the shortest representation that reads back to the
// same value, with CQL's NaN and Infinity spellings.
func formatFloat(f float64, size int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', -1, size)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

func formatCollection(sb *strings.Builder, t *Type, b []byte) {
	per := 1
	open, closer := "[", "]"
	switch t.Kind {
	case KindSet:
		open, closer = "{", "}"
	case KindMap:
		per, open, closer = 2, "{", "}"
	}
	elems, _ := splitCollection(b, per) // validated
	sb.WriteString(open)
	for i := 0; i+per <= len(elems); i += per {
		if i > 0 {
			sb.WriteString(", ")
		}
		formatValue(sb, t.Elems[0], elems[i])
		if per == 2 {
			sb.WriteString(": ")
			formatValue(sb, t.Elems[1], elems[i+1])
		}
	}
	sb.WriteString(closer)
}

func formatFields(sb *strings.Builder, t *Type, b []byte) {
	fields, _ := splitFields(b, len(t.Elems)) // validated
	open, closer := "(", ")"
	if t.Kind == KindUDT {
		open, closer = "{", "}"
	}
	sb.WriteString(open)
	for i := range t.Elems {
		if i > 0 {
			sb.WriteString(", ")
		}
		if t.Kind == KindUDT && i < len(t.FieldNames) {
			sb.WriteString(QuoteIdent(t.FieldNames[i]))
			sb.WriteString(": ")
		}
		if i >= len(fields) || fields[i] == nil {
			sb.WriteString("null")
			continue
		}
		formatValue(sb, t.Elems[i], fields[i])
	}
	sb.WriteString(closer)
}
