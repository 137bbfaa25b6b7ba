package node

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// recordedHints is a hintStore that remembers whom each hint was for.
type recordedHints struct {
	mu      sync.Mutex
	targets []ring.HostID
}

func (h *recordedHints) Store(_ context.Context, target ring.HostID, _ *schema.Partition) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.targets = append(h.targets, target)
	return nil
}

func (h *recordedHints) count(target ring.HostID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, t := range h.targets {
		if t == target {
			n++
		}
	}
	return n
}

// serveApply serves verbApply on a loopback messaging port with apply.
func serveApply(t *testing.T, apply func(context.Context, []*schema.Partition) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := messaging.New(messaging.Config{LocalID: "replica"})
	if err != nil {
		t.Fatal(err)
	}
	m.Handle(verbApply, func(ctx context.Context, _ string, payload []byte) ([]byte, error) {
		muts, err := decodePartitionList(payload)
		if err != nil {
			return nil, err
		}
		return nil, apply(ctx, muts)
	})
	if err := m.Serve(ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return ln.Addr().String()
}

// TestRemoteWritesOverMessaging: remote replicas reached over real
// messaging, whose answers come back without a goroutine per replica.
// One answers, one never does (its handler ignores its deadline). A write
// at ALL times out with the answers counted and the silent replica
// hinted; the request it never answered is forgotten at the deadline, so
// with one request in flight allowed per peer the next write still
// reaches it (and times out the same way, rather than failing as
// overloaded). A QUORUM write is acknowledged by the others and hints the
// silent replica behind its answer.
func TestRemoteWritesOverMessaging(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	fast, silent := ring.HostID{15: 2}, ring.HostID{15: 3}
	fastAddr := serveApply(t, func(ctx context.Context, muts []*schema.Partition) error {
		return tc.replicas[fast].Apply(ctx, muts...)
	})
	release := make(chan struct{})
	silentAddr := serveApply(t, func(context.Context, []*schema.Partition) error {
		<-release
		return nil
	})
	t.Cleanup(func() { close(release) }) // before the servers close: they wait for their handlers
	cli, err := messaging.New(messaging.Config{LocalID: "coordinator", MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	remotes := map[ring.HostID]replica{
		fast:   &remoteReplica{msg: cli, addr: fastAddr},
		silent: &remoteReplica{msg: cli, addr: silentAddr},
	}
	hints := &recordedHints{}
	tc.coord.cfg.Peer = func(id ring.HostID) (replica, bool) { r, ok := remotes[id]; return r, ok }
	tc.coord.cfg.Hints = hints
	tc.coord.cfg.WriteTimeout = 300 * time.Millisecond
	ctx := context.Background()

	for i, key := range []string{"a", "b"} {
		err := tc.coord.Mutate(ctx, exec.All, exec.WriteSimple, []*schema.Partition{cellMutation(key, 10, "v")})
		var e *exec.Error
		if !errors.As(err, &e) || e.Code != exec.CodeWriteTimeout || e.Received != 2 || e.BlockFor != 3 {
			t.Fatalf("ALL write %d with a silent replica: %v; want WriteTimeout, 2 of 3 received", i, err)
		}
		if got := staticValue(tc.replicas[fast].get(key)); got != "v" {
			t.Fatalf("the answering remote replica holds %q for %s", got, key)
		}
		if n := hints.count(silent); n != i+1 {
			t.Fatalf("%d hints for the silent replica after %d writes", n, i+1)
		}
	}

	if err := tc.coord.Mutate(ctx, exec.Quorum, exec.WriteSimple, []*schema.Partition{cellMutation("c", 10, "v")}); err != nil {
		t.Fatalf("QUORUM write with one silent replica of three: %v", err)
	}
	tc.coord.Wait() // the write behind its answer: the silent replica's deadline, then its hint
	if n := hints.count(silent); n != 3 {
		t.Fatalf("%d hints for the silent replica after 3 writes, want 3", n)
	}
	if n := hints.count(fast); n != 0 {
		t.Fatalf("%d hints for the replica that answered", n)
	}
}
