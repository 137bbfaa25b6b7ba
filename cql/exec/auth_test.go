package exec_test

import (
	"context"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
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
