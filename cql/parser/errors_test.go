package parser

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestErrors(t *testing.T) {
	cases := []struct {
		in   string
		want string // the whole Error() text
	}{
		{"SELECT * FORM t", "line 1:10 mismatched input 'FORM' expecting FROM"},
		{"SELECT * FROM t WHERE", "line 1:22 mismatched input '<EOF>' expecting column name"},
		{"SELEC * FROM t", "line 1:1 no viable alternative at input 'SELEC'"},
		{"", "line 1:1 no viable alternative at input '<EOF>'"},
		{"   \n  ", "line 2:3 no viable alternative at input '<EOF>'"},
		{"SELECT * FROM t\nWHERE k = = 1", "line 2:11 no viable alternative at input '='"},
		{"SELECT * FROM t WHERE k = 1 junk", "line 1:29 mismatched input 'junk' expecting <EOF>"},
		{"SELECT * FROM select", "line 1:15 mismatched input 'select' expecting table name"},
		{"SELECT * FROM t WHERE k = 'abc", "line 1:27 unterminated string"},
		{`SELECT "abc FROM t`, "line 1:8 unterminated quoted identifier"},
		{"SELECT * FROM t /* never closed", "line 1:17 unterminated comment"},
		{"SELECT * FROM t WHERE k = $$abc", "line 1:27 unterminated string"},
		{"SELECT * FROM t WHERE k = 1 & 2", "line 1:29 no viable alternative at character '&'"},
		{"SELECT * FROM t WHERE k = 12abc", "line 1:27 no viable alternative at input '12abc'"},
		{"SELECT * FROM t WHERE k = 0xzz", "line 1:27 no viable alternative at input '0xzz'"},
		{"SELECT * FROM t WHERE k ! 1", "line 1:25 no viable alternative at character '!'"},
		{"SELECT * FROM t WHERE k = -x", "line 1:28 mismatched input 'x' expecting one of NaN, Infinity"},
		{"SELECT * FROM t LIMIT 'a'", "line 1:23 mismatched input ''a'' expecting one of integer, bind marker"},
		{"SELECT * FROM t WHERE token(k) CONTAINS 1", "line 1:32 mismatched input 'CONTAINS' expecting operator"},
		{"INSERT INTO t (a) VALUES (1) USING TTL", "line 1:39 mismatched input '<EOF>' expecting one of integer, bind marker"},
		{"INSERT INTO t (a) VALUES (1) USING TTLX 5", "line 1:36 mismatched input 'TTLX' expecting one of TIMESTAMP, TTL"},
		{"DELETE FROM t USING TTL 5 WHERE k = 1", "line 1:21 mismatched input 'TTL' expecting TIMESTAMP"},
		{"UPDATE t SET v = 1", "line 1:19 mismatched input '<EOF>' expecting WHERE"},
		{"DELETE FROM t", "line 1:14 mismatched input '<EOF>' expecting WHERE"},
		{"UPDATE t SET a = b + 1 WHERE k = 1", "line 1:18 only expressions of the form X = <value> + X or X = X +/- <value> are supported"},
		{"UPDATE t SET a = 1 + b WHERE k = 1", "line 1:22 only expressions of the form X = <value> + X or X = X +/- <value> are supported"},
		{"UPDATE t SET v = 1 WHERE k = 1 IF v LIKE 'a'", "line 1:35 operator LIKE is not allowed in conditions"},
		{"BEGIN BATCH SELECT * FROM t APPLY BATCH", "line 1:13 mismatched input 'SELECT' expecting one of INSERT, UPDATE, DELETE, APPLY"},
		{"BEGIN BATCH INSERT INTO t (k) VALUES (1)", "line 1:41 mismatched input '<EOF>' expecting one of INSERT, UPDATE, DELETE, APPLY"},
		{"CREATE TABLE t (k int, PRIMARY KEY (k), PRIMARY KEY (k))", "line 1:41 multiple PRIMARY KEYs specified (exactly one required)"},
		{"CREATE TABLE t (k map<int> PRIMARY KEY)", "line 1:19 map takes 2 type arguments, got 1 type argument"},
		{"CREATE TABLE t (k list<int, int> PRIMARY KEY)", "line 1:19 list takes 1 type argument, got 2 type arguments"},
		{"CREATE TABLE t (k frozen PRIMARY KEY)", "line 1:26 mismatched input 'PRIMARY' expecting '<'"},
		{"CREATE TABLE t (k int PRIMARY KEY) WITH CLUSTERING ORDER BY (c DESC) AND CLUSTERING ORDER BY (c ASC)",
			"line 1:74 CLUSTERING ORDER BY given twice"},
		{"CREATE TABLE t (k int PRIMARY KEY) WITH x = now()", "line 1:45 property value must be a constant or a map"},
		{"CREATE KEYSPACE ks", "line 1:19 mismatched input '<EOF>' expecting WITH"},
		{"CREATE KEYSPACE IF EXISTS ks WITH x = 1", "line 1:20 mismatched input 'EXISTS' expecting NOT"},
		{"ALTER TABLE t FOO", "line 1:15 mismatched input 'FOO' expecting one of ADD, DROP, RENAME, WITH"},
		{"ALTER TYPE t DROP f", "line 1:14 mismatched input 'DROP' expecting one of ADD, RENAME"},
		{"CREATE FOO x", "line 1:8 mismatched input 'FOO' expecting one of KEYSPACE, TABLE, TYPE"},
		{"DESCRIBE TABLE", "line 1:15 mismatched input '<EOF>' expecting table name"},
		{"DESCRIBE FULL KEYSPACE", "line 1:15 mismatched input 'KEYSPACE' expecting SCHEMA"},
		{"DESCRIBE SCHEMA WITH", "line 1:21 mismatched input '<EOF>' expecting INTERNALS"},
		{"SELECT * FROM t; SELECT", "line 1:18 mismatched input 'SELECT' expecting <EOF>"},
		{"SELECT * FROM t WHERE k = {a: 1, 'b': 2}", "line 1:34 mismatched input ''b'' expecting field name"},
		{"SELECT * FROM t WHERE k = {1: 2, 3}", "line 1:35 mismatched input '}' expecting ':'"},
		{"SELECT * FROM t WHERE k IN (1, 2", "line 1:33 mismatched input '<EOF>' expecting ')'"},
		{"SELECT * FROM t WHERE (a, b) CONTAINS 1", "line 1:30 mismatched input 'CONTAINS' expecting operator"},
		{"USE select", "line 1:5 mismatched input 'select' expecting keyspace name"},
		{"SELECT * FROM t WHERE k = ?abc", "line 1:28 mismatched input 'abc' expecting <EOF>"},
		{"SELECT * FROM t WHERE k = :select", "line 1:28 mismatched input 'select' expecting bind marker name"},
		{"SELECT * FROM t WHERE k = (vector<float, 3>) ?", "line 1:28 vector type is not supported"},
		{`SELECT "" FROM t`, "line 1:8 empty quoted identifier"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", c.in, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q):\n got: %s\nwant: %s", c.in, err, c.want)
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q): error %T is not *Error", c.in, err)
		}
	}
}

func TestErrorFields(t *testing.T) {
	_, err := Parse("SELECT a\n  FORM t")
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("got %v, want *Error", err)
	}
	if perr.Pos != (Pos{Line: 2, Col: 3}) || perr.Found != "FORM" || len(perr.Expected) != 1 || perr.Expected[0] != "FROM" {
		t.Fatalf("got %+v", perr)
	}
	if perr.Unsupported {
		t.Fatal("a syntax error is not Unsupported")
	}
}

func TestUnsupported(t *testing.T) {
	cases := []struct{ in, what string }{
		{"CREATE TABLE t (k int PRIMARY KEY) WITH COMPACT STORAGE", "COMPACT STORAGE"},
		{"ALTER TABLE t DROP COMPACT STORAGE", "DROP COMPACT STORAGE"},
		{"ALTER TABLE t ALTER v TYPE text", "ALTER TABLE ... ALTER (changing a column's type)"},
		{"ALTER TYPE t ALTER f TYPE text", "ALTER TYPE ... ALTER (changing a field's type)"},
		{"CREATE MATERIALIZED VIEW v AS SELECT * FROM t", "CREATE MATERIALIZED VIEW"},
		{"CREATE FUNCTION f (a int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", "CREATE FUNCTION"},
		{"CREATE OR REPLACE FUNCTION f () ", "CREATE OR REPLACE"},
		{"CREATE AGGREGATE a (int) SFUNC f STYPE int", "CREATE AGGREGATE"},
		{"CREATE TRIGGER tr ON t USING 'x'", "CREATE TRIGGER"},
		{"CREATE ROLE r WITH ACCESS TO ALL DATACENTERS", "ACCESS role option"},
		{"GRANT EXECUTE ON ALL FUNCTIONS TO r", "ALL FUNCTIONS resource"},
		{"LIST ALL ON MBEAN m", "MBEAN resource"},
		{"DROP MATERIALIZED VIEW v", "DROP MATERIALIZED VIEW"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("Parse(%q): got %v, want *Error", c.in, err)
			continue
		}
		if !perr.Unsupported || perr.Msg != c.what+" is not supported" {
			t.Errorf("Parse(%q): got %+v, want Unsupported %q", c.in, perr, c.what)
		}
		if !strings.HasPrefix(perr.Error(), "line 1:") {
			t.Errorf("Parse(%q): message %q lacks the position", c.in, perr)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	deep := "SELECT * FROM t WHERE k = " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("got %v, want nesting too deep", err)
	}
	deepType := "CREATE TABLE t (k " + strings.Repeat("frozen<", 5000) + "int" + strings.Repeat(">", 5000) + " PRIMARY KEY)"
	if _, err := Parse(deepType); err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("got %v, want nesting too deep", err)
	}
	deepSel := "SELECT " + strings.Repeat("f(", 5000) + "x" + strings.Repeat(")", 5000) + " FROM t"
	if _, err := Parse(deepSel); err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("got %v, want nesting too deep", err)
	}
	ok := "SELECT * FROM t WHERE k = " + strings.Repeat("[", 50) + strings.Repeat("]", 50)
	mustParse(t, ok)
}

// TestErrorsStopEarly checks that the parser pulls tokens on demand: the
// first error wins even when the input is long and lexically broken
// further on, and a deep nest fails without reading the rest.
func TestErrorsStopEarly(t *testing.T) {
	long := "SELECT * FORM t " + strings.Repeat("a ", 1<<20) + "'unterminated"
	if _, err := Parse(long); err == nil || err.Error() != "line 1:10 mismatched input 'FORM' expecting FROM" {
		t.Fatalf("got %v", err)
	}
	deep := "SELECT * FROM t WHERE k = " + strings.Repeat("(", 1<<22)
	if _, err := Parse(deep); err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("got %v", err)
	}
	if _, err := Parse("SELECT * FROM t; 'unterminated"); err == nil || err.Error() != "line 1:18 unterminated string" {
		t.Fatalf("got %v", err)
	}
}

// TestErrorsEchoBoundedInput checks that no error message grows with the
// input: whatever a statement quotes back (a word, a number, a string, a
// blob, a name) is clipped to MaxEcho bytes with an ellipsis, so a client
// sending megabytes of garbage gets an error that fits an ERROR frame.
func TestErrorsEchoBoundedInput(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	word := strings.Repeat("a", 10000) // a name, but a long one
	cases := []struct {
		in   string
		want string // the message; <clip> stands for the clipped echo
	}{
		{word, "line 1:1 no viable alternative at input '<clip>...'"},
		{"SELECT * FROM t WHERE k = 1 " + word, "line 1:29 mismatched input '<clip>...' expecting <EOF>"},
		{"SELECT * FROM t WHERE k = 1 \"" + word + "\"", "line 1:29 mismatched input '\"<clip>...' expecting <EOF>"},
		{"SELECT * FROM t WHERE k = 1" + big, "line 1:27 no viable alternative at input '1<clip>...'"},
		{"SELECT * FROM t WHERE k = 0xzz" + big, "line 1:27 no viable alternative at input '0xzz<clip>...'"},
		{"SELECT * FROM t LIMIT '" + big + "'", "line 1:23 mismatched input ''<clip>...' expecting one of integer, bind marker"},
		{"SELECT * FROM t WHERE k = 1 " + big, "line 1:29 name '<clip>...' of 1048576 bytes is longer than the maximum of 65535"},
		{"SELECT \"" + big + "\" FROM t", "line 1:8 name '\"<clip>...' of 1048576 bytes is longer than the maximum of 65535"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%.40q...): no error", c.in)
			continue
		}
		got := err.Error()
		if len(got) > 300 {
			t.Errorf("Parse(%.40q...): message of %d bytes, want it clipped: %.200s", c.in, len(got), got)
			continue
		}
		// The echo is the input from the offending token on, cut at
		// MaxEcho bytes; rebuild the expected message with it.
		i := strings.Index(got, "'") + 1
		j := strings.Index(got, "...'")
		if j < 0 || j-i != MaxEcho {
			t.Errorf("Parse(%.40q...): echo of %d bytes, want %d: %s", c.in, j-i, MaxEcho, got)
			continue
		}
		echo := got[i:j]
		prefix := c.want[strings.Index(c.want, "'")+1 : strings.Index(c.want, "<clip>")]
		want := strings.Replace(c.want, prefix+"<clip>", echo, 1)
		if got != want || !strings.HasPrefix(echo, prefix) || strings.Trim(echo[len(prefix):], "a") != "" {
			t.Errorf("Parse(%.40q...):\n got: %s\nwant: %s", c.in, got, want)
		}
	}
}

// TestClipKeepsRunes checks that clipping never splits a UTF-8 sequence.
func TestClipKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", MaxEcho) // two bytes each
	got := Clip(s)
	if !strings.HasSuffix(got, "...") || !utf8.ValidString(got) || len(got) > MaxEcho+3 {
		t.Fatalf("clip = %q (%d bytes)", got, len(got))
	}
	if short := "abc"; Clip(short) != short {
		t.Fatalf("Clip(%q) = %q, want it unchanged", short, Clip(short))
	}
}

// TestNameLengthLimit checks that a name longer than a protocol [string]
// can carry (MaxNameLength bytes) is refused wherever it appears, as an
// Unsupported error the executor answers Invalid, and that a name of
// exactly MaxNameLength bytes is accepted.
func TestNameLengthLimit(t *testing.T) {
	longest := strings.Repeat("n", MaxNameLength)
	over := longest + "n"
	for _, tmpl := range []string{
		"SELECT * FROM %s",
		"SELECT * FROM ks.%s",
		"SELECT %s FROM t",
		"SELECT v AS %s FROM t",
		"SELECT * FROM t WHERE k = :%s",
		`SELECT "%s" FROM t`,
		"CREATE TABLE t (k int PRIMARY KEY, %s int)",
		"CREATE TYPE %s (a int)",
		"ALTER TABLE t RENAME k TO %s",
	} {
		if _, err := Parse(strings.Replace(tmpl, "%s", longest, 1)); err != nil {
			t.Errorf("%.40q with a name of %d bytes: %.200v", tmpl, len(longest), err)
		}
		_, err := Parse(strings.Replace(tmpl, "%s", over, 1))
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%.40q with a name of %d bytes: got %v, want an error", tmpl, len(over), err)
			continue
		}
		want := "of 65536 bytes is longer than the maximum of 65535"
		if !perr.Unsupported || !strings.Contains(perr.Msg, want) || len(perr.Error()) > 300 {
			t.Errorf("%.40q with a name of %d bytes: got %+.300v, want Unsupported %q", tmpl, len(over), perr.Error(), want)
		}
	}
}
