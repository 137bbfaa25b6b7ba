package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sibyldb/sibyl/node"
)

func TestServeEncryptionFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sibyl.yaml")
	yaml := `client_encryption_options:
  enabled: true
  optional: true
  certificate: /etc/sibyl/node.crt
  private_key: /etc/sibyl/node.key
  trusted_certificates: /etc/sibyl/ca.crt
  require_client_auth: true
server_encryption_options:
  internode_encryption: all
  certificate: /etc/sibyl/internode.crt
  private_key: /etc/sibyl/internode.key
  trusted_certificates: /etc/sibyl/ca.crt
  require_client_auth: false
  require_endpoint_verification: true
  gossip_key_file: /etc/sibyl/gossip.key
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServe(t, "--config", file, "--client-tls-cert", "/other.crt")
	if err != nil {
		t.Fatal(err)
	}
	ce, se := cfg.ClientEncryption, cfg.ServerEncryption
	if !ce.Enabled || !ce.Optional || ce.Certificate != "/other.crt" || ce.PrivateKey != "/etc/sibyl/node.key" ||
		ce.TrustedCertificates != "/etc/sibyl/ca.crt" || !ce.RequireClientAuth {
		t.Fatalf("client_encryption_options: %+v", ce)
	}
	if se.InternodeEncryption != node.InternodeEncryptionAll || se.Certificate != "/etc/sibyl/internode.crt" ||
		se.PrivateKey != "/etc/sibyl/internode.key" || se.TrustedCertificates != "/etc/sibyl/ca.crt" ||
		se.RequireClientAuth == nil || *se.RequireClientAuth || !se.RequireEndpointVerification ||
		se.GossipKeyFile != "/etc/sibyl/gossip.key" {
		t.Fatalf("server_encryption_options: %+v", se)
	}
}

func TestServeEncryptionFlags(t *testing.T) {
	cfg, err := parseServe(t, "--client-tls-cert", "c.crt", "--client-tls-key", "c.key", "--client-tls-ca", "ca.crt",
		"--client-tls-optional", "--client-tls-require-client-auth",
		"--internode-tls-cert", "i.crt", "--internode-tls-key", "i.key", "--internode-tls-ca", "ica.crt",
		"--gossip-key-file", "g.key")
	if err != nil {
		t.Fatal(err)
	}
	want := node.ClientEncryptionOptions{Enabled: true, Optional: true, Certificate: "c.crt", PrivateKey: "c.key",
		TrustedCertificates: "ca.crt", RequireClientAuth: true}
	if cfg.ClientEncryption != want {
		t.Fatalf("client encryption %+v, want %+v", cfg.ClientEncryption, want)
	}
	se := cfg.ServerEncryption
	if se.InternodeEncryption != node.InternodeEncryptionAll || se.Certificate != "i.crt" || se.PrivateKey != "i.key" ||
		se.TrustedCertificates != "ica.crt" || se.GossipKeyFile != "g.key" {
		t.Fatalf("server encryption %+v", se)
	}
	cfg, err = parseServe(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientEncryption.Enabled || cfg.ServerEncryption.InternodeEncryption != "" {
		t.Fatalf("encryption on by default: %+v %+v", cfg.ClientEncryption, cfg.ServerEncryption)
	}
}

// TestServeEncryptionValidation: the node refuses half-configured
// encryption with the key to fix.
func TestServeEncryptionValidation(t *testing.T) {
	for _, args := range [][]string{
		{"--client-tls-cert", "c.crt"},
		{"--client-tls-cert", "c.crt", "--client-tls-key", "c.key", "--client-tls-require-client-auth"},
		{"--internode-tls-cert", "i.crt", "--internode-tls-key", "i.key", "--internode-tls-ca", "ca.crt"},
		{"--internode-encryption", "dc"},
	} {
		cfg, err := parseServe(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		cfg.EnsureDefaults()
		if err := cfg.Validate(); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
