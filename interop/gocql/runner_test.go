package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const schemaEventsOutput = `# cd /tmp/src/v2 && /tmp/bin/v2.test -test.run ^(TestSibylWarmup|TestSchemaEvents)$
=== RUN   TestSibylWarmup
--- PASS: TestSibylWarmup (0.15s)
=== RUN   TestSchemaEvents
2026/12/06 01:57:56 logger.go:165: INF gocql: Control connection connected to host.
=== RUN   TestSchemaEvents/keyspace
=== RUN   TestSchemaEvents/user-defined-function
    schema_events_test.go:329: 
        	Error Trace:	/tmp/gq/v2/schema_events_test.go:329
        	            				/tmp/gq/v2/schema_events_test.go:197
        	Error:      	Received unexpected error:
        	            	line 1:1 CREATE OR REPLACE is not supported
        	Test:       	TestSchemaEvents/user-defined-function
--- FAIL: TestSchemaEvents (13.63s)
    --- PASS: TestSchemaEvents/keyspace (5.69s)
    --- FAIL: TestSchemaEvents/user-defined-function (0.00s)
    --- FAIL: TestSchemaEvents/nested (0.00s)
        --- FAIL: TestSchemaEvents/nested/leaf (0.00s)
FAIL
`

func TestParseOutputSubtests(t *testing.T) {
	var r testResult
	parseOutput(schemaEventsOutput, "TestSchemaEvents", &r)
	if r.Status != "fail" {
		t.Fatalf("status %q, want fail", r.Status)
	}
	slices.Sort(r.FailedSubtests)
	if want := []string{"TestSchemaEvents/nested/leaf", "TestSchemaEvents/user-defined-function"}; !slices.Equal(r.FailedSubtests, want) {
		t.Errorf("failed subtests %q, want %q", r.FailedSubtests, want)
	}
	if want := []string{"TestSchemaEvents/keyspace"}; !slices.Equal(r.PassedSubtests, want) {
		t.Errorf("passed subtests %q, want %q", r.PassedSubtests, want)
	}
	if want := []string{"Received unexpected error:", "line 1:1 CREATE OR REPLACE is not supported"}; !slices.Equal(r.Detail, want) {
		t.Errorf("detail %q, want %q", r.Detail, want)
	}
}

func TestParseOutputPanicAndPass(t *testing.T) {
	out := `=== RUN   TestSibylWarmup
--- PASS: TestSibylWarmup (0.15s)
=== RUN   TestTokenAwareConnPool
--- FAIL: TestTokenAwareConnPool (0.09s)
panic: sharing token aware host selection policy between sessions is not supported [recovered, repanicked]

goroutine 7 [running]:
`
	var r testResult
	parseOutput(out, "TestTokenAwareConnPool", &r)
	if r.Status != "fail" || len(r.Detail) != 1 || r.Detail[0] != "panic: sharing token aware host selection policy between sessions is not supported [recovered, repanicked]" {
		t.Errorf("got %q %q", r.Status, r.Detail)
	}

	// A prerequisite's failure does not fail the test.
	out = `=== RUN   TestUDT_NullObject
    udt_test.go:200: boom
--- FAIL: TestUDT_NullObject (0.01s)
=== RUN   TestUDT_MissingField
--- PASS: TestUDT_MissingField (0.02s)
FAIL
`
	r = testResult{}
	parseOutput(out, "TestUDT_MissingField", &r)
	if r.Status != "pass" {
		t.Errorf("status %q, want pass", r.Status)
	}

	// A test that never reports (killed, timed out) fails.
	out = "=== RUN   TestReconnection\npanic: test timed out after 2m15s\n"
	r = testResult{}
	parseOutput(out, "TestReconnection", &r)
	if r.Status != "fail" || len(r.Detail) != 1 {
		t.Errorf("got %q %q", r.Status, r.Detail)
	}
}

func TestExpected(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.txt")
	list := `# comment
gocql TestCAS   # LWT
v2    TestSchemaEvents/user-defined-function  # UDF
v2    TestHostFilterDiscovery@3  # BUG: something
v2    TestRacy  # test race: passes when slow enough
`
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := parseExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		r     testResult
		allow bool
		stale int
	}{
		{testResult{Suite: "gocql", Test: "TestCAS", Nodes: 1, Status: "fail"}, true, 0},
		{testResult{Suite: "gocql", Test: "TestCAS", Nodes: 3, Status: "pass"}, false, 1},
		{testResult{Suite: "v2", Test: "TestCAS", Nodes: 1, Status: "fail"}, false, 0},
		{testResult{Suite: "v2", Test: "TestSchemaEvents", Nodes: 1, Status: "fail", FailedSubtests: []string{"TestSchemaEvents/user-defined-function"}}, true, 0},
		{testResult{Suite: "v2", Test: "TestSchemaEvents", Nodes: 1, Status: "fail", FailedSubtests: []string{"TestSchemaEvents/user-defined-function", "TestSchemaEvents/table"}}, false, 0},
		{testResult{Suite: "v2", Test: "TestSchemaEvents", Nodes: 1, Status: "fail"}, false, 0},
		{testResult{Suite: "v2", Test: "TestSchemaEvents", Nodes: 1, Status: "fail", FailedSubtests: []string{"TestSchemaEvents/table"}, PassedSubtests: []string{"TestSchemaEvents/user-defined-function"}}, false, 1},
		{testResult{Suite: "v2", Test: "TestHostFilterDiscovery", Nodes: 1, Status: "fail"}, false, 0},
		{testResult{Suite: "v2", Test: "TestHostFilterDiscovery", Nodes: 3, Status: "fail"}, true, 0},
		{testResult{Suite: "v2", Test: "TestHostFilterDiscovery", Nodes: 1, Status: "skip"}, false, 0},
		{testResult{Suite: "v2", Test: "TestRacy", Nodes: 1, Status: "fail"}, true, 0},
		{testResult{Suite: "v2", Test: "TestRacy", Nodes: 3, Status: "pass"}, false, 0}, // never stale
	}
	for i, c := range cases {
		if got := e.allows(c.r); got != c.allow {
			t.Errorf("case %d: allows = %v, want %v", i, got, c.allow)
		}
		if got := len(e.stale(c.r)); got != c.stale {
			t.Errorf("case %d: %d stale entries, want %d", i, got, c.stale)
		}
	}

	if err := os.WriteFile(path, []byte("gocql TestCAS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseExpected(path); err == nil {
		t.Error("a line without a reason was accepted")
	}
	if err := os.WriteFile(path, []byte("gocql TestCAS # a\ngocql TestCAS@3 # b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseExpected(path); err == nil {
		t.Error("a test listed twice was accepted")
	}
}

func TestPrerequisites(t *testing.T) {
	after := map[string][]string{"C": {"B"}, "B": {"A"}}
	if got := prerequisites(after, "C"); !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("got %q", got)
	}
	if got := prerequisites(after, "A"); len(got) != 0 {
		t.Errorf("got %q", got)
	}
}

func TestServerTests(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_test.go": "//go:build all || cassandra\n\npackage gocql\n\nfunc TestServer(t *testing.T) {}\n",
		"b_test.go": "//go:build all || unit\n\npackage gocql\n\nfunc TestUnit(t *testing.T) {}\n",
		"c_test.go": "package gocql\n\nfunc TestUntagged(t *testing.T) {}\n",
		"d_test.go": "//go:build all || unit || integration\n\npackage gocql\n\nfunc TestShared(t *testing.T) {}\n",
		"e_test.go": "//go:build cassandra\n\npackage gocql\n\nfunc TestEvents(t *testing.T) {}\nfunc BenchmarkX(b *testing.B) {}\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := serverTests(dir, "cassandra integration")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"TestEvents", "TestServer", "TestShared"}; !slices.Equal(names, want) {
		t.Errorf("got %q, want %q", names, want)
	}
}
