package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/schema"
)

// This file carries tracing across nodes and into storage. A traced
// request's messages to replicas use the traced verbs: the same payload
// behind a prefix with the session id and the coordinator's endpoint, so
// the replica records its own events (message received, storage work,
// response enqueued) under the coordinator's session, as Cassandra's
// replicas do when a message carries the trace session header. Untraced
// requests use the plain verbs and pay nothing.

// Traced internode verbs. A node that does not know them (an older
// version in a rolling upgrade) answers "no handler": the request was not
// run there, and is sent again with the plain verb (tracedRequest).
// Untraced requests never use them.
const (
	// verbTracedApply: a trace prefix, then verbApply's payload.
	verbTracedApply uint8 = 20
	// verbTracedRead: a trace prefix, then verbRead's payload.
	verbTracedRead uint8 = 21
)

// tracePrefix is what a traced message starts with: the session id (16
// bytes), then the coordinator's endpoint as a uvarint-prefixed string.
func appendTracePrefix(dst []byte, id [16]byte, coordinator string) []byte {
	dst = append(dst, id[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(coordinator)))
	return append(dst, coordinator...)
}

// decodeTracePrefix splits what appendTracePrefix wrote from the rest.
func decodeTracePrefix(b []byte) (id [16]byte, coordinator string, rest []byte, err error) {
	if len(b) < 16 {
		return id, "", nil, fmt.Errorf("%w: short trace prefix", errBadPayload)
	}
	copy(id[:], b)
	b = b[16:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 256 || n > uint64(len(b)-k) {
		return id, "", nil, fmt.Errorf("%w: bad trace coordinator", errBadPayload)
	}
	return id, string(b[k : k+int(n)]), b[k+int(n):], nil
}

// nodeTrace returns ctx's session when it is one of this package's (the
// only kind whose id can travel to replicas).
func nodeTrace(ctx context.Context) *traceSession {
	s, _ := exec.TraceFrom(ctx).(*traceSession)
	return s
}

// tracedRequest sends a request with verb, or with tracedVerb behind a
// trace prefix when ctx is traced; what names the message in events
// (READ, MUTATION).
func (r *remoteReplica) tracedRequest(ctx context.Context, verb, tracedVerb uint8, what string, payload []byte) ([]byte, error) {
	s := nodeTrace(ctx)
	if s == nil {
		return r.msg.Request(ctx, r.addr, verb, payload)
	}
	traced := appendTracePrefix(make([]byte, 0, len(payload)+64), s.id, s.t.endpoint())
	s.Event(fmt.Sprintf("Sending %s message to /%s message size %d bytes", what, r.addr, len(payload)))
	resp, err := r.msg.Request(ctx, r.addr, tracedVerb, append(traced, payload...))
	if unknownVerb(err) {
		// A node of an earlier version (a rolling upgrade) did not run
		// the request: send it untraced.
		s.Event(fmt.Sprintf("/%s does not take traced messages; sending %s untraced", r.addr, what))
		resp, err = r.msg.Request(ctx, r.addr, verb, payload)
	}
	if err != nil {
		s.Event(fmt.Sprintf("%s message to /%s failed: %v", what, r.addr, err))
		return nil, err
	}
	s.Event(fmt.Sprintf("%s response received from /%s", what, r.addr))
	return resp, nil
}

// unknownVerb reports whether err is a peer's answer that it has no
// handler for the verb (messaging's "no handler for verb N"): the request
// was not run.
func unknownVerb(err error) bool {
	var re *messaging.RemoteError
	return errors.As(err, &re) && strings.HasPrefix(re.Message, "no handler for verb ")
}

// traced runs a traced verb's handler: it opens the replica's state of
// the coordinator's session and records the message's arrival and the
// answer's departure around plain.
func (c *cluster) traced(what, thread string, plain func(context.Context, string, []byte) ([]byte, error)) func(context.Context, string, []byte) ([]byte, error) {
	return func(ctx context.Context, from string, payload []byte) ([]byte, error) {
		id, coordinator, rest, err := decodeTracePrefix(payload)
		if err != nil {
			return nil, err
		}
		s := c.n.tracing.session(id, thread)
		s.Event(fmt.Sprintf("%s message received from %s", what, coordinator))
		out, err := plain(exec.WithTrace(ctx, s), from, rest)
		if err != nil {
			s.Event(fmt.Sprintf("%s failed: %v", what, err))
			return nil, err
		}
		s.Event("Enqueuing response to " + coordinator)
		return out, nil
	}
}

// tracedReplica is a replica (this node's storage) that records what it
// did on the request's trace, when there is one.
type tracedReplica struct {
	replica
	table func(schema.TableID) (*schema.Table, bool)
	now   func() time.Time
}

func (r tracedReplica) name(id schema.TableID) string {
	if t, ok := r.table(id); ok {
		return t.Keyspace + "." + t.Name
	}
	return fmt.Sprintf("table %d", id)
}

func (r tracedReplica) Read(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	t := exec.TraceFrom(ctx)
	if t == nil {
		return r.replica.Read(ctx, cmd)
	}
	if cmd.Key != nil {
		t.Event("Executing single-partition query on " + r.name(cmd.Table))
	} else {
		t.Event("Executing seq scan over a token range of " + r.name(cmd.Table))
	}
	parts, err := r.replica.Read(ctx, cmd)
	if err != nil {
		t.Event(fmt.Sprintf("Read failed: %v", err))
		return nil, err
	}
	live, tombstones := countRead(parts, r.now().Unix())
	t.Event(fmt.Sprintf("Read %d live rows and %d tombstone cells from %d partitions", live, tombstones, len(parts)))
	return parts, nil
}

func (r tracedReplica) Apply(ctx context.Context, muts ...*schema.Partition) error {
	t := exec.TraceFrom(ctx)
	if t == nil {
		return r.replica.Apply(ctx, muts...)
	}
	if len(muts) > 0 {
		t.Event(fmt.Sprintf("Writing %d partitions of %s to storage", len(muts), r.name(muts[0].Table)))
	}
	if err := r.replica.Apply(ctx, muts...); err != nil {
		t.Event(fmt.Sprintf("Write failed: %v", err))
		return err
	}
	t.Event("Write applied (commit log synced)")
	return nil
}

// countRead counts what a read returned: live rows, and tombstones
// (deleted cells, row, range and partition deletions).
func countRead(parts []*schema.Partition, now int64) (live, tombstones int) {
	for _, p := range parts {
		static, rows := schema.LiveRows(p, now)
		live += len(rows)
		if static != nil && len(rows) == 0 {
			live++
		}
		if !p.Deletion.Live() {
			tombstones++
		}
		tombstones += len(p.RangeTombstones)
		for i := range p.Rows {
			tombstones += rowTombstones(&p.Rows[i])
		}
		if p.Static != nil {
			tombstones += rowTombstones(p.Static)
		}
	}
	return live, tombstones
}

func rowTombstones(r *schema.Row) int {
	n := len(r.ColumnDeletions)
	if !r.Deletion.Live() {
		n++
	}
	for _, c := range r.Cells {
		if c.Tombstone {
			n++
		}
	}
	return n
}

var _ counterLeader = tracedReplica{}

// LeadCounterWrite forwards to the storage below when it can lead counter
// writes (counter.go): the wrapper must not hide that ability, since the
// coordinator finds it by a type assertion on its local replica.
func (r tracedReplica) LeadCounterWrite(ctx context.Context, mut *schema.Partition, self schema.CounterID, nowSeconds int64) (*schema.Partition, error) {
	lead, ok := r.replica.(counterLeader)
	if !ok {
		return nil, exec.Errorf(exec.CodeServerError, "this node's storage cannot lead counter writes")
	}
	return lead.LeadCounterWrite(ctx, mut, self, nowSeconds)
}
