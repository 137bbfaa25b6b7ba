package shell

import (
	"bytes"
	"testing"

	"github.com/gocql/gocql"
)

// fuzzTypes are the types the fuzz targets pick from by index.
var fuzzTypes = []gocql.TypeInfo{
	native(gocql.TypeText), native(gocql.TypeInt), native(gocql.TypeBigInt), native(gocql.TypeSmallInt),
	native(gocql.TypeTinyInt), native(gocql.TypeBoolean), native(gocql.TypeFloat), native(gocql.TypeDouble),
	native(gocql.TypeDecimal), native(gocql.TypeVarint), native(gocql.TypeUUID), native(gocql.TypeBlob),
	native(gocql.TypeInet), native(gocql.TypeTimestamp), native(gocql.TypeDate), native(gocql.TypeTime),
	native(gocql.TypeDuration), list(native(gocql.TypeText)), set(native(gocql.TypeDouble)),
	mapOf(native(gocql.TypeText), list(native(gocql.TypeInt))),
	tuple(native(gocql.TypeInt), native(gocql.TypeText), native(gocql.TypeTimestamp)),
	udt(gocql.UDTField{Name: "a", Type: native(gocql.TypeDecimal)}, gocql.UDTField{Name: "b c", Type: set(native(gocql.TypeText))}),
	native(gocql.TypeCustom),
}

// FuzzFormatValue feeds arbitrary bytes as a server's value: formatting
// never panics, and whatever decodes reads back (parseValue) to a value
// that formats the same.
func FuzzFormatValue(f *testing.F) {
	f.Add(uint8(0), []byte("hi"))
	f.Add(uint8(8), []byte{0, 0, 0, 3, 0xff, 0xcf, 0xc7})
	f.Add(uint8(16), []byte{2, 4, 10})
	f.Add(uint8(17), []byte{0, 0, 0, 1, 0, 0, 0, 1, 'a'})
	f.Add(uint8(19), []byte{0, 0, 0, 1, 0, 0, 0, 1, 'k', 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9})
	f.Add(uint8(20), []byte{0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint8(21), []byte{0, 0, 0, 5, 0, 0, 0, 1, 7})
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		info := fuzzTypes[int(sel)%len(fuzzTypes)]
		text := formatValue(info, data, exact)
		_ = formatValue(info, data, display)
		if bytes.HasPrefix([]byte(text), []byte("0x")) && info.Type() != gocql.TypeBlob && info.Type() != gocql.TypeCustom {
			return // did not decode
		}
		b, err := parseValue(info, text, false)
		if err != nil {
			t.Fatalf("%s value %x formats as %q, which does not parse: %v", info, data, text, err)
		}
		if again := formatValue(info, b, exact); again != text {
			t.Fatalf("%s value %x formats as %q, reads back as %q", info, data, text, again)
		}
	})
}

// FuzzParseValue feeds arbitrary CSV fields to COPY FROM's parser: it
// never panics, and what it accepts formats to text that parses to the
// same bytes.
func FuzzParseValue(f *testing.F) {
	for i, s := range []string{"hi", "-1", "1e9", "0", "1", "True", "1.5", "3.14", "-0.012345", "123",
		"5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1", "0xcafe", "::1", "2026-11-23 22:51:44.123000+0000", "2026-11-23",
		"22:51:44.5", "1y2mo", "['a', 'b''c']", "{1.5, NaN}", "{'k': [1, 2]}", "(1, 'x', null)",
		`{a: 1.5, "b c": {'x'}}`, "0x"} {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, sel uint8, text string) {
		info := fuzzTypes[int(sel)%len(fuzzTypes)]
		b, err := parseValue(info, text, false)
		if err != nil {
			return
		}
		out := formatValue(info, nonNil(b), exact)
		b2, err := parseValue(info, out, false)
		if err != nil {
			t.Fatalf("%s %q parsed to %x, formatted as %q, which does not parse: %v", info, text, b, out, err)
		}
		if !bytes.Equal(nonNil(b), nonNil(b2)) {
			t.Fatalf("%s %q parsed to %x, formatted as %q, parsed to %x", info, text, b, out, b2)
		}
	})
}

// FuzzCopyCommand feeds arbitrary COPY commands to the parser.
func FuzzCopyCommand(f *testing.F) {
	f.Add("COPY ks.t (a, b) TO '/tmp/x.csv' WITH HEADER = true AND DELIMITER = '|'")
	f.Add("COPY t FROM 'f' WITH NULL = 'NULL' AND MAXREQUESTS = 4")
	f.Add(`COPY "T" FROM 'it''s'`)
	f.Fuzz(func(t *testing.T, stmt string) {
		spec, err := parseCopy(stmt)
		if err == nil && (spec.file == "" || spec.maxRequests < 1) {
			t.Fatalf("parseCopy(%q) accepted %+v", stmt, spec)
		}
	})
}

// FuzzInputLines feeds arbitrary input to the statement-boundary and
// completion helpers, which see every keystroke.
func FuzzInputLines(f *testing.F) {
	f.Add("SELECT * FROM ks.t WHERE k = 'a;b';")
	f.Add("BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH")
	f.Add("INSERT INTO t (")
	f.Fuzz(func(t *testing.T, line string) {
		_ = complete(line)
		_ = firstWord(line)
		s := &Shell{meta: &metaCache{}}
		s.meta.s = s
		_ = s.Complete(line)
		_, _ = identifier(line)
		_, _ = quotedArg(line)
	})
}
