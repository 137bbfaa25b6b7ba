package shell

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/node"
)

// testServer is one node shared by the end-to-end tests of this package;
// each test works in its own keyspace.
var testServer struct {
	once sync.Once
	port int
	err  error
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testServer.stop != nil {
		testServer.stop()
	}
	os.Exit(code)
}

// nodePort starts the shared node on 127.0.0.1 on first use.
func nodePort(t *testing.T) int {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a node")
	}
	testServer.once.Do(func() { testServer.port, testServer.stop, testServer.err = startNode() })
	if testServer.err != nil {
		t.Fatalf("cannot start node: %v", testServer.err)
	}
	return testServer.port
}

func startNode() (int, func(), error) {
	dir, err := os.MkdirTemp("", "sibyl-shell-test-")
	if err != nil {
		return 0, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	n, err := node.New(node.Config{DataDir: dir, CQLListener: ln, AdminPort: node.AdminDisabled,
		NumTokens: 4, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		_ = os.RemoveAll(dir)
		return 0, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx) }()
	stop := func() {
		cancel()
		<-served
		_ = n.Close()
		_ = os.RemoveAll(dir)
	}
	return ln.Addr().(*net.TCPAddr).Port, stop, nil
}

// scriptReader feeds lines and records the prompts it was asked with.
type scriptReader struct {
	lines   []string
	prompts []string
}

func (r *scriptReader) ReadLine(prompt string) (string, error) {
	r.prompts = append(r.prompts, prompt)
	if len(r.lines) == 0 {
		return "", io.EOF
	}
	line := r.lines[0]
	r.lines = r.lines[1:]
	return line, nil
}

// dial connects a shell whose output and errors go to one buffer, and
// creates keyspace ks (RF 1) for the test.
func dial(t *testing.T, ks string) (*Shell, *bytes.Buffer) {
	t.Helper()
	port := nodePort(t)
	var out bytes.Buffer
	s, err := Dial(context.Background(), Config{Port: port, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	run(t, s, "DROP KEYSPACE IF EXISTS "+ks+";\nCREATE KEYSPACE "+ks+" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\nUSE "+ks+";\n")
	out.Reset()
	return s, &out
}

// run runs a script and fails the test on a statement error.
func run(t *testing.T, s *Shell, script string) {
	t.Helper()
	if err := s.RunScript(context.Background(), script); err != nil {
		t.Fatalf("script failed: %v\n%s\noutput:\n%s", err, script, outputOf(s))
	}
}

var (
	secondsRE = regexp.MustCompile(`in [0-9.]+ seconds`)
	ratesRE   = regexp.MustCompile(`Rate: +[0-9]+ rows/s; Avg. rate: +[0-9]+ rows/s`)
)

func checkOutput(t *testing.T, got, want string) {
	t.Helper()
	got = secondsRE.ReplaceAllString(got, "in X seconds")
	got = ratesRE.ReplaceAllString(got, "Rate: R rows/s; Avg. rate: A rows/s")
	if got != want {
		t.Errorf("output differs\n--- got:\n%s\n--- want:\n%s", got, want)
	}
}

func TestSelectFormat(t *testing.T) {
	s, out := dial(t, "fmt")
	run(t, s, `CREATE TABLE t (k int, c text, v text, b blob, ts timestamp, l list<text>,
  m map<text, int>, st set<int>, f double, ok boolean, u uuid, PRIMARY KEY (k, c));
INSERT INTO t (k, c, v, b, ts, l, m, st, f, ok, u) VALUES (1, 'a', 'hello', 0xcafe,
  '2026-11-23 22:51:44+0000', ['x', 'it''s'], {'a': 1}, {3, 1}, 3.14159265, true,
  5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1);
INSERT INTO t (k, c) VALUES (2, 'b');`)
	if s.Prompt() != "sibyl:fmt> " {
		t.Errorf("prompt %q, want sibyl:fmt> ", s.Prompt())
	}
	out.Reset()
	run(t, s, "SELECT * FROM t;")
	checkOutput(t, out.String(), `
 k | c | b      | f       | l              | m        | ok   | st     | ts                              | u                                    | v
---+---+--------+---------+----------------+----------+------+--------+---------------------------------+--------------------------------------+-------
 1 | a | 0xcafe | 3.14159 | ['x', 'it''s'] | {'a': 1} | True | {1, 3} | 2026-11-23 22:51:44.000000+0000 | 5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1 | hello
 2 | b |   null |    null |           null |     null | null |   null |                            null |                                 null |  null

(2 rows)

`)
	out.Reset()
	run(t, s, "SELECT k FROM t WHERE k = 3;")
	checkOutput(t, out.String(), "\n k\n---\n\n(0 rows)\n\n")
}

func TestExpand(t *testing.T) {
	s, out := dial(t, "exp")
	run(t, s, "CREATE TABLE t (k int PRIMARY KEY, name text);\nINSERT INTO t (k, name) VALUES (1, 'ann');\n"+
		"INSERT INTO t (k, name) VALUES (2, 'bob');\nEXPAND ON\nSELECT k, name FROM t WHERE k IN (1, 2);\nEXPAND OFF\n")
	checkOutput(t, out.String(), `Now Expanded output is enabled

@ Row 1
------+-----
 k    | 1
 name | ann

@ Row 2
------+-----
 k    | 2
 name | bob

(2 rows)

Disabled Expanded output.
`)
}

func TestPaging(t *testing.T) {
	s, out := dial(t, "pg")
	run(t, s, "CREATE TABLE t (k int, c int, PRIMARY KEY (k, c));")
	for i := range 5 {
		run(t, s, "INSERT INTO t (k, c) VALUES (1, "+string(rune('0'+i))+");")
	}
	out.Reset()
	in := &scriptReader{lines: []string{"PAGING 2", "SELECT c FROM t WHERE k = 1;", "", ""}}
	if err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), "Page size: 2\n\n c\n---\n 0\n 1\n\n c\n---\n 2\n 3\n\n c\n---\n 4\n\n(5 rows)\n\n")
	if n := strings.Count(strings.Join(in.prompts, "|"), "---MORE---"); n != 2 {
		t.Errorf("asked ---MORE--- %d times, want 2 (prompts %q)", n, in.prompts)
	}
	// End of input at ---MORE--- stops the listing, with the rows so far.
	out.Reset()
	in = &scriptReader{lines: []string{"SELECT c FROM t WHERE k = 1;"}}
	if err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), "\n c\n---\n 0\n 1\n\n(2 rows)\n\n")
	// A last page that comes back empty prints nothing.
	out.Reset()
	in = &scriptReader{lines: []string{"PAGING 5", "SELECT c FROM t WHERE k = 1;", "", ""}}
	if err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), "Page size: 5\n\n c\n---\n 0\n 1\n 2\n 3\n 4\n\n(5 rows)\n\n")
	// Scripts never pause: the line after the SELECT is a statement.
	out.Reset()
	run(t, s, "PAGING 2\nSELECT c FROM t WHERE k = 1;\nSELECT c FROM t WHERE k = 1 AND c = 4;\n")
	checkOutput(t, out.String(), "Page size: 2\n\n c\n---\n 0\n 1\n 2\n 3\n 4\n\n(5 rows)\n\n\n c\n---\n 4\n\n(1 rows)\n\n")
}

func TestMultiLineAndPrompts(t *testing.T) {
	s, out := dial(t, "ml")
	in := &scriptReader{lines: []string{
		"CREATE TABLE t (", "  k int PRIMARY KEY, v text", ");",
		"INSERT INTO t (k, v) VALUES (1, 'a;b'); SELECT v", "FROM t;",
	}}
	if err := s.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	want := []string{"sibyl:ml> ", continuationPrompt, continuationPrompt, "sibyl:ml> ", continuationPrompt, "sibyl:ml> "}
	if strings.Join(in.prompts, "|") != strings.Join(want, "|") {
		t.Errorf("prompts %q, want %q", in.prompts, want)
	}
	checkOutput(t, out.String(), "\n v\n-----\n a;b\n\n(1 rows)\n\n")
}

func TestErrorsKeepShellAlive(t *testing.T) {
	s, out := dial(t, "errs")
	err := s.RunScript(context.Background(), "SELEC * FROM t;\nSELECT * FROM nope;\nUSE nope;\n"+
		"CONSISTENCY BOGUS\nTRACING BOGUS\nCREATE TABLE t (k int PRIMARY KEY);\nCREATE TABLE t (k int PRIMARY KEY);\nSELECT k FROM t;\n")
	if !errors.Is(err, ErrStatementsFailed) {
		t.Errorf("RunScript = %v, want ErrStatementsFailed", err)
	}
	got := out.String()
	for _, want := range []string{
		"SyntaxException: line 1:",
		`InvalidRequest: Error from server: code=2200 [Invalid query] message="`,
		`InvalidRequest: Error from server: code=2200 [Invalid query] message="Keyspace 'nope' does not exist"`,
		"Improper CONSISTENCY command.",
		"Improper TRACING command.",
		"AlreadyExists: Table 'errs.t' already exists",
		"\n k\n---\n\n(0 rows)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TRACING ON prints each statement's trace after its result, as cqlsh's
// tracing.py prints it.
func TestTracing(t *testing.T) {
	s, out := dial(t, "trc")
	run(t, s, "TRACING\nCREATE TABLE t (k int PRIMARY KEY, v int);\nINSERT INTO t (k, v) VALUES (1, 2);\nTRACING ON\nSELECT v FROM t WHERE k = 1;\nTRACING OFF\nSELECT v FROM t WHERE k = 1;\n")
	got := out.String()
	for _, want := range []string{
		"Tracing is currently disabled. Use TRACING ON to enable.\n",
		"Now Tracing is enabled\n",
		"\n v\n---\n 2\n\n(1 rows)\n\n\nTracing session: ",
		" activity ", " | timestamp ", " | source ", " | source_elapsed | client\n",
		// gocql prepares the SELECT, with the flag, then executes it.
		"Preparing CQL3 query | ",
		"Execute CQL3 prepared query | ",
		"Parsing SELECT v FROM t WHERE k = 1 | ",
		"Executing single-partition query on trc.t | ",
		"Read 1 live rows and 0 tombstone cells from 1 partitions | ",
		"Request complete | ",
		"Disabled Tracing.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "Tracing session: ") != 2 {
		t.Errorf("want two traces (the SELECT's PREPARE and EXECUTE):\n%s", got)
	}
	// The untraced SELECT after TRACING OFF prints its rows and nothing more.
	if !strings.HasSuffix(got, "Disabled Tracing.\n\n v\n---\n 2\n\n(1 rows)\n\n") {
		t.Errorf("output after TRACING OFF:\n%s", got)
	}
}

func TestDescribe(t *testing.T) {
	s, out := dial(t, "descr")
	run(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text);\nCREATE TABLE u (k int PRIMARY KEY);")
	out.Reset()
	run(t, s, "DESCRIBE TABLES")
	checkOutput(t, out.String(), "\nKeyspace descr\n--------------\nt  u\n\n")
	out.Reset()
	run(t, s, "DESC TABLE t;")
	got := out.String()
	if !strings.HasPrefix(got, "\nCREATE TABLE descr.t (\n    k int PRIMARY KEY,\n    v text\n) WITH ") || !strings.HasSuffix(got, ";\n\n") {
		t.Errorf("DESCRIBE TABLE printed\n%s", got)
	}
	out.Reset()
	run(t, s, "DESCRIBE KEYSPACES")
	if got := out.String(); !strings.Contains(got, "descr") || !strings.Contains(got, "system_schema") {
		t.Errorf("DESCRIBE KEYSPACES printed\n%s", got)
	}
	out.Reset()
	if err := s.RunScript(context.Background(), "DESCRIBE TABLE nope"); !errors.Is(err, ErrStatementsFailed) {
		t.Errorf("DESCRIBE of a missing table = %v", err)
	}
	if got := out.String(); strings.Contains(got, "Error from server") || got == "" {
		t.Errorf("DESCRIBE error printed %q, want the server's message alone", got)
	}
}

func TestSourceAndShellCommands(t *testing.T) {
	s, out := dial(t, "src")
	file := filepath.Join(t.TempDir(), "s.cql")
	script := "-- a comment\nCREATE TABLE t (k int PRIMARY KEY, v text);\nINSERT INTO t (k, v)\n  VALUES (7, 'seven');\n"
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, s, "SOURCE '"+file+"'\nSELECT * FROM t;\nCONSISTENCY QUORUM\nCONSISTENCY\nSERIAL CONSISTENCY LOCAL_SERIAL\nSHOW HOST\nSHOW VERSION\n")
	got := out.String()
	for _, want := range []string{
		"\n k | v\n---+-------\n 7 | seven\n\n(1 rows)\n",
		"Consistency level set to QUORUM.\nCurrent consistency level is QUORUM.\n",
		"Serial consistency level set to LOCAL_SERIAL.\n",
		"Connected to ", "[sibyl shell " + Version + " | Cassandra 4",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	run(t, s, "EXIT\nSELECT * FROM t;")
	if out.Len() != 0 {
		t.Errorf("statements after EXIT ran: %q", out.String())
	}
}

func TestCopyRoundTrip(t *testing.T) {
	s, out := dial(t, "cp")
	cols := "(k int, c text, v text, b blob, ts timestamp, l list<text>, m map<text, int>, st set<int>, " +
		"f double, fl float, ok boolean, u uuid, d decimal, vi varint, dt date, tm time, ip inet, " +
		"tu tuple<int, text>, fr frozen<map<text, list<int>>>, PRIMARY KEY (k, c))"
	run(t, s, "CREATE TABLE src "+cols+";\nCREATE TABLE dst "+cols+";")
	run(t, s, `INSERT INTO src (k, c, v, b, ts, l, m, st, f, fl, ok, u, d, vi, dt, tm, ip, tu, fr) VALUES
  (1, 'a', 'say "hi", ok', 0x00ff, '2026-11-23 22:51:44.123+0000', ['x', 'it''s, here'], {'a': 1, 'b': -2},
   {3, 1}, 3.141592653589793, 1.5, true, 5ba0e3ee-0a0e-4bc2-9a61-4e8cbbf6a3b1, -12.345e-3,
   123456789012345678901234567890, '2026-11-23', '22:51:44.000000001', '::1', (7, 'seven'),
   {'a': [1, 2]});
INSERT INTO src (k, c, v) VALUES (2, 'b', 'line1
line2');
INSERT INTO src (k, c) VALUES (3, 'c');`)
	file := filepath.Join(t.TempDir(), "src.csv")
	out.Reset()
	s.progress = finalLineOnly()
	run(t, s, "COPY cp.src TO '"+file+"' WITH HEADER = true\nCOPY cp.dst FROM '"+file+"' WITH HEADER = true AND MAXREQUESTS = 4\n")
	checkOutput(t, out.String(), "Starting copy of cp.src with columns [k, c, b, d, dt, f, fl, fr, ip, l, m, ok, st, tm, ts, tu, u, v, vi].\n"+
		"Processed: 3 rows; Rate: R rows/s; Avg. rate: A rows/s\n"+
		"3 rows exported to 1 files in X seconds.\n"+
		"Starting copy of cp.dst with columns [k, c, b, d, dt, f, fl, fr, ip, l, m, ok, st, tm, ts, tu, u, v, vi].\n"+
		"Processed: 3 rows; Rate: R rows/s; Avg. rate: A rows/s\n"+
		"3 rows imported from 1 files in X seconds (0 skipped).\n")
	run(t, s, "EXPAND ON")
	out.Reset()
	run(t, s, "SELECT * FROM src;")
	want := out.String()
	out.Reset()
	run(t, s, "SELECT * FROM dst;")
	if got := out.String(); got != want {
		t.Errorf("copied table differs\n--- src:\n%s\n--- dst:\n%s", want, got)
	}
	if !strings.Contains(want, "3.14159") || !strings.Contains(want, "123456789012345678901234567890") {
		t.Errorf("unexpected source rows:\n%s", want)
	}
	out.Reset()
	run(t, s, "EXPAND OFF\nSELECT f FROM dst WHERE k = 1;")
	if !strings.Contains(out.String(), " 3.14159\n") {
		t.Errorf("double printed as\n%s", out.String())
	}
}

func TestCopyFromReportsBadRows(t *testing.T) {
	s, out := dial(t, "cpbad")
	run(t, s, "CREATE TABLE t (k int PRIMARY KEY, v int);")
	file := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(file, []byte("1,10\nx,20\n3\n4,40\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.RunScript(context.Background(), "COPY t (k, v) FROM '"+file+"'\n")
	if !errors.Is(err, ErrStatementsFailed) {
		t.Errorf("COPY with bad rows = %v, want ErrStatementsFailed", err)
	}
	got := out.String()
	for _, want := range []string{
		"Failed to import row at line 2:", "invalid integer \"x\"",
		"Failed to import row at line 3:", "the row has 1 fields, want 2",
		"2 rows imported from 1 files in ",
		"(2 skipped).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	run(t, s, "SELECT k, v FROM t WHERE k IN (1, 4);")
	checkOutput(t, out.String(), "\n k | v\n---+----\n 1 | 10\n 4 | 40\n\n(2 rows)\n\n")
	out.Reset()
	if err := s.RunScript(context.Background(), "COPY t FROM '/nonexistent/x.csv'\nCOPY t TO\n"); !errors.Is(err, ErrStatementsFailed) {
		t.Errorf("bad COPY = %v", err)
	}
	if got := out.String(); !strings.Contains(got, "Could not open") || !strings.Contains(got, "Improper COPY command") {
		t.Errorf("bad COPY printed\n%s", got)
	}
}

func TestCompletion(t *testing.T) {
	s, _ := dial(t, "compl")
	run(t, s, "CREATE TABLE users (id int PRIMARY KEY, name text, nick text);")
	cases := []struct {
		line string
		want []string
	}{
		{"SEL", []string{"SELECT"}},
		{"sel", []string{"select"}},
		{"SELECT * FROM us", []string{"users"}},
		{"SELECT * FROM comp", []string{"compl."}},
		{"SELECT * FROM compl.u", []string{"compl.users"}},
		{"USE compl", []string{"compl"}},
		{"SELECT n", []string{"not", "null"}},
		{"SELECT * FROM users WHERE ni", []string{"nick"}},
		{"INSERT INTO users (na", []string{"name"}},
	}
	for _, c := range cases {
		got := s.Complete(c.line)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("Complete(%q) = %q, want %q", c.line, got, c.want)
		}
	}
	// readline's adapter returns the suffixes to insert.
	sfx, n := completer{s}.Do([]rune("SELECT * FROM us"), len("SELECT * FROM us"))
	if n != 2 || len(sfx) != 1 || string(sfx[0]) != "ers " {
		t.Errorf("Do = %q, %d", sfx, n)
	}
}

func TestRunHonoursContext(t *testing.T) {
	s, _ := dial(t, "ctx")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cancel()
	if err := s.RunScript(ctx, "SELECT * FROM system.local;"); !errors.Is(err, context.Canceled) {
		t.Errorf("RunScript with a cancelled context = %v", err)
	}
}

// outputOf returns what the shell printed, when it prints to a buffer.
func outputOf(s *Shell) string {
	if b, ok := s.cfg.Out.(*bytes.Buffer); ok {
		return b.String()
	}
	return ""
}

func TestDialKeyspace(t *testing.T) {
	dial(t, "dialks")
	port := nodePort(t)
	s, err := Dial(context.Background(), Config{Port: port, Keyspace: "dialks"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Prompt() != "sibyl:dialks> " {
		t.Errorf("prompt %q", s.Prompt())
	}
	_, err = Dial(context.Background(), Config{Port: port, Keyspace: "nope"})
	if err == nil || !strings.Contains(err.Error(), "Keyspace 'nope' does not exist") {
		t.Errorf("Dial to a missing keyspace = %v", err)
	}
}

// TestInterrupt interrupts a COPY FROM that waits on a FIFO: the rest of
// its line is dropped, and the shell reads the next line.
func TestInterrupt(t *testing.T) {
	s, out := dial(t, "intr")
	run(t, s, "CREATE TABLE t (k int PRIMARY KEY, v int);\nINSERT INTO t (k, v) VALUES (5, 5);")
	out.Reset()
	fifo := filepath.Join(t.TempDir(), "in.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	in := &scriptReader{lines: []string{
		"COPY t (k, v) FROM '" + fifo + "'; SELECT v FROM t WHERE k = 1;",
		"SELECT k FROM t WHERE k = 5;",
	}}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), in) }()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once COPY has opened it
	if err != nil {
		t.Fatal(err)
	}
	s.Interrupt()
	// The write only unblocks a reader still waiting on the FIFO; if the
	// interrupted COPY already closed it, the pipe is broken, which is fine.
	if _, err := w.WriteString("1,1\n"); err != nil && !errors.Is(err, syscall.EPIPE) {
		t.Error(err)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrStatementsFailed) {
			t.Errorf("Run = %v, want ErrStatementsFailed (the interrupted statement)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted COPY did not end")
	}
	got := out.String()
	if !strings.Contains(got, "Interrupted.\n") || strings.Contains(got, "\n v\n") ||
		!strings.Contains(got, "\n k\n---\n 5\n\n(1 rows)\n") {
		t.Errorf("output after an interrupt:\n%s", got)
	}
	s.Interrupt() // between statements: nothing to do
}
