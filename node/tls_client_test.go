package node_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// clientPKI is a throwaway CA with a server and a client key pair.
type clientPKI struct {
	dir                  string
	ca                   *testutil.CA
	serverCert, serverKy string
	clientCert, clientKy string
	trusted              string // the node's trusted_certificates: a copy of ca's certificate
}

func newClientPKI(t *testing.T) *clientPKI {
	t.Helper()
	p := &clientPKI{dir: t.TempDir()}
	var err error
	if p.ca, err = testutil.NewCA(p.dir, "client-ca"); err != nil {
		t.Fatal(err)
	}
	if p.serverCert, p.serverKy, err = p.ca.Issue(p.dir, "server", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if p.clientCert, p.clientKy, err = p.ca.Issue(p.dir, "client"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p.ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	p.trusted = p.ca.CertFile + ".trusted"
	if err := os.WriteFile(p.trusted, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *clientPKI) options(optional, requireClientAuth bool) node.ClientEncryptionOptions {
	return node.ClientEncryptionOptions{Enabled: true, Optional: optional, Certificate: p.serverCert,
		PrivateKey: p.serverKy, TrustedCertificates: p.trusted, RequireClientAuth: requireClientAuth}
}

// tlsSession connects gocql over TLS, verifying the node against caFile;
// with certFile it presents a client certificate.
func tlsSession(port int, caFile, certFile, keyFile string) (*gocql.Session, error) {
	c := gocql.NewCluster("127.0.0.1")
	c.Port = port
	c.ProtoVersion = 4
	c.ConnectTimeout = 3 * time.Second
	c.Timeout = 5 * time.Second
	c.SslOpts = &gocql.SslOptions{CaPath: caFile, CertPath: certFile, KeyPath: keyFile, EnableHostVerification: true}
	return c.CreateSession()
}

func plainSession(port int) (*gocql.Session, error) {
	c := gocql.NewCluster("127.0.0.1")
	c.Port = port
	c.ProtoVersion = 4
	c.ConnectTimeout = 3 * time.Second
	c.Timeout = 3 * time.Second
	return c.CreateSession()
}

// sslOfClients reads system_views.clients' TLS columns for every client.
func sslOfClients(t *testing.T, s *gocql.Session) (enabled map[bool]int, protocol string) {
	t.Helper()
	enabled = map[bool]int{}
	iter := s.Query("SELECT ssl_enabled, ssl_protocol, ssl_cipher_suite FROM system_views.clients").Iter()
	var on bool
	var proto, suite string
	for iter.Scan(&on, &proto, &suite) {
		enabled[on]++
		if on {
			protocol = proto
			if suite == "" {
				t.Errorf("a TLS client without ssl_cipher_suite")
			}
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return enabled, protocol
}

// plaintextRefused sends a plaintext OPTIONS frame and reports whether the
// node closed the connection without answering in CQL.
func plaintextRefused(t *testing.T, port int) bool {
	t.Helper()
	nc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Version 4 request, stream 0, OPTIONS, empty body.
	if _, err := nc.Write([]byte{0x04, 0, 0, 0, 0x05, 0, 0, 0, 0}); err != nil {
		return true
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(nc, buf, 1)
	if n > 0 && buf[0] == 0x84 {
		return false // a CQL response: served in plaintext
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the node neither answered nor closed a plaintext connection")
	}
	return true
}

func TestClientTLS(t *testing.T) {
	pki := newClientPKI(t)
	tn := startNode(t, func(c *node.Config) { c.ClientEncryption = pki.options(false, false) })
	s, err := tlsSession(tn.port, pki.ca.CertFile, "", "")
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	defer s.Close()
	enabled, proto := sslOfClients(t, s)
	if enabled[false] != 0 || enabled[true] == 0 || (proto != "TLSv1.3" && proto != "TLSv1.2") {
		t.Fatalf("system_views.clients: ssl_enabled %v, ssl_protocol %q; want every client on TLS", enabled, proto)
	}
	if !plaintextRefused(t, tn.port) {
		t.Fatal("a plaintext client was served on a TLS port")
	}
	if ps, err := plainSession(tn.port); err == nil {
		ps.Close()
		t.Fatal("gocql connected in plaintext to a TLS port")
	}
}

func TestClientTLSOptional(t *testing.T) {
	pki := newClientPKI(t)
	tn := startNode(t, func(c *node.Config) { c.ClientEncryption = pki.options(true, false) })
	s, err := tlsSession(tn.port, pki.ca.CertFile, "", "")
	if err != nil {
		t.Fatalf("TLS client on an optional port: %v", err)
	}
	defer s.Close()
	ps, err := plainSession(tn.port)
	if err != nil {
		t.Fatalf("plaintext client on an optional port: %v", err)
	}
	defer ps.Close()
	enabled, _ := sslOfClients(t, ps)
	if enabled[true] == 0 || enabled[false] == 0 {
		t.Fatalf("system_views.clients ssl_enabled counts %v; want both TLS and plaintext clients", enabled)
	}
}

func TestClientTLSRequireClientAuth(t *testing.T) {
	pki := newClientPKI(t)
	tn := startNode(t, func(c *node.Config) { c.ClientEncryption = pki.options(false, true) })
	if s, err := tlsSession(tn.port, pki.ca.CertFile, "", ""); err == nil {
		s.Close()
		t.Fatal("a client without a certificate connected with require_client_auth")
	}
	other, err := testutil.NewCA(t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := other.Issue(t.TempDir(), "stranger")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := tlsSession(tn.port, pki.ca.CertFile, cert, key); err == nil {
		s.Close()
		t.Fatal("a client certificate from another CA was accepted")
	}
	s, err := tlsSession(tn.port, pki.ca.CertFile, pki.clientCert, pki.clientKy)
	if err != nil {
		t.Fatalf("client with a trusted certificate: %v", err)
	}
	s.Close()
}

// TestClientTLSReload replaces the node's key pair on disk with one from
// a new CA: the next handshake presents it, without a restart.
func TestClientTLSReload(t *testing.T) {
	pki := newClientPKI(t)
	tn := startNode(t, func(c *node.Config) { c.ClientEncryption = pki.options(false, false) })
	if got := servedIssuer(t, tn.port); got != "client-ca" {
		t.Fatalf("served certificate issued by %q", got)
	}
	next, err := testutil.NewCA(t.TempDir(), "rotated-ca")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key, err := next.Issue(dir, "server", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Replace the files in place, as an operator's renewal does, with a
	// later modification time whatever the file system's resolution.
	for src, dst := range map[string]string{cert: pki.serverCert, key: pki.serverKy} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute)
		if err := os.Chtimes(dst, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if got := servedIssuer(t, tn.port); got != "rotated-ca" {
		t.Fatalf("after the files changed the node served a certificate issued by %q; want rotated-ca", got)
	}
	s, err := tlsSession(tn.port, next.CertFile, "", "")
	if err != nil {
		t.Fatalf("client trusting the new CA: %v", err)
	}
	s.Close()
}

// servedIssuer handshakes with the node and returns the common name of
// the issuer of the certificate it presents.
func servedIssuer(t *testing.T, port int) string {
	t.Helper()
	c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &tls.Config{
		InsecureSkipVerify: true, // only the presented certificate is examined
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Issuer.CommonName
}

// TestClientTLSReloadsTrustedCertificates replaces the CA bundle client
// certificates are checked against: a client of the new CA, refused
// before, is accepted after, without a restart.
func TestClientTLSReloadsTrustedCertificates(t *testing.T) {
	pki := newClientPKI(t)
	tn := startNode(t, func(c *node.Config) { c.ClientEncryption = pki.options(false, true) })
	next, err := testutil.NewCA(t.TempDir(), "next-client-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := next.Issue(t.TempDir(), "next-client")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := tlsSession(tn.port, pki.ca.CertFile, cert, key); err == nil {
		s.Close()
		t.Fatal("a client certificate of an untrusted CA was accepted")
	}
	data, err := os.ReadFile(next.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	// The node's CA bundle becomes the new CA (the node's own certificate,
	// checked by the client against pki.ca, is unchanged).
	if err := os.WriteFile(pki.trusted, data, 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(pki.trusted, later, later); err != nil {
		t.Fatal(err)
	}
	s, err := tlsSession(tn.port, pki.ca.CertFile, cert, key)
	if err != nil {
		t.Fatalf("client of the newly trusted CA: %v", err)
	}
	s.Close()
	if s, err := tlsSession(tn.port, pki.ca.CertFile, pki.clientCert, pki.clientKy); err == nil {
		s.Close()
		t.Fatal("a client of the CA no longer trusted was accepted")
	}
}
