package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/storage"
)

// clusterNode is one in-process node of a test cluster on its own
// loopback address, with real memberlist and messaging.
type clusterNode struct {
	*Node
	addr, dir string
	cancel    context.CancelFunc
	served    chan error
}

func clusterLogger(addr string) *slog.Logger {
	if os.Getenv("SIBYL_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", addr)
}

// startClusterNode starts a node on addr with data in dir, joining through
// seeds (host:gossip-port), every port ephemeral.
func startClusterNode(t testing.TB, addr, dir string, seeds ...string) *clusterNode {
	t.Helper()
	return startClusterNodeWith(t, addr, dir, nil, seeds...)
}

// startClusterNodeWith is startClusterNode with mod, if not nil, applied
// to the node's configuration before it starts.
func startClusterNodeWith(t testing.TB, addr, dir string, mod func(*Config), seeds ...string) *clusterNode {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases unavailable?): %v", addr, err)
	}
	cfg := Config{DataDir: dir, ListenAddress: addr, CQLListener: ln, AdminPort: AdminDisabled,
		NumTokens: 8, Seeds: seeds, Logger: clusterLogger(addr), WriteTimeout: time.Second, ReadTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatalf("cannot start node %s: %v", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cn := &clusterNode{Node: n, addr: addr, dir: dir, cancel: cancel, served: make(chan error, 1)}
	go func() { cn.served <- n.Serve(ctx) }()
	t.Cleanup(cn.stop)
	return cn
}

// stop shuts the node down (idempotent).
func (cn *clusterNode) stop() {
	if cn.cancel == nil {
		return
	}
	cn.cancel()
	<-cn.served
	_ = cn.Close()
	cn.cancel = nil
}

func (cn *clusterNode) seed() string {
	return net.JoinHostPort(cn.addr, fmt.Sprint(cn.cluster.gossip.port()))
}

// upPeers counts the peers a node sees up and in its ring.
func (cn *clusterNode) upPeers() int {
	k := 0
	for _, p := range cn.peers() {
		if p.Up {
			k++
		}
	}
	return k
}

func (cn *clusterNode) query(t testing.TB, cl exec.Consistency, stmt string) (exec.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cn.exec.Query(ctx, &exec.Session{}, stmt, &exec.QueryOptions{Consistency: cl})
}

func (cn *clusterNode) mustQuery(t testing.TB, cl exec.Consistency, stmt string) exec.Result {
	t.Helper()
	res, err := cn.query(t, cl, stmt)
	if err != nil {
		t.Fatalf("%s on %s: %v", stmt, cn.addr, err)
	}
	return res
}

func startThreeNodes(t testing.TB) []*clusterNode {
	t.Helper()
	return startThreeNodesWith(t, nil)
}

// startThreeNodesWith is startThreeNodes with mod applied to every node's
// configuration.
func startThreeNodesWith(t testing.TB, mod func(*Config)) []*clusterNode {
	t.Helper()
	a := startClusterNodeWith(t, "127.0.0.1", t.TempDir(), mod)
	b := startClusterNodeWith(t, "127.0.0.2", t.TempDir(), mod, a.seed())
	c := startClusterNodeWith(t, "127.0.0.3", t.TempDir(), mod, a.seed())
	nodes := []*clusterNode{a, b, c}
	for _, n := range nodes {
		testutil.WaitFor(t, 10*time.Second, n.addr+" to see two peers up", func() bool { return n.upPeers() == 2 })
	}
	return nodes
}

func TestClusterMembershipAndSchemaAgreement(t *testing.T) {
	nodes := startThreeNodes(t)
	for _, n := range nodes {
		if got := len(n.ring.Load().Nodes()); got != 3 {
			t.Fatalf("%s: ring has %d nodes, want 3", n.addr, got)
		}
	}
	start := time.Now()
	nodes[0].mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	nodes[1].mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	// Two DDL statements and agreement take tens of milliseconds on an idle
	// machine; the bound leaves room for a loaded CI runner.
	d := time.Since(start)
	t.Logf("two schema changes agreed on three nodes in %v", d)
	if d > 5*time.Second {
		t.Errorf("schema agreement took %v, want well under a second per change", d)
	}
}

// agreed reports whether every node reports one schema version, for
// itself and for every peer.
func agreed(nodes []*clusterNode) bool {
	want := nodes[0].schema.Catalog().Version()
	for _, n := range nodes {
		if n.schema.Catalog().Version() != want {
			return false
		}
		for _, p := range n.peers() {
			if p.SchemaVersion != want {
				return false
			}
		}
	}
	return true
}

func TestClusterQuorumWritesHintsAndRecovery(t *testing.T) {
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	for k := 0; k < 20; k++ {
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'before')", k))
	}

	c.stop()
	testutil.WaitFor(t, 10*time.Second, "the others to see 127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	for k := 20; k < 60; k++ {
		a.mustQuery(t, exec.Quorum, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'during')", k))
	}
	_, err := a.query(t, exec.All, "INSERT INTO ks.t (k, v) VALUES (999, 'x')")
	var ee *exec.Error
	if !errors.As(err, &ee) || ee.Code != exec.CodeUnavailable || ee.Required != 3 || ee.Alive != 2 {
		t.Fatalf("ALL write with a node down: got %v, want Unavailable (required 3, alive 2)", err)
	}
	if n := hintCount(a); n == 0 {
		t.Fatalf("no hints stored on the coordinator for the down node")
	}

	c = startClusterNode(t, "127.0.0.3", c.dir, a.seed())
	testutil.WaitFor(t, 20*time.Second, "hints to replay", func() bool { return hintCount(a) == 0 && hintCount(b) == 0 })
	a.stop()
	b.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 to see the others down", func() bool { return c.upPeers() == 0 })
	res := c.mustQuery(t, exec.One, "SELECT k FROM ks.t")
	rows, ok := res.(*exec.RowsResult)
	if !ok {
		t.Fatalf("SELECT answered %T", res)
	}
	if len(rows.Rows) != 60 {
		t.Fatalf("the restarted node alone has %d rows at ONE, want 60", len(rows.Rows))
	}
}

func hintCount(n *clusterNode) int64 {
	var total int64
	for _, st := range n.engine.AllHintStats() {
		total += st.Count
	}
	return total
}

// loadWriter writes increasing keys at QUORUM through a node until
// stopped and remembers the acknowledged ones.
type loadWriter struct {
	stop   chan struct{}
	done   chan struct{}
	count  atomic.Int64 // acknowledged so far, for progress checks
	acked  []int        // owned by the writer goroutine until done
	failed []error      // likewise
}

func startLoad(t *testing.T, via func() *clusterNode) *loadWriter {
	w := &loadWriter{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for k := 0; ; k++ {
			select {
			case <-w.stop:
				return
			default:
			}
			_, err := via().query(t, exec.Quorum, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
			if err != nil {
				w.failed = append(w.failed, fmt.Errorf("key %d: %w", k, err))
				continue
			}
			w.acked = append(w.acked, k)
			w.count.Add(1)
		}
	}()
	return w
}

func (w *loadWriter) finish(t *testing.T) []int {
	t.Helper()
	close(w.stop)
	<-w.done
	if len(w.failed) > 0 {
		t.Fatalf("%d writes failed under load, first: %v", len(w.failed), w.failed[0])
	}
	return w.acked
}

// expectAllAtOne reads every key at ONE through n (which reads its own
// storage first for the keys it replicates).
func expectAllAtOne(t *testing.T, n *clusterNode, keys []int) {
	t.Helper()
	for _, k := range keys {
		res := n.mustQuery(t, exec.One, fmt.Sprintf("SELECT v FROM ks.t WHERE k = %d", k))
		if rows, ok := res.(*exec.RowsResult); !ok || len(rows.Rows) != 1 {
			t.Fatalf("%s at ONE: key %d missing", n.addr, k)
		}
	}
}

// TestClusterJoinAndDecommissionUnderLoad adds a fourth node while QUORUM
// writes go on, checks it serves every row it now replicates, then
// decommissions the first node under load and checks the remaining three.
func TestClusterJoinAndDecommissionUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ranges between four nodes; skipped with -short")
	}
	nodes := startThreeNodes(t)
	a, b := nodes[0], nodes[1]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	w := startLoad(t, func() *clusterNode { return b })
	testutil.WaitFor(t, 10*time.Second, "some load", func() bool { return w.count.Load() > 100 })

	d := startClusterNode(t, "127.0.0.4", t.TempDir(), a.seed())
	testutil.WaitFor(t, 30*time.Second, "127.0.0.4 to join", func() bool { return a.upPeers() == 3 && d.upPeers() == 3 })
	acked := w.finish(t)
	expectAllAtOne(t, d, acked)

	w = startLoad(t, func() *clusterNode { return b })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Decommission(ctx); err != nil {
		t.Fatalf("decommission: %v", err)
	}
	testutil.WaitFor(t, 10*time.Second, "the others to drop 127.0.0.1", func() bool { return len(b.peers()) == 2 && len(d.peers()) == 2 })
	acked = w.finish(t)
	a.stop()
	for _, n := range []*clusterNode{b, nodes[2], d} {
		expectAllAtOne(t, n, acked)
	}
}

// TestClusterRemoveNode stops a node for good, removes it through another
// node, and checks that every row again has two live replicas: ALL (which
// needs both) reads every row, and the dead node is gone from every ring.
func TestClusterRemoveNode(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ranges between nodes; skipped with -short")
	}
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	keys := make([]int, 200)
	for k := range keys {
		keys[k] = k
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	dead := c.HostID()
	c.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.RemoveNode(ctx, dead); err != nil {
		t.Fatalf("removenode: %v", err)
	}
	for _, n := range []*clusterNode{a, b} {
		testutil.WaitFor(t, 10*time.Second, n.addr+" to drop the dead node", func() bool {
			_, ok := n.ring.Load().Node(dead)
			return !ok
		})
	}
	for _, k := range keys {
		res := b.mustQuery(t, exec.One, fmt.Sprintf("SELECT v FROM ks.t WHERE k = %d", k))
		if rows, ok := res.(*exec.RowsResult); !ok || len(rows.Rows) != 1 {
			t.Fatalf("key %d missing on 127.0.0.2 after removenode", k)
		}
		res = a.mustQuery(t, exec.One, fmt.Sprintf("SELECT v FROM ks.t WHERE k = %d", k))
		if rows, ok := res.(*exec.RowsResult); !ok || len(rows.Rows) != 1 {
			t.Fatalf("key %d missing on 127.0.0.1 after removenode", k)
		}
	}
}

// TestClusterRepair loses a node's hints on purpose, so only repair can
// bring the rows it missed back: after `repair` the node alone has them.
func TestClusterRepair(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes and a restart; skipped with -short")
	}
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	c.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 down", func() bool { return a.upPeers() == 1 })
	for k := range 50 {
		a.mustQuery(t, exec.Quorum, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	for _, n := range []*clusterNode{a, b} {
		if err := n.engine.DropHints(context.Background(), storageID(c.HostID())); err != nil {
			t.Fatal(err)
		}
	}
	c = startClusterNode(t, "127.0.0.3", c.dir, a.seed())
	// Repair needs every replica up in the view of every node that takes
	// part, as nodetool repair does: wait until all three see each other.
	testutil.WaitFor(t, 20*time.Second, "127.0.0.3 up everywhere", func() bool {
		return a.upPeers() == 2 && b.upPeers() == 2 && c.upPeers() == 2
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := a.Repair(ctx, "ks", false)
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if res.Sessions == 0 || res.Mismatched == 0 {
		t.Fatalf("repair found nothing to do (%+v) although 127.0.0.3 missed 50 rows", res)
	}
	a.stop()
	b.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 alone", func() bool { return c.upPeers() == 0 })
	rows, ok := c.mustQuery(t, exec.One, "SELECT k FROM ks.t").(*exec.RowsResult)
	if !ok || len(rows.Rows) != 50 {
		t.Fatalf("after repair 127.0.0.3 alone has %v rows, want 50", rows)
	}
}

func storageID(id ring.HostID) storage.HostID { return storage.HostID(id) }
