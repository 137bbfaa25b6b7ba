package node

import (
	"strings"
	"time"
)

// AuthConfig is who may connect and what they may do, with Cassandra's
// cassandra.yaml names. The defaults let anyone in, as Cassandra's do, so
// `make run` stays as easy as it is; README's "Secure setup" turns it on.
type AuthConfig struct {
	// Authenticator is AllowAllAuthenticator (default) or
	// PasswordAuthenticator: SASL PLAIN logins checked against
	// system_auth.roles (bcrypt hashes).
	Authenticator string `yaml:"authenticator"`
	// Authorizer is AllowAllAuthorizer (default) or CassandraAuthorizer:
	// GRANTed permissions enforced on every statement. It needs the
	// PasswordAuthenticator.
	Authorizer string `yaml:"authorizer"`
	// CredentialsValidity is how long logins, roles and permissions are
	// cached (Cassandra's credentials_validity, roles_validity and
	// permissions_validity); 0 means 2 s, negative turns caching off.
	CredentialsValidity time.Duration `yaml:"credentials_validity"`
	// BcryptRounds is auth_bcrypt_gensalt_log2_rounds; 0 means 10.
	BcryptRounds int `yaml:"auth_bcrypt_gensalt_log2_rounds"`
	// InitialSuperuserPassword is the password of the superuser
	// 'cassandra' created on the first start of a cluster with
	// authentication on; empty means 'cassandra', as in Cassandra (a
	// warning then says to change it). cmd/sibyl reads it from the
	// environment (SIBYL_INITIAL_SUPERUSER_PASSWORD), never from a flag,
	// so it does not show in the process list.
	InitialSuperuserPassword string `yaml:"-"`
	// AdminListenAddress binds the admin API to another address than
	// ListenAddress (e.g. a management network); empty means
	// ListenAddress.
	AdminListenAddress string `yaml:"admin_listen_address"`
	// AdminMetricsUnauthenticated leaves GET /metrics open when
	// authentication is on, for a Prometheus server without credentials;
	// every other admin endpoint still needs a superuser.
	AdminMetricsUnauthenticated bool `yaml:"admin_metrics_unauthenticated"`
	// AdminTLS serves the admin API over TLS with the certificate of
	// client_encryption_options (which must be enabled), so the
	// credentials it asks for never cross the network in clear.
	AdminTLS bool `yaml:"admin_tls"`
}

// The authenticators and authorizers, by Cassandra's class names.
const (
	AllowAllAuthenticator = "AllowAllAuthenticator"
	PasswordAuthenticator = "PasswordAuthenticator"
	AllowAllAuthorizer    = "AllowAllAuthorizer"
	CassandraAuthorizer   = "CassandraAuthorizer"
)

// authClass is a class name without Cassandra's package, so both
// "PasswordAuthenticator" and "org.apache.cassandra.auth.PasswordAuthenticator"
// (as cassandra.yaml files often say) are accepted.
func authClass(name string) string {
	return strings.TrimPrefix(name, "org.apache.cassandra.auth.")
}

func (a *AuthConfig) ensureDefaults() {
	a.Authenticator, a.Authorizer = authClass(a.Authenticator), authClass(a.Authorizer)
	if a.Authenticator == "" {
		a.Authenticator = AllowAllAuthenticator
	}
	if a.Authorizer == "" {
		a.Authorizer = AllowAllAuthorizer
	}
}

// passwords reports whether clients log in with a password.
func (a *AuthConfig) passwords() bool { return a.Authenticator == PasswordAuthenticator }

// permissions reports whether permissions are enforced.
func (a *AuthConfig) permissions() bool { return a.Authorizer == CassandraAuthorizer }

func (a *AuthConfig) validate(add func(string, ...any)) {
	if a.Authenticator != AllowAllAuthenticator && a.Authenticator != PasswordAuthenticator {
		add("authenticator %q is not %s or %s", a.Authenticator, AllowAllAuthenticator, PasswordAuthenticator)
	}
	if a.Authorizer != AllowAllAuthorizer && a.Authorizer != CassandraAuthorizer {
		add("authorizer %q is not %s or %s", a.Authorizer, AllowAllAuthorizer, CassandraAuthorizer)
	}
	if a.permissions() && !a.passwords() {
		add("authorizer %s needs authenticator %s (%s cannot be used with it)", CassandraAuthorizer, PasswordAuthenticator, AllowAllAuthenticator)
	}
	if a.BcryptRounds != 0 && (a.BcryptRounds < 4 || a.BcryptRounds > 31) {
		add("auth_bcrypt_gensalt_log2_rounds %d is outside [4, 31]", a.BcryptRounds)
	}
}
