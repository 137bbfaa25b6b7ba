package exec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/parser"
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
		"CREATE ROLE r WITH LOGIN = true", "GRANT r TO r2", "LIST ROLES OF r", "DROP ROLE IF EXISTS r",
		"INSERT INTO t (k, c, v) VALUES (?, 1, ?) IF NOT EXISTS",
		"UPDATE t SET v = ?, l[0] = 1 WHERE k = 1 AND c = 1 IF l[1] = ? AND m['a'] IN (1, ?) AND s > {'x'}",
		"DELETE m['a'] FROM t WHERE k = 1 AND c = 1 IF EXISTS",
		"BEGIN BATCH UPDATE t SET v = ? WHERE k = 1 AND c = 1 IF v = ?; INSERT INTO t (k, c) VALUES (1, 2) IF NOT EXISTS; APPLY BATCH",
		`INSERT INTO t JSON '{"k": 1, "c": 2, "l": [1], "m": {"a": 1}}' DEFAULT UNSET`,
		"INSERT INTO t JSON ?", "SELECT JSON k, toJson(m) AS \"M\" FROM t WHERE k = fromJson(?)",
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
			o := &exec.QueryOptions{Values: vals[:n], PageSize: int32(len(v1)), PagingState: v2, SerialConsistency: exec.Serial}
			_, err := h.ex.Query(ctx, sess, query, o)
			check(err)
			if p != nil {
				_, err = h.ex.Execute(ctx, sess, p.ID, o)
				check(err)
			}
		}
	})
}

// FuzzAuthQuery runs statements, role and permission statements among
// them, as a logged-in role that is not a superuser, with authorization
// on: no input may panic, and no statement may succeed that the role has
// no permission for (the role holds none on ks.secret).
func FuzzAuthQuery(f *testing.F) {
	for _, s := range []string{
		"CREATE ROLE IF NOT EXISTS r WITH PASSWORD = 'p' AND LOGIN = true",
		"ALTER ROLE u WITH PASSWORD = 'x'", "ALTER ROLE r WITH SUPERUSER = true",
		"DROP ROLE r", "GRANT r TO u", "REVOKE r FROM u", "LIST ROLES", "LIST USERS",
		"GRANT ALL ON KEYSPACE ks TO u", "REVOKE SELECT ON ks.secret FROM r",
		"LIST ALL PERMISSIONS OF u NORECURSIVE", "LIST MODIFY ON ALL KEYSPACES",
		"SELECT * FROM ks.secret", "INSERT INTO ks.secret (k) VALUES (?)",
		"SELECT * FROM system_auth.roles", "SELECT * FROM system.local",
		"BEGIN BATCH INSERT INTO ks.secret (k) VALUES (1); APPLY BATCH", "TRUNCATE ks.secret",
	} {
		f.Add(s, []byte{0, 0, 0, 1})
	}
	h := newAuthHarness(f)
	setupKS(h)
	h.must("CREATE TABLE ks.secret (k int PRIMARY KEY, v int)")
	h.must("CREATE ROLE u WITH LOGIN = true")
	f.Fuzz(func(t *testing.T, query string, v1 []byte) {
		sess := h.ex.NewSession()
		sess.SetUser("u")
		ctx := context.Background()
		o := &exec.QueryOptions{Values: []exec.Value{{Bytes: v1}}}
		res, err := h.ex.Query(ctx, sess, query, o)
		if ce, ok := err.(*exec.Error); ok && ce.Code == exec.CodeServerError && strings.Contains(ce.Message, "internal error") {
			t.Fatalf("panic on %q: %s", query, ce.Message)
		}
		if err == nil && touchesSecret(query) {
			t.Fatalf("%q succeeded without permission: %T", query, res)
		}
	})
}

// touchesSecret reports whether query reads or writes ks.secret.
func touchesSecret(query string) bool {
	stmt, err := parser.Parse(query)
	if err != nil {
		return false
	}
	var tn *parser.TableName
	switch s := stmt.(type) {
	case *parser.Select:
		tn = s.Table
	case *parser.Insert:
		tn = s.Table
	case *parser.Update:
		tn = s.Table
	case *parser.Delete:
		tn = s.Table
	case *parser.Truncate:
		tn = s.Table
	case *parser.Batch:
		for _, st := range s.Statements {
			if touchesSecret(st.String()) {
				return true
			}
		}
	}
	return tn != nil && tn.Keyspace == "ks" && tn.Name == "secret"
}
