package exec

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// This file turns CQL constants into the native-protocol serialization of
// the type they are assigned to, with Cassandra's rules for which constant
// kind may be assigned to which type (Constants.Literal.testAssignment).

// literalBytes serializes lit as a value of type t.
func literalBytes(lit *parser.Literal, t *schema.Type) ([]byte, error) {
	if t.Kind == schema.KindCustom {
		if lit.Kind == parser.LitBlob {
			return decodeHexLiteral(lit.Val)
		}
		return nil, invalidf("Invalid constant %s for a custom type %s", lit.Val, t)
	}
	switch lit.Kind {
	case parser.LitString:
		return stringLiteral(lit.Val, t)
	case parser.LitInteger:
		return integerLiteral(lit.Val, t)
	case parser.LitFloat:
		return floatLiteral(lit.Val, t)
	case parser.LitBoolean:
		if t.Kind == schema.KindBoolean {
			return []byte{boolByte(lit.Val == "true")}, nil
		}
	case parser.LitUUID:
		if t.Kind == schema.KindUUID || t.Kind == schema.KindTimeUUID {
			return uuidLiteral(lit.Val, t)
		}
	case parser.LitBlob:
		if t.Kind == schema.KindBlob {
			return decodeHexLiteral(lit.Val)
		}
	case parser.LitDuration:
		if t.Kind == schema.KindDuration {
			return durationLiteral(lit.Val)
		}
	}
	return nil, literalMismatch(lit, t)
}

func literalMismatch(lit *parser.Literal, t *schema.Type) *Error {
	return invalidf("Invalid %s constant (%s) for type %s", literalKindName(lit.Kind), lit.Val, t)
}

func literalKindName(k parser.LiteralKind) string {
	switch k {
	case parser.LitString:
		return "STRING"
	case parser.LitInteger:
		return "INTEGER"
	case parser.LitFloat:
		return "FLOAT"
	case parser.LitBoolean:
		return "BOOLEAN"
	case parser.LitUUID:
		return "UUID"
	case parser.LitBlob:
		return "HEX"
	case parser.LitDuration:
		return "DURATION"
	}
	return "UNKNOWN"
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func stringLiteral(s string, t *schema.Type) ([]byte, error) {
	switch t.Kind {
	case schema.KindVarchar:
		if !utf8.ValidString(s) {
			return nil, invalidf("Invalid UTF-8 string")
		}
		return []byte(s), nil
	case schema.KindASCII:
		for i := 0; i < len(s); i++ {
			if s[i] > 127 {
				return nil, invalidf("Invalid ASCII character in string literal '%s'", s)
			}
		}
		return []byte(s), nil
	case schema.KindTimestamp:
		ms, err := parseTimestamp(s)
		if err != nil {
			return nil, err
		}
		return be64(ms), nil
	case schema.KindDate:
		return dateFromString(s)
	case schema.KindTime:
		return timeFromString(s)
	case schema.KindInet:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, invalidf("Unable to make inet address from '%s'", s)
		}
		return a.AsSlice(), nil
	case schema.KindDuration:
		return durationLiteral(s)
	}
	return nil, invalidf("Invalid STRING constant (%s) for type %s", s, t)
}

func integerLiteral(s string, t *schema.Type) ([]byte, error) {
	switch t.Kind {
	case schema.KindTinyint:
		return sizedInt(s, 8, t)
	case schema.KindSmallint:
		return sizedInt(s, 16, t)
	case schema.KindInt:
		return sizedInt(s, 32, t)
	case schema.KindBigint, schema.KindCounter, schema.KindTimestamp:
		return sizedInt(s, 64, t)
	case schema.KindVarint:
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, invalidf("Invalid INTEGER constant (%s) for type varint", s)
		}
		return varintBytes(n), nil
	case schema.KindDecimal, schema.KindFloat, schema.KindDouble:
		return floatLiteral(s, t)
	case schema.KindDate:
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, invalidf("Unable to make unsigned int (for date) from: '%s'", s)
		}
		return be32(uint32(v)), nil
	case schema.KindTime:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 || v >= 86400e9 {
			return nil, invalidf("Unable to make time from '%s'", s)
		}
		return be64(v), nil
	}
	return nil, invalidf("Invalid INTEGER constant (%s) for type %s", s, t)
}

func sizedInt(s string, bits int, t *schema.Type) ([]byte, error) {
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return nil, invalidf("Unable to make %s from '%s'", t, s)
	}
	switch bits {
	case 8:
		return []byte{byte(v)}, nil
	case 16:
		return binary.BigEndian.AppendUint16(nil, uint16(v)), nil
	case 32:
		return be32(uint32(v)), nil
	}
	return be64(v), nil
}

func floatLiteral(s string, t *schema.Type) ([]byte, error) {
	switch t.Kind {
	case schema.KindFloat:
		f, err := parseCQLFloat(s, 32)
		if err != nil {
			return nil, invalidf("Unable to make float from '%s'", s)
		}
		return be32(math.Float32bits(float32(f))), nil
	case schema.KindDouble:
		f, err := parseCQLFloat(s, 64)
		if err != nil {
			return nil, invalidf("Unable to make double from '%s'", s)
		}
		return be64(int64(math.Float64bits(f))), nil
	case schema.KindDecimal:
		return decimalFromString(s)
	}
	return nil, invalidf("Invalid FLOAT constant (%s) for type %s", s, t)
}

func parseCQLFloat(s string, bits int) (float64, error) {
	switch strings.ToLower(s) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "+infinity":
		return math.Inf(1), nil
	case "-infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, bits)
}

// decimalFromString serializes a decimal: [int scale][varint unscaled].
func decimalFromString(s string) ([]byte, error) {
	r, ok := new(big.Float).SetPrec(0).SetString(s)
	if !ok || r.IsInf() {
		return nil, invalidf("Unable to make BigDecimal from '%s'", s)
	}
	mant, exp := splitDecimal(s)
	unscaled, ok := new(big.Int).SetString(mant, 10)
	if !ok {
		return nil, invalidf("Unable to make BigDecimal from '%s'", s)
	}
	out := be32(uint32(int32(-exp)))
	return append(out, varintBytes(unscaled)...), nil
}

// splitDecimal turns "-12.5e3" into the digits "-125" and exponent 2.
func splitDecimal(s string) (string, int) {
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err == nil {
			exp = e
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		exp -= len(s) - i - 1
		s = s[:i] + s[i+1:]
	}
	return s, exp
}

// varintBytes is the minimal big-endian two's complement of n.
func varintBytes(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Two's complement of a negative: invert (|n| - 1).
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func uuidLiteral(s string, t *schema.Type) ([]byte, error) {
	b, err := parseUUID(s)
	if err != nil {
		return nil, err
	}
	if t.Kind == schema.KindTimeUUID && b[6]>>4 != 1 {
		return nil, invalidf("Unsupported UUID type (a timeuuid must be version 1): %s", s)
	}
	return b, nil
}

func parseUUID(s string) ([]byte, error) {
	h := strings.ReplaceAll(s, "-", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 || len(s) != 36 {
		return nil, invalidf("Unable to make UUID from '%s'", s)
	}
	return b, nil
}

func decodeHexLiteral(s string) ([]byte, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, invalidf("Cannot parse hex literal %s", s)
	}
	return b, nil
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v int64) []byte  { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
