package exec

import (
	"context"
	"fmt"
)

// This file is the executor's side of query tracing (Cassandra's
// Tracing.trace): a traced request carries a Trace in its context, and
// every layer that has something to say about the request — the
// executor here, the coordinator and the replicas in node/ — records it
// as one event. An untraced request pays one context lookup per event
// site and formats nothing.
//
// The Trace is put in the context by whoever started the session (the
// CQL server, for a request with the tracing flag or one picked by the
// trace probability); the executor never starts one.

// Trace is the tracing session of one request, as the code that runs the
// request sees it. It must be safe for concurrent use (a read asks its
// replicas at once) and must not block: events are written behind the
// request.
type Trace interface {
	// Event records one step of the request, for system_traces.events.
	Event(activity string)
	// SetParameter adds one entry to the session's parameters (the
	// sessions table's parameters map), such as the text of the prepared
	// query an EXECUTE runs, which only the executor knows.
	SetParameter(name, value string)
}

type traceKey struct{}

// WithTrace returns ctx carrying t; a nil t returns ctx unchanged.
func WithTrace(ctx context.Context, t Trace) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the trace ctx carries, or nil when the request is
// not traced.
func TraceFrom(ctx context.Context) Trace {
	t, _ := ctx.Value(traceKey{}).(Trace)
	return t
}

// Tracef records an event on ctx's trace, if any. The arguments are
// formatted only when the request is traced.
func Tracef(ctx context.Context, format string, args ...any) {
	if t := TraceFrom(ctx); t != nil {
		t.Event(fmt.Sprintf(format, args...))
	}
}

// tracePage records a paged SELECT's page: where it started and whether
// more pages remain.
func tracePage(ctx context.Context, o *QueryOptions, resumed bool, res *RowsResult) {
	t := TraceFrom(ctx)
	if t == nil || o == nil || o.PageSize <= 0 {
		return
	}
	from, more := "the start", "last page"
	if resumed {
		from = "the paging state"
	}
	if res.PagingState != nil {
		more = "more pages remain"
	}
	t.Event(fmt.Sprintf("Page of %d rows (page size %d) read from %s; %s", len(res.Rows), o.PageSize, from, more))
}

// traceParameter sets a session parameter on ctx's trace, if any.
func traceParameter(ctx context.Context, name, value string) {
	if t := TraceFrom(ctx); t != nil {
		t.SetParameter(name, value)
	}
}
