package node

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
)

// internodePKI is a throwaway CA, a key pair per node signed by it and a
// gossip key, all generated into a test's temporary directory.
type internodePKI struct {
	dir string
	ca  *testutil.CA
	key string // gossip_key_file
}

func newInternodePKI(t *testing.T, name string) *internodePKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := testutil.NewCA(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(len(name) + i)
	}
	keyFile := filepath.Join(dir, name+".gossip.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &internodePKI{dir: dir, ca: ca, key: keyFile}
}

// options issues a key pair for addr and returns the node's
// server_encryption_options.
func (p *internodePKI) options(t *testing.T, addr string) ServerEncryptionOptions {
	t.Helper()
	cert, key, err := p.ca.Issue(p.dir, "node-"+addr, addr)
	if err != nil {
		t.Fatal(err)
	}
	return ServerEncryptionOptions{InternodeEncryption: InternodeEncryptionAll, Certificate: cert, PrivateKey: key,
		TrustedCertificates: p.ca.CertFile, GossipKeyFile: p.key}
}

func startSecureNode(t *testing.T, addr string, enc ServerEncryptionOptions, seeds ...string) *clusterNode {
	t.Helper()
	cfg := clusterConfig(t, addr, t.TempDir(), seeds...)
	cfg.ServerEncryption = enc
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("cannot start node %s: %v", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cn := &clusterNode{Node: n, addr: addr, dir: cfg.DataDir, cancel: cancel, served: make(chan error, 1)}
	go func() { cn.served <- n.Serve(ctx) }()
	t.Cleanup(cn.stop)
	return cn
}

// TestInternodeTLSClusterReplicates starts two nodes with internode TLS
// (mutual, against a test CA) and an encrypted gossip: they join, agree
// on schema and replicate a write read back at ALL through the other.
func TestInternodeTLSClusterReplicates(t *testing.T) {
	pki := newInternodePKI(t, "cluster-ca")
	a := startSecureNode(t, "127.0.0.1", pki.options(t, "127.0.0.1"))
	b := startSecureNode(t, "127.0.0.2", pki.options(t, "127.0.0.2"), a.seed())
	for _, n := range []*clusterNode{a, b} {
		testutil.WaitFor(t, 10*time.Second, n.addr+" to see its peer up", func() bool { return n.upPeers() == 1 })
	}
	if a.cluster.msg == nil || b.cluster.msg == nil {
		t.Fatal("no messaging")
	}
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed([]*clusterNode{a, b}) })
	a.mustQuery(t, exec.All, "INSERT INTO ks.t (k, v) VALUES (1, 'over tls')")
	rows, ok := b.mustQuery(t, exec.All, "SELECT v FROM ks.t WHERE k = 1").(*exec.RowsResult)
	if !ok || len(rows.Rows) != 1 {
		t.Fatalf("ALL read through the other node: %v, want one row", rows)
	}
}

// TestInternodeTLSRefusesStrangers: a node whose certificate another CA
// signed never enters the cluster's ring, and a node without the gossip
// key cannot even join gossip and fails to start.
func TestInternodeTLSRefusesStrangers(t *testing.T) {
	pki := newInternodePKI(t, "cluster-ca")
	a := startSecureNode(t, "127.0.0.1", pki.options(t, "127.0.0.1"))
	other := newInternodePKI(t, "other-ca")

	// The right gossip key but a certificate from another CA: gossip
	// lets it in, messaging does not, so it can neither learn the ring
	// nor be reached by a. It waits for peers' tokens (allocationWait);
	// watch a for a few seconds of that, then interrupt it.
	wrongCert := other.options(t, "127.0.0.2")
	wrongCert.GossipKeyFile = pki.key
	cfg := clusterConfig(t, "127.0.0.2", t.TempDir(), a.seed())
	cfg.ServerEncryption = wrongCert
	ctx, cancel := context.WithCancel(context.Background())
	type started struct {
		n   *Node
		err error
	}
	done := make(chan started, 1)
	go func() {
		n, err := NewContext(ctx, cfg)
		done <- started{n, err}
	}()
	assertNeverJoins(t, a, 3*time.Second)
	cancel()
	if s := <-done; s.err == nil {
		// Interrupted, it starts alone on tokens of its own; served, it
		// still never becomes a's peer, nor a its.
		ctx, stop := context.WithCancel(context.Background())
		stranger := &clusterNode{Node: s.n, addr: "127.0.0.2", cancel: stop, served: make(chan error, 1)}
		go func() { stranger.served <- s.n.Serve(ctx) }()
		t.Cleanup(stranger.stop)
		assertNeverJoins(t, a, 2*time.Second)
		if stranger.upPeers() != 0 {
			t.Fatalf("the stranger sees a up in its ring: %v", stranger.peers())
		}
		stranger.stop()
	}

	// The right certificate but another gossip key: memberlist cannot
	// decrypt its join, so it never reaches the seed and gives up.
	old := seedWait
	seedWait = 2 * time.Second
	defer func() { seedWait = old }()
	wrongKey := pki.options(t, "127.0.0.3")
	wrongKey.GossipKeyFile = other.key
	cfg = clusterConfig(t, "127.0.0.3", t.TempDir(), a.seed())
	cfg.ServerEncryption = wrongKey
	n, err := New(cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("a node with another gossip key joined")
	}
	if !strings.Contains(err.Error(), "cannot join the cluster") {
		t.Fatalf("New with another gossip key: %v; want a join failure", err)
	}
	assertNeverJoins(t, a, 500*time.Millisecond)
}

// assertNeverJoins polls for d (a few gossip rounds): a must never see a
// peer up.
func assertNeverJoins(t *testing.T, a *clusterNode, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); <-time.After(20 * time.Millisecond) {
		if a.upPeers() != 0 {
			t.Fatalf("the cluster admitted a node without the right credentials: %v", a.peers())
		}
	}
}

func TestInternodeEncryptionNeedsGossipKey(t *testing.T) {
	pki := newInternodePKI(t, "cluster-ca")
	cfg := clusterConfig(t, "127.0.0.1", t.TempDir())
	cfg.ServerEncryption = pki.options(t, "127.0.0.1")
	cfg.ServerEncryption.GossipKeyFile = ""
	n, err := New(cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("a node with internode encryption and no gossip key started")
	}
	if !strings.Contains(err.Error(), "gossip_key_file") {
		t.Fatalf("New: %v; want an error naming gossip_key_file", err)
	}
	_ = cfg.CQLListener.Close()
}

func TestParseGossipKey(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	for _, in := range [][]byte{raw, []byte(base64.StdEncoding.EncodeToString(raw) + "\n"), raw[:16], raw[:24]} {
		k, err := parseGossipKey(in)
		if err != nil || !validGossipKeyLen(len(k)) {
			t.Errorf("parseGossipKey(%q) = %q, %v", in, k, err)
		}
	}
	if k, _ := parseGossipKey([]byte(base64.StdEncoding.EncodeToString(raw))); string(k) != string(raw) {
		t.Errorf("base64 key decoded to %q", k)
	}
	for _, in := range []string{"", "short", strings.Repeat("x", 33)} {
		if _, err := parseGossipKey([]byte(in)); err == nil {
			t.Errorf("parseGossipKey(%q) accepted", in)
		}
	}
}

func FuzzParseGossipKey(f *testing.F) {
	f.Add([]byte("0123456789abcdef"))
	f.Add([]byte("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseGossipKey(data)
		if err == nil && !validGossipKeyLen(len(k)) {
			t.Fatalf("accepted a %d-byte key", len(k))
		}
	})
}
