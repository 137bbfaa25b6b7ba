package exec_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
)

// Validation of the values a write binds, as Cassandra 4.1 does it: key
// lengths and emptiness (QueryProcessor.validateKey, Clustering.validate)
// and unset values inside collection, tuple and UDT literals.
func TestWriteValueValidation(t *testing.T) {
	h := newHarness(t)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
	h.must("CREATE TABLE t (p text, c text, v int, PRIMARY KEY (p, c))")
	h.must("CREATE TABLE t2 (p1 text, p2 text, c1 text, c2 text, PRIMARY KEY ((p1, p2), c1, c2))")
	h.must("CREATE TYPE u (a int, b text)")
	h.must("CREATE TABLE cols (k int PRIMARY KEY, l list<int>, s set<int>, m map<int, int>, tu tuple<int, text, double>, fu frozen<u>, nu u)")
	big := strings.Repeat("x", 65*1024)
	max := strings.Repeat("y", 65535)
	unset := exec.Value{Unset: true}
	cases := []struct {
		q    string
		vals []exec.Value
		want string
	}{
		{"INSERT INTO t (p, c) VALUES (?, ?)", []exec.Value{textVal(big), textVal("a")}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"INSERT INTO t (p, c) VALUES (?, ?)", []exec.Value{textVal("a"), textVal(big)}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"UPDATE t SET v = 1 WHERE p = ? AND c = ?", []exec.Value{textVal("a"), textVal(big)}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"DELETE FROM t WHERE p = ? AND c = ?", []exec.Value{textVal("a"), textVal(big)}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"SELECT * FROM t WHERE p = ?", []exec.Value{textVal(big)}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"INSERT INTO t (p, c) VALUES (?, ?)", []exec.Value{textVal(max), textVal(max)}, "ok"},
		{"INSERT INTO t (p, c) VALUES (?, ?)", []exec.Value{textVal(""), textVal("a")}, "error 0x2200: Key may not be empty"},
		{"SELECT * FROM t WHERE p = ?", []exec.Value{textVal("")}, "error 0x2200: Key may not be empty"},
		{"DELETE FROM t WHERE p IN (?, ?)", []exec.Value{textVal("a"), textVal("")}, "error 0x2200: Key may not be empty"},
		{"INSERT INTO t (p, c) VALUES (?, ?)", []exec.Value{textVal("a"), textVal("")}, "ok"},
		{"INSERT INTO t2 (p1, p2, c1, c2) VALUES (?, ?, ?, ?)", []exec.Value{textVal(""), textVal(""), textVal("a"), textVal("b")}, "ok"},
		{"INSERT INTO t2 (p1, p2, c1, c2) VALUES (?, ?, ?, ?)", []exec.Value{textVal(big), textVal("a"), textVal("a"), textVal("b")}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},
		{"INSERT INTO t2 (p1, p2, c1, c2) VALUES (?, ?, ?, ?)", []exec.Value{textVal(max[:32768]), textVal(max[:32768]), textVal("a"), textVal("b")}, "error 0x2200: Key length of 65542 is longer than maximum of 65535"},
		{"INSERT INTO t2 (p1, p2, c1, c2) VALUES (?, ?, ?, ?)", []exec.Value{textVal("a"), textVal("b"), textVal("a"), textVal(big)}, "error 0x2200: Key length of 66560 is longer than maximum of 65535"},

		{"INSERT INTO cols (k, tu) VALUES (0, (3, ?, 2.1))", []exec.Value{unset}, "error 0x2200: Invalid unset value for tuple field number 1"},
		{"INSERT INTO cols (k, fu) VALUES (0, {a: ?, b: 'x'})", []exec.Value{unset}, "error 0x2200: Invalid unset value for field 'a' of user defined type u"},
		{"INSERT INTO cols (k, m) VALUES (0, {?: 1})", []exec.Value{unset}, "error 0x2200: unset value is not supported for map keys"},
		{"INSERT INTO cols (k, l, s, m, nu) VALUES (1, [1], {1}, {1: 1}, {a: 1, b: 'x'})", nil, "ok"},
		// An unset element unsets the whole list, set or map value: the
		// column keeps what it had.
		{"UPDATE cols SET l = [2, ?], s = {?}, m = {2: ?} WHERE k = 1", []exec.Value{unset, unset, unset}, "ok"},
		{"UPDATE cols SET l = l + [?], s = s + {?} WHERE k = 1", []exec.Value{unset, unset}, "ok"},
		{"SELECT l, s, m FROM cols WHERE k = 1", nil, "l list<int> | s set<int> | m map<int, int>\n[1] | {1} | {1: 1}"},
		{"UPDATE cols SET l = [2, ?] WHERE k = 1", []exec.Value{{}}, "error 0x2200: null is not supported inside collections"},
	}
	for _, c := range cases {
		got := h.run(c.q, &exec.QueryOptions{Values: c.vals})
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

// Cassandra's batch_size_warn_threshold (5 KiB: a client warning) and
// batch_size_fail_threshold (50 KiB: Invalid "Batch too large"), checked
// only for batches over several partitions.
func TestBatchSizeThresholds(t *testing.T) {
	h := newHarness(t)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
	h.must("CREATE TABLE t (k int PRIMARY KEY, v text)")
	batch := func(size int, keys ...int) string {
		var b strings.Builder
		b.WriteString("BEGIN BATCH ")
		for _, k := range keys {
			fmt.Fprintf(&b, "INSERT INTO t (k, v) VALUES (%d, '%s'); ", k, strings.Repeat("x", size))
		}
		return b.String() + "APPLY BATCH"
	}
	cases := []struct {
		q        string
		want     string
		warnings []string
	}{
		{batch(2000, 1, 2), "ok", nil},
		{batch(3000, 1, 2), "ok", []string{"Batch for [ks.t] is of size 6128, exceeding specified threshold of 5120 by 1008."}},
		{batch(30000, 1, 1), "ok", nil},
		{batch(30000, 1, 2), "error 0x2200: Batch too large", nil},
	}
	for _, c := range cases {
		var warnings []string
		got := h.run(c.q, &exec.QueryOptions{Warn: func(m string) { warnings = append(warnings, m) }})
		if got != c.want || !slices.Equal(warnings, c.warnings) {
			t.Errorf("%.60s...:\n got %s %q\nwant %s %q", c.q, got, warnings, c.want, c.warnings)
		}
	}
	// The BATCH message warns the same way.
	var warnings []string
	b := &exec.Batch{Type: exec.UnloggedBatch, Warn: func(m string) { warnings = append(warnings, m) }}
	for k := int32(0); k < 3; k++ {
		b.Statements = append(b.Statements, exec.BatchStatement{Query: "INSERT INTO t (k, v) VALUES (?, ?)", Values: []exec.Value{intVal(k), textVal(strings.Repeat("y", 2000))}})
	}
	if _, err := h.ex.Batch(context.Background(), h.sess, b); err != nil || len(warnings) != 1 {
		t.Errorf("BATCH of 3 x 2000 bytes: %v, warnings %q", err, warnings)
	}
}

// Cassandra's unlogged_batch_across_partitions_warn_threshold: an
// unlogged batch over more than ten partitions gets a client warning.
func TestUnloggedBatchWarning(t *testing.T) {
	h := newHarness(t)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	batch := func(kind string, n int) string {
		var b strings.Builder
		b.WriteString("BEGIN " + kind + "BATCH ")
		for k := range n {
			fmt.Fprintf(&b, "INSERT INTO t (k, v) VALUES (%d, 1); ", k)
		}
		return b.String() + "APPLY BATCH"
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{batch("UNLOGGED ", 10), nil},
		{batch("", 11), nil},
		{batch("UNLOGGED ", 11), []string{"Unlogged batch covering 11 partitions detected against table [ks.t]. You should use a logged batch for atomicity, or asynchronous writes for performance."}},
	} {
		var warnings []string
		if got := h.run(c.q, &exec.QueryOptions{Warn: func(m string) { warnings = append(warnings, m) }}); got != "ok" || !slices.Equal(warnings, c.want) {
			t.Errorf("%.40s...: %s %q, want %q", c.q, got, warnings, c.want)
		}
	}
}
