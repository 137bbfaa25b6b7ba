package schema

import (
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t testing.TB, s string) *Type {
	t.Helper()
	typ, err := ParseType(s, testUDTs)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bigInt(s string) *big.Int {
	b, _ := new(big.Int).SetString(s, 10)
	return b
}

var testUUID = UUID{0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00}

// TestCodec checks Marshal, Unmarshal, Validate and FormatValue of every
// type against hand-computed serializations.
func TestCodec(t *testing.T) {
	ts := time.Date(2021, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	for _, tc := range []struct {
		typ    string
		val    any
		hex    string
		format string
	}{
		{"ascii", "abc", "616263", "'abc'"},
		{"text", "héllo 'q'", "68c3a96c6c6f202771 27", "'héllo ''q'''"},
		{"blob", []byte{0xca, 0xfe}, "cafe", "0xcafe"},
		{"boolean", true, "01", "true"},
		{"boolean", false, "00", "false"},
		{"tinyint", int8(-2), "fe", "-2"},
		{"smallint", int16(-300), "fed4", "-300"},
		{"int", int32(-1), "ffffffff", "-1"},
		{"int", int32(123456), "0001e240", "123456"},
		{"bigint", int64(math.MinInt64), "8000000000000000", "-9223372036854775808"},
		{"counter", int64(7), "0000000000000007", "7"},
		{"varint", bigInt("0"), "00", "0"},
		{"varint", bigInt("128"), "0080", "128"},
		{"varint", bigInt("-129"), "ff7f", "-129"},
		{"varint", bigInt("-128"), "80", "-128"},
		{"varint", bigInt("123456789012345678901234567890"), "018ee90ff6c373e0ee4e3f0ad2", "123456789012345678901234567890"},
		{"decimal", Decimal{Unscaled: bigInt("-1250"), Scale: 2}, "00000002 fb1e", "-12.50"},
		{"decimal", Decimal{Unscaled: bigInt("1"), Scale: -3}, "fffffffd 01", "1E+3"},
		{"float", float32(1.5), "3fc00000", "1.5"},
		{"double", float64(-0.25), "bfd0000000000000", "-0.25"},
		{"double", math.Inf(1), "7ff0000000000000", "Infinity"},
		{"timestamp", ts, "00000177 fba0 fa20", "'2021-03-04 05:06:07.008+0000'"},
		{"date", Date(0), "80000000", "'1970-01-01'"},
		{"date", Date(-1), "7fffffff", "'1969-12-31'"},
		{"time", Time(3_723_000_000_001), "0000 0362 d417 ae01", "'01:02:03.000000001'"},
		{"uuid", testUUID, "550e8400e29b41d4a716446655440000", "550e8400-e29b-41d4-a716-446655440000"},
		{"inet", netip.MustParseAddr("127.0.0.1"), "7f000001", "'127.0.0.1'"},
		{"inet", netip.MustParseAddr("::1"), "00000000000000000000000000000001", "'::1'"},
		{"duration", Duration{Months: 14, Days: 3, Nanos: 3_600_000_000_001}, "1c 06 fc 068c 6171 4002", "1y2mo3d1h1ns"},
		{"duration", Duration{Months: -1, Days: -2, Nanos: -3}, "01 03 05", "-1mo2d3ns"},
		{"list<int>", []any{int32(1), int32(2)}, "00000002 00000004 00000001 00000004 00000002", "[1, 2]"},
		{"set<text>", []any{"b", "a", "b"}, "00000002 00000001 61 00000001 62", "{'a', 'b'}"},
		{"map<text, int>", []MapEntry{{"z", int32(1)}, {"a", int32(2)}}, "00000002 00000001 61 00000004 00000002 00000001 7a 00000004 00000001", "{'a': 2, 'z': 1}"},
		{"tuple<int, text>", []any{int32(1), nil}, "00000004 00000001 ffffffff", "(1, null)"},
		{"frozen<address>", []any{"main", int32(5)}, "00000004 6d61696e 00000004 00000005", "{street: 'main', zip: 5}"},
	} {
		typ := mustParse(t, tc.typ)
		want := unhex(t, tc.hex)
		got, err := Marshal(typ, tc.val)
		if err != nil {
			t.Errorf("Marshal(%s, %v): %v", tc.typ, tc.val, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Marshal(%s, %v) = %x, want %x", tc.typ, tc.val, got, want)
		}
		if err := Validate(typ, got); err != nil {
			t.Errorf("Validate(%s, %x): %v", tc.typ, got, err)
		}
		back, err := Unmarshal(typ, got)
		if err != nil {
			t.Errorf("Unmarshal(%s, %x): %v", tc.typ, got, err)
			continue
		}
		again, err := Marshal(typ, back)
		if err != nil || !reflect.DeepEqual(again, want) {
			t.Errorf("Marshal(Unmarshal(%s, %x)) = %x, %v", tc.typ, got, again, err)
		}
		if f := FormatValue(typ, got); f != tc.format {
			t.Errorf("FormatValue(%s, %x) = %s, want %s", tc.typ, got, f, tc.format)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	for _, tc := range []struct{ typ, hex, want string }{
		{"int", "000000", "invalid int value: expected 4 bytes, got 3"},
		{"bigint", "00", "invalid bigint value: expected 8 bytes, got 1"},
		{"uuid", "00", "expected 16 bytes, got 1"},
		{"timeuuid", "550e8400e29b41d4a716446655440000", "expected a version 1 UUID, got version 4"},
		{"ascii", "61ff", "non-ASCII byte 0xff at offset 1"},
		{"text", "c3", "invalid UTF-8"},
		{"inet", "0102", "expected 4 or 16 bytes, got 2"},
		{"decimal", "0001", "expected at least 4 bytes"},
		{"time", "ffffffffffffffff", "out of range"},
		{"duration", "02 01 00", "same sign"},
		{"duration", "ff", "truncated vint"},
		{"list<int>", "00000001", "element count 1 exceeds"},
		{"list<int>", "00000001 ffffffff", "null is not supported inside collections"},
		{"list<int>", "00000001 00000002 0000", "element 0: invalid int value: expected 4 bytes, got 2"},
		{"list<int>", "00000000 00", "unexpected bytes after the last element"},
		{"map<text, int>", "00000001 00000001 61 00000001 00", "expected 4 bytes, got 1"},
		{"tuple<int, text>", "00000004 00000001 00000001 61 00000000", "more than the 2 components"},
		{"frozen<address>", "00000001 ff", "field street: invalid text value"},
	} {
		err := Validate(mustParse(t, tc.typ), unhex(t, tc.hex))
		if err == nil || !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%s, %s) = %v, want %q", tc.typ, tc.hex, err, tc.want)
		}
	}
	for _, s := range []string{"int", "text", "list<int>", "frozen<address>", "decimal"} {
		if err := Validate(mustParse(t, s), []byte{}); err != nil {
			t.Errorf("empty %s value: %v", s, err)
		}
		if err := Validate(mustParse(t, s), nil); err != nil {
			t.Errorf("null %s value: %v", s, err)
		}
	}
}

func TestMarshalGoCollections(t *testing.T) {
	m := mustParse(t, "map<text, int>")
	a, err := Marshal(m, map[string]int32{"b": 2, "a": 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(m, []MapEntry{{"a", int32(1)}, {"b", int32(2)}})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Go map marshals to %x, want %x", a, b)
	}
	s, err := Marshal(mustParse(t, "set<text>"), []string{"y", "x"})
	if err != nil || FormatValue(mustParse(t, "set<text>"), s) != "{'x', 'y'}" {
		t.Errorf("[]string as set: %x, %v", s, err)
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, tc := range []struct {
		typ string
		val any
	}{
		{"tinyint", 128},
		{"smallint", -40000},
		{"int", int64(math.MaxInt32) + 1},
		{"bigint", uint64(math.MaxUint64)},
		{"int", "1"},
		{"text", string([]byte{0xff})},
		{"ascii", "é"},
		{"time", Time(-1)},
		{"timeuuid", testUUID},
		{"duration", Duration{Months: 1, Nanos: -1}},
		{"list<int>", []any{nil}},
		{"tuple<int>", []any{int32(1), int32(2)}},
		{"frozen<address>", map[string]any{"nope": 1}},
		{"inet", "not an address"},
	} {
		if _, err := Marshal(mustParse(t, tc.typ), tc.val); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Marshal(%s, %#v) = %v, want ErrInvalidValue", tc.typ, tc.val, err)
		}
	}
}

func TestCompare(t *testing.T) {
	m := func(typ string, v any) []byte {
		b, err := Marshal(mustParse(t, typ), v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t1 := TimeUUIDAt(time.Unix(1000, 0), 0x1234, [6]byte{1})
	t2 := TimeUUIDAt(time.Unix(999, 0), 0x3fff, [6]byte{0xff})
	t1Neg := t1
	t1Neg[8] = 0x80 // lsb byte 0x80 is negative as a signed byte
	t1Pos := t1
	t1Pos[8] = 0x81 // but greater than 0x80 signed
	u4 := testUUID
	for _, tc := range []struct {
		typ  string
		a, b []byte
		want int
	}{
		{"int", m("int", -5), m("int", 3), -1},
		{"int", []byte{}, m("int", math.MinInt32), -1},
		{"bigint", m("bigint", int64(7)), m("bigint", int64(7)), 0},
		{"varint", m("varint", bigInt("-1000000000000000000000")), m("varint", -1), -1},
		{"varint", []byte{0, 0, 1}, []byte{1}, 0},
		{"decimal", m("decimal", Decimal{bigInt("10"), 1}), m("decimal", Decimal{bigInt("100"), 2}), 0},
		{"decimal", m("decimal", Decimal{bigInt("-15"), 1}), m("decimal", Decimal{bigInt("-1"), 0}), -1},
		{"decimal", m("decimal", Decimal{bigInt("999"), 3}), m("decimal", Decimal{bigInt("1"), 0}), -1},
		{"double", m("double", math.Copysign(0, -1)), m("double", 0.0), -1},
		{"double", m("double", math.Inf(1)), m("double", math.NaN()), -1},
		{"double", m("double", math.NaN()), unhex(t, "fff8000000000001"), 0},
		{"float", m("float", float32(-2)), m("float", float32(-1)), -1},
		{"boolean", m("boolean", false), m("boolean", true), -1},
		{"boolean", []byte{2}, []byte{1}, 0},
		{"date", m("date", Date(-10)), m("date", Date(10)), -1},
		{"timestamp", m("timestamp", int64(-1)), m("timestamp", int64(1)), -1},
		{"timeuuid", t2[:], t1[:], -1},
		{"timeuuid", t1Neg[:], t1Pos[:], -1},
		{"uuid", t1[:], u4[:], -1}, // version 1 before version 4
		{"uuid", t2[:], t1[:], -1},
		{"inet", m("inet", "255.255.255.255"), m("inet", "::"), -1},
		{"inet", m("inet", "10.0.0.1"), m("inet", "9.0.0.1"), 1},
		{"text", m("text", "a"), m("text", "ab"), -1},
		{"frozen<list<int>>", m("list<int>", []any{int32(1)}), m("list<int>", []any{int32(1), int32(0)}), -1},
		{"frozen<list<int>>", m("list<int>", []any{int32(2)}), m("list<int>", []any{int32(1), int32(0)}), 1},
		{"frozen<map<int, int>>", m("map<int, int>", []MapEntry{{int32(1), int32(5)}}), m("map<int, int>", []MapEntry{{int32(1), int32(6)}}), -1},
		{"tuple<int, int>", m("tuple<int, int>", []any{int32(1), nil}), m("tuple<int, int>", []any{int32(1), int32(math.MinInt32)}), -1},
		{"tuple<int, int>", m("tuple<int, int>", []any{int32(1)}), m("tuple<int, int>", []any{int32(1), nil}), 0},
	} {
		typ := mustParse(t, tc.typ)
		if got := Compare(typ, tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%s, %x, %x) = %d, want %d", tc.typ, tc.a, tc.b, got, tc.want)
		}
		if got := Compare(typ, tc.b, tc.a); got != -tc.want {
			t.Errorf("Compare(%s, %x, %x) = %d, want %d", tc.typ, tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestVint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 1<<14 - 1, 1 << 14, 1<<56 - 1, 1 << 56, math.MaxUint64} {
		b := appendVint(nil, v)
		got, rest, err := readVint(b)
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("vint %d: %x -> %d, %x, %v", v, b, got, rest, err)
		}
	}
	for _, v := range []int64{0, -1, 1, math.MinInt64, math.MaxInt64} {
		if unzigzag(zigzag(v)) != v {
			t.Errorf("zigzag %d", v)
		}
	}
}

func TestUUIDHelpers(t *testing.T) {
	at := time.Date(2020, 1, 2, 3, 4, 5, 600, time.UTC)
	u := TimeUUIDAt(at, 7, [6]byte{1, 2, 3, 4, 5, 6})
	if u.Version() != 1 || !u.Time().Equal(at) {
		t.Errorf("TimeUUIDAt: version %d time %v", u.Version(), u.Time())
	}
	p, err := ParseUUID(u.String())
	if err != nil || p != u {
		t.Errorf("ParseUUID(%s) = %v, %v", u, p, err)
	}
	// Java: UUID.nameUUIDFromBytes("systemlocal".getBytes())
	if got := SystemTableUUID("system", "local").String(); got != "7ad54392-bcdd-35a6-8417-4e047860b377" {
		t.Errorf("system.local id = %s", got)
	}
	if RandomUUID().Version() != 4 {
		t.Error("RandomUUID is not version 4")
	}
}

func TestDecimalString(t *testing.T) {
	for _, tc := range []struct {
		d    Decimal
		want string
	}{
		{Decimal{bigInt("12345"), 2}, "123.45"},
		{Decimal{bigInt("5"), 3}, "0.005"},
		{Decimal{bigInt("-5"), 0}, "-5"},
		{Decimal{bigInt("5"), 9}, "5E-9"},
		{Decimal{nil, 0}, "0"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%v.String() = %s, want %s", tc.d, got, tc.want)
		}
		p, err := ParseDecimal(tc.want)
		if err != nil || p.Cmp(tc.d) != 0 {
			t.Errorf("ParseDecimal(%s) = %v, %v", tc.want, p, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	typ := mustParse(t, "frozen<map<int, frozen<set<text>>>>")
	elem := func(s ...string) []byte {
		var es [][]byte
		for _, x := range s {
			es = append(es, []byte(x))
		}
		return buildCollection(len(es), es)
	}
	key := func(n int32) []byte { b, _ := Marshal(IntType, n); return b }
	in := buildCollection(3, [][]byte{key(2), elem("b", "a", "b"), key(1), elem(), key(2), elem("z")})
	got, err := Normalize(typ, in)
	if err != nil {
		t.Fatal(err)
	}
	want := buildCollection(2, [][]byte{key(1), elem(), key(2), elem("z")})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %x, want %x", got, want)
	}
	if ok, err := IsNormalized(typ, got); !ok || err != nil {
		t.Errorf("IsNormalized(normalized) = %v, %v", ok, err)
	}
	if ok, _ := IsNormalized(typ, in); ok {
		t.Error("IsNormalized(unsorted) = true")
	}
	if _, err := Normalize(typ, []byte{1}); err == nil {
		t.Error("Normalize accepted an invalid value")
	}
	list := mustParse(t, "list<int>")
	l := buildCollection(2, [][]byte{key(2), key(1)})
	if got, _ := Normalize(list, l); !reflect.DeepEqual(got, l) {
		t.Error("Normalize reordered a list")
	}
}
