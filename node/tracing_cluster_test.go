package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/server"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/schema"
)

// A traced read at ALL on three nodes records the coordinator's messages
// and each replica's own events (message received, storage read,
// response enqueued) under one session, readable from another node.
func TestClusterTracedReadIncludesReplicaEvents(t *testing.T) {
	nodes := startThreeNodes(t)
	a, b := nodes[0], nodes[1]
	a.mustQuery(t, exec.All, "CREATE KEYSPACE trc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.All, "CREATE TABLE trc.t (k int PRIMARY KEY, v int)")
	a.mustQuery(t, exec.All, "INSERT INTO trc.t (k, v) VALUES (1, 10)")

	s := a.tracing.Begin(server.TraceStart{Client: netip.MustParseAddr("127.0.0.9"), Request: "Execute CQL3 query",
		Parameters: map[string]string{"query": "SELECT v FROM trc.t WHERE k = 1"}})
	ctx, cancel := context.WithTimeout(exec.WithTrace(context.Background(), s), 10*time.Second)
	res, err := a.exec.Query(ctx, &exec.Session{}, "SELECT v FROM trc.t WHERE k = 1", &exec.QueryOptions{Consistency: exec.All})
	cancel()
	if err != nil {
		t.Fatalf("traced read: %v", err)
	}
	if rows, ok := res.(*exec.RowsResult); !ok || len(rows.Rows) != 1 {
		t.Fatalf("traced read: %#v, want one row", res)
	}
	s.Finish()

	id := schema.UUID(s.ID()).String()
	// Every replica answers before the read does, so each one's events
	// are queued; the poll waits for them to be written.
	want := map[string]bool{}
	for _, n := range nodes[1:] {
		want[n.addr+" READ message received from /127.0.0.1:"] = false
		want[n.addr+" Read 1 live rows and 0 tombstone cells"] = false
		want[n.addr+" Enqueuing response to /127.0.0.1:"] = false
		want["127.0.0.1 Sending READ message to /"+n.addr+":"] = false
	}
	var got []string
	testutil.WaitFor(t, 20*time.Second, "the replicas' trace events", func() bool {
		got = traceEvents(t, b, id)
		for k := range want {
			want[k] = false
			for _, g := range got {
				if strings.HasPrefix(g, k) {
					want[k] = true
				}
			}
		}
		for _, ok := range want {
			if !ok {
				return false
			}
		}
		return true
	})

	// The session row, with its duration, is readable from another node.
	testutil.WaitFor(t, 20*time.Second, "the session row", func() bool {
		res, err := b.query(t, exec.One, fmt.Sprintf("SELECT duration, coordinator FROM system_traces.sessions WHERE session_id = %s", id))
		if err != nil {
			t.Fatalf("reading the session: %v", err)
		}
		rows := res.(*exec.RowsResult).Rows
		return len(rows) == 1 && rows[0][0] != nil && netip.AddrFrom4([4]byte(rows[0][1])) == netip.MustParseAddr("127.0.0.1")
	})
}

// traceEvents returns "source activity" for each event of a session, as
// node n reads them at ONE.
func traceEvents(t *testing.T, n *clusterNode, id string) []string {
	t.Helper()
	res, err := n.query(t, exec.One, "SELECT source, activity FROM system_traces.events WHERE session_id = "+id)
	if err != nil {
		t.Fatalf("reading trace events: %v", err)
	}
	var out []string
	for _, r := range res.(*exec.RowsResult).Rows {
		src, ok := netip.AddrFromSlice(r[0])
		if !ok {
			t.Fatalf("event source %x is not an address", r[0])
		}
		out = append(out, src.String()+" "+string(r[1]))
	}
	return out
}

func FuzzDecodeTracePrefix(f *testing.F) {
	f.Add(appendTracePrefix(nil, [16]byte{1, 2, 3}, "/127.0.0.1:7000"))
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, coord, rest, err := decodeTracePrefix(b)
		if err != nil {
			return
		}
		again := append(appendTracePrefix(nil, id, coord), rest...)
		id2, coord2, rest2, err := decodeTracePrefix(again)
		if err != nil || id2 != id || coord2 != coord || string(rest2) != string(rest) {
			t.Fatalf("re-encoding a decoded prefix: %x %q %x, %v", id2, coord2, rest2, err)
		}
	})
}

// Trace rows never wait: past the queue's bound they are dropped and
// counted, and the queued ones are written in batches once the writer
// runs.
func TestTracingQueueDropsWhenFull(t *testing.T) {
	cat := schema.NewCatalog()
	if cat.Table(schema.SystemTracesKeyspace, "events") == nil {
		t.Fatal("the catalog has no system_traces.events")
	}
	var mu sync.Mutex
	var written []*schema.Partition
	tr := newTracing(netip.MustParseAddr("127.0.0.1"), func() int { return 7000 }, time.Now,
		func() *schema.Catalog { return cat },
		func(_ context.Context, muts []*schema.Partition) error {
			mu.Lock()
			defer mu.Unlock()
			written = append(written, muts...)
			return nil
		}, slog.New(slog.DiscardHandler))
	s := tr.session([16]byte{1}, "test")
	for i := 0; i < traceQueueSize+5; i++ {
		s.Event(fmt.Sprint("event ", i))
	}
	if got := tr.dropped.Load(); got != 5 {
		t.Fatalf("dropped %d rows, want 5", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.run(ctx) }()
	testutil.WaitFor(t, 10*time.Second, "the queued rows to be written", func() bool { return tr.written.Load() == traceQueueSize })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(written) != traceQueueSize || written[0].Table != cat.Table(schema.SystemTracesKeyspace, "events").TableID {
		t.Fatalf("wrote %d rows, want %d events", len(written), traceQueueSize)
	}
}

// A peer of an earlier version answers a traced verb "no handler": the
// coordinator sends the request again untraced instead of failing it.
func TestTracedReadFallsBackForOldPeers(t *testing.T) {
	old, err := messaging.New(messaging.Config{LocalID: "old"})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	reads := 0
	old.Handle(verbRead, func(context.Context, string, []byte) ([]byte, error) {
		reads++
		return appendPartitionList(nil, nil), nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Serve(ln); err != nil {
		t.Fatal(err)
	}
	client, err := messaging.New(messaging.Config{LocalID: "new"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	cat := schema.NewCatalog()
	tr := newTracing(netip.MustParseAddr("127.0.0.1"), func() int { return 7000 }, time.Now,
		func() *schema.Catalog { return cat },
		func(context.Context, []*schema.Partition) error { return nil }, slog.New(slog.DiscardHandler))
	s := tr.Begin(server.TraceStart{Request: "Execute CQL3 query"})
	ctx, cancel := context.WithTimeout(exec.WithTrace(context.Background(), s), 10*time.Second)
	defer cancel()
	r := &remoteReplica{msg: client, addr: ln.Addr().String()}
	parts, err := r.Read(ctx, &schema.ReadCommand{Table: 1, Key: []byte{1}})
	if err != nil {
		t.Fatalf("traced read from an old peer: %v", err)
	}
	if len(parts) != 0 || reads != 1 {
		t.Fatalf("read %d partitions, the old peer served %d reads; want 0 and 1", len(parts), reads)
	}
}
