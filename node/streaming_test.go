package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// collector is a replica that records what is applied to it.
type collector struct {
	mu   sync.Mutex
	keys map[string]int
}

func (c *collector) Apply(_ context.Context, muts ...*schema.Partition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range muts {
		c.keys[string(m.Key)]++
	}
	return nil
}

func (c *collector) Read(context.Context, *schema.ReadCommand) ([]*schema.Partition, error) {
	return nil, nil
}

func (c *collector) Truncate(context.Context, schema.TableID) error { return nil }

// TestStreamPagesResumeExactly streams a table one partition per page,
// locally and through the stream verb, and expects every partition
// exactly once.
func TestStreamPagesResumeExactly(t *testing.T) {
	old := streamPageBytes
	streamPageBytes = 1 // every partition fills a page
	t.Cleanup(func() { streamPageBytes = old })
	a := startClusterNode(t, "127.0.0.1", t.TempDir())
	b := startClusterNode(t, "127.0.0.2", t.TempDir(), a.seed())
	testutil.WaitFor(t, 10*time.Second, "two nodes", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	const n = 60
	for k := range n {
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	table := a.schema.Catalog().Table("ks", "t").TableID
	ctx := context.Background()
	for name, copyAll := range map[string]func(ring.Range, replica) error{
		"local": func(r ring.Range, dst replica) error { return a.cluster.copyLocal(ctx, table, r, dst) },
		"remote": func(r ring.Range, dst replica) error {
			return a.cluster.pullRange(ctx, b.cluster.selfMeta().msgAddr(), table, r, dst)
		},
	} {
		got := &collector{keys: map[string]int{}}
		for _, r := range streamRanges(ring.FullRing) {
			if err := copyAll(r, got); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if len(got.keys) != n {
			t.Fatalf("%s: streamed %d partitions, want %d", name, len(got.keys), n)
		}
		for k, times := range got.keys {
			if times != 1 {
				t.Fatalf("%s: partition %x streamed %d times", name, k, times)
			}
		}
	}
}

func FuzzDecodeStreamRequest(f *testing.F) {
	f.Add(appendStreamRequest(nil, 300, streamCursor{r: ring.Range{Start: -5, End: 9}, afterKey: []byte("k")}))
	f.Add(appendStreamRequest(nil, 1, streamCursor{r: ring.Range{Start: 1, End: 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, cur, err := decodeStreamRequest(b)
		if err != nil {
			return
		}
		if _, again, err := decodeStreamRequest(appendStreamRequest(nil, table, cur)); err != nil || again.r != cur.r {
			t.Fatalf("re-encoding %v changed it: %v, %v", cur, again, err)
		}
	})
}

func FuzzDecodeStreamPage(f *testing.F) {
	f.Add(appendStreamPage(nil, streamPage{more: true, last: streamCursor{r: ring.Range{Start: 7}, afterKey: []byte("k")},
		parts: []*schema.Partition{{Table: 300, Key: []byte("k"), Token: 7}}}))
	f.Add(appendStreamPage(nil, streamPage{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeStreamPage(b)
		if err != nil {
			return
		}
		if _, err := decodeStreamPage(appendStreamPage(nil, p)); err != nil {
			t.Fatalf("re-encoding a decoded page fails: %v", err)
		}
	})
}

// localKeys returns the partition keys of table in a node's own storage.
func localKeys(t *testing.T, n *clusterNode, table schema.TableID) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	err := n.engine.ScanRange(context.Background(), table, int64(ring.MinToken), int64(ring.MinToken), func(p *schema.Partition) error {
		keys[string(p.Key)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestJoinStreamsAndCleanupDrops: with one replica per row, a second node
// joining takes over part of the first node's data by streaming, and the
// first node's cleanup then drops exactly what it no longer owns.
func TestJoinStreamsAndCleanupDrops(t *testing.T) {
	a := startClusterNode(t, "127.0.0.1", t.TempDir())
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	const n = 100
	for k := range n {
		a.mustQuery(t, exec.One, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	b := startClusterNode(t, "127.0.0.2", t.TempDir(), a.seed())
	testutil.WaitFor(t, 30*time.Second, "127.0.0.2 to join", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	table := a.schema.Catalog().Table("ks", "t").TableID
	onB := localKeys(t, b, table)
	if len(onB) == 0 || len(onB) == n {
		t.Fatalf("the joining node streamed %d of %d partitions; want its share", len(onB), n)
	}
	if err := a.cluster.cleanup(context.Background(), a.ring.Load()); err != nil {
		t.Fatal(err)
	}
	onA := localKeys(t, a, table)
	for k := range onA {
		if onB[k] {
			t.Fatalf("partition %x kept on both nodes after cleanup", k)
		}
	}
	if len(onA)+len(onB) != n {
		t.Fatalf("after cleanup %d + %d partitions, want %d", len(onA), len(onB), n)
	}
	rows, ok := b.mustQuery(t, exec.One, "SELECT k FROM ks.t").(*exec.RowsResult)
	if !ok || len(rows.Rows) != n {
		t.Fatalf("a range scan through the cluster found %v rows, want %d", rows, n)
	}
}
