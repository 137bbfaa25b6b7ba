package exec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// maxErrorLen bounds the messages below: they quote at most 128 bytes of
// the client's input (and "..."), with room for the text around it.
const maxErrorLen = 400

// TestHugeInputGetsBoundedErrors sends names and literals far longer than
// any sane one: each must be answered with the error Cassandra gives (same
// code, same message) but quoting at most 128 bytes of the input, so the
// error fits an ERROR frame. A megabyte name used to come back whole and
// overflow the frame's 65535-byte [string], and the client got a
// ServerError "cannot encode ERROR frame" instead.
func TestHugeInputGetsBoundedErrors(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	huge := strings.Repeat("a", 1<<20) // longer than any name may be
	long := strings.Repeat("a", 10000) // a legal name, but a long one
	clipped := strings.Repeat("a", 128) + "..."
	cases := []struct {
		query  string
		code   exec.ErrorCode
		prefix string // the message starts with this
		suffix string // and ends with this
	}{
		{"SELECT * FROM " + huge, exec.CodeInvalid, "line 1:15 name '" + clipped + "' of 1048576 bytes is longer than the maximum of 65535", ""},
		{"SELECT * FROM t WHERE " + huge + " = 1", exec.CodeInvalid, "line 1:23 name '" + clipped + "' of 1048576 bytes", ""},
		{"SELECT \"" + huge + "\" FROM t", exec.CodeInvalid, "line 1:8 name '\"" + clipped[1:] + "' of 1048576 bytes", ""},
		{"SELECT * FROM " + long, exec.CodeInvalid, "table " + clipped + " does not exist", ""},
		{"SELECT * FROM " + long + "." + long, exec.CodeInvalid, "Keyspace " + clipped + " does not exist", ""},
		{"SELECT " + long + " FROM t", exec.CodeInvalid, "Undefined column name " + clipped + " in table ks.t", ""},
		{"INSERT INTO t (k, " + long + ") VALUES (1, 2)", exec.CodeInvalid, "Undefined column name " + clipped + " in table ks.t", ""},
		{"SELECT " + long + "(v) FROM t", exec.CodeInvalid, "Unknown function '" + clipped + "'", ""},
		{"USE " + long, exec.CodeInvalid, "Keyspace '" + clipped + "' does not exist", ""},
		{"CREATE TABLE " + long + " (k int PRIMARY KEY)", exec.CodeInvalid,
			"Table name is too long, it needs to fit 222 characters (got table name of 10000 chars for ks.", "...)"},
		{"CREATE KEYSPACE " + long + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", exec.CodeInvalid,
			"Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"", "...\")"},
		{"DROP TABLE " + long, exec.CodeInvalid, "Table 'ks.", "...' doesn't exist"},
		{"CREATE TABLE x (k int PRIMARY KEY, v " + long + ")", exec.CodeInvalid, "Unknown type ", "..."},
		{"DESCRIBE TABLE " + long, exec.CodeInvalid, "Table '" + clipped + "' not found in keyspace 'ks'", ""},
		{"SELECT * FROM t WHERE k = '" + huge + "'", exec.CodeInvalid, "Invalid STRING constant (" + clipped + ") for type int", ""},
		{"INSERT INTO t (k, v) VALUES (1, " + strings.Repeat("9", 1<<20) + ")", exec.CodeInvalid, "Unable to make int from '" + strings.Repeat("9", 128) + "...'", ""},
		{"INSERT INTO t (k, v) VALUES (1, '" + strings.Repeat("x ", 1<<19) + "')", exec.CodeInvalid, "Invalid STRING constant (" + strings.Repeat("x ", 64) + "...) for type int", ""},
		{"SELECT * FROM t WHERE k = 1 " + long, exec.CodeSyntaxError, "line 1:29 mismatched input '" + clipped + "' expecting <EOF>", ""},
	}
	for _, c := range cases {
		_, err := h.ex.Query(context.Background(), h.sess, c.query, nil)
		ce, ok := err.(*exec.Error)
		if !ok {
			t.Errorf("%.50q: got %v, want an *exec.Error", c.query, err)
			continue
		}
		if ce.Code != c.code || len(ce.Message) > maxErrorLen ||
			!strings.HasPrefix(ce.Message, c.prefix) || !strings.HasSuffix(ce.Message, c.suffix) {
			t.Errorf("%.50q:\n got %s (%d bytes): %.300s\nwant %s: %s ... %s", c.query, ce.Code, len(ce.Message), ce.Message, c.code, c.prefix, c.suffix)
		}
	}
}

// TestHugeNamesInProtocolValuesAreClipped covers input that arrives outside
// the statement text: a value name the statement does not have.
func TestHugeNamesInProtocolValuesAreClipped(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	name := strings.Repeat("n", 1<<20)
	_, err := h.ex.Query(context.Background(), h.sess, "SELECT * FROM t WHERE k = ?",
		&exec.QueryOptions{Values: []exec.Value{intVal(1)}, Names: []string{name}})
	want := "No column named " + strings.Repeat("n", 128) + "... in the statement's bind variables"
	if ce, ok := err.(*exec.Error); !ok || ce.Code != exec.CodeInvalid || ce.Message != want {
		t.Fatalf("got %.300v, want Invalid %q", err, want)
	}
}

// TestLongestNamesFitTheProtocol checks the names Sibyl sends back: a name
// of the longest length the parser accepts (65535 bytes, a [string]) works
// as a column and an alias, but a result or bind column named after it
// with more text around it (writetime(c), in(c)) would not fit a [string]
// in the RESULT metadata, so the statement is refused with Invalid rather
// than answered with a frame the server cannot encode.
func TestLongestNamesFitTheProtocol(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	c := strings.Repeat("c", 65535)
	h.must("CREATE TABLE t (k int PRIMARY KEY, " + c + " int)")
	h.must("CREATE TABLE u (" + c + " int PRIMARY KEY, v int)")
	h.must("INSERT INTO t (k, " + c + ") VALUES (1, 2)")
	ctx := context.Background()
	for _, q := range []string{
		"SELECT " + c + " FROM t",
		"SELECT v AS " + c + " FROM u",
		"SELECT * FROM t WHERE k = :" + c,
	} {
		if _, err := h.ex.Prepare(ctx, h.sess, q); err != nil {
			t.Errorf("%.40q: %.300v", q, err)
		}
	}
	cases := []struct{ query, want string }{
		{"SELECT writetime(" + c + ") FROM t", "Result column name 'writetime(" + strings.Repeat("c", 118) + "...' of 65546 bytes is longer than the maximum of 65535; give it a shorter alias with AS"},
		{"SELECT * FROM u WHERE " + c + " IN ?", "Bind variable name 'in(" + strings.Repeat("c", 125) + "...' of 65539 bytes is longer than the maximum of 65535"},
	}
	for _, tc := range cases {
		_, err := h.ex.Prepare(ctx, h.sess, tc.query)
		if ce, ok := err.(*exec.Error); !ok || ce.Code != exec.CodeInvalid || ce.Message != tc.want {
			t.Errorf("%.40q: got %.300v\nwant Invalid %s", tc.query, err, tc.want)
		}
	}
}

// hugeErrorCoordinator fails every write with an error quoting a megabyte,
// as a coordinator might quote a partition key.
type hugeErrorCoordinator struct{ localCoordinator }

func (hugeErrorCoordinator) Mutate(context.Context, exec.Consistency, exec.WriteType, []*schema.Partition) error {
	return exec.Errorf(exec.CodeWriteFailure, "cannot write partition 0x%x", make([]byte, 1<<20))
}

// TestErrorsFromTheBackendAreBounded checks the last line of defence: an
// error built outside the executor (here by the Coordinator) is bounded
// too before it reaches the client, its code and fields kept.
func TestErrorsFromTheBackendAreBounded(t *testing.T) {
	h := newHarnessWith(t, func(c *exec.Config) { c.Coordinator = hugeErrorCoordinator{} })
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	_, err := h.ex.Query(context.Background(), h.sess, "INSERT INTO t (k, v) VALUES (1, 1)", nil)
	want := "cannot write partition 0x" + strings.Repeat("0", 126) + "..."
	if ce, ok := err.(*exec.Error); !ok || ce.Code != exec.CodeWriteFailure || ce.Message != want {
		t.Fatalf("got %.300v, want WriteFailure %q", err, want)
	}
}
