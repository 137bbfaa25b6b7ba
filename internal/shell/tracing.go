package shell

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"
)

// TRACING ON|OFF, as cqlsh: with tracing on, each CQL statement is sent
// with the protocol's tracing flag, and after its result the shell waits
// (up to maxTraceWait) for the server to finish writing the session to
// system_traces, then prints its events as cqlsh's tracing.py does: the
// request, each event with its time (from the event's time UUID), source
// and microseconds since the session started on that source, and
// "Request complete" at started_at + duration.

// maxTraceWait is cqlsh's max_trace_wait.
const maxTraceWait = 10 * time.Second

// traceCapture receives the session ids gocql reads from traced answers.
type traceCapture struct{ ids [][]byte }

// Trace implements gocql.Tracer.
func (c *traceCapture) Trace(id []byte) { c.ids = append(c.ids, append([]byte(nil), id...)) }

func (s *Shell) tracingCmd(args []string) {
	switch {
	case len(args) == 0 && s.tracing:
		s.printf("Tracing is currently enabled. Use TRACING OFF to disable\n")
	case len(args) == 0:
		s.printf("Tracing is currently disabled. Use TRACING ON to enable.\n")
	case len(args) == 1 && strings.EqualFold(args[0], "on"):
		if s.tracing {
			s.printf("Tracing is already enabled. Use TRACING OFF to disable.\n")
			return
		}
		s.tracing = true
		s.printf("Now Tracing is enabled\n")
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
		if !s.tracing {
			s.printf("Tracing is not enabled.\n")
			return
		}
		s.tracing = false
		s.printf("Disabled Tracing.\n")
	default:
		s.printErr("Improper TRACING command.")
	}
}

// traceQuery sets the tracing flag on q when tracing is on; the session
// id lands in s.traces.
func (s *Shell) traceQuery(q *gocql.Query) *gocql.Query {
	if !s.tracing {
		return q
	}
	if s.traces == nil {
		s.traces = &traceCapture{}
	}
	return q.Trace(s.traces)
}

// printTraces prints the sessions of the statement that just ran (one per
// page fetched) and forgets them.
func (s *Shell) printTraces(ctx context.Context) {
	if s.traces == nil {
		return
	}
	ids := s.traces.ids
	s.traces.ids = nil
	for _, id := range ids {
		s.printTrace(ctx, id)
	}
}

// traceSession is what printTrace reads of system_traces.sessions.
type traceSession struct {
	request     string
	coordinator net.IP
	client      net.IP
	startedAt   time.Time
	duration    int
}

// printTrace waits for session id to be complete, then prints it.
func (s *Shell) printTrace(ctx context.Context, id []byte) {
	uuid, err := gocql.UUIDFromBytes(id)
	if err != nil {
		s.printErr("Invalid trace session id from the server: " + err.Error())
		return
	}
	sess, ok, err := s.waitTraceSession(ctx, id)
	if err != nil {
		s.reportErr(ctx, err)
		return
	}
	s.printf("\nTracing session: %s\n\n", uuid)
	if !ok {
		s.printErr("Statement trace did not complete within " + strconv.Itoa(int(maxTraceWait/time.Second)) + " seconds")
		return
	}
	client := ipString(sess.client)
	rows := [][]string{{sess.request, traceTime(sess.startedAt), ipString(sess.coordinator), "0", client}}
	iter := s.session.Query("SELECT event_id, activity, source, source_elapsed FROM system_traces.events WHERE session_id = ?", id).
		WithContext(ctx).Consistency(gocql.One).Iter()
	var (
		eventID  gocql.UUID
		activity string
		source   net.IP
		elapsed  *int
	)
	for iter.Scan(&eventID, &activity, &source, &elapsed) {
		e := "--"
		if elapsed != nil {
			e = strconv.Itoa(*elapsed)
		}
		rows = append(rows, []string{activity, traceTime(eventID.Time()), ipString(source), e, client})
	}
	if err := iter.Close(); err != nil {
		s.reportErr(ctx, err)
		return
	}
	finished := sess.startedAt.Add(time.Duration(sess.duration) * time.Microsecond)
	rows = append(rows, []string{"Request complete", traceTime(finished), ipString(sess.coordinator), strconv.Itoa(sess.duration), client})
	writeTable(s.cfg.Out, []string{"activity", "timestamp", "source", "source_elapsed", "client"}, rows, true)
}

// waitTraceSession polls the session row until its duration is set (the
// server writes it when the request completes), for up to maxTraceWait.
func (s *Shell) waitTraceSession(ctx context.Context, id []byte) (traceSession, bool, error) {
	deadline := time.Now().Add(maxTraceWait)
	wait := 10 * time.Millisecond
	for {
		var sess traceSession
		var duration *int
		err := s.session.Query("SELECT request, coordinator, client, started_at, duration FROM system_traces.sessions WHERE session_id = ?", id).
			WithContext(ctx).Consistency(gocql.One).
			Scan(&sess.request, &sess.coordinator, &sess.client, &sess.startedAt, &duration)
		switch {
		case err == nil && duration != nil:
			sess.duration = *duration
			return sess, true, nil
		case err != nil && err != gocql.ErrNotFound:
			return sess, false, err
		case time.Now().After(deadline):
			return sess, false, nil
		}
		select {
		case <-ctx.Done():
			return sess, false, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// traceTime formats a time as cqlsh prints trace times: local time, to
// the microsecond.
func traceTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05.000000") }

func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}
