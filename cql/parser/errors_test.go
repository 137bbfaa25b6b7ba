package parser

import (
	"errors"
	"strings"
	"testing"
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
		{"CREATE TABLE t (k int)", "line 1:14 no PRIMARY KEY specified (exactly one required)"},
		{"CREATE TABLE t (k int PRIMARY KEY, v int PRIMARY KEY)", "line 1:36 multiple PRIMARY KEYs specified (exactly one required)"},
		{"CREATE TABLE t (k int, PRIMARY KEY (k), PRIMARY KEY (k))", "line 1:41 multiple PRIMARY KEYs specified (exactly one required)"},
		{"CREATE TABLE t (k int PRIMARY KEY, PRIMARY KEY (k))", "line 1:36 multiple PRIMARY KEYs specified (exactly one required)"},
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
		{"INSERT INTO t JSON '{\"k\": 1}'", "INSERT JSON"},
		{"CREATE TABLE t (k int PRIMARY KEY) WITH COMPACT STORAGE", "COMPACT STORAGE"},
		{"ALTER TABLE t DROP COMPACT STORAGE", "DROP COMPACT STORAGE"},
		{"ALTER TABLE t ALTER v TYPE text", "ALTER TABLE ... ALTER (changing a column's type)"},
		{"ALTER TYPE t ALTER f TYPE text", "ALTER TYPE ... ALTER (changing a field's type)"},
		{"ALTER TABLE t DROP v USING TIMESTAMP 5", "DROP ... USING TIMESTAMP"},
		{"CREATE INDEX ON t (v)", "CREATE INDEX"},
		{"CREATE CUSTOM INDEX i ON t (v) USING 'StorageAttachedIndex'", "CREATE CUSTOM INDEX"},
		{"CREATE MATERIALIZED VIEW v AS SELECT * FROM t", "CREATE MATERIALIZED VIEW"},
		{"CREATE FUNCTION f (a int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", "CREATE FUNCTION"},
		{"CREATE OR REPLACE FUNCTION f () ", "CREATE OR REPLACE"},
		{"CREATE AGGREGATE a (int) SFUNC f STYPE int", "CREATE AGGREGATE"},
		{"CREATE ROLE r WITH PASSWORD = 'p'", "CREATE ROLE"},
		{"CREATE USER u WITH PASSWORD 'p'", "CREATE USER"},
		{"CREATE TRIGGER tr ON t USING 'x'", "CREATE TRIGGER"},
		{"DROP INDEX i", "DROP INDEX"},
		{"DROP MATERIALIZED VIEW v", "DROP MATERIALIZED VIEW"},
		{"DROP ROLE r", "DROP ROLE"},
		{"ALTER ROLE r WITH LOGIN = true", "ALTER ROLE"},
		{"ALTER USER u WITH PASSWORD 'x'", "ALTER USER"},
		{"GRANT SELECT ON ALL KEYSPACES TO r", "GRANT"},
		{"REVOKE SELECT ON ks.t FROM r", "REVOKE"},
		{"LIST ROLES", "LIST"},
		{"list users", "LIST"},
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
