package parser

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that every statement it
// accepts round-trips: parse(print(x)) equals x, and printing is stable.
// Seeds: every round-trip case and every error case.
//
//	go test ./cql/parser -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, s := range roundTripCases {
		f.Add(s)
	}
	for _, s := range errorSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) returned %T, want *Error", src, err)
			}
			return
		}
		checkRoundTrip(t, src, s)
		checkMarkers(t, s)
	})
}

// FuzzParseAll checks ParseAll and SplitStatements on scripts: no panics,
// each statement round-trips, and SplitStatements cuts the script into the
// same statements ParseAll finds.
func FuzzParseAll(f *testing.F) {
	f.Add("SELECT * FROM t; INSERT INTO t (k) VALUES (?);; DESCRIBE KEYSPACES")
	f.Add("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\nUSE k;\n")
	f.Add("BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH; SELECT ';' FROM t")
	f.Fuzz(func(t *testing.T, src string) {
		pieces, splitErr := SplitStatements(src)
		list, err := ParseAll(src)
		if err != nil {
			return
		}
		if splitErr != nil || len(pieces) != len(list) {
			t.Fatalf("ParseAll found %d statements, SplitStatements %d (%v) in %q", len(list), len(pieces), splitErr, src)
		}
		for i, s := range list {
			alone := mustParse(t, pieces[i])
			clearPositions(alone)
			checkRoundTrip(t, src, s)
			if !reflect.DeepEqual(alone, s) {
				t.Fatalf("piece %q parses differently from statement %d of %q", pieces[i], i, src)
			}
		}
	})
}

// errorSeeds are inputs near the edges of the grammar and the lexer.
var errorSeeds = []string{
	"SELECT * FORM t", "", "'", `"`, "$$", "/*", "0x", "-", "P", "p1", "1h",
	"SELECT (int) FROM t", "SELECT * FROM t WHERE k = (", "{", "[", "BEGIN BATCH",
	"UPDATE t SET a = a", "SELECT * FROM t WHERE (a, b) IN ((1, 2)",
	"CREATE TABLE t (k frozen<", "DESCRIBE", "SELECT µ FROM t",
}

// checkMarkers verifies the numbering invariant of BindMarkers.
func checkMarkers(t *testing.T, s Statement) {
	for i, m := range s.BindMarkers() {
		if m.Index != i {
			t.Fatalf("marker %d has Index %d in %q", i, m.Index, s)
		}
	}
	if got, want := len(s.BindMarkers()), countMarkers(reflect.ValueOf(s), map[uintptr]bool{}); got != want {
		t.Fatalf("BindMarkers has %d markers, the tree %d, in %q", got, want, s)
	}
}

// countMarkers counts the *BindMarker nodes in the tree, not counting the
// Markers lists themselves.
func countMarkers(v reflect.Value, seen map[uintptr]bool) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		if _, ok := v.Interface().(*BindMarker); ok {
			return 1
		}
		return countMarkers(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return countMarkers(v.Elem(), seen)
	case reflect.Slice:
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += countMarkers(v.Index(i), seen)
		}
		return n
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Name == "statement" {
				continue
			}
			n += countMarkers(v.Field(i), seen)
		}
		return n
	}
	return 0
}
