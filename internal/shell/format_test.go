package shell

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gocql/gocql"
)

func native(t gocql.Type) gocql.TypeInfo { return gocql.NewNativeType(4, t, "") }

func list(elem gocql.TypeInfo) gocql.TypeInfo {
	return gocql.CollectionType{NativeType: gocql.NewNativeType(4, gocql.TypeList, ""), Elem: elem}
}

func set(elem gocql.TypeInfo) gocql.TypeInfo {
	return gocql.CollectionType{NativeType: gocql.NewNativeType(4, gocql.TypeSet, ""), Elem: elem}
}

func mapOf(k, v gocql.TypeInfo) gocql.TypeInfo {
	return gocql.CollectionType{NativeType: gocql.NewNativeType(4, gocql.TypeMap, ""), Key: k, Elem: v}
}

func tuple(elems ...gocql.TypeInfo) gocql.TypeInfo {
	return gocql.TupleTypeInfo{NativeType: gocql.NewNativeType(4, gocql.TypeTuple, ""), Elems: elems}
}

func udt(fields ...gocql.UDTField) gocql.TypeInfo {
	return gocql.UDTTypeInfo{NativeType: gocql.NewNativeType(4, gocql.TypeUDT, ""), KeySpace: "ks", Name: "addr", Elements: fields}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFormatValue pins the cqlsh rendering of serialized values.
func TestFormatValue(t *testing.T) {
	cases := []struct {
		info gocql.TypeInfo
		hex  string
		want string
	}{
		{native(gocql.TypeText), "6869", "hi"},
		{native(gocql.TypeInt), "ffffffff", "-1"},
		{native(gocql.TypeBigInt), "0000000000000064", "100"},
		{native(gocql.TypeSmallInt), "8000", "-32768"},
		{native(gocql.TypeTinyInt), "7f", "127"},
		{native(gocql.TypeBoolean), "01", "True"},
		{native(gocql.TypeBoolean), "00", "False"},
		{native(gocql.TypeDouble), "400921fb54442d18", "3.14159"},
		{native(gocql.TypeDouble), "412e848000000000", "1e+06"}, // cqlsh widens only below 1e5
		{native(gocql.TypeDouble), "3eb0c6f7a0b5ed8d", "1e-06"},
		{native(gocql.TypeDouble), "0000000000000000", "0"},
		{native(gocql.TypeDouble), "7ff8000000000000", "NaN"},
		{native(gocql.TypeDouble), "fff0000000000000", "-Infinity"},
		{native(gocql.TypeFloat), "3fc00000", "1.5"},
		{native(gocql.TypeFloat), "3f8ccccd", "1.1"},
		{native(gocql.TypeDecimal), "00000003ffcfc7", "-12.345"},
		{native(gocql.TypeDecimal), "0000000a01", "1E-10"},
		{native(gocql.TypeDecimal), "fffffffe01", "1E+2"},
		{native(gocql.TypeVarint), "ff", "-1"},
		{native(gocql.TypeVarint), "0080", "128"},
		{native(gocql.TypeUUID), "5ba0e3ee0a0e4bc29a614e8cbbf6a3b1", "5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1"},
		{native(gocql.TypeBlob), "cafe", "0xcafe"},
		{native(gocql.TypeBlob), "", "0x"},
		{native(gocql.TypeInet), "7f000001", "127.0.0.1"},
		{native(gocql.TypeTimestamp), "0000019ab2f5c0e0", "2025-11-23 23:04:01.504000+0000"},
		{native(gocql.TypeTimestamp), "7fffffffffffffff", "9223372036854775807"},
		{native(gocql.TypeDate), "80000000", "1970-01-01"},
		{native(gocql.TypeTime), "0000000000000001", "00:00:00.000000001"},
		{native(gocql.TypeDuration), "02040a", "1mo2d5ns"},
		{native(gocql.TypeDuration), "010101", "-1mo1d1ns"},
		{native(gocql.TypeDuration), "020101", "0x020101"}, // mixed signs: not a Cassandra duration
		{native(gocql.TypeInt), "01", "0x01"},              // wrong length: hex, never an error
		{list(native(gocql.TypeText)), "000000020000000161000000022762", "['a', '''b']"},
		{set(native(gocql.TypeInt)), "000000010000000400000007", "{7}"},
		{mapOf(native(gocql.TypeText), native(gocql.TypeTimestamp)), "000000010000000161000000080000000000000000",
			"{'a': '1970-01-01 00:00:00.000000+0000'}"},
		{tuple(native(gocql.TypeInt), native(gocql.TypeText)), "0000000400000007ffffffff", "(7, null)"},
		{tuple(native(gocql.TypeInt), native(gocql.TypeText)), "0000000400000007", "(7, null)"},
		{udt(gocql.UDTField{Name: "street", Type: native(gocql.TypeText)}, gocql.UDTField{Name: "Zip", Type: native(gocql.TypeInt)}),
			"000000017800000004000000ff", `{street: 'x', "Zip": 255}`},
		{list(native(gocql.TypeInt)), "00000005", "0x00000005"},
	}
	for _, c := range cases {
		if got := formatValue(c.info, unhex(t, c.hex), display); got != c.want {
			t.Errorf("formatValue(%s, %s) = %q, want %q", c.info, c.hex, got, c.want)
		}
	}
	if got := formatValue(native(gocql.TypeText), nil, display); got != "null" {
		t.Errorf("null formats as %q", got)
	}
}

// TestParseValueRoundTrip checks that COPY FROM reads what COPY TO writes.
func TestParseValueRoundTrip(t *testing.T) {
	cases := []struct {
		info gocql.TypeInfo
		text string
	}{
		{native(gocql.TypeText), "it's, \"here\""},
		{native(gocql.TypeInt), "-42"},
		{native(gocql.TypeBigInt), "9223372036854775807"},
		{native(gocql.TypeDouble), "3.141592653589793"},
		{native(gocql.TypeFloat), "1.1"},
		{native(gocql.TypeDouble), "-Infinity"},
		{native(gocql.TypeDecimal), "-0.012345"},
		{native(gocql.TypeDecimal), "1E+2"},
		{native(gocql.TypeVarint), "-123456789012345678901234567890"},
		{native(gocql.TypeBoolean), "True"},
		{native(gocql.TypeUUID), "5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1"},
		{native(gocql.TypeBlob), "0x00ff"},
		{native(gocql.TypeInet), "::1"},
		{native(gocql.TypeTimestamp), "2026-11-23 22:51:44.123000+0000"},
		{native(gocql.TypeDate), "2026-11-23"},
		{native(gocql.TypeTime), "22:51:44.000000001"},
		{native(gocql.TypeDuration), "1y2mo3d4h5m6s7ms8us9ns"},
		{native(gocql.TypeDuration), "-3w"[:0] + "-21d"},
		{list(native(gocql.TypeText)), "['a, b', 'it''s', '']"},
		{set(native(gocql.TypeTimestamp)), "{'1970-01-01 00:00:00.000000+0000'}"},
		{mapOf(native(gocql.TypeText), list(native(gocql.TypeInt))), "{'k: v': [1, 2], 'z': []}"},
		{tuple(native(gocql.TypeInt), native(gocql.TypeText), native(gocql.TypeBoolean)), "(1, null, False)"},
		{udt(gocql.UDTField{Name: "a", Type: native(gocql.TypeInt)}, gocql.UDTField{Name: "B c", Type: native(gocql.TypeText)}),
			`{a: 1, "B c": 'x'}`},
	}
	for _, c := range cases {
		b, err := parseValue(c.info, c.text, false)
		if err != nil {
			t.Errorf("parseValue(%s, %q): %v", c.info, c.text, err)
			continue
		}
		if got := formatValue(c.info, b, exact); got != c.text {
			t.Errorf("round trip of %q (%s) gave %q", c.text, c.info, got)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	cases := []struct {
		info gocql.TypeInfo
		text string
	}{
		{native(gocql.TypeInt), "2147483648"},
		{native(gocql.TypeInt), "x"},
		{native(gocql.TypeBoolean), "yes"},
		{native(gocql.TypeUUID), "5ba0e3ee"},
		{native(gocql.TypeBlob), "cafe"},
		{native(gocql.TypeTime), "24:00:00"},
		{native(gocql.TypeDuration), "5parsecs"},
		{native(gocql.TypeDuration), "9223372036854775807h"},
		{list(native(gocql.TypeText)), "[a]"},
		{list(native(gocql.TypeInt)), "[1, null]"},
		{list(native(gocql.TypeInt)), "[1, 2"},
		{mapOf(native(gocql.TypeInt), native(gocql.TypeInt)), "{1}"},
		{tuple(native(gocql.TypeInt)), "(1, 2)"},
		{udt(gocql.UDTField{Name: "a", Type: native(gocql.TypeInt)}), "{b: 1}"},
	}
	for _, c := range cases {
		if b, err := parseValue(c.info, c.text, false); err == nil {
			t.Errorf("parseValue(%s, %q) = %x, want an error", c.info, c.text, b)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, []string{"k", "name"}, [][]string{{"1", "a"}, {"10", "null"}}, true)
	want := " k  | name\n----+------\n  1 |    a\n 10 | null\n\n"
	if b.String() != want {
		t.Errorf("table\n%q, want\n%q", b.String(), want)
	}
}

func TestColumnize(t *testing.T) {
	got := columnize([]string{"alpha", "b", "gamma"}, 80)
	if got != "alpha  b  gamma\n" {
		t.Errorf("columnize = %q", got)
	}
	words := strings.Fields(strings.Repeat("abcdefghij ", 10))
	got = columnize(words, 40)
	if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); len(lines) != 4 || len(lines[0]) > 40 {
		t.Errorf("columnize into 40 cells = %q", got)
	}
	if columnize(nil, 80) != "<empty>\n" {
		t.Errorf("columnize of nothing = %q", columnize(nil, 80))
	}
}

func TestComplete(t *testing.T) {
	cases := []struct {
		buf  string
		want bool
	}{
		{"", true},
		{"SELECT * FROM t", false},
		{"SELECT * FROM t;", true},
		{"SELECT * FROM t; -- done", true},
		{"SELECT ';' FROM t", false},
		{"INSERT INTO t (k) VALUES ('a;", false},
		{"/* ; */ SELECT 1", false},
		{"BEGIN BATCH INSERT INTO t (k) VALUES (1);", false},
		{"BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH;", true},
		{"exit", true},
		{"EXPAND ON", true},
		{"describe tables", true},
		{"use ks", false},
	}
	for _, c := range cases {
		if got := complete(c.buf); got != c.want {
			t.Errorf("complete(%q) = %v, want %v", c.buf, got, c.want)
		}
	}
}

func TestParseCopy(t *testing.T) {
	spec, err := parseCopy(`COPY ks."T" (a, "B") FROM '/tmp/it''s.csv' WITH HEADER = true AND DELIMITER = '|' AND NULL = 'NULL' AND MAXREQUESTS = 3`)
	if err != nil {
		t.Fatal(err)
	}
	if spec.table != `ks."T"` || strings.Join(spec.columns, ",") != `a,"B"` || !spec.from || spec.file != "/tmp/it's.csv" ||
		!spec.header || spec.delim != '|' || spec.null != "NULL" || spec.maxRequests != 3 {
		t.Errorf("parsed %+v", spec)
	}
	for _, bad := range []string{
		"COPY t", "COPY t INTO 'f'", "COPY t TO", "COPY t () TO 'f'", "COPY t TO 'f' WITH", "COPY t TO 'f' WITH HEADER = maybe",
		"COPY t TO 'f' WITH COLOUR = red", "COPY t TO 'f' WITH HEADER = true OR NULL = x", "COPY t TO 'f", "COPY t (a TO 'f'",
	} {
		if _, err := parseCopy(bad); err == nil {
			t.Errorf("parseCopy(%q) succeeded", bad)
		}
	}
}

func TestPrintWarnings(t *testing.T) {
	var b bytes.Buffer
	s := &Shell{cfg: Config{Out: &b}}
	s.printWarnings(nil)
	s.printWarnings([]string{"Aggregation query used without partition key"})
	if want := "\nWarnings :\nAggregation query used without partition key\n\n"; b.String() != want {
		t.Errorf("warnings printed as %q, want %q", b.String(), want)
	}
}
