package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
)

// syncBuffer is a log sink safe for the node's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLoggedNode is startClusterNode with the node's log kept in a buffer.
func startLoggedNode(t *testing.T, addr string, logs *syncBuffer, seeds ...string) *clusterNode {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases unavailable?): %v", addr, err)
	}
	cfg := Config{DataDir: t.TempDir(), ListenAddress: addr, CQLListener: ln, AdminPort: AdminDisabled,
		NumTokens: 8, Seeds: seeds, Logger: slog.New(slog.NewTextHandler(logs, nil)), WriteTimeout: time.Second, ReadTimeout: 2 * time.Second}
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

// TestClusterRepairProgressOnBothNodes: a repair's progress is in the
// operations and the log of the node that runs it (start, progress, end,
// every range counted) and of the peer that builds trees and streams for
// it.
func TestClusterRepairProgressOnBothNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes; skipped with -short")
	}
	var logA, logB syncBuffer
	a := startLoggedNode(t, "127.0.0.1", &logA)
	b := startLoggedNode(t, "127.0.0.2", &logB, a.seed())
	for _, n := range []*clusterNode{a, b} {
		testutil.WaitFor(t, 10*time.Second, n.addr+" to see its peer up", func() bool { return n.upPeers() == 1 })
	}
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed([]*clusterNode{a, b}) })
	for k := range 30 {
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := a.Repair(ctx, "ks", false)
	if err != nil {
		t.Fatal(err)
	}
	var rep *Operation
	for _, o := range a.Operations() {
		if o.Kind == "repair" {
			rep = &o
		}
	}
	if rep == nil || rep.State != "done" || rep.Total == 0 || rep.Done != rep.Total || int(rep.Total) != res.Sessions || rep.Detail != "ks" {
		t.Fatalf("repair operation on the coordinator: %+v (result %+v)", rep, res)
	}
	var tree *Operation
	for _, o := range b.Operations() {
		if o.Kind == "repair-tree" && strings.Contains(o.Detail, "127.0.0.1") {
			tree = &o
		}
	}
	if tree == nil || tree.Done != int64(res.Sessions) {
		t.Fatalf("repair on the peer: %+v, want %d trees", tree, res.Sessions)
	}
	for _, want := range []string{"repair started", "repair progress", "repair finished"} {
		if !strings.Contains(logA.String(), want) {
			t.Errorf("the coordinator's log lacks %q", want)
		}
	}
	if !strings.Contains(logB.String(), "repair-tree started") {
		t.Errorf("the peer's log lacks the start of its part of the repair")
	}
}

// opOf returns the last operation of kind on n, or nil.
func lastOp(n *clusterNode, kind string) *Operation {
	var out *Operation
	for _, o := range n.Operations() {
		if o.Kind == kind {
			out = &o
		}
	}
	return out
}

// TestClusterBootstrapAndDecommissionProgress: a joining node's streaming
// is an operation on it (bootstrap) and on the node it streams from
// (stream-out); a leaving node's is one on it (decommission) and on the
// node that receives its ranges (stream-in), each with bytes counted.
func TestClusterBootstrapAndDecommissionProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes, a join and a decommission; skipped with -short")
	}
	var logA, logB syncBuffer
	a := startLoggedNode(t, "127.0.0.1", &logA)
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	for k := range 200 {
		a.mustQuery(t, exec.One, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'value')", k))
	}
	b := startLoggedNode(t, "127.0.0.2", &logB, a.seed())
	testutil.WaitFor(t, 30*time.Second, "127.0.0.2 to join", func() bool {
		o := lastOp(b, "bootstrap")
		return o != nil && o.State == "done"
	})
	boot := lastOp(b, "bootstrap")
	if boot.Total == 0 || boot.Done != boot.Total || boot.Bytes == 0 {
		t.Fatalf("bootstrap on the joining node: %+v", boot)
	}
	if out := lastOp(a, "stream-out"); out == nil || out.Done == 0 || !strings.Contains(out.Detail, "127.0.0.2") {
		t.Fatalf("the streaming node's side of the bootstrap: %+v", out)
	}
	testutil.WaitFor(t, 20*time.Second, "both nodes normal", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.Decommission(ctx); err != nil {
		t.Fatal(err)
	}
	dec := lastOp(b, "decommission")
	if dec == nil || dec.State != "done" || dec.Total == 0 || dec.Done != dec.Total || dec.Bytes == 0 {
		t.Fatalf("decommission on the leaving node: %+v", dec)
	}
	if in := lastOp(a, "stream-in"); in == nil || in.Done == 0 || !strings.Contains(in.Detail, "127.0.0.2") {
		t.Fatalf("the receiving node's side of the decommission: %+v", in)
	}
	for _, want := range []string{"bootstrap started", "bootstrap finished", "decommission started", "decommission finished"} {
		if !strings.Contains(logB.String(), want) {
			t.Errorf("the moving node's log lacks %q", want)
		}
	}
	for _, want := range []string{"stream-out started", "stream-in started"} {
		if !strings.Contains(logA.String(), want) {
			t.Errorf("the other node's log lacks %q", want)
		}
	}
}
