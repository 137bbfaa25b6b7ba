package node

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// memReplica is an in-memory replica for the coordinator's own tests: it
// keeps whole partitions reconciled with schema.Merge, the rule every
// replica follows. End-to-end tests use real storage.
type memReplica struct {
	mu    sync.Mutex
	parts map[string]*schema.Partition // guarded by mu
}

func newMemReplica() *memReplica { return &memReplica{parts: make(map[string]*schema.Partition)} }

func (m *memReplica) Apply(_ context.Context, muts ...*schema.Partition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range muts {
		k := string(p.Key)
		if cur, ok := m.parts[k]; ok {
			m.parts[k] = schema.Merge(cur, p)
		} else {
			m.parts[k] = p
		}
	}
	return nil
}

func (m *memReplica) Read(_ context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cmd.Key != nil {
		if p, ok := m.parts[string(cmd.Key)]; ok {
			return []*schema.Partition{p}, nil
		}
		return nil, nil
	}
	var out []*schema.Partition
	r := ring.Range{Start: ring.Token(cmd.StartToken), End: ring.Token(cmd.EndToken)}
	for _, p := range m.parts {
		if cmd.StartToken == cmd.EndToken || r.Contains(ring.Token(p.Token)) {
			out = mergePartitionLists(out, []*schema.Partition{p}, false)
		}
	}
	return out, nil
}

func (m *memReplica) Truncate(context.Context, schema.TableID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.parts = make(map[string]*schema.Partition)
	return nil
}

func (m *memReplica) get(key string) *schema.Partition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.parts[key]
}

// testCluster is a coordinator on node 1 of n nodes with memReplicas.
type testCluster struct {
	coord    *Coordinator
	replicas map[ring.HostID]*memReplica
	mu       sync.Mutex
	down     map[ring.HostID]bool
}

func newTestCluster(t *testing.T, n, rf int) *testCluster {
	t.Helper()
	b := ring.NewBuilder(nil)
	tc := &testCluster{replicas: make(map[ring.HostID]*memReplica), down: make(map[ring.HostID]bool)}
	for i := 1; i <= n; i++ {
		id := ring.HostID{15: byte(i)}
		// Evenly spread tokens so every node replicates every key at RF n.
		step := uint64(math.MaxUint64) / uint64(n)
		tok := ring.Token(int64(uint64(1)<<63 + uint64(i)*step - step/2))
		b.Upsert(ring.Node{ID: id, DC: "dc1", Rack: "r1", Status: ring.StatusNormal, Tokens: []ring.Token{tok}})
		tc.replicas[id] = newMemReplica()
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	self := ring.HostID{15: 1}
	tc.coord = newCoordinator(coordinatorConfig{
		Self: self, LocalDC: "dc1",
		Ring: func() *ring.Snapshot { return snap },
		Placement: func(schema.TableID) (placement, error) {
			return placement{keyspace: "ks", strategy: ring.SimpleStrategy{RF: rf}}, nil
		},
		Local: tc.replicas[self],
		Peer: func(id ring.HostID) (replica, bool) {
			tc.mu.Lock()
			defer tc.mu.Unlock()
			return tc.replicas[id], !tc.down[id]
		},
		WriteTimeout: time.Second, ReadTimeout: time.Second,
		Metrics: newCoordinatorMetrics(nil),
	})
	return tc
}

func (tc *testCluster) setDown(id ring.HostID, down bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.down[id] = down
}

func cellMutation(key string, ts int64, value string) *schema.Partition {
	return &schema.Partition{
		Table: 1, Token: int64(ring.Murmur3Token([]byte(key))), Key: []byte(key), Deletion: schema.LiveDeletion,
		Static: &schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: []schema.Cell{
			{Column: 1, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Value: []byte(value)},
		}},
	}
}

func staticValue(p *schema.Partition) string {
	if p == nil || p.Static == nil || len(p.Static.Cells) == 0 {
		return ""
	}
	return string(p.Static.Cells[0].Value)
}

func wantUnavailable(t *testing.T, err error, required, alive int) {
	t.Helper()
	var e *exec.Error
	if !errors.As(err, &e) || e.Code != exec.CodeUnavailable || e.Required != required || e.Alive != alive {
		t.Fatalf("got %v, want Unavailable(required %d, alive %d)", err, required, alive)
	}
}

func TestSingleNodeLevels(t *testing.T) {
	tc := newTestCluster(t, 1, 3)
	ctx := context.Background()
	m := []*schema.Partition{cellMutation("k", 10, "v")}
	for _, cl := range []exec.Consistency{exec.One, exec.LocalOne, exec.Any} {
		if err := tc.coord.Mutate(ctx, cl, exec.WriteSimple, m); err != nil {
			t.Fatalf("%s write on one node, RF 3: %v", clName(cl), err)
		}
	}
	wantUnavailable(t, tc.coord.Mutate(ctx, exec.Quorum, exec.WriteSimple, m), 2, 1)
	wantUnavailable(t, tc.coord.Mutate(ctx, exec.All, exec.WriteSimple, m), 3, 1)
	_, err := tc.coord.Read(ctx, exec.Quorum, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: m[0].Token})
	wantUnavailable(t, err, 2, 1)
	parts, err := tc.coord.Read(ctx, exec.One, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: m[0].Token})
	if err != nil || len(parts) != 1 || staticValue(parts[0]) != "v" {
		t.Fatalf("ONE read = %v, %v", parts, err)
	}
}

func TestQuorumWithOneNodeDown(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	ctx := context.Background()
	down := ring.HostID{15: 3}
	tc.setDown(down, true)
	m := []*schema.Partition{cellMutation("k", 10, "v1")}
	if err := tc.coord.Mutate(ctx, exec.Quorum, exec.WriteSimple, m); err != nil {
		t.Fatalf("QUORUM with one of three down: %v", err)
	}
	wantUnavailable(t, tc.coord.Mutate(ctx, exec.All, exec.WriteSimple, m), 3, 2)
	if tc.replicas[down].get("k") != nil {
		t.Fatal("a down replica received the write")
	}
}

func TestBlockingReadRepair(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	ctx := context.Background()
	stale := ring.HostID{15: 2}
	tc.setDown(stale, true)
	m := cellMutation("k", 20, "new")
	if err := tc.coord.Mutate(ctx, exec.Quorum, exec.WriteSimple, []*schema.Partition{m}); err != nil {
		t.Fatal(err)
	}
	_ = tc.replicas[stale].Apply(ctx, cellMutation("k", 10, "old"))
	tc.setDown(stale, false)
	tc.setDown(ring.HostID{15: 3}, true) // the quorum now includes the stale replica
	parts, err := tc.coord.Read(ctx, exec.Quorum, &schema.ReadCommand{Table: 1, Key: m.Key, Token: m.Token})
	if err != nil || len(parts) != 1 || staticValue(parts[0]) != "new" {
		t.Fatalf("QUORUM read = %v, %v; want the newest value", parts, err)
	}
	if got := staticValue(tc.replicas[stale].get("k")); got != "new" {
		t.Fatalf("stale replica holds %q after the read, want it repaired to \"new\"", got)
	}
}

func TestRangeReadAcrossNodes(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	ctx := context.Background()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, k := range keys {
		if err := tc.coord.Mutate(ctx, exec.One, exec.WriteSimple, []*schema.Partition{cellMutation(k, 1, k)}); err != nil {
			t.Fatal(err)
		}
	}
	all := &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64}
	parts, err := tc.coord.Read(ctx, exec.One, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != len(keys) {
		t.Fatalf("range read returned %d partitions, want %d", len(parts), len(keys))
	}
	for i := 1; i < len(parts); i++ {
		if parts[i-1].Token >= parts[i].Token {
			t.Fatal("range read is not in token order")
		}
	}
	tc.setDown(ring.HostID{15: 2}, true)
	if _, err := tc.coord.Read(ctx, exec.One, all); err == nil {
		t.Fatal("a range read over a range whose only replica is down succeeded")
	}
}

func TestTruncateNeedsEveryNode(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	ctx := context.Background()
	tc.setDown(ring.HostID{15: 2}, true)
	wantUnavailable(t, tc.coord.Truncate(ctx, 1), 3, 2)
	tc.setDown(ring.HostID{15: 2}, false)
	if err := tc.coord.Truncate(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestSplitByRing(t *testing.T) {
	tc := newTestCluster(t, 3, 1)
	snap := tc.coord.cfg.Ring()
	pieces := splitByRing(snap, ring.Range{Start: math.MinInt64, End: math.MinInt64})
	if len(pieces) != 4 {
		t.Fatalf("the whole ring over 3 tokens splits into %d pieces, want 4: %v", len(pieces), pieces)
	}
	if pieces[0].Start != math.MinInt64 || pieces[len(pieces)-1].End != math.MaxInt64 {
		t.Fatalf("pieces do not cover the ring: %v", pieces)
	}
	for i := 1; i < len(pieces); i++ {
		if pieces[i].Start != pieces[i-1].End {
			t.Fatalf("gap between pieces %v and %v", pieces[i-1], pieces[i])
		}
	}
}

// hungReplica accepts writes but answers only when released, whatever its
// context says: a replica that is up to the failure detector but stuck.
type hungReplica struct {
	*memReplica
	release chan struct{}
}

func (h hungReplica) Apply(ctx context.Context, muts ...*schema.Partition) error {
	<-h.release
	return h.memReplica.Apply(ctx, muts...)
}

// A QUORUM write is answered once two replicas acknowledge it; a third
// that hangs must not hold the answer (Cassandra answers at the level and
// lets the rest finish behind it).
func TestQuorumWriteDoesNotWaitForAHungReplica(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	hung := hungReplica{memReplica: tc.replicas[ring.HostID{15: 3}], release: make(chan struct{})}
	defer close(hung.release)
	tc.coord.cfg.Peer = func(id ring.HostID) (replica, bool) {
		if id == (ring.HostID{15: 3}) {
			return hung, true
		}
		return tc.replicas[id], true
	}
	done := make(chan error, 1)
	go func() {
		done <- tc.coord.Mutate(context.Background(), exec.Quorum, exec.WriteSimple, []*schema.Partition{cellMutation("k", 1, "v")})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("QUORUM write with one replica hung: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the QUORUM write waited for the hung replica")
	}
	for _, id := range []ring.HostID{{15: 1}, {15: 2}} {
		if got := staticValue(tc.replicas[id].get("k")); got != "v" {
			t.Errorf("replica %v holds %q, want the acknowledged write", id, got)
		}
	}
}

// failingReplica is up to the failure detector but fails every read: a
// node that died a moment ago.
type failingReplica struct{ *memReplica }

func (failingReplica) Read(context.Context, *schema.ReadCommand) ([]*schema.Partition, error) {
	return nil, errors.New("connection refused")
}

// A QUORUM read whose chosen replica fails at once asks the remaining live
// replica instead of failing, whichever replica is the failing one.
func TestQuorumReadRetriesAFailedReplica(t *testing.T) {
	for _, bad := range []ring.HostID{{15: 2}, {15: 3}} {
		tc := newTestCluster(t, 3, 3)
		if err := tc.coord.Mutate(context.Background(), exec.All, exec.WriteSimple, []*schema.Partition{cellMutation("k", 1, "v")}); err != nil {
			t.Fatal(err)
		}
		tc.coord.cfg.Peer = func(id ring.HostID) (replica, bool) {
			if id == bad {
				return failingReplica{tc.replicas[id]}, true
			}
			return tc.replicas[id], true
		}
		got, err := tc.coord.Read(context.Background(), exec.Quorum, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: int64(ring.Murmur3Token([]byte("k")))})
		if err != nil {
			t.Fatalf("replica %v failing: QUORUM read: %v", bad, err)
		}
		if len(got) != 1 || staticValue(got[0]) != "v" {
			t.Fatalf("replica %v failing: QUORUM read = %v, want the written value", bad, got)
		}
	}
}

// diesAfterReading answers reads but fails every write: a replica killed
// between answering a read and receiving its read repair.
type diesAfterReading struct{ *memReplica }

func (diesAfterReading) Apply(context.Context, ...*schema.Partition) error {
	return errors.New("connection reset by peer")
}

// A QUORUM read whose stale replica dies before its repair write lands
// still answers: the merged result goes to the replica that was not
// asked, so it is on a quorum before the client sees it.
func TestReadRepairMakesUpForAReplicaThatDied(t *testing.T) {
	// The read asks the coordinator and one of the others; each of them in
	// turn is the stale one, so one of the runs repairs a dying replica.
	for _, stale := range []ring.HostID{{15: 2}, {15: 3}} {
		tc := newTestCluster(t, 3, 3)
		ctx := context.Background()
		m := cellMutation("k", 20, "new")
		if err := tc.replicas[ring.HostID{15: 1}].Apply(ctx, m); err != nil {
			t.Fatal(err)
		}
		_ = tc.replicas[stale].Apply(ctx, cellMutation("k", 10, "old"))
		tc.coord.cfg.Peer = func(id ring.HostID) (replica, bool) {
			tc.mu.Lock()
			defer tc.mu.Unlock()
			if id == stale {
				return diesAfterReading{tc.replicas[id]}, !tc.down[id]
			}
			return tc.replicas[id], !tc.down[id]
		}
		parts, err := tc.coord.Read(ctx, exec.Quorum, &schema.ReadCommand{Table: 1, Key: m.Key, Token: m.Token})
		if err != nil || len(parts) != 1 || staticValue(parts[0]) != "new" {
			t.Fatalf("stale %v: QUORUM read = %v, %v; want the newest value", stale, parts, err)
		}
		held := 0
		for _, r := range tc.replicas {
			if staticValue(r.get("k")) == "new" {
				held++
			}
		}
		if held < 2 {
			t.Fatalf("stale %v: the read's result is on %d replicas after it answered, want a quorum", stale, held)
		}
	}
}
