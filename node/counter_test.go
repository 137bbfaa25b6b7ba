package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
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
	waitFor(t, "schema agreement", 5*time.Second, func() bool { return agreed(nodes) })

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
	waitFor(t, "schema agreement", 5*time.Second, func() bool { return agreed(nodes) })
	before := increment(t, nodes, "ks.c", exec.All, 60, 3, 3)

	c.stop()
	waitFor(t, "the others to see 127.0.0.3 down", 10*time.Second, func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
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
	waitFor(t, "hints to replay", 20*time.Second, func() bool { return hintCount(a) == 0 && hintCount(b) == 0 })
	a.stop()
	b.stop()
	waitFor(t, "127.0.0.3 to see the others down", 10*time.Second, func() bool { return c.upPeers() == 0 })
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
