package node_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// testNode is a node served in-process on a loopback port.
type testNode struct {
	*node.Node
	port  int
	clock *testutil.Clock
}

// startNode starts a node on 127.0.0.1 with a fresh data directory and an
// ephemeral port, and stops it when the test ends.
func startNode(t *testing.T, mods ...func(*node.Config)) *testNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock()
	cfg := node.Config{
		DataDir:     t.TempDir(),
		CQLListener: ln,
		AdminPort:   node.AdminDisabled,
		NumTokens:   4,
		Now:         clock.Now,
		Logger:      testLogger(),
	}
	for _, m := range mods {
		m(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatalf("cannot start node: %v", err)
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
	return &testNode{Node: n, port: ln.Addr().(*net.TCPAddr).Port, clock: clock}
}

// testLogger shows the node's warnings and errors when SIBYL_TEST_LOG is
// set, and nothing otherwise.
func testLogger() *slog.Logger {
	if os.Getenv("SIBYL_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// session connects a stock gocql session, negotiating the protocol
// version unless proto is set.
func session(t *testing.T, port, proto int, keyspace string) *gocql.Session {
	t.Helper()
	c := gocql.NewCluster("127.0.0.1")
	c.Port = port
	c.ProtoVersion = proto
	c.Keyspace = keyspace
	c.Consistency = gocql.One
	c.Timeout = 20 * time.Second
	c.ConnectTimeout = 10 * time.Second
	c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	s, err := c.CreateSession()
	if err != nil {
		t.Fatalf("cannot connect gocql (protocol %d): %v", proto, err)
	}
	t.Cleanup(s.Close)
	return s
}

func mustExec(t *testing.T, s *gocql.Session, stmt string, values ...any) {
	t.Helper()
	if err := s.Query(stmt, values...).Exec(); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// newKeyspace creates a keyspace with RF 1 and returns a session using it.
func newKeyspace(t *testing.T, tn *testNode, name string) *gocql.Session {
	t.Helper()
	admin := session(t, tn.port, 0, "")
	mustExec(t, admin, fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", name))
	return session(t, tn.port, 0, name)
}

// requestCode returns the CQL error code of a gocql error, or -1.
func requestCode(err error) int {
	var re gocql.RequestError
	if errors.As(err, &re) {
		return re.Code()
	}
	return -1
}
