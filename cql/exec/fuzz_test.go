package exec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
)

// FuzzQuery runs arbitrary statement text (with a few arbitrary bound
// values) through Query: whatever the input, the executor answers with a
// result or a CQL error, and never panics (a recovered panic surfaces as
// an "internal error" ServerError, which fails the target).
func FuzzQuery(f *testing.F) {
	seeds := []string{
		"SELECT * FROM t WHERE k = ?",
		"INSERT INTO t (k, c, v, l, m, s) VALUES (?, ?, ?, [1, 2], {'a': 1}, {'x'}) USING TTL 10",
		"UPDATE t SET l = l + [3], m['b'] = 2, s = s - {'x'} WHERE k = 1 AND c = 2",
		"UPDATE t SET l[0] = 9 WHERE k = 1 AND c = 1",
		"DELETE l[0], m['a'] FROM t WHERE k = 1 AND c = 1",
		"DELETE FROM t WHERE k = 1 AND c > 1 AND c < 5",
		"SELECT k, count(*), max(v) FROM t GROUP BY k",
		"SELECT token(k), writetime(v), ttl(v) FROM t WHERE token(k) > ? LIMIT 5",
		"SELECT * FROM t WHERE k IN (1, 2) AND (c) >= (1) ORDER BY c DESC",
		"SELECT * FROM t WHERE v = 'x' ALLOW FILTERING",
		"SELECT * FROM system.local WHERE key = 'local'",
		"SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks'",
		"DESCRIBE KEYSPACE ks",
		"BEGIN BATCH INSERT INTO t (k, c) VALUES (1, 1); DELETE FROM t WHERE k = 2; APPLY BATCH",
		"CREATE TABLE x (a int PRIMARY KEY, b frozen<list<int>>)",
		"ALTER TABLE t ADD z int",
		"USE ks",
	}
	for _, s := range seeds {
		f.Add(s, []byte{0, 0, 0, 1}, []byte("v"))
	}
	h := newHarness(f)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, v text, l list<int>, m map<text, int>, s set<text>, PRIMARY KEY (k, c))")
	f.Fuzz(func(t *testing.T, query string, v1, v2 []byte) {
		sess := h.ex.NewSession()
		sess.SetKeyspace("ks")
		vals := []exec.Value{{Bytes: v1}, {Bytes: v2}, {Unset: true}}
		ctx := context.Background()
		check := func(err error) {
			if ce, ok := err.(*exec.Error); ok && ce.Code == exec.CodeServerError && strings.Contains(ce.Message, "internal error") {
				t.Fatalf("panic on %q: %s", query, ce.Message)
			}
		}
		p, err := h.ex.Prepare(ctx, sess, query)
		check(err)
		for n := 0; n <= len(vals); n++ {
			o := &exec.QueryOptions{Values: vals[:n], PageSize: int32(len(v1)), PagingState: v2}
			_, err := h.ex.Query(ctx, sess, query, o)
			check(err)
			if p != nil {
				_, err = h.ex.Execute(ctx, sess, p.ID, o)
				check(err)
			}
		}
	})
}
