package shell

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// TestShellTLS connects the shell to a node that requires TLS with client
// certificates: --ssl with the CA and a client certificate works (and the
// node reports the connection as TLS), plaintext and a missing client
// certificate do not.
func TestShellTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	dir := t.TempDir()
	ca, err := testutil.NewCA(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	srvCert, srvKey, err := ca.Issue(dir, "server", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cliCert, cliKey, err := ca.Issue(dir, "client")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{DataDir: t.TempDir(), CQLListener: ln, AdminPort: node.AdminDisabled,
		NumTokens: 4, Logger: slog.New(slog.DiscardHandler),
		ClientEncryption: node.ClientEncryptionOptions{Enabled: true, Certificate: srvCert, PrivateKey: srvKey,
			TrustedCertificates: ca.CertFile, RequireClientAuth: true}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx) }()
	defer func() {
		cancel()
		<-served
		_ = n.Close()
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	base := Config{Host: "127.0.0.1", Port: port, ConnectTimeout: 3 * time.Second, RequestTimeout: 5 * time.Second}

	for name, cfg := range map[string]Config{
		"plaintext":             base,
		"no client certificate": withTLS(base, ca.CertFile, "", ""),
	} {
		if sh, err := Dial(context.Background(), cfg); err == nil {
			sh.Close()
			t.Errorf("%s: connected to a node requiring client certificates", name)
		}
	}
	var out strings.Builder
	cfg := withTLS(base, ca.CertFile, cliCert, cliKey)
	cfg.Out = &out
	sh, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("--ssl with a client certificate: %v", err)
	}
	defer sh.Close()
	if err := sh.RunScript(context.Background(), "SELECT ssl_enabled FROM system_views.clients;"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "True") || strings.Contains(out.String(), "False") {
		t.Fatalf("system_views.clients through the shell:\n%s", out.String())
	}
}

func withTLS(c Config, ca, cert, key string) Config {
	c.SSL, c.TLSCA, c.TLSCert, c.TLSKey = true, ca, cert, key
	return c
}
