package node

import (
	"context"
	"net/http"
	"time"

	"github.com/sibyldb/sibyl/cql/server"
)

// Authentication and authorization live in cql/exec (system_auth roles,
// bcrypt, GRANTs, caches); the node turns them on from its configuration,
// hands the CQL server exec's password check, creates the default
// superuser, and guards the admin API with the same roles.

// credentials is the CQL server's SASL PLAIN check: exec's, when
// clients log in with a password; nil (no authentication) otherwise.
func (n *Node) credentials() server.CredentialsFunc {
	if !n.cfg.Auth.passwords() {
		return nil
	}
	return n.exec.Authenticate
}

// superuserRetry is how often a node retries creating the default
// superuser while its cluster cannot reach the consistency it needs
// (Cassandra's setupDefaultRole retries every 10 s the same way).
const superuserRetry = 10 * time.Second

// ensureSuperuser creates the superuser 'cassandra' on the first start of
// a cluster with authentication on, once a quorum of system_auth's
// replicas answers; nodes starting together converge on one row.
func (n *Node) ensureSuperuser(ctx context.Context) error {
	for {
		created, err := n.exec.EnsureDefaultSuperuser(ctx, n.cfg.Auth.InitialSuperuserPassword)
		switch {
		case err == nil && created && n.cfg.Auth.InitialSuperuserPassword == "":
			n.log.Warn("created the default superuser 'cassandra' with password 'cassandra': " +
				"change its password (ALTER ROLE cassandra WITH PASSWORD = '...') or create another superuser and drop it")
			return nil
		case err == nil && created:
			n.log.Info("created the default superuser 'cassandra' with the initial password given")
			return nil
		case err == nil:
			return nil
		}
		n.log.Info("cannot set up the default superuser yet; retrying", "err", err, "in", superuserRetry)
		if !sleepCtx(ctx, superuserRetry) {
			return nil
		}
	}
}

// adminAuth guards the admin API when authentication is on: every
// request needs HTTP basic credentials of a superuser (over TLS when
// client encryption is on), except GET /metrics when the operator left it
// open on purpose.
func (n *Node) adminAuth(next http.Handler) http.Handler {
	if !n.cfg.Auth.passwords() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.cfg.Auth.AdminMetricsUnauthenticated && r.Method == http.MethodGet && r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="sibyl admin", charset="UTF-8"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "authentication required: a superuser's credentials (sibyl -u/-p)"})
			return
		}
		if err := n.exec.Authenticate(r.Context(), user, pass); err != nil {
			n.log.Warn("admin API: failed login", "user", user, "remote", r.RemoteAddr, "err", err)
			w.Header().Set("WWW-Authenticate", `Basic realm="sibyl admin", charset="UTF-8"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad credentials"})
			return
		}
		super, err := n.exec.IsSuperuser(r.Context(), user)
		if err != nil || !super {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "the admin API needs a superuser; " + user + " is not one"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
