package exec_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// newAuthHarness is a harness with PasswordAuthenticator and
// CassandraAuthorizer on, the default superuser created, and its session
// logged in as that superuser.
func newAuthHarness(t testing.TB) *harness {
	t.Helper()
	h := newHarnessWith(t, func(c *exec.Config) {
		c.Authenticator, c.Authorizer = true, true
		c.BcryptCost = 4 // the minimum: tests need no strong hashes
	})
	created, err := h.ex.EnsureDefaultSuperuser(context.Background(), "")
	if err != nil || !created {
		t.Fatalf("EnsureDefaultSuperuser: %v, %v", created, err)
	}
	if err := h.ex.Authenticate(context.Background(), "cassandra", "cassandra"); err != nil {
		t.Fatalf("cannot log in as cassandra: %v", err)
	}
	h.sess.SetUser("cassandra")
	return h
}

// asUser returns a session logged in as user.
func (h *harness) asUser(user string) *exec.Session {
	s := h.ex.NewSession()
	s.SetUser(user)
	return s
}

// TestPermissionMatrix runs statements as a plain role holding one
// granted permission (or none) and checks Cassandra's outcome.
func TestPermissionMatrix(t *testing.T) {
	const denied = "error 0x2100: "
	cases := []struct {
		stmt, grant, want string
	}{
		{"SELECT * FROM ks.t", "", denied + "User u has no SELECT permission on <table ks.t> or any of its parents"},
		{"SELECT * FROM ks.t", "GRANT SELECT ON ks.t TO u", "ok"},
		{"SELECT * FROM ks.t", "GRANT SELECT ON KEYSPACE ks TO u", "ok"},
		{"SELECT * FROM ks.t", "GRANT SELECT ON ALL KEYSPACES TO u", "ok"},
		{"SELECT * FROM ks.t", "GRANT MODIFY ON ks.t TO u", denied + "User u has no SELECT permission on <table ks.t> or any of its parents"},
		{"SELECT * FROM ks.t", "GRANT SELECT ON ks.other TO u", denied + "User u has no SELECT permission on <table ks.t> or any of its parents"},
		{"SELECT * FROM ks.t", "GRANT SELECT ON ks.t TO g", "ok"}, // through the granted role g
		{"INSERT INTO ks.t (k) VALUES (1)", "", denied + "User u has no MODIFY permission on <table ks.t> or any of its parents"},
		{"INSERT INTO ks.t (k) VALUES (1)", "GRANT MODIFY ON ks.t TO u", "ok"},
		{"INSERT INTO ks.t (k) VALUES (1)", "GRANT SELECT ON ks.t TO u", denied + "User u has no MODIFY permission on <table ks.t> or any of its parents"},
		{"UPDATE ks.t SET v = 1 WHERE k = 1", "GRANT MODIFY ON KEYSPACE ks TO u", "ok"},
		{"DELETE FROM ks.t WHERE k = 1", "GRANT ALL ON ks.t TO u", "ok"},
		{"TRUNCATE ks.t", "", denied + "User u has no MODIFY permission on <table ks.t> or any of its parents"},
		{"TRUNCATE ks.t", "GRANT MODIFY ON ks.t TO u", "ok"},
		{"BEGIN BATCH INSERT INTO ks.t (k) VALUES (1); INSERT INTO ks.other (k) VALUES (1); APPLY BATCH", "GRANT MODIFY ON ks.t TO u", denied + "User u has no MODIFY permission on <table ks.other> or any of its parents"},
		{"CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", "", denied + "User u has no CREATE permission on <all keyspaces> or any of its parents"},
		{"CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", "GRANT CREATE ON ALL KEYSPACES TO u", "ok"},
		{"CREATE TABLE ks.n (k int PRIMARY KEY)", "", denied + "User u has no CREATE permission on <keyspace ks> or any of its parents"},
		{"CREATE TABLE ks.n (k int PRIMARY KEY)", "GRANT CREATE ON KEYSPACE ks TO u", "ok"},
		{"CREATE TYPE ks.ty (a int)", "GRANT CREATE ON KEYSPACE ks TO u", "ok"},
		{"ALTER TABLE ks.t ADD w int", "", denied + "User u has no ALTER permission on <table ks.t> or any of its parents"},
		{"ALTER TABLE ks.t ADD w int", "GRANT ALTER ON ks.t TO u", "ok"},
		{"ALTER KEYSPACE ks WITH durable_writes = false", "GRANT ALTER ON KEYSPACE ks TO u", "ok"},
		{"ALTER KEYSPACE ks WITH durable_writes = false", "GRANT ALTER ON ks.t TO u", denied + "User u has no ALTER permission on <keyspace ks> or any of its parents"},
		{"DROP TABLE ks.t", "", denied + "User u has no DROP permission on <table ks.t> or any of its parents"},
		{"DROP TABLE ks.t", "GRANT DROP ON ks.t TO u", "ok"},
		{"DROP KEYSPACE ks", "GRANT DROP ON ks.t TO u", denied + "User u has no DROP permission on <keyspace ks> or any of its parents"},
		{"DROP KEYSPACE ks", "GRANT DROP ON KEYSPACE ks TO u", "ok"},
		{"SELECT * FROM system.local", "", "ok"},
		{"SELECT * FROM system_schema.tables", "", "ok"},
		{"SELECT * FROM system_auth.roles", "", denied + "User u has no SELECT permission on <table system_auth.roles> or any of its parents"},
		{"SELECT * FROM system_auth.roles", "GRANT SELECT ON KEYSPACE system_auth TO u", "ok"},
		{"CREATE ROLE x", "", denied + "User u does not have sufficient privileges to perform the requested operation"},
		{"CREATE ROLE x", "GRANT CREATE ON ALL ROLES TO u", "ok"},
		{"CREATE ROLE x WITH SUPERUSER = true", "GRANT CREATE ON ALL ROLES TO u", denied + "Only superusers can create a role with superuser status"},
		{"DROP ROLE g", "", denied + "User u does not have sufficient privileges to perform the requested operation"},
		{"DROP ROLE g", "GRANT DROP ON ROLE g TO u", "ok"},
		{"ALTER ROLE g WITH LOGIN = true", "GRANT ALTER ON ALL ROLES TO u", "ok"},
		{"ALTER ROLE u WITH PASSWORD = 'x'", "", "ok"},
		{"GRANT g TO u2", "", denied + "User u does not have sufficient privileges to perform the requested operation"},
		{"GRANT g TO u2", "GRANT AUTHORIZE ON ROLE g TO u", "ok"},
		{"GRANT SELECT ON ks.t TO u2", "GRANT AUTHORIZE ON ks.t TO u", denied + "User u has no SELECT permission on <table ks.t> or any of its parents"},
		{"GRANT SELECT ON ks.t TO u2", "GRANT ALL ON KEYSPACE ks TO u", "ok"},
		{"LIST ALL PERMISSIONS OF u", "", "ok"},
		{"LIST ALL PERMISSIONS OF u2", "", denied + "You are not authorized to view u2's permissions"},
		{"LIST ROLES OF u2", "", denied + "You are not authorized to view roles granted to u2 "},
		{"LIST ROLES OF u2", "GRANT DESCRIBE ON ALL ROLES TO u", "rows"},
		{"USE ks", "", "keyspace ks"},
	}
	for _, c := range cases {
		t.Run(c.stmt+"/"+c.grant, func(t *testing.T) {
			h := newAuthHarness(t)
			for _, q := range []string{
				"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
				"CREATE TABLE ks.t (k int PRIMARY KEY, v int)", "CREATE TABLE ks.other (k int PRIMARY KEY)",
				"CREATE ROLE u WITH LOGIN = true AND PASSWORD = 'p'", "CREATE ROLE u2", "CREATE ROLE g", "GRANT g TO u",
			} {
				h.must(q)
			}
			if c.grant != "" {
				h.must(c.grant)
			}
			res, err := h.ex.Query(context.Background(), h.asUser("u"), c.stmt, nil)
			got := formatResult(res, err)
			if _, ok := res.(*exec.RowsResult); ok && err == nil {
				got = "ok"
				if c.want == "rows" {
					got = "rows"
				}
			}
			if _, ok := res.(*exec.SchemaChangeResult); ok && err == nil {
				got = "ok"
			}
			if got != c.want {
				t.Errorf("as u with %q: %s\ngot  %s\nwant %s", c.grant, c.stmt, got, c.want)
			}
		})
	}
}

// TestPreparedCheckedAtExecution: a statement prepared while allowed is
// refused at EXECUTE once the permission is revoked, and the reverse.
func TestPreparedCheckedAtExecution(t *testing.T) {
	h := newAuthHarness(t)
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v int)", "CREATE ROLE u WITH LOGIN = true AND PASSWORD = 'p'",
	} {
		h.must(q)
	}
	ctx := context.Background()
	u := h.asUser("u")
	p, err := h.ex.Prepare(ctx, u, "SELECT * FROM ks.t")
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if _, err := h.ex.Execute(ctx, u, p.ID, nil); formatResult(nil, err) != "error 0x2100: User u has no SELECT permission on <table ks.t> or any of its parents" {
		t.Errorf("execute without permission: %v", err)
	}
	h.must("GRANT SELECT ON ks.t TO u")
	if _, err := h.ex.Execute(ctx, u, p.ID, nil); err != nil {
		t.Errorf("execute with permission: %v", err)
	}
	h.must("REVOKE SELECT ON ks.t FROM u")
	if _, err := h.ex.Execute(ctx, u, p.ID, nil); err == nil {
		t.Error("execute after REVOKE succeeded")
	}
	// In a batch too.
	w, err := h.ex.Prepare(ctx, u, "INSERT INTO ks.t (k, v) VALUES (?, ?)")
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	b := &exec.Batch{Type: exec.LoggedBatch, Consistency: exec.One, Statements: []exec.BatchStatement{{PreparedID: w.ID, Values: []exec.Value{{Bytes: []byte{0, 0, 0, 1}}, {Bytes: []byte{0, 0, 0, 2}}}}}}
	if _, err := h.ex.Batch(ctx, u, b); formatResult(nil, err) != "error 0x2100: User u has no MODIFY permission on <table ks.t> or any of its parents" {
		t.Errorf("batch without permission: %v", err)
	}
	// A session that never logged in is refused everything.
	if _, err := h.ex.Query(ctx, h.ex.NewSession(), "SELECT * FROM system.local", nil); formatResult(nil, err) != "error 0x2100: You have not logged in" {
		t.Errorf("anonymous: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	h := newAuthHarness(t)
	ctx := context.Background()
	h.must("CREATE ROLE u WITH LOGIN = true AND PASSWORD = 'secret'")
	h.must("CREATE ROLE nologin WITH PASSWORD = 'secret'")
	rows := h.must("SELECT salted_hash FROM system_auth.roles WHERE role = 'u'").(*exec.RowsResult)
	if hash := string(rows.Rows[0][0]); len(hash) != 60 || hash[:7] != "$2a$04$" {
		t.Errorf("salted_hash %q is not a bcrypt hash of the configured cost", hash)
	}
	before := h.ex.Metrics().FailedLogins
	for _, c := range []struct {
		user, pw string
		ok       bool
	}{
		{"u", "secret", true}, {"u", "secret", true}, {"u", "wrong", false}, {"nobody", "secret", false},
		{"nologin", "secret", false}, {"cassandra", "cassandra", true},
	} {
		err := h.ex.Authenticate(ctx, c.user, c.pw)
		if (err == nil) != c.ok {
			t.Errorf("Authenticate(%s, %s) = %v, want ok %v", c.user, c.pw, err, c.ok)
		}
	}
	if got := h.ex.Metrics().FailedLogins - before; got != 3 {
		t.Errorf("FailedLogins grew by %d, want 3", got)
	}
	// A changed password takes effect at once on this node.
	h.must("ALTER ROLE u WITH PASSWORD = 'new'")
	if err := h.ex.Authenticate(ctx, "u", "secret"); err == nil {
		t.Error("old password still accepted")
	}
	if err := h.ex.Authenticate(ctx, "u", "new"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	for role, want := range map[string]bool{"cassandra": true, "u": false, "nobody": false} {
		if got, err := h.ex.IsSuperuser(ctx, role); err != nil || got != want {
			t.Errorf("IsSuperuser(%s) = %v, %v; want %v", role, got, err, want)
		}
	}
	h.must("CREATE ROLE admins WITH SUPERUSER = true")
	h.must("GRANT admins TO u")
	if got, err := h.ex.IsSuperuser(ctx, "u"); err != nil || !got {
		t.Errorf("IsSuperuser(u) through a granted superuser role = %v, %v", got, err)
	}
	// The default superuser is created once only.
	if created, err := h.ex.EnsureDefaultSuperuser(ctx, "other"); err != nil || created {
		t.Errorf("second EnsureDefaultSuperuser: %v, %v", created, err)
	}
}

func TestAuthConfig(t *testing.T) {
	var c exec.Config
	c.Authorizer = true
	c.EnsureDefaults()
	if c.AuthCacheValidity != exec.DefaultAuthCacheValidity || c.BcryptCost != exec.DefaultBcryptCost || exec.DefaultBcryptCost != 10 {
		t.Errorf("defaults: %v %d", c.AuthCacheValidity, c.BcryptCost)
	}
	if err := c.Validate(); err == nil {
		t.Error("Authorizer without Authenticator accepted")
	}
	h := newHarness(t)
	for q, want := range map[string]string{
		"GRANT SELECT ON ALL KEYSPACES TO r": "error 0x2200: GRANT operation is not supported by AllowAllAuthorizer",
		"LIST ALL PERMISSIONS":               "error 0x2200: LIST PERMISSIONS operation is not supported by AllowAllAuthorizer",
		"CREATE ROLE r WITH PASSWORD = 'x'":  "error 0x2200: org.apache.cassandra.auth.CassandraRoleManager doesn't support PASSWORD",
		"CREATE ROLE r WITH LOGIN = true":    "ok",
	} {
		if got := h.run(q, nil); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}

// TestAuthCacheValidity: another executor over the same data (another
// node) sees a grant, a revoke and a new password once its cached entries
// are older than Config.AuthCacheValidity, and not before.
func TestAuthCacheValidity(t *testing.T) {
	h := newAuthHarness(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY)", "CREATE ROLE u WITH LOGIN = true AND PASSWORD = 'p'",
	} {
		h.must(q)
	}
	other, err := exec.New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := other.NewSession()
	u.SetUser("u")
	selectT := func() error {
		_, err := other.Query(ctx, u, "SELECT * FROM ks.t", nil)
		return err
	}
	if err := other.Authenticate(ctx, "u", "p"); err != nil {
		t.Fatalf("login on the other node: %v", err)
	}
	if selectT() == nil {
		t.Fatal("SELECT allowed before any grant")
	}
	h.must("GRANT SELECT ON ks.t TO u")
	h.must("ALTER ROLE u WITH PASSWORD = 'q'")
	if selectT() == nil {
		t.Error("the other node saw the grant before its cache expired")
	}
	if other.Authenticate(ctx, "u", "p") != nil {
		t.Error("the other node refused the cached password before its cache expired")
	}
	h.clock.Advance(exec.DefaultAuthCacheValidity)
	if err := selectT(); err != nil {
		t.Errorf("the other node still refuses after the validity: %v", err)
	}
	if other.Authenticate(ctx, "u", "p") == nil {
		t.Error("the other node still accepts the old password after the validity")
	}
	if err := other.Authenticate(ctx, "u", "q"); err != nil {
		t.Errorf("the other node refuses the new password: %v", err)
	}
	h.must("REVOKE SELECT ON ks.t FROM u")
	h.clock.Advance(exec.DefaultAuthCacheValidity)
	if selectT() == nil {
		t.Error("the other node still allows SELECT after the revoke and the validity")
	}
}

// clRecorder records the consistency levels of the reads and writes
// that pass through it.
type clRecorder struct {
	exec.Coordinator
	mu            sync.Mutex
	reads, writes map[exec.Consistency]int
}

func (r *clRecorder) Read(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	r.mu.Lock()
	r.reads[cl]++
	r.mu.Unlock()
	return r.Coordinator.Read(ctx, cl, cmd)
}

func (r *clRecorder) Mutate(ctx context.Context, cl exec.Consistency, wt exec.WriteType, muts []*schema.Partition) error {
	r.mu.Lock()
	r.writes[cl]++
	r.mu.Unlock()
	return r.Coordinator.Mutate(ctx, cl, wt, muts)
}

func (r *clRecorder) take() (reads, writes map[exec.Consistency]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reads, writes = r.reads, r.writes
	r.reads, r.writes = map[exec.Consistency]int{}, map[exec.Consistency]int{}
	return reads, writes
}

// TestAuthConsistency: roles and permissions are read at
// auth_read_consistency_level (LOCAL_QUORUM) and written at
// auth_write_consistency_level (EACH_QUORUM), the default superuser at
// QUORUM, as Cassandra 4.1 does.
func TestAuthConsistency(t *testing.T) {
	rec := &clRecorder{}
	rec.take()
	h := newHarnessWith(t, func(c *exec.Config) {
		c.Authenticator, c.Authorizer, c.BcryptCost = true, true, 4
		rec.Coordinator = c.Coordinator
		c.Coordinator = rec
	})
	ctx := context.Background()
	if _, err := h.ex.EnsureDefaultSuperuser(ctx, ""); err != nil {
		t.Fatal(err)
	}
	reads, writes := rec.take()
	if reads[exec.One] != 1 || reads[exec.Quorum] != 2 || writes[exec.Quorum] != 1 || len(writes) != 1 {
		t.Errorf("default superuser setup: reads %v writes %v", reads, writes)
	}
	if err := h.ex.Authenticate(ctx, "cassandra", "cassandra"); err != nil {
		t.Fatal(err)
	}
	if reads, _ := rec.take(); len(reads) != 1 || reads[exec.Quorum] == 0 {
		t.Errorf("cassandra's login read at %v, want QUORUM", reads)
	}
	h.sess.SetUser("cassandra")
	h.must("CREATE ROLE u WITH LOGIN = true AND PASSWORD = 'p'")
	if _, writes := rec.take(); len(writes) != 1 || writes[exec.EachQuorum] == 0 {
		t.Errorf("CREATE ROLE wrote at %v, want EACH_QUORUM", writes)
	}
	if err := h.ex.Authenticate(ctx, "u", "p"); err != nil {
		t.Fatal(err)
	}
	if reads, _ := rec.take(); len(reads) != 1 || reads[exec.LocalQuorum] == 0 {
		t.Errorf("u's login read at %v, want LOCAL_QUORUM", reads)
	}
}
