package node

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Transport security, under Cassandra's configuration names so operators
// recognise them: client_encryption_options for the CQL port,
// server_encryption_options for internode messaging (mutual TLS) and
// gossip (memberlist's AES-GCM with a shared key: memberlist's UDP cannot
// carry TLS). Certificates and keys are PEM files; a key pair is reloaded
// from disk when its files change, checked on each handshake, so
// certificates rotate without a restart.

// ClientEncryptionOptions is Cassandra's client_encryption_options.
type ClientEncryptionOptions struct {
	// Enabled turns TLS on for the CQL port.
	Enabled bool `yaml:"enabled"`
	// Optional accepts TLS and plaintext clients on the same port (the
	// first byte of a connection tells them apart).
	Optional bool `yaml:"optional"`
	// Certificate and PrivateKey are the node's PEM key pair.
	Certificate string `yaml:"certificate"`
	PrivateKey  string `yaml:"private_key"`
	// TrustedCertificates is a PEM bundle of the CAs client certificates
	// are checked against.
	TrustedCertificates string `yaml:"trusted_certificates"`
	// RequireClientAuth refuses clients without a certificate signed by
	// TrustedCertificates.
	RequireClientAuth bool `yaml:"require_client_auth"`
}

// Internode encryption modes (server_encryption_options.internode_encryption).
const (
	InternodeEncryptionNone = "none"
	InternodeEncryptionAll  = "all"
)

// ServerEncryptionOptions is Cassandra's server_encryption_options.
type ServerEncryptionOptions struct {
	// InternodeEncryption is none (or empty) or all.
	InternodeEncryption string `yaml:"internode_encryption"`
	// Certificate and PrivateKey are the node's PEM key pair, presented
	// both as a server and as a client (so the certificate needs both the
	// serverAuth and clientAuth extended key usages, or none).
	Certificate string `yaml:"certificate"`
	PrivateKey  string `yaml:"private_key"`
	// TrustedCertificates is the PEM bundle of the CAs peers' certificates
	// must chain to. Required with internode_encryption: all.
	TrustedCertificates string `yaml:"trusted_certificates"`
	// RequireClientAuth makes the accepting side verify the dialling
	// peer's certificate too (mutual TLS). nil means true.
	RequireClientAuth *bool `yaml:"require_client_auth"`
	// RequireEndpointVerification also checks that a peer's certificate
	// names the address dialled (as Cassandra's option does); off, a
	// certificate signed by a trusted CA is enough, so one certificate
	// can serve every node.
	RequireEndpointVerification bool `yaml:"require_endpoint_verification"`
	// GossipKeyFile holds the key memberlist encrypts gossip with
	// (AES-GCM): 16, 24 or 32 bytes, raw or base64. Every node needs the
	// same key. Required with internode_encryption: all.
	GossipKeyFile string `yaml:"gossip_key_file"`
}

func (o ServerEncryptionOptions) enabled() bool {
	return o.InternodeEncryption == InternodeEncryptionAll
}

func (o ServerEncryptionOptions) requireClientAuth() bool {
	return o.RequireClientAuth == nil || *o.RequireClientAuth
}

// validateEncryption reports configuration mistakes that need no file.
func (c *Config) validateEncryption(add func(string, ...any)) {
	ce := c.ClientEncryption
	if ce.Enabled {
		if ce.Certificate == "" || ce.PrivateKey == "" {
			add("client_encryption_options: enabled needs certificate and private_key")
		}
		if ce.RequireClientAuth && ce.TrustedCertificates == "" {
			add("client_encryption_options: require_client_auth needs trusted_certificates")
		}
	}
	se := c.ServerEncryption
	switch se.InternodeEncryption {
	case "", InternodeEncryptionNone:
	case InternodeEncryptionAll:
		if se.Certificate == "" || se.PrivateKey == "" || se.TrustedCertificates == "" {
			add("server_encryption_options: internode_encryption: all needs certificate, private_key and trusted_certificates")
		}
		if se.GossipKeyFile == "" {
			add("server_encryption_options: internode_encryption: all needs gossip_key_file: gossip " +
				"(memberlist, UDP) cannot use TLS and is encrypted with a shared 16, 24 or 32-byte key " +
				"(e.g. `head -c 32 /dev/urandom | base64 > gossip.key`, the same file on every node)")
		}
	default:
		add("server_encryption_options: internode_encryption %q is not one of none, all (dc and rack are not supported)", se.InternodeEncryption)
	}
}

// keyPair is a PEM certificate and key reloaded when either file's
// modification time or size changes. A reload that fails (a half-written
// file) keeps the previous pair and logs.
type keyPair struct {
	certFile, keyFile string
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate // guarded by mu
	certStat fileStamp        // guarded by mu
	keyStat  fileStamp        // guarded by mu
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func fileStampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

func loadKeyPair(certFile, keyFile string, log *slog.Logger) (*keyPair, error) {
	k := &keyPair{certFile: certFile, keyFile: keyFile, log: log}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// reload reads both files; the caller holds mu or owns k.
func (k *keyPair) reload() error {
	cs, err := fileStampOf(k.certFile)
	if err != nil {
		return fmt.Errorf("cannot read certificate: %w", err)
	}
	ks, err := fileStampOf(k.keyFile)
	if err != nil {
		return fmt.Errorf("cannot read private key: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		return fmt.Errorf("cannot load key pair %s, %s: %w", k.certFile, k.keyFile, err)
	}
	k.cert, k.certStat, k.keyStat = &cert, cs, ks
	return nil
}

// get returns the current pair, reloading it first if a file changed.
func (k *keyPair) get() *tls.Certificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	cs, err1 := fileStampOf(k.certFile)
	ks, err2 := fileStampOf(k.keyFile)
	if err1 == nil && err2 == nil && (cs != k.certStat || ks != k.keyStat) {
		if err := k.reload(); err != nil {
			k.log.Warn("certificate files changed but cannot be loaded; keeping the previous ones", "err", err)
			// Do not retry on every handshake until the files change again.
			k.certStat, k.keyStat = cs, ks
		} else {
			k.log.Info("reloaded TLS certificate", "certificate", k.certFile)
		}
	}
	return k.cert
}

func loadCAPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read trusted certificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("trusted certificates %s hold no PEM certificate", path)
	}
	return pool, nil
}

// clientTLSConfig is the CQL port's TLS configuration, nil when client
// encryption is off.
func clientTLSConfig(o ClientEncryptionOptions, log *slog.Logger) (*tls.Config, error) {
	if !o.Enabled {
		return nil, nil
	}
	kp, err := loadKeyPair(o.Certificate, o.PrivateKey, log)
	if err != nil {
		return nil, fmt.Errorf("client_encryption_options: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.get(), nil },
	}
	if o.TrustedCertificates != "" {
		ca, err := loadCAFile(o.TrustedCertificates, log)
		if err != nil {
			return nil, fmt.Errorf("client_encryption_options: %w", err)
		}
		cfg.ClientCAs = ca.get()
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if o.RequireClientAuth {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		// Each handshake gets the configuration with the current CA
		// bundle, rebuilt only when the file changed.
		var cur atomic.Pointer[tls.Config]
		cur.Store(cfg.Clone())
		base := cfg.Clone()
		cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			pool := ca.get()
			c := cur.Load()
			if c.ClientCAs != pool {
				c = base.Clone()
				c.ClientCAs = pool
				cur.Store(c)
			}
			return c, nil
		}
	}
	return cfg, nil
}

// caFile is a PEM CA bundle reloaded when the file changes; a reload
// that fails keeps the previous bundle and logs.
type caFile struct {
	path string
	log  *slog.Logger

	mu   sync.Mutex
	pool *x509.CertPool // guarded by mu
	st   fileStamp      // guarded by mu
}

func loadCAFile(path string, log *slog.Logger) (*caFile, error) {
	st, err := fileStampOf(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read trusted certificates: %w", err)
	}
	pool, err := loadCAPool(path)
	if err != nil {
		return nil, err
	}
	return &caFile{path: path, log: log, pool: pool, st: st}, nil
}

// get returns the current bundle, reloading it first if the file changed.
func (c *caFile) get() *x509.CertPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := fileStampOf(c.path)
	if err != nil || st == c.st {
		return c.pool
	}
	c.st = st
	pool, err := loadCAPool(c.path)
	if err != nil {
		c.log.Warn("trusted certificates changed but cannot be loaded; keeping the previous ones", "err", err)
		return c.pool
	}
	c.log.Info("reloaded trusted certificates", "trusted_certificates", c.path)
	c.pool = pool
	return pool
}

// internodeTLSConfig is messaging's TLS configuration (both sides), nil
// when internode encryption is off.
func internodeTLSConfig(o ServerEncryptionOptions, log *slog.Logger) (*tls.Config, error) {
	if !o.enabled() {
		return nil, nil
	}
	kp, err := loadKeyPair(o.Certificate, o.PrivateKey, log)
	if err != nil {
		return nil, fmt.Errorf("server_encryption_options: %w", err)
	}
	pool, err := loadCAPool(o.TrustedCertificates)
	if err != nil {
		return nil, fmt.Errorf("server_encryption_options: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:           tls.VersionTLS12,
		GetCertificate:       func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.get(), nil },
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return kp.get(), nil },
		RootCAs:              pool,
		ClientCAs:            pool,
		ClientAuth:           tls.VerifyClientCertIfGiven,
	}
	if o.requireClientAuth() {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if !o.RequireEndpointVerification {
		// Verify the chain but not the name: Go's own check would also
		// match the dialled address against the certificate.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				if o.requireClientAuth() {
					return errors.New("peer presented no certificate")
				}
				return nil
			}
			opts := x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool(),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
				return fmt.Errorf("peer certificate: %w", err)
			}
			return nil
		}
	}
	return cfg, nil
}

// gossipKey reads server_encryption_options.gossip_key_file: nil when none
// is configured.
func gossipKey(o ServerEncryptionOptions) ([]byte, error) {
	if o.GossipKeyFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(o.GossipKeyFile)
	if err != nil {
		return nil, fmt.Errorf("server_encryption_options: cannot read gossip_key_file: %w", err)
	}
	key, err := parseGossipKey(data)
	if err != nil {
		return nil, fmt.Errorf("server_encryption_options: gossip_key_file %s: %w", o.GossipKeyFile, err)
	}
	return key, nil
}

func validGossipKeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }

// parseGossipKey accepts 16, 24 or 32 raw bytes, or their base64 (a
// trailing newline allowed).
func parseGossipKey(data []byte) ([]byte, error) {
	if validGossipKeyLen(len(data)) {
		return data, nil
	}
	trimmed := bytes.TrimSpace(data)
	if dec, err := base64.StdEncoding.DecodeString(string(trimmed)); err == nil && validGossipKeyLen(len(dec)) {
		return dec, nil
	}
	if validGossipKeyLen(len(trimmed)) {
		return trimmed, nil
	}
	return nil, fmt.Errorf("the key must be 16, 24 or 32 bytes (AES-128, 192 or 256), raw or base64; got %d bytes", len(data))
}

// tlsListener serves TLS on ln. With optional, a connection whose first
// byte is not a TLS handshake record (0x16) is served in plaintext.
// Handshakes run on the connection's first read, in its own goroutine,
// never in Accept.
type tlsListener struct {
	net.Listener
	cfg      *tls.Config
	optional bool
}

func newTLSListener(ln net.Listener, cfg *tls.Config, optional bool) net.Listener {
	if cfg == nil {
		return ln
	}
	if !optional {
		return tls.NewListener(ln, cfg)
	}
	return &tlsListener{Listener: ln, cfg: cfg, optional: optional}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: nc, cfg: l.cfg}, nil
}

// tlsRecordHandshake is the content type of a TLS handshake record, the
// first byte a TLS client sends.
const tlsRecordHandshake = 0x16

// sniffConn decides on its first read or write whether the client speaks
// TLS, then delegates to a tls.Conn or to the plain connection.
type sniffConn struct {
	net.Conn
	cfg *tls.Config

	once sync.Once
	tc   *tls.Conn // set by once when the client speaks TLS
	in   net.Conn  // what reads and writes go to, set by once
	err  error     // the peek's failure, set by once
}

// bufConn is a connection whose first bytes were peeked into r.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (c *sniffConn) sniff() {
	c.once.Do(func() {
		r := bufio.NewReaderSize(c.Conn, 512)
		first, err := r.Peek(1)
		if err != nil {
			c.err = err
			return
		}
		bc := &bufConn{Conn: c.Conn, r: r}
		if first[0] == tlsRecordHandshake {
			c.tc = tls.Server(bc, c.cfg)
			c.in = c.tc
			return
		}
		c.in = bc
	})
}

func (c *sniffConn) Read(p []byte) (int, error) {
	if c.sniff(); c.err != nil {
		return 0, c.err
	}
	return c.in.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	if c.sniff(); c.err != nil {
		return 0, c.err
	}
	return c.in.Write(p)
}

// ConnectionState is the TLS state, zero (HandshakeComplete false) for a
// plaintext client; the CQL server reports it in system_views.clients.
func (c *sniffConn) ConnectionState() tls.ConnectionState {
	if c.sniff(); c.tc != nil {
		return c.tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// encryptionAttrs describe the node's transport security in its
// "node started" log line.
func encryptionAttrs(c *Config) []any {
	client := "off"
	switch ce := c.ClientEncryption; {
	case ce.Enabled && ce.Optional:
		client = "optional"
	case ce.Enabled && ce.RequireClientAuth:
		client = "required, with client certificates"
	case ce.Enabled:
		client = "required"
	}
	internode := InternodeEncryptionNone
	if c.ServerEncryption.enabled() {
		internode = InternodeEncryptionAll
	}
	return []any{"client_tls", client, "internode_encryption", internode}
}
