package server

import (
	"context"
	"encoding/hex"
	"net/netip"
	"strconv"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// This file is the server's side of query tracing. A QUERY, PREPARE,
// EXECUTE or BATCH whose frame has the tracing flag (or that the
// Tracer's probability picks) runs inside a tracing session: the server
// begins it with what Cassandra 4.1's messages record (the request name
// and parameters, the client's address), hands it to the executor in the
// request's context (exec.WithTrace), finishes it when the answer is
// built, and — only when the client asked — puts the session id in the
// answer: the response frame gets the tracing flag and its body starts
// with the [uuid] (spec section 2.2), before any warnings. Errors carry
// it too, as Cassandra's do. A request sampled by probability is traced
// without telling the client, as in Cassandra.

// Tracer starts tracing sessions. node/ implements it over the
// system_traces keyspace; nil in Config disables tracing (the flag on a
// request is then ignored, as before tracing existed).
type Tracer interface {
	// Sample reports whether a request without the tracing flag is
	// traced anyway (Cassandra's trace probability).
	Sample() bool
	// Begin starts a session; it must not block.
	Begin(TraceStart) TraceSession
}

// TraceStart is what a session records when it begins (the columns of
// system_traces.sessions known before the request runs).
type TraceStart struct {
	Client     netip.Addr
	Request    string            // "Execute CQL3 query", ...
	Parameters map[string]string // query, consistency_level, page_size, ...
}

// TraceSession is one running tracing session.
type TraceSession interface {
	exec.Trace
	// ID is the session id, a time-based (version 1) UUID.
	ID() [16]byte
	// Finish ends the session: its row, with its duration, is written
	// behind the answer. Call it once, after the request ran.
	Finish()
}

// traceStart describes m for its tracing session; ok is false for
// messages Cassandra does not trace.
func traceStart(m protocol.Message) (TraceStart, bool) {
	switch m := m.(type) {
	case *protocol.Query:
		p := queryTraceParameters(&m.Params)
		p["query"] = m.Query
		return TraceStart{Request: "Execute CQL3 query", Parameters: p}, true
	case *protocol.Execute:
		// The executor adds the prepared query's text (exec.Trace.SetParameter).
		return TraceStart{Request: "Execute CQL3 prepared query", Parameters: queryTraceParameters(&m.Params)}, true
	case *protocol.Prepare:
		return TraceStart{Request: "Preparing CQL3 query", Parameters: map[string]string{"query": m.Query}}, true
	case *protocol.Batch:
		p := map[string]string{"consistency_level": consistencyName(m.Consistency)}
		if m.HasSerialConsistency {
			p["serial_consistency_level"] = consistencyName(m.SerialConsistency)
		}
		return TraceStart{Request: "Execute batch of CQL3 queries", Parameters: p}, true
	}
	return TraceStart{}, false
}

// queryTraceParameters are the parameters QueryMessage and ExecuteMessage
// record in Cassandra 4.1.
func queryTraceParameters(p *protocol.QueryParams) map[string]string {
	out := map[string]string{"consistency_level": consistencyName(p.Consistency)}
	if p.HasPageSize && p.PageSize > 0 {
		out["page_size"] = strconv.Itoa(int(p.PageSize))
	}
	if p.HasSerialConsistency {
		out["serial_consistency_level"] = consistencyName(p.SerialConsistency)
	}
	return out
}

var consistencyNames = []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL",
	"LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"}

func consistencyName(c protocol.Consistency) string {
	if int(c) < len(consistencyNames) {
		return consistencyNames[c]
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// beginTrace starts m's tracing session when the client asked for one
// (requested) or the probability picks it, and returns the context to
// run m in. The session is nil when m is not traced.
func (c *conn) beginTrace(ctx context.Context, m protocol.Message, requested bool) (context.Context, TraceSession) {
	tr := c.srv.cfg.Tracer
	if tr == nil {
		return ctx, nil
	}
	// Decide before building the session's parameters (a map per
	// request, 5% of a point read's server CPU when built for every
	// request and thrown away).
	if !requested && !tr.Sample() {
		return ctx, nil
	}
	start, ok := traceStart(m)
	if !ok {
		return ctx, nil
	}
	start.Client = c.remote
	s := tr.Begin(start)
	if s == nil {
		return ctx, nil
	}
	return exec.WithTrace(ctx, s), s
}

// logIfSlow logs a request that took d, if that is at least the slow
// query threshold.
func (c *conn) logIfSlow(m protocol.Message, d time.Duration, trace TraceSession) {
	limit := c.srv.cfg.SlowQueryThreshold
	if limit <= 0 || d < limit {
		return
	}
	attrs := []any{"query", describeRequest(m), "duration", d}
	if trace != nil {
		attrs = append(attrs, "trace_id", formatUUID(trace.ID()))
	}
	c.log.Warn("slow query", attrs...)
}

// describeRequest names a request for the slow query log: its text, cut
// to maxLoggedQuery bytes.
func describeRequest(m protocol.Message) string {
	var s string
	switch m := m.(type) {
	case *protocol.Query:
		s = m.Query
	case *protocol.Prepare:
		s = "PREPARE " + m.Query
	case *protocol.Execute:
		s = "EXECUTE of prepared statement " + hex.EncodeToString(m.ID)
	case *protocol.Batch:
		s = "BATCH of " + strconv.Itoa(len(m.Statements)) + " statements"
	default:
		s = m.Opcode().String()
	}
	if len(s) > maxLoggedQuery {
		s = s[:maxLoggedQuery] + "..."
	}
	return s
}

// maxLoggedQuery bounds the query text of a slow query log line.
const maxLoggedQuery = 1024

// formatUUID is the canonical text form of a UUID.
func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// withTracingID puts a session id in front of an answer.
func withTracingID(out protocol.Message, id [16]byte) protocol.Message {
	u := protocol.UUID(id)
	if p, ok := out.(*protocol.Prefixed); ok {
		p.Prefix.TracingID = &u
		return p
	}
	return &protocol.Prefixed{Prefix: protocol.ResponsePrefix{TracingID: &u}, Message: out}
}
