package node_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// authSession connects with credentials; it returns the error instead of
// failing, so refusals can be checked.
func authSession(port int, user, password string) (*gocql.Session, error) {
	c := gocql.NewCluster("127.0.0.1")
	c.Port = port
	c.Timeout = 10 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
	return c.CreateSession()
}

// TestPasswordAuthenticationEndToEnd runs a node with the
// PasswordAuthenticator and CassandraAuthorizer as an operator would: the
// default superuser appears on its own, a wrong password is refused, roles
// and grants are enforced through a real driver, and the admin API wants
// a superuser.
func TestPasswordAuthenticationEndToEnd(t *testing.T) {
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tn := startNode(t, func(c *node.Config) {
		c.Auth.Authenticator = node.PasswordAuthenticator
		c.Auth.Authorizer = "org.apache.cassandra.auth.CassandraAuthorizer"
		c.Auth.BcryptRounds = 4 // tests need no slow hashes
		c.AdminListener = adminLn
	})
	var super *gocql.Session
	testutil.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		s, err := authSession(tn.port, "cassandra", "cassandra")
		super = s
		return err
	})
	defer super.Close()

	if s, err := authSession(tn.port, "cassandra", "wrong"); err == nil {
		s.Close()
		t.Fatal("a wrong password was accepted")
	}
	if s, err := authSession(tn.port, "", ""); err == nil {
		s.Close()
		t.Fatal("a client without credentials was accepted")
	}

	mustExec(t, super, "CREATE KEYSPACE sec WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	mustExec(t, super, "CREATE TABLE sec.t (k int PRIMARY KEY, v text)")
	// The password holds characters bcrypt's alphabet ([./A-Za-z0-9])
	// lacks, so finding it in the stored hash means it was stored as is
	// (a two-letter password turned up inside a random hash now and then).
	mustExec(t, super, "CREATE ROLE alice WITH PASSWORD = 'pw!-1' AND LOGIN = true")
	var hash string
	if err := super.Query("SELECT salted_hash FROM system_auth.roles WHERE role = 'alice'").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash == "" || strings.Contains(hash, "pw!-1") || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("alice's password is stored as %q, want a bcrypt hash", hash)
	}
	alice, err := authSession(tn.port, "alice", "pw!-1")
	if err != nil {
		t.Fatalf("alice cannot log in: %v", err)
	}
	defer alice.Close()
	err = alice.Query("SELECT * FROM sec.t").Exec()
	if code := requestCode(err); code != 0x2100 {
		t.Fatalf("alice read without a grant: %v (code %#x), want Unauthorized", err, code)
	}
	mustExec(t, super, "GRANT SELECT ON KEYSPACE sec TO alice")
	testutil.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		return alice.Query("SELECT * FROM sec.t").Exec()
	})
	if code := requestCode(alice.Query("INSERT INTO sec.t (k, v) VALUES (1, 'x')").Exec()); code != 0x2100 {
		t.Fatalf("alice wrote with SELECT only: code %#x, want Unauthorized", code)
	}

	base := "http://" + adminLn.Addr().String()
	get := func(user, pass string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/status", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("", ""); code != http.StatusUnauthorized {
		t.Fatalf("admin API without credentials: %d, want 401", code)
	}
	if code := get("cassandra", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("admin API with a wrong password: %d, want 401", code)
	}
	if code := get("alice", "pw!-1"); code != http.StatusForbidden {
		t.Fatalf("admin API for a role that is not a superuser: %d, want 403", code)
	}
	if code := get("cassandra", "cassandra"); code != http.StatusOK {
		t.Fatalf("admin API for the superuser: %d, want 200", code)
	}
}

// TestAuthorizerNeedsAuthenticator: Cassandra refuses CassandraAuthorizer
// with AllowAllAuthenticator, and so does the node's configuration.
func TestAuthorizerNeedsAuthenticator(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() }) // New refuses the configuration before it owns the listener
	n, err := node.New(node.Config{DataDir: t.TempDir(), CQLListener: ln, AdminPort: node.AdminDisabled,
		Auth: node.AuthConfig{Authorizer: node.CassandraAuthorizer}})
	if err == nil {
		_ = n.Close()
		t.Fatal("CassandraAuthorizer started without the PasswordAuthenticator")
	}
	if !strings.Contains(err.Error(), "PasswordAuthenticator") {
		t.Fatalf("New: %v; want the reason", err)
	}
}
