package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Tests of a cluster's ordinary lifecycle: restarts, removals, a node of
// another cluster, unreachable seeds, decommission and DDL events. Each
// failed on the code before the fix it guards.

// clusterConfig is startClusterNode's configuration for addr.
func clusterConfig(t *testing.T, addr, dir string, seeds ...string) Config {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases unavailable?): %v", addr, err)
	}
	return Config{DataDir: dir, ListenAddress: addr, CQLListener: ln, AdminPort: AdminDisabled,
		NumTokens: 8, Seeds: seeds, Logger: clusterLogger(addr), WriteTimeout: time.Second, ReadTimeout: 2 * time.Second}
}

// TestRestartedNodeCoordinatesQuorum restarts a node on its data and has
// it coordinate QUORUM writes and reads at once. The restarted node used to
// build its peers' replicas before its messenger existed and panicked on
// its first remote request.
func TestRestartedNodeCoordinatesQuorum(t *testing.T) {
	nodes := startThreeNodes(t)
	a, c := nodes[0], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	c.stop()
	c = startClusterNode(t, "127.0.0.3", c.dir, a.seed())
	testutil.WaitFor(t, 15*time.Second, "127.0.0.3 to see its peers", func() bool { return c.upPeers() == 2 })
	for k := range 20 {
		c.mustQuery(t, exec.Quorum, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'after')", k))
	}
	rows, ok := c.mustQuery(t, exec.All, "SELECT k FROM ks.t").(*exec.RowsResult)
	if !ok || len(rows.Rows) != 20 {
		t.Fatalf("ALL read through the restarted node: %v, want 20 rows", rows)
	}
}

// TestNodeOfAnotherClusterIsRefused starts a new node with another
// cluster name and the cluster's seed: it must fail to start with an
// error naming both clusters, and never appear in the cluster.
func TestNodeOfAnotherClusterIsRefused(t *testing.T) {
	a := startClusterNode(t, "127.0.0.1", t.TempDir())
	cfg := clusterConfig(t, "127.0.0.4", t.TempDir(), a.seed())
	cfg.ClusterName = "Other Cluster"
	n, err := New(cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("a node of another cluster started")
	}
	if !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "Other Cluster") || !strings.Contains(err.Error(), DefaultClusterName) {
		t.Fatalf("New: %v; want a refusal naming both clusters", err)
	}
	// For a second (a few gossip rounds), the foreign node must never appear.
	for end := time.Now().Add(time.Second); time.Now().Before(end); <-time.After(20 * time.Millisecond) {
		if len(a.cluster.view.Load().peers) != 0 {
			t.Fatalf("the cluster admitted the foreign node: %v", a.peers())
		}
	}
}

// TestSavedClusterNameIsChecked restarts a node's data under another
// cluster name: it must refuse at once (Cassandra's "Saved cluster name").
func TestSavedClusterNameIsChecked(t *testing.T) {
	dir := t.TempDir()
	a := startClusterNode(t, "127.0.0.1", dir)
	a.stop()
	cfg := clusterConfig(t, "127.0.0.1", dir)
	cfg.ClusterName = "Renamed"
	n, err := New(cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("the node started under another cluster name")
	}
	if !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "Renamed") {
		t.Fatalf("New: %v; want a refusal naming the clusters", err)
	}
}

// TestNewNodeWithUnreachableSeedsFails starts a node that has never joined
// with seeds nobody answers: it must fail within the seed wait instead of
// serving as a lone joining node that fails every write.
func TestNewNodeWithUnreachableSeedsFails(t *testing.T) {
	old := seedWait
	seedWait = 2 * time.Second
	defer func() { seedWait = old }()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // a port that answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cfg := clusterConfig(t, "127.0.0.4", t.TempDir(), pc.LocalAddr().String())
	start := time.Now()
	n, err := New(cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("a new node started without any seed answering")
	}
	if !strings.Contains(err.Error(), "no seed") {
		t.Fatalf("New: %v; want an error saying no seed answered", err)
	}
	t.Logf("refused after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// TestNewNodeStartCancelled cancels a new node's start while it waits for
// its seeds (as SIGTERM does): NewContext returns promptly.
func TestNewNodeStartCancelled(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cfg := clusterConfig(t, "127.0.0.4", t.TempDir(), pc.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		n, err := NewContext(ctx, cfg)
		if n != nil {
			_ = n.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("NewContext: %v; want an interrupted start", err)
		}
	case <-time.After(seedWait / 2):
		t.Fatal("a cancelled start kept waiting for its seeds")
	}
}

// TestRemovedNodeIsRefused removes a stopped node, then restarts it on its
// old data: it must stop with an error, and stay out of the ring.
func TestRemovedNodeIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes and a removal; skipped with -short")
	}
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	dead := c.HostID()
	c.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.RemoveNode(ctx, dead); err != nil {
		t.Fatalf("removenode: %v", err)
	}
	n, err := New(clusterConfig(t, "127.0.0.3", c.dir, a.seed()))
	if err != nil {
		t.Fatalf("New on the removed node's data: %v", err)
	}
	defer n.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	err = n.Serve(sctx)
	if !errors.Is(err, errRefused) || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("Serve of a removed node: %v; want a refusal saying it was removed", err)
	}
	for _, p := range append(a.peers(), b.peers()...) {
		if ring.HostID(p.HostID) == dead {
			t.Fatalf("the removed node is back in system.peers: %+v", p)
		}
	}
	if _, ok := a.ring.Load().Node(dead); ok {
		t.Fatal("the removed node is back in the ring")
	}
}

// TestDecommissionedNodeStopsServingClients checks that a decommissioned
// node closes its native transport: it used to keep answering reads with
// data it no longer received.
func TestDecommissionedNodeStopsServingClients(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes and a decommission; skipped with -short")
	}
	nodes := startThreeNodes(t)
	c := nodes[2]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Decommission(ctx); err != nil {
		t.Fatalf("decommission: %v", err)
	}
	conn, err := net.DialTimeout("tcp", c.CQLAddr().String(), time.Second)
	if err == nil {
		conn.Close()
		t.Fatal("the decommissioned node still accepts CQL connections")
	}
}

// TestSchemaChangesFromPeersAreAnnounced checks that a node pushes
// SCHEMA_CHANGE to its own clients when it adopts a peer's schema, not
// only the node that ran the DDL.
func TestSchemaChangesFromPeersAreAnnounced(t *testing.T) {
	before := schema.NewCatalog()
	after, err := before.CreateKeyspace("ks", map[string]string{"class": "SimpleStrategy", "replication_factor": "3"}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := schemaChanges(before, after)
	want := exec.SchemaChangeResult{Change: exec.ChangeCreated, Target: exec.TargetKeyspace, Keyspace: "ks"}
	if len(got) != 1 || got[0].Change != want.Change || got[0].Target != want.Target || got[0].Keyspace != "ks" {
		t.Fatalf("schemaChanges(create keyspace) = %+v, want [%+v]", got, want)
	}
	if back := schemaChanges(after, before); len(back) != 1 || back[0].Change != exec.ChangeDropped {
		t.Fatalf("schemaChanges(drop keyspace) = %+v", back)
	}
}

// TestSizeEstimates checks system.size_estimates on a node with data: one
// row per local primary range (wrapping ranges split), partition counts
// that add up to what was written, as the Spark connector reads them.
func TestSizeEstimates(t *testing.T) {
	a := startClusterNode(t, "127.0.0.1", t.TempDir())
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	for k := range 100 {
		a.mustQuery(t, exec.One, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'value')", k))
	}
	rows, ok := a.mustQuery(t, exec.One, "SELECT range_start, range_end, partitions_count, mean_partition_size FROM system.size_estimates WHERE keyspace_name = 'ks' AND table_name = 't'").(*exec.RowsResult)
	if !ok || len(rows.Rows) < 8 {
		t.Fatalf("size_estimates: %v, want a row per primary range (8 tokens)", rows)
	}
	var total int64
	for _, r := range rows.Rows {
		total += int64(binary.BigEndian.Uint64(r[2]))
	}
	if total != 100 {
		t.Fatalf("size_estimates count %d partitions in all, want 100", total)
	}
}
