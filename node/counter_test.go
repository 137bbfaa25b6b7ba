package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// counterValue reads ks.c's counter n of key k through node at cl; ok is
// false when the row does not exist.
func counterValue(t *testing.T, n *clusterNode, cl exec.Consistency, table string, k int) (v int64, ok bool) {
	t.Helper()
	res := n.mustQuery(t, cl, fmt.Sprintf("SELECT n FROM %s WHERE k = %d", table, k))
	rows, isRows := res.(*exec.RowsResult)
	if !isRows {
		t.Fatalf("SELECT answered %T", res)
	}
	if len(rows.Rows) == 0 || rows.Rows[0][0] == nil {
		return 0, false
	}
	if rows.Columns[0].Type.Kind != schema.KindCounter || len(rows.Rows[0][0]) != 8 {
		t.Fatalf("n reads as %s of %d bytes, want an 8-byte counter", rows.Columns[0].Type, len(rows.Rows[0][0]))
	}
	return int64(binary.BigEndian.Uint64(rows.Rows[0][0])), true
}

// increment runs total increments of ks.c, spread over keys and over
// every node as coordinator by workers goroutines, and returns how many
// each key got. Every increment must succeed: a failed one may or may
// not have counted, and the totals would mean nothing.
func increment(t *testing.T, nodes []*clusterNode, table string, cl exec.Consistency, total, keys, workers int) []int64 {
	t.Helper()
	want := make([]int64, keys)
	for i := 0; i < total; i++ {
		want[i%keys]++
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				n := nodes[(i/keys)%len(nodes)] // every key through every node
				stmt := fmt.Sprintf("UPDATE %s SET n = n + 1 WHERE k = %d", table, i%keys)
				if _, err := n.query(t, cl, stmt); err != nil {
					errs <- fmt.Errorf("increment %d through %s: %w", i, n.addr, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return want
}

// TestCounterClusterConcurrentIncrements: 2,000 concurrent increments
// through three coordinators sum exactly, read at QUORUM and at ALL
// through every node (RF 3: every coordinator leads its own shard). With
// RF 1 most increments are forwarded to the one replica that can lead.
func TestCounterClusterConcurrentIncrements(t *testing.T) {
	nodes := startThreeNodes(t)
	a := nodes[0]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.c (k int PRIMARY KEY, n counter)")
	a.mustQuery(t, exec.One, "CREATE TABLE ks1.c (k int PRIMARY KEY, n counter)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })

	want := increment(t, nodes, "ks.c", exec.Quorum, 2000, 4, 8)
	for _, cl := range []exec.Consistency{exec.Quorum, exec.All} {
		for _, n := range nodes {
			var sum int64
			for k := range want {
				got, _ := counterValue(t, n, cl, "ks.c", k)
				if got != want[k] {
					t.Errorf("key %d through %s at %s: %d, want %d", k, n.addr, clName(cl), got, want[k])
				}
				sum += got
			}
			if sum != 2000 {
				t.Errorf("through %s at %s the counters sum to %d, want 2000", n.addr, clName(cl), sum)
			}
		}
	}

	want1 := increment(t, nodes, "ks1.c", exec.One, 300, 3, 6)
	for _, n := range nodes {
		for k := range want1 {
			if got, _ := counterValue(t, n, exec.One, "ks1.c", k); got != want1[k] {
				t.Errorf("RF 1: key %d through %s: %d, want %d", k, n.addr, got, want1[k])
			}
		}
	}
}

// TestCounterClusterHintsReplay: a replica down during increments gets
// the right total from the hints of the shards it missed, and a DELETE
// of a counter row goes through the leader path too.
func TestCounterClusterHintsReplay(t *testing.T) {
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.c (k int PRIMARY KEY, n counter)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	before := increment(t, nodes, "ks.c", exec.All, 60, 3, 3)

	c.stop()
	testutil.WaitFor(t, 10*time.Second, "the others to see 127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	during := increment(t, []*clusterNode{a, b}, "ks.c", exec.Quorum, 300, 3, 4)
	_, err := a.query(t, exec.All, "UPDATE ks.c SET n = n + 1 WHERE k = 0")
	var ee *exec.Error
	if !errors.As(err, &ee) || ee.Code != exec.CodeUnavailable || ee.Required != 3 || ee.Alive != 2 {
		t.Fatalf("ALL counter write with a node down: got %v, want Unavailable (required 3, alive 2)", err)
	}
	a.mustQuery(t, exec.Quorum, "DELETE FROM ks.c WHERE k = 2")
	if hintCount(a)+hintCount(b) == 0 {
		t.Fatalf("no hints stored for the down node")
	}

	c = startClusterNode(t, "127.0.0.3", c.dir, a.seed())
	testutil.WaitFor(t, 20*time.Second, "hints to replay", func() bool { return hintCount(a) == 0 && hintCount(b) == 0 })
	a.stop()
	b.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 to see the others down", func() bool { return c.upPeers() == 0 })
	for k := 0; k < 2; k++ {
		if got, _ := counterValue(t, c, exec.One, "ks.c", k); got != before[k]+during[k] {
			t.Errorf("key %d on the restarted node alone: %d, want %d", k, got, before[k]+during[k])
		}
	}
	if got, ok := counterValue(t, c, exec.One, "ks.c", 2); ok {
		t.Errorf("key 2 was deleted while the node was down, but it reads %d", got)
	}
}

// TestCounterOutcomeCodec: a leader's error crosses the wire with every
// field a client sees.
func TestCounterOutcomeCodec(t *testing.T) {
	for _, e := range []*exec.Error{nil,
		{Code: exec.CodeWriteTimeout, WriteType: exec.WriteCounter, Consistency: exec.Quorum, Received: 1, BlockFor: 2, Message: "Operation timed out"},
		{Code: exec.CodeUnavailable, Consistency: exec.All, Required: 3, Alive: 2, Message: "Cannot achieve consistency level ALL"},
	} {
		got, err := decodeCounterOutcome(appendCounterOutcome(nil, e))
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		if (got == nil) != (e == nil) || (e != nil && !reflect.DeepEqual(got, e)) {
			t.Errorf("round trip of %+v gave %+v", e, got)
		}
	}
}

// FuzzCounterMutationPayload: the decoders of verbCounterMutation's
// payload and answer refuse what they cannot read and never panic.
func FuzzCounterMutationPayload(f *testing.F) {
	m := &schema.Partition{Table: 7, Key: []byte{1}, Deletion: schema.LiveDeletion, Rows: []schema.Row{{
		Marker: schema.NoLiveness, Deletion: schema.LiveDeletion,
		Cells: []schema.Cell{{Column: 1, Timestamp: 5, LocalDeletionTime: schema.NoExpiry, Counter: schema.CounterDelta, Value: schema.CounterDeltaValue(3)}},
	}}}
	f.Add(append([]byte{0, 4}, appendPartitionList(nil, []*schema.Partition{m})...))
	f.Add(appendCounterOutcome(nil, &exec.Error{Code: exec.CodeWriteTimeout, WriteType: exec.WriteCounter, Message: "x"}))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if cl, muts, err := decodeCounterMutation(b); err == nil {
			again := append(binary.BigEndian.AppendUint16(nil, uint16(cl)), appendPartitionList(nil, muts)...)
			if _, _, err := decodeCounterMutation(again); err != nil {
				t.Fatalf("re-encoded payload does not decode: %v", err)
			}
		}
		if e, err := decodeCounterOutcome(b); err == nil {
			if _, err := decodeCounterOutcome(appendCounterOutcome(nil, e)); err != nil {
				t.Fatalf("re-encoded outcome does not decode: %v", err)
			}
		}
	})
}

// silentReplica never answers a write: it returns when the write's
// deadline passes, as a replica that stopped responding does.
type silentReplica struct{ *memReplica }

func (silentReplica) Apply(ctx context.Context, _ ...*schema.Partition) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestCounterLeaderReplicatesShardsAndTimesOutAsCounter: the leader (here
// the coordinator, a replica, over a real engine) replicates its shard,
// not the delta, and a level its replicas miss times out with WriteType
// COUNTER and the leader's own write counted.
func TestCounterLeaderReplicatesShardsAndTimesOutAsCounter(t *testing.T) {
	tc := newTestCluster(t, 3, 3)
	eng, err := storage.Open(storage.Options{Dir: "db", FS: vfs.NewMem(), PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	self, silent := ring.HostID{15: 1}, ring.HostID{15: 3}
	tc.coord.cfg.Local = eng
	tc.coord.cfg.Peer = func(id ring.HostID) (replica, bool) {
		if id == silent {
			return silentReplica{tc.replicas[id]}, true
		}
		return tc.replicas[id], true
	}
	t.Cleanup(tc.coord.Wait)
	mut := func(delta int64) []*schema.Partition {
		m := cellMutation("k", 100, "")
		m.Static.Cells[0].Counter, m.Static.Cells[0].Value = schema.CounterDelta, schema.CounterDeltaValue(delta)
		return []*schema.Partition{m}
	}
	ctx := context.Background()
	if err := tc.coord.Mutate(ctx, exec.Quorum, exec.WriteCounter, mut(5)); err != nil {
		t.Fatalf("QUORUM increment with one replica silent: %v", err)
	}
	err = tc.coord.Mutate(ctx, exec.All, exec.WriteCounter, mut(2))
	var ee *exec.Error
	if !errors.As(err, &ee) || ee.Code != exec.CodeWriteTimeout || ee.WriteType != exec.WriteCounter || ee.Received != 2 || ee.BlockFor != 3 {
		t.Fatalf("ALL increment with one replica silent: %v, want a COUNTER WriteTimeout with 2 of 3 received", err)
	}
	got := tc.replicas[ring.HostID{15: 2}].get("k")
	if got == nil || got.Static == nil || len(got.Static.Cells) != 1 || got.Static.Cells[0].Counter != schema.CounterShards {
		t.Fatalf("the other replica holds %+v, want a counter context", got)
	}
	shards, err := schema.DecodeCounterContext(got.Static.Cells[0].Value)
	if err != nil || len(shards) != 1 || shards[0].ID != schema.CounterID(self) || shards[0].Count != 7 {
		t.Fatalf("the other replica holds shards %+v (%v), want the leader's with count 7", shards, err)
	}
}
