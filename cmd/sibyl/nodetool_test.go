package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/node"
)

// runningNode starts a node on loopback ephemeral ports (CQL and admin)
// for the commands to talk to, and stops it when the test ends.
func runningNode(t *testing.T) (adminPort int, cql *gocql.Session) {
	t.Helper()
	cqlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.NewLogHandler(io.Discard, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{DataDir: t.TempDir(), CQLListener: cqlLn, AdminListener: adminLn, NumTokens: 4, Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := n.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	c := gocql.NewCluster("127.0.0.1")
	c.Port = cqlLn.Addr().(*net.TCPAddr).Port
	c.Consistency = gocql.One
	c.Timeout, c.ConnectTimeout = 20*time.Second, 10*time.Second
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return adminLn.Addr().(*net.TCPAddr).Port, s
}

// sibyl runs one sibyl command against the node's admin port and returns
// its stdout and stderr.
func sibyl(t *testing.T, port int, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut strings.Builder
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append(args, "--host", "127.0.0.1", "--admin-port", strconv.Itoa(port)))
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func mustSibyl(t *testing.T, port int, want string, args ...string) string {
	t.Helper()
	out, _, err := sibyl(t, port, args...)
	if err != nil {
		t.Fatalf("sibyl %v: %v", args, err)
	}
	if !strings.Contains(out, want) {
		t.Fatalf("sibyl %v printed %q, want it to contain %q", args, out, want)
	}
	return out
}

func count(t *testing.T, s *gocql.Session, table string) int {
	t.Helper()
	var n int
	if err := s.Query("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNodetoolVerbsAgainstANode runs every verb against a running node:
// each reaches its endpoint and prints what nodetool would, and a
// snapshot taken with one command is restored with another after
// TRUNCATE.
func TestNodetoolVerbsAgainstANode(t *testing.T) {
	port, s := runningNode(t)
	for _, stmt := range []string{
		"CREATE KEYSPACE ops WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ops.t (k int PRIMARY KEY, v text)",
	} {
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if err := s.Query("INSERT INTO ops.t (k, v) VALUES (?, ?)", i, "v").Exec(); err != nil {
			t.Fatal(err)
		}
	}
	mustSibyl(t, port, "flush: 1 tables (ops.t)", "flush", "ops")
	mustSibyl(t, port, "compact: 1 tables (ops.t)", "compact", "ops", "t")
	if _, _, err := sibyl(t, port, "flush", "ops", "nosuch"); err == nil || !strings.Contains(err.Error(), "ops.nosuch does not exist") {
		t.Fatalf("flush of an unknown table: %v", err)
	}
	mustSibyl(t, port, "Table: t", "tablestats", "ops.t")
	mustSibyl(t, port, "Native Transport active", "info")
	mustSibyl(t, port, "Murmur3Partitioner", "describecluster")
	mustSibyl(t, port, "/127.0.0.1", "gossipinfo")
	mustSibyl(t, port, "127.0.0.1\n", "getendpoints", "ops", "t", "7")
	mustSibyl(t, port, "dropped 0 hints", "truncatehints")
	mustSibyl(t, port, "pending tasks", "compactionstats")
	mustSibyl(t, port, "Mode: NORMAL", "netstats")
	mustSibyl(t, port, "cleaned up 1 tables", "cleanup", "ops")
	mustSibyl(t, port, "storage: DEBUG", "setlogginglevel", "storage", "debug")
	mustSibyl(t, port, "MutationStage", "tpstats")
	mustSibyl(t, port, "ops/t histograms (50 partitions)", "tablehistograms", "ops", "t")
	mustSibyl(t, port, "stream throughput: 16 MB/s", "setstreamthroughput", "16")
	mustSibyl(t, port, "paced (", "compactionstats")
	mustSibyl(t, port, "compaction throughput: 64 MB/s", "setcompactionthroughput", "64")
	mustSibyl(t, port, "limit 64.00 MiB/s", "compactionstats")
	if _, _, err := sibyl(t, port, "setstreamthroughput", "fast"); err == nil {
		t.Fatal("setstreamthroughput accepted a word")
	}

	mustSibyl(t, port, "snapshot name [s1]", "snapshot", "-t", "s1", "ops")
	mustSibyl(t, port, "s1", "listsnapshots")
	if err := s.Query("TRUNCATE ops.t").Exec(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "ops.t"); n != 0 {
		t.Fatalf("%d rows after TRUNCATE", n)
	}
	mustSibyl(t, port, "restored 50 partitions", "restore", "--tag", "s1", "--keyspace", "ops")
	if n := count(t, s, "ops.t"); n != 50 {
		t.Fatalf("%d rows after restore, want 50", n)
	}
	mustSibyl(t, port, "removed 1", "clearsnapshot", "-t", "s1")
	out := mustSibyl(t, port, "[]", "listsnapshots", "--json")
	var list []node.SnapshotInfo
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 0 {
		t.Fatalf("listsnapshots --json after clearsnapshot: %q, %v", out, err)
	}
}

// TestRepairCommandProgressAndErrors: repair of an unknown keyspace fails
// with the node's reason; a repair prints its progress (plain lines, not
// a terminal) on stderr and its result on stdout.
func TestRepairCommandProgressAndErrors(t *testing.T) {
	port, s := runningNode(t)
	if err := s.Query("CREATE KEYSPACE rep WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sibyl(t, port, "repair", "--keyspace", "nosuch"); err == nil || !strings.Contains(err.Error(), "keyspace nosuch does not exist") {
		t.Fatalf("repair of an unknown keyspace: %v", err)
	}
	out, progress, err := sibyl(t, port, "repair", "--keyspace", "rep")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "repaired") || !strings.Contains(progress, "repair-") || !strings.Contains(progress, "rep:") {
		t.Fatalf("repair printed %q, progress %q", out, progress)
	}
}

func TestLocalNodeAddr(t *testing.T) {
	for in, want := range map[string]string{"2": "127.0.0.2", "127.0.0.3": "127.0.0.3"} {
		if got, err := localNodeAddr(in); err != nil || got != want {
			t.Errorf("localNodeAddr(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "4", "10.0.0.1", "x"} {
		if _, err := localNodeAddr(bad); err == nil {
			t.Errorf("localNodeAddr(%q) accepted", bad)
		}
	}
}

// TestClusterStartNeedsTheNodesDirectory: cluster start restarts a node
// of an existing local cluster only; it refuses a node it never started.
func TestClusterStartNeedsTheNodesDirectory(t *testing.T) {
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetArgs([]string{"cluster", "start", "2", "--data-dir", t.TempDir()})
	err := root.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "node 127.0.0.2 has no directory") {
		t.Fatalf("cluster start of a node never started: %v", err)
	}
}
