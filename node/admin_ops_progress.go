package node

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Long operations (repair, bootstrap and decommission streaming, cleanup,
// restore, and the streams a peer serves for them) report their progress
// in one place: each is an Operation in the node's registry, readable at
// GET /operations and logged when it starts, at every tenth of its work
// (or every progressLogEvery, for work of unknown size) and when it ends.
// An operator watching any node involved (the one that runs the repair or
// the peers streaming to it) sees the same state in the log and the API.

// progressLogEvery bounds the silence of an operation whose size is not
// known in advance (a peer serving a stream cannot know how much will be
// asked).
const progressLogEvery = 10 * time.Second

// keepFinished is how many ended operations the registry remembers.
const keepFinished = 32

// Operation is the state of one long operation, as GET /operations shows it.
type Operation struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`             // repair, bootstrap, decommission, cleanup, restore, stream-out, stream-in, repair-tree
	Detail  string    `json:"detail,omitempty"` // keyspace, peer, tag...
	State   string    `json:"state"`            // running, done, failed
	Done    int64     `json:"done"`             // units of Unit finished
	Total   int64     `json:"total"`            // 0 when unknown
	Unit    string    `json:"unit"`             // ranges, tables, partitions, requests
	Bytes   int64     `json:"bytes"`            // bytes moved so far (streams)
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	Error   string    `json:"error,omitempty"`
}

// Percent is the share of the work done, 0..100; -1 when the total is unknown.
func (o Operation) Percent() float64 {
	if o.Total <= 0 {
		if o.State == "running" {
			return -1
		}
		return 100
	}
	return 100 * float64(o.Done) / float64(o.Total)
}

// operations is the node's registry of long operations. The zero value is
// ready; log is set by the node before any operation starts.
type operations struct {
	mu       sync.Mutex
	next     int
	running  map[string]*opProgress
	finished []Operation
	peers    map[string]*peerSession // kind+" "+peer
	log      *slog.Logger
	// totals accumulates finished operations by kind, for the Prometheus
	// counters (metrics_operations.go).
	totals map[string]*kindTotals

	stream streamThrottle // setstreamthroughput (admin_ops_stats.go)
}

// opProgress is one running operation; its counters are atomic so the
// goroutines doing the work never wait on the registry's lock.
type opProgress struct {
	reg         *operations
	op          Operation // ID, Kind, Detail, Unit, Started: fixed
	total       atomic.Int64
	done, bytes atomic.Int64
	lastTenth   atomic.Int64
	lastLog     atomic.Int64 // unix nanoseconds
}

// start registers and logs a new operation of total units (0: unknown).
func (r *operations) start(kind, detail, unit string, total int64) *opProgress {
	r.mu.Lock()
	r.next++
	if r.running == nil {
		r.running = make(map[string]*opProgress)
	}
	p := &opProgress{reg: r, op: Operation{ID: kind + "-" + strconv.Itoa(r.next), Kind: kind, Detail: detail, Unit: unit, Started: time.Now()}}
	p.total.Store(total)
	p.lastLog.Store(p.op.Started.UnixNano())
	r.running[p.op.ID] = p
	r.mu.Unlock()
	r.logger().Info(kind+" started", "operation", p.op.ID, "detail", detail, "total", total, "unit", unit)
	return p
}

func (r *operations) logger() *slog.Logger {
	if r.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.log
}

// add records n more units done and b more bytes moved, and logs the
// progress when it crosses a tenth of the total (or, with no total, when
// progressLogEvery has passed since the last line).
func (p *opProgress) add(n, b int64) {
	if p == nil {
		return
	}
	done := p.done.Add(n)
	bytes := p.bytes.Add(b)
	total := p.total.Load()
	if total > 0 {
		tenth := 10 * done / total
		if last := p.lastTenth.Load(); tenth > last && p.lastTenth.CompareAndSwap(last, tenth) && done < total {
			p.reg.logger().Info(p.op.Kind+" progress", "operation", p.op.ID, "detail", p.op.Detail,
				"done", done, "total", total, "unit", p.op.Unit, "percent", 10*tenth, "bytes", bytes)
		}
		return
	}
	now := time.Now().UnixNano()
	if last := p.lastLog.Load(); now-last >= int64(progressLogEvery) && p.lastLog.CompareAndSwap(last, now) {
		p.reg.logger().Info(p.op.Kind+" progress", "operation", p.op.ID, "detail", p.op.Detail,
			"done", done, "unit", p.op.Unit, "bytes", bytes)
	}
}

// snapshot is p's state now.
func (p *opProgress) snapshot() Operation {
	o := p.op
	o.State, o.Done, o.Total, o.Bytes = "running", p.done.Load(), p.total.Load(), p.bytes.Load()
	return o
}

// finish ends the operation with err (nil: success), logs its end and
// moves it to the registry's finished list.
func (p *opProgress) finish(err error) {
	if p == nil {
		return
	}
	o := p.snapshot()
	o.Ended, o.State = time.Now(), "done"
	if err != nil {
		o.State, o.Error = "failed", err.Error()
	}
	r := p.reg
	r.mu.Lock()
	delete(r.running, o.ID)
	r.addTotals(o)
	r.finished = append(r.finished, o)
	if len(r.finished) > keepFinished {
		r.finished = slices.Delete(r.finished, 0, len(r.finished)-keepFinished)
	}
	r.mu.Unlock()
	attrs := []any{"operation", o.ID, "detail", o.Detail, "done", o.Done, "total", o.Total, "unit", o.Unit,
		"bytes", o.Bytes, "took", o.Ended.Sub(o.Started).Round(time.Millisecond).String()}
	if err != nil {
		r.logger().Error(o.Kind+" failed", append(attrs, "err", err)...)
		return
	}
	r.logger().Info(o.Kind+" finished", attrs...)
}

// list returns the running operations, then the finished ones, oldest
// first within each group.
func (r *operations) list() []Operation {
	r.endIdle(time.Now())
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Operation, 0, len(r.running)+len(r.finished))
	for _, p := range r.running {
		out = append(out, p.snapshot())
	}
	slices.SortFunc(out, func(a, b Operation) int { return a.Started.Compare(b.Started) })
	return append(out, r.finished...)
}

// opKey carries the operation a context's work counts toward, so the
// stream helpers deep inside (pullRange, copyLocal) can report bytes
// without every signature naming it.
type opKey struct{}

func withOp(ctx context.Context, p *opProgress) context.Context {
	return context.WithValue(ctx, opKey{}, p)
}

// opOf is the operation ctx's work counts toward, or nil (whose methods do
// nothing).
func opOf(ctx context.Context) *opProgress {
	p, _ := ctx.Value(opKey{}).(*opProgress)
	return p
}

// peerIdle is how long a peer's served stream may be quiet before it is
// reported finished: the asking node pulls range after range, and nothing
// on the wire says which request is its last.
const peerIdle = 5 * time.Second

// peerSession is the operation of the requests one peer sends this node
// for one kind of work (pages of a stream it pulls, trees of a repair).
type peerSession struct {
	p    *opProgress
	last time.Time
}

// peerActivity records one request of kind from peer: n units and b bytes
// served. A peer's requests count toward one operation that starts with
// the first and ends peerIdle after the last.
func (r *operations) peerActivity(kind, peer, unit string, n, b int64) {
	now := time.Now()
	key := kind + " " + peer
	r.endIdle(now)
	r.mu.Lock()
	s := r.peers[key]
	r.mu.Unlock()
	if s == nil {
		s = &peerSession{p: r.start(kind, "for "+peer, unit, 0)}
	}
	s.p.add(n, b)
	r.mu.Lock()
	if r.peers == nil {
		r.peers = make(map[string]*peerSession)
	}
	s.last = now
	r.peers[key] = s
	r.mu.Unlock()
}

// endIdle finishes the peer sessions quiet for peerIdle.
func (r *operations) endIdle(now time.Time) {
	var idle []*opProgress
	r.mu.Lock()
	for k, s := range r.peers {
		if now.Sub(s.last) >= peerIdle {
			delete(r.peers, k)
			idle = append(idle, s.p)
		}
	}
	r.mu.Unlock()
	for _, p := range idle {
		p.finish(nil)
	}
}

// partitionsSize is the encoded size of parts: the bytes a stream moves.
func partitionsSize(parts []*schema.Partition) int {
	n := 0
	for _, p := range parts {
		n += len(schema.AppendPartition(nil, p))
	}
	return n
}

// peerLabel names the sender of a message (its messaging LocalID, the
// host id) by its address when this node knows it.
func (n *Node) peerLabel(from string) string {
	id, err := ring.ParseHostID(from)
	if err != nil || n.cluster == nil {
		return from
	}
	if p := n.cluster.view.Load().peers[id]; p != nil {
		return p.meta.Addr.String()
	}
	return from
}

// noteApplyFrom counts, as a "stream-in" operation, the mutations a
// leaving peer (decommission) sends this node: its streamed ranges, and
// the client writes it still coordinates while it leaves, which the
// messages do not tell apart. Writes from other peers are not counted.
func (n *Node) noteApplyFrom(from string, parts, bytes int) {
	if n.cluster == nil {
		return
	}
	id, err := ring.ParseHostID(from)
	if err != nil {
		return
	}
	p := n.cluster.view.Load().peers[id]
	if p == nil || p.meta.Status != ring.StatusLeaving {
		return
	}
	n.ops.peerActivity("stream-in", p.meta.Addr.String()+" (leaving)", "partitions", int64(parts), int64(bytes))
}
