package node_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/node"
)

// traceSession is what a driver reads of a finished tracing session.
type traceSession struct {
	coordinator net.IP
	duration    int
	request     string
	parameters  map[string]string
	startedAt   time.Time
	client      net.IP
	events      []traceEvent
}

type traceEvent struct {
	activity string
	source   net.IP
	elapsed  int
	thread   string
}

// readTrace polls system_traces as drivers do: the session row until its
// duration is set (it is written when the request completes), then the
// events. It fails the test if the session does not appear in time.
func readTrace(t *testing.T, s *gocql.Session, id []byte, minEvents int) traceSession {
	t.Helper()
	var tr traceSession
	deadline := time.Now().Add(20 * time.Second)
	for {
		var dur *int
		err := s.Query(`SELECT coordinator, duration, request, parameters, started_at, client
			FROM system_traces.sessions WHERE session_id = ?`, id).Consistency(gocql.One).
			Scan(&tr.coordinator, &dur, &tr.request, &tr.parameters, &tr.startedAt, &tr.client)
		if err != nil && err != gocql.ErrNotFound {
			t.Fatalf("cannot read the trace session: %v", err)
		}
		if err == nil && dur != nil {
			tr.duration = *dur
			tr.events = readEvents(t, s, id)
			if len(tr.events) >= minEvents {
				return tr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace session %x: no complete session with %d events within 20s (have %+v)", id, minEvents, tr.events)
		}
		<-time.After(20 * time.Millisecond)
	}
}

func readEvents(t *testing.T, s *gocql.Session, id []byte) []traceEvent {
	t.Helper()
	iter := s.Query(`SELECT activity, source, source_elapsed, thread FROM system_traces.events
		WHERE session_id = ?`, id).Consistency(gocql.One).Iter()
	var out []traceEvent
	var e traceEvent
	for iter.Scan(&e.activity, &e.source, &e.elapsed, &e.thread) {
		out = append(out, e)
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("cannot read the trace events: %v", err)
	}
	return out
}

// hasEvent reports whether one event's activity starts with prefix.
func hasEvent(events []traceEvent, prefix string) bool {
	for _, e := range events {
		if strings.HasPrefix(e.activity, prefix) {
			return true
		}
	}
	return false
}

// captureTracer keeps the session ids gocql hands its tracer.
type captureTracer struct{ ids [][]byte }

func (c *captureTracer) Trace(id []byte) { c.ids = append(c.ids, append([]byte(nil), id...)) }

const tracedSelect = "/* traced */ SELECT c, v FROM t WHERE k = 1"

func TestTracingQueryThroughGocql(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "tr")
	mustExec(t, s, "CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
	for c := 0; c < 3; c++ {
		mustExec(t, s, "INSERT INTO t (k, c, v) VALUES (1, ?, 'x')", c)
	}
	mustExec(t, s, "DELETE v FROM t WHERE k = 1 AND c = 2")

	var tracerID []byte
	for _, proto := range []int{3, 4} {
		ps := session(t, tn.port, proto, "tr")
		tracer := &captureTracer{}
		before := time.Now()
		// gocql prepares what starts with SELECT; after a comment it
		// sends QUERY.
		iter := ps.Query(tracedSelect).Trace(tracer).Iter()
		rows := iter.NumRows()
		if err := iter.Close(); err != nil {
			t.Fatalf("v%d: traced select: %v", proto, err)
		}
		if rows != 3 {
			t.Fatalf("v%d: traced select returned %d rows, want 3", proto, rows)
		}
		if len(tracer.ids) != 1 || len(tracer.ids[0]) != 16 {
			t.Fatalf("v%d: tracer got session ids %x, want one 16-byte id", proto, tracer.ids)
		}
		id := tracer.ids[0]
		tracerID = id
		if uuid, err := gocql.UUIDFromBytes(id); err != nil || uuid.Version() != 1 {
			t.Fatalf("v%d: session id %x is not a time UUID (%v)", proto, id, err)
		}

		tr := readTrace(t, ps, id, 4)
		if !tr.coordinator.Equal(net.ParseIP("127.0.0.1")) || !tr.client.Equal(net.ParseIP("127.0.0.1")) {
			t.Errorf("v%d: coordinator %v client %v, want 127.0.0.1", proto, tr.coordinator, tr.client)
		}
		if tr.request != "Execute CQL3 query" || tr.parameters["query"] != tracedSelect ||
			tr.parameters["consistency_level"] != "ONE" {
			t.Errorf("v%d: session request %q parameters %v", proto, tr.request, tr.parameters)
		}
		if tr.duration <= 0 || tr.startedAt.Before(before.Add(-time.Second)) {
			t.Errorf("v%d: duration %d µs, started at %v (test started %v)", proto, tr.duration, tr.startedAt, before)
		}
		for _, want := range []string{"Parsing " + tracedSelect, "Preparing statement",
			"Executing single-partition query on tr.t", "Read 3 live rows and 1 tombstone cells"} {
			if !hasEvent(tr.events, want) {
				t.Errorf("v%d: no event %q in %+v", proto, want, tr.events)
			}
		}
		for _, e := range tr.events {
			if !e.source.Equal(net.ParseIP("127.0.0.1")) || e.elapsed < 0 || e.thread == "" {
				t.Errorf("v%d: event %+v: want source 127.0.0.1, elapsed >= 0, a thread", proto, e)
			}
		}
	}

	// A paged read says which page it served.
	pt := &captureTracer{}
	iter := s.Query("/* paged */ SELECT c FROM t WHERE k = 1").PageSize(2).Trace(pt).Iter()
	if iter.NumRows() != 2 {
		t.Fatalf("first page has %d rows, want 2", iter.NumRows())
	}
	rows := 0
	for iter.Scan(new(int)) {
		rows++
	}
	if rows != 3 {
		t.Fatalf("paged read: %d rows, want 3", rows)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if len(pt.ids) != 2 {
		t.Fatalf("paged read: %d traced pages, want 2", len(pt.ids))
	}
	if tr := readTrace(t, s, pt.ids[0], 1); !hasEvent(tr.events, "Page of 2 rows (page size 2) read from the start; more pages remain") {
		t.Errorf("first page: events %+v", tr.events)
	}
	if tr := readTrace(t, s, pt.ids[1], 1); !hasEvent(tr.events, "Page of 1 rows (page size 2) read from the paging state; last page") {
		t.Errorf("second page: events %+v", tr.events)
	}

	// Trace rows expire after a day (Cassandra's tracetype_query_ttl).
	var ttl int
	if err := s.Query("SELECT ttl(duration) FROM system_traces.sessions WHERE session_id = ?", tracerID).Scan(&ttl); err != nil {
		t.Fatal(err)
	}
	if ttl <= 86400-600 || ttl > 86400 {
		t.Errorf("session row TTL %d s, want about one day", ttl)
	}

	// EXECUTE records the prepared query's text.
	tracer := &captureTracer{}
	if err := s.Query("UPDATE t SET v = ? WHERE k = ? AND c = ?", "y", 1, 0).Trace(tracer).Exec(); err != nil {
		t.Fatal(err)
	}
	if len(tracer.ids) != 1 {
		t.Fatalf("traced update: %d session ids", len(tracer.ids))
	}
	tr := readTrace(t, s, tracer.ids[0], 2)
	if tr.request != "Execute CQL3 prepared query" || tr.parameters["query"] != "UPDATE t SET v = ? WHERE k = ? AND c = ?" {
		t.Errorf("prepared: request %q parameters %v", tr.request, tr.parameters)
	}
	if !hasEvent(tr.events, "Writing 1 partitions of tr.t to storage") {
		t.Errorf("prepared update: no storage event in %+v", tr.events)
	}
}

// With a trace probability of 1 every request is traced although no
// client asked (cql/server's tests check that the client is not told);
// 0 turns it off again.
func TestTracingProbability(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "trp")
	mustExec(t, s, "CREATE TABLE t (k int PRIMARY KEY)")
	// Operators may change system_traces' replication, as in Cassandra.
	mustExec(t, s, "ALTER KEYSPACE system_traces WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	if err := tn.SetTraceProbability(1.5); err == nil {
		t.Fatal("probability 1.5 accepted")
	}
	if err := tn.SetTraceProbability(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("INSERT INTO t (k) VALUES (7)").Exec(); err != nil {
		t.Fatal(err)
	}
	if err := tn.SetTraceProbability(0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var query string
		found := false
		iter := s.Query("SELECT parameters['query'] FROM system_traces.sessions").Iter()
		for iter.Scan(&query) {
			found = found || query == "INSERT INTO t (k) VALUES (7)"
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no session was recorded for the sampled insert within 20s")
		}
		<-time.After(20 * time.Millisecond)
	}
}

// BenchmarkTracing compares one-row reads through gocql with and without
// the tracing flag: trace rows are written behind the answer, so a traced
// read costs its events' formatting and queueing, not their writes.
func BenchmarkTracing(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.New(node.Config{DataDir: b.TempDir(), CQLListener: ln, AdminPort: node.AdminDisabled,
		NumTokens: 4, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx) }()
	defer func() {
		cancel()
		<-served
		_ = n.Close()
	}()
	c := gocql.NewCluster("127.0.0.1")
	c.Port = ln.Addr().(*net.TCPAddr).Port
	c.Timeout = 20 * time.Second
	s, err := c.CreateSession()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{
		"CREATE KEYSPACE bt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE bt.t (k int PRIMARY KEY, v text)",
		"INSERT INTO bt.t (k, v) VALUES (1, 'x')",
	} {
		if err := s.Query(q).Exec(); err != nil {
			b.Fatal(err)
		}
	}
	for _, traced := range []bool{false, true} {
		b.Run(fmt.Sprintf("traced=%v", traced), func(b *testing.B) {
			tracer := &captureTracer{}
			for i := 0; i < b.N; i++ {
				q := s.Query("SELECT v FROM bt.t WHERE k = ?", 1)
				if traced {
					q = q.Trace(tracer)
				}
				var v string
				if err := q.Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
