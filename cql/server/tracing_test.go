package server

import (
	"io"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/protocol"
)

// memTracer keeps its sessions in memory, for protocol-level tests of
// what the server does with them (node/tracing_test.go tests the real
// one end to end).
type memTracer struct {
	sample bool
	mu     sync.Mutex
	begun  []*memSession
}

type memSession struct {
	id    [16]byte
	start TraceStart
	mu    sync.Mutex
	ev    []string
	done  bool
}

func (m *memTracer) Sample() bool { return m.sample }

func (m *memTracer) Begin(st TraceStart) TraceSession {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &memSession{start: st}
	s.start.Parameters = maps.Clone(st.Parameters)
	s.id[0], s.id[6], s.id[15] = byte(len(m.begun)+1), 0x10, 0xaa
	m.begun = append(m.begun, s)
	return s
}

func (m *memTracer) sessions() []*memSession {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*memSession(nil), m.begun...)
}

func (s *memSession) ID() [16]byte { return s.id }
func (s *memSession) Event(a string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ev = append(s.ev, a)
}
func (s *memSession) SetParameter(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start.Parameters[k] = v
}
func (s *memSession) Finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
}

// sendFlags sends m in a frame with flags.
func (c *client) sendFlags(stream int16, flags protocol.Flags, m protocol.Message) {
	c.t.Helper()
	frame, err := protocol.AppendFrame(nil, protocol.Header{Version: c.v, Stream: stream, Flags: flags}, m, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(frame)
}

// recvPrefixed reads one uncompressed response and its body's prefix.
func (c *client) recvPrefixed() (protocol.Header, protocol.ResponsePrefix, protocol.Message) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [protocol.HeaderSize]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		c.t.Fatal(err)
	}
	h, err := protocol.DecodeHeader(hdr[:], 0)
	if err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		c.t.Fatal(err)
	}
	p, body, err := protocol.SplitResponseBody(h.Flags, body)
	if err != nil {
		c.t.Fatal(err)
	}
	m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return h, p, m
}

func TestTracingFlagAnswersWithSessionID(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version3, protocol.Version4} {
		tr := &memTracer{}
		_, addr := startServer(t, Config{Tracer: tr}, newTestHandler())
		c := dial(t, addr)
		c.v = v
		c.startup(nil)

		// Traced: the answer has the flag and the session's id first.
		c.sendFlags(3, protocol.FlagTracing, &protocol.Query{Query: "select 1",
			Params: protocol.QueryParams{Consistency: 4, HasPageSize: true, PageSize: 100}})
		h, p, m := c.recvPrefixed()
		expectRows(t, m, "select 1")
		ss := tr.sessions()
		if len(ss) != 1 {
			t.Fatalf("v%d: %d sessions begun, want 1", v, len(ss))
		}
		if h.Flags&protocol.FlagTracing == 0 || p.TracingID == nil || [16]byte(*p.TracingID) != ss[0].id {
			t.Fatalf("v%d: answer flags %v tracing id %v, want the flag and %x", v, h.Flags, p.TracingID, ss[0].id)
		}
		st := ss[0].start
		if st.Request != "Execute CQL3 query" || st.Client.String() != "127.0.0.1" ||
			!maps.Equal(st.Parameters, map[string]string{"query": "select 1", "consistency_level": "QUORUM", "page_size": "100"}) {
			t.Errorf("v%d: session began with %+v", v, st)
		}
		if !ss[0].done {
			t.Errorf("v%d: session not finished when the answer went out", v)
		}

		// An error is traced and answered with the id too.
		c.sendFlags(4, protocol.FlagTracing, &protocol.Query{Query: "unavailable", Params: protocol.QueryParams{Consistency: 1}})
		h, p, m = c.recvPrefixed()
		expectError(t, m, protocol.CodeUnavailable)
		if ss = tr.sessions(); len(ss) != 2 || p.TracingID == nil || [16]byte(*p.TracingID) != ss[1].id || h.Flags&protocol.FlagTracing == 0 {
			t.Fatalf("v%d: error answer: flags %v id %v, sessions %d", v, h.Flags, p.TracingID, len(ss))
		}

		// Untraced: no flag, no session.
		c.sendFlags(5, 0, &protocol.Query{Query: "select 2", Params: protocol.QueryParams{Consistency: 1}})
		h, p, m = c.recvPrefixed()
		expectRows(t, m, "select 2")
		if h.Flags&protocol.FlagTracing != 0 || p.TracingID != nil || len(tr.sessions()) != 2 {
			t.Fatalf("v%d: untraced answer flags %v id %v, sessions %d", v, h.Flags, p.TracingID, len(tr.sessions()))
		}

		// Handshake messages are never traced.
		c.sendFlags(6, protocol.FlagTracing, &protocol.Options{})
		h, _, _ = c.recvPrefixed()
		if h.Flags&protocol.FlagTracing != 0 || len(tr.sessions()) != 2 {
			t.Fatalf("v%d: OPTIONS answered with flags %v, sessions %d", v, h.Flags, len(tr.sessions()))
		}
	}
}

// A request picked by the trace probability is traced without telling
// the client, as in Cassandra.
func TestTracingSampledRequestIsNotAnnounced(t *testing.T) {
	tr := &memTracer{sample: true}
	_, addr := startServer(t, Config{Tracer: tr}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	c.sendFlags(2, 0, &protocol.Batch{Type: 1, Consistency: 1})
	h, p, _ := c.recvPrefixed()
	if h.Flags&protocol.FlagTracing != 0 || p.TracingID != nil {
		t.Fatalf("sampled request answered with flags %v id %v", h.Flags, p.TracingID)
	}
	ss := tr.sessions()
	if len(ss) != 1 || ss[0].start.Request != "Execute batch of CQL3 queries" || !ss[0].done {
		t.Fatalf("sampled batch: sessions %+v", ss)
	}
}

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSlowQueryLog(t *testing.T) {
	for _, tc := range []struct {
		threshold time.Duration
		logged    bool
	}{{time.Nanosecond, true}, {time.Hour, false}} {
		var buf lockedBuffer
		tr := &memTracer{}
		_, addr := startServer(t, Config{Tracer: tr, SlowQueryThreshold: tc.threshold,
			Logger: slog.New(slog.NewTextHandler(&buf, nil))}, newTestHandler())
		c := dial(t, addr)
		c.startup(nil)
		c.sendFlags(2, protocol.FlagTracing, &protocol.Query{Query: "select slowly", Params: protocol.QueryParams{Consistency: 1}})
		c.recvPrefixed()
		c.sendFlags(3, 0, &protocol.Query{Query: "select untraced", Params: protocol.QueryParams{Consistency: 1}})
		c.recvPrefixed()
		// The log line is written before the answer is queued.
		out := buf.String()
		id := formatUUID(tr.sessions()[0].id)
		traced := strings.Contains(out, `query="select slowly" duration=`) && strings.Contains(out, "trace_id="+id) && strings.Contains(out, `msg="slow query"`)
		untraced := strings.Contains(out, `query="select untraced"`)
		if traced != tc.logged || untraced != tc.logged {
			t.Errorf("threshold %v: traced logged %v, untraced logged %v, want %v; log:\n%s", tc.threshold, traced, untraced, tc.logged, out)
		}
	}
}
