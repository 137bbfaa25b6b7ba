package bench

import (
	"testing"

	"github.com/gocql/gocql"
)

// TestClusterConfigSecurity: credentials and TLS options reach gocql.
func TestClusterConfigSecurity(t *testing.T) {
	cfg := Config{Consistency: "ONE"}
	cc, err := clusterConfig(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cc.SslOpts != nil || cc.Authenticator != nil {
		t.Fatalf("TLS or credentials without being asked: %+v %+v", cc.SslOpts, cc.Authenticator)
	}
	cfg = Config{Consistency: "ONE", Username: "u", Password: "p", TLSCA: "ca.crt", TLSCert: "c.crt", TLSKey: "c.key"}
	if cc, err = clusterConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	if a, ok := cc.Authenticator.(gocql.PasswordAuthenticator); !ok || a.Username != "u" || a.Password != "p" {
		t.Fatalf("authenticator %+v", cc.Authenticator)
	}
	if o := cc.SslOpts; o == nil || o.CaPath != "ca.crt" || o.CertPath != "c.crt" || o.KeyPath != "c.key" || !o.EnableHostVerification {
		t.Fatalf("ssl options %+v", cc.SslOpts)
	}
	cfg = Config{Consistency: "ONE", TLSNoVerify: true}
	if cc, err = clusterConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	if cc.SslOpts == nil || cc.SslOpts.EnableHostVerification {
		t.Fatalf("--tls-no-verify: %+v", cc.SslOpts)
	}
}
