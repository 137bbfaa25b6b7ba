package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math"
	mrand "math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/server"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// This file is query tracing's writer: Cassandra 4.1's Tracing and
// TraceState over the system_traces keyspace (schema/system_tables.go).
//
// A session starts on the coordinator when the CQL server asks
// (cql/server/tracing.go: the request's tracing flag, or the trace
// probability). Each step of the request — the executor's parse and
// prepare, the coordinator's replica choices and messages, storage's
// reads and writes (tracing_replica.go) — records an event row in
// system_traces.events: its activity, this node's address and messaging
// port as source, the microseconds since the session started here as
// source_elapsed, and the kind of work as thread. A replica asked by a
// traced request gets the session id with the message (the traced verbs
// of tracing_replica.go) and records its own events under it. The
// session row (system_traces.sessions) is written once, when the
// request completes, so that its duration is known when it becomes
// visible: drivers poll sessions until duration is set, then read the
// events.
//
// Trace rows never slow a request: they go into a bounded queue that one
// goroutine drains into ordinary replicated writes through the
// coordinator, at consistency ANY (as Cassandra's TraceStateImpl), with
// a TTL of one day (tracetype_query_ttl). When the queue is full a row is
// dropped and counted (sibyl_trace_rows_dropped_total); a trace is a
// diagnosis aid, never worth a client's latency.

const (
	// traceTTL is how long trace rows live, in seconds (Cassandra's
	// tracetype_query_ttl).
	traceTTL = 24 * 60 * 60
	// traceQueueSize bounds the trace rows waiting to be written.
	traceQueueSize = 8192
	// traceWriteBatch is the most rows one coordinator write carries.
	traceWriteBatch = 128
	// traceWriteTimeout bounds one write of trace rows.
	traceWriteTimeout = 10 * time.Second
)

// tracing starts tracing sessions and writes their rows. It implements
// server.Tracer. Safe for concurrent use.
type tracing struct {
	self   netip.Addr
	port   func() int // the messaging port, source_port and coordinator_port
	now    func() time.Time
	tables func() (sessions, events *schema.Table)
	// write applies trace rows (the coordinator's Mutate at ANY).
	write func(ctx context.Context, muts []*schema.Partition) error
	log   *slog.Logger

	queue       chan *schema.Partition
	probability atomic.Uint64 // math.Float64bits of the trace probability
	uuids       timeUUIDs

	// The trace rows' fate, for the metrics.
	written, dropped, failed atomic.Int64
}

var _ server.Tracer = (*tracing)(nil)

func newTracing(self netip.Addr, port func() int, now func() time.Time, cat func() *schema.Catalog,
	write func(context.Context, []*schema.Partition) error, log *slog.Logger) *tracing {
	t := &tracing{self: self, port: port, now: now, write: write, log: log,
		queue: make(chan *schema.Partition, traceQueueSize)}
	t.tables = func() (*schema.Table, *schema.Table) {
		c := cat()
		return c.Table(schema.SystemTracesKeyspace, "sessions"), c.Table(schema.SystemTracesKeyspace, "events")
	}
	t.uuids.init()
	return t
}

// registerMetrics exposes the trace rows' fate.
func (t *tracing) registerMetrics(reg *prometheus.Registry) {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	reg.MustRegister(
		counter("sibyl_trace_rows_written_total", "Trace rows (system_traces events and sessions) written.", &t.written),
		counter("sibyl_trace_rows_dropped_total", "Trace rows dropped because the trace queue was full.", &t.dropped),
		counter("sibyl_trace_rows_failed_total", "Trace rows whose write failed.", &t.failed),
	)
}

// SetProbability sets the share of requests traced without the client
// asking (nodetool settraceprobability): 0 turns it off, 1 traces all.
func (t *tracing) SetProbability(p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return fmt.Errorf("trace probability must be between 0 and 1, got %v", p)
	}
	t.probability.Store(math.Float64bits(p))
	return nil
}

// Probability returns the current trace probability.
func (t *tracing) Probability() float64 { return math.Float64frombits(t.probability.Load()) }

// Sample implements server.Tracer.
func (t *tracing) Sample() bool {
	p := t.Probability()
	return p > 0 && mrand.Float64() < p
}

// Begin implements server.Tracer: a coordinator session.
func (t *tracing) Begin(st server.TraceStart) server.TraceSession {
	s := t.session(t.uuids.next(t.now()), "Native-Transport-Requests")
	s.client, s.request = st.Client, st.Request
	s.params = maps.Clone(st.Parameters)
	if s.params == nil {
		s.params = map[string]string{}
	}
	return s
}

// session returns a session state on this node for id; thread names the
// kind of work its events describe.
func (t *tracing) session(id [16]byte, thread string) *traceSession {
	return &traceSession{t: t, id: id, started: t.now(), thread: thread}
}

// endpoint is this node as events name it: /address:port.
func (t *tracing) endpoint() string {
	return "/" + netip.AddrPortFrom(t.self, uint16(t.port())).String()
}

// enqueue queues a trace row without ever blocking.
func (t *tracing) enqueue(p *schema.Partition) {
	if p == nil {
		return
	}
	select {
	case t.queue <- p:
	default:
		t.dropped.Add(1)
	}
}

// run writes queued trace rows until ctx ends; rows still queued then
// are dropped with the node.
func (t *tracing) run(ctx context.Context) error {
	batch := make([]*schema.Partition, 0, traceWriteBatch)
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-t.queue:
			batch = append(batch[:0], p)
		}
	fill:
		for len(batch) < traceWriteBatch {
			select {
			case p := <-t.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		wctx, cancel := context.WithTimeout(ctx, traceWriteTimeout)
		err := t.write(wctx, batch)
		cancel()
		if err != nil {
			t.failed.Add(int64(len(batch)))
			if ctx.Err() == nil {
				t.log.Debug("cannot write trace rows", "rows", len(batch), "err", err)
			}
			continue
		}
		t.written.Add(int64(len(batch)))
	}
}

// traceSession is one session's state on one node: the coordinator's
// (begun by Begin, finished by Finish) or a replica's (events only).
// It implements server.TraceSession.
type traceSession struct {
	t       *tracing
	id      [16]byte
	started time.Time
	thread  string

	// Coordinator sessions only.
	client  netip.Addr
	request string
	mu      sync.Mutex
	params  map[string]string // guarded by mu
}

// ID implements server.TraceSession.
func (s *traceSession) ID() [16]byte { return s.id }

// SetParameter implements exec.Trace.
func (s *traceSession) SetParameter(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.params != nil {
		s.params[name] = value
	}
}

// Event implements exec.Trace: one row of system_traces.events.
func (s *traceSession) Event(activity string) {
	now := s.t.now()
	_, events := s.t.tables()
	if events == nil {
		return
	}
	elapsed := now.Sub(s.started).Microseconds()
	eventID := s.t.uuids.next(now)
	ck, err := events.EncodeClustering([][]byte{eventID[:]})
	if err != nil {
		return
	}
	w := traceCells{ts: now.UnixMicro(), expires: now.Unix() + traceTTL}
	row := schema.Row{Clustering: ck, Marker: w.marker(), Deletion: schema.LiveDeletion}
	row.Cells = w.add(row.Cells, events, "activity", []byte(activity))
	row.Cells = w.add(row.Cells, events, "source", s.t.self.AsSlice())
	row.Cells = w.add(row.Cells, events, "source_elapsed", int32Bytes(clampInt32(elapsed)))
	row.Cells = w.add(row.Cells, events, "source_port", int32Bytes(int32(s.t.port())))
	row.Cells = w.add(row.Cells, events, "thread", []byte(s.thread))
	s.t.enqueue(tracePartition(events, s.id, row))
}

// Finish implements server.TraceSession: the session row, complete with
// its duration.
func (s *traceSession) Finish() {
	now := s.t.now()
	sessions, _ := s.t.tables()
	if sessions == nil {
		return
	}
	s.mu.Lock()
	params := s.params
	s.params = nil // later SetParameter calls are dropped
	s.mu.Unlock()
	w := traceCells{ts: now.UnixMicro(), expires: now.Unix() + traceTTL}
	// A table without clustering columns keys its row []byte{}; nil
	// would be the static row.
	row := schema.Row{Clustering: []byte{}, Marker: w.marker(), Deletion: schema.LiveDeletion}
	if s.client.IsValid() {
		row.Cells = w.add(row.Cells, sessions, "client", s.client.AsSlice())
	}
	row.Cells = w.add(row.Cells, sessions, "command", []byte("QUERY"))
	row.Cells = w.add(row.Cells, sessions, "coordinator", s.t.self.AsSlice())
	row.Cells = w.add(row.Cells, sessions, "coordinator_port", int32Bytes(int32(s.t.port())))
	row.Cells = w.add(row.Cells, sessions, "duration", int32Bytes(clampInt32(now.Sub(s.started).Microseconds())))
	row.Cells = w.addMap(row.Cells, sessions, "parameters", params)
	row.Cells = w.add(row.Cells, sessions, "request", []byte(s.request))
	row.Cells = w.add(row.Cells, sessions, "started_at", binary.BigEndian.AppendUint64(nil, uint64(s.started.UnixMilli())))
	s.t.enqueue(tracePartition(sessions, s.id, row))
}

// traceCells builds the expiring cells of one trace row.
type traceCells struct {
	ts      int64 // write timestamp, microseconds
	expires int64 // second the cells expire
}

// marker is the rows' expiring liveness marker (Cassandra's simple
// row builder writes one).
func (w traceCells) marker() schema.Liveness {
	return schema.Liveness{Timestamp: w.ts, TTL: traceTTL, ExpiresAt: w.expires}
}

func (w traceCells) cell(col *schema.Column, path, value []byte) schema.Cell {
	return schema.Cell{Column: col.ID, Path: path, Timestamp: w.ts, TTL: traceTTL, LocalDeletionTime: w.expires, Value: value}
}

// add appends the cell of column name, in column id order as rows keep
// them (the callers add columns in that order: their definition order).
func (w traceCells) add(cells []schema.Cell, t *schema.Table, name string, value []byte) []schema.Cell {
	col := t.Column(name)
	if col == nil {
		return cells
	}
	return insertCell(cells, w.cell(col, nil, value))
}

// addMap appends the elements of a map<text, text> column.
func (w traceCells) addMap(cells []schema.Cell, t *schema.Table, name string, m map[string]string) []schema.Cell {
	col := t.Column(name)
	if col == nil || col.Type.Kind != schema.KindMap || len(col.Type.Elems) != 2 {
		return cells
	}
	for k, v := range m {
		path, err := schema.AppendOrdered(nil, col.Type.Elems[0], []byte(k), false)
		if err != nil {
			continue
		}
		cells = insertCell(cells, w.cell(col, path, []byte(v)))
	}
	return cells
}

// insertCell keeps cells ordered by (column, path), as schema.Row
// requires, whatever order the callers add them in.
func insertCell(cells []schema.Cell, c schema.Cell) []schema.Cell {
	i := len(cells)
	for i > 0 && cellLess(c, cells[i-1]) {
		i--
	}
	cells = append(cells, schema.Cell{})
	copy(cells[i+1:], cells[i:])
	cells[i] = c
	return cells
}

func cellLess(a, b schema.Cell) bool {
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return string(a.Path) < string(b.Path)
}

// tracePartition is a mutation of one row of a system_traces table,
// whose partition key is the session id.
func tracePartition(t *schema.Table, id [16]byte, row schema.Row) *schema.Partition {
	key := append([]byte(nil), id[:]...)
	return &schema.Partition{Table: t.TableID, Token: int64(ring.Murmur3Token(key)), Key: key,
		Deletion: schema.LiveDeletion, Rows: []schema.Row{row}}
}

func int32Bytes(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func clampInt32(v int64) int32 {
	return int32(max(min(v, math.MaxInt32), math.MinInt32))
}

// timeUUIDs makes version 1 (time-based) UUIDs, unique on this node and
// increasing: session ids and event ids. The node part is random, chosen
// once per process, with the multicast bit set as RFC 4122 asks of a
// node id that is not a MAC address.
type timeUUIDs struct {
	last     atomic.Uint64 // the last 60-bit timestamp handed out
	clockSeq uint16
	node     [6]byte
}

func (g *timeUUIDs) init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	g.clockSeq = binary.BigEndian.Uint16(b[:2]) & 0x3fff
	copy(g.node[:], b[2:])
	g.node[0] |= 0x01
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID
// epoch (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01b21dd213814000

// next returns a new UUID for time now: its timestamp is now's, or one
// tick after the last one handed out when the clock has not advanced.
func (g *timeUUIDs) next(now time.Time) [16]byte {
	ts := uint64(now.UnixNano()/100) + uuidEpochOffset
	for {
		last := g.last.Load()
		if ts <= last {
			ts = last + 1
		}
		if g.last.CompareAndSwap(last, ts) {
			break
		}
	}
	var u [16]byte
	binary.BigEndian.PutUint32(u[0:], uint32(ts))
	binary.BigEndian.PutUint16(u[4:], uint16(ts>>32))
	binary.BigEndian.PutUint16(u[6:], uint16(ts>>48)&0x0fff|0x1000)
	binary.BigEndian.PutUint16(u[8:], g.clockSeq|0x8000)
	copy(u[10:], g.node[:])
	return u
}

var _ exec.Trace = (*traceSession)(nil)
