package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocql/gocql"
)

// Kind is what an operation does.
type Kind int

// Operation kinds.
const (
	Write  Kind = iota // INSERT a unique value
	Delete             // DELETE the row
	Read               // SELECT the value
)

func (k Kind) String() string {
	return [...]string{"write", "delete", "read"}[k]
}

// Outcome is what the client learned of an operation.
type Outcome int

// Outcomes.
const (
	// OK: acknowledged.
	OK Outcome = iota
	// Failed: definitely not applied (Unavailable, never sent), or a read
	// that returned nothing.
	Failed
	// Unknown: a write or delete that may or may not have been applied,
	// then or later (a timeout, a lost connection).
	Unknown
)

func (o Outcome) String() string {
	return [...]string{"ok", "failed", "unknown"}[o]
}

// Phase says when an operation ran.
type Phase int

// Phases.
const (
	// Live operations ran under the fault schedule and its recovery.
	Live Phase = iota
	// Final reads ran at QUORUM after the cluster healed and converged.
	Final
	// Replica reads ran at ONE through each node after hints and repair.
	Replica
)

func (p Phase) String() string {
	return [...]string{"live", "final", "replica"}[p]
}

// Op is one recorded operation.
type Op struct {
	Client int
	Phase  Phase
	Kind   Kind
	Key    int
	// Value is the value written, or the value read when Found.
	Value int64
	Found bool
	// Coord is the index of the node that coordinated the request.
	Coord      int
	Start, End time.Time
	Outcome    Outcome
	Err        string
}

func (o Op) String() string {
	s := fmt.Sprintf("%s %s k=%d", o.Phase, o.Kind, o.Key)
	switch {
	case o.Kind == Write:
		s += fmt.Sprintf(" v=%d", o.Value)
	case o.Kind == Read && o.Outcome == OK && o.Found:
		s += fmt.Sprintf(" -> v=%d", o.Value)
	case o.Kind == Read && o.Outcome == OK:
		s += " -> no row"
	}
	s += fmt.Sprintf(" via n%d: %s", o.Coord, o.Outcome)
	if o.Err != "" {
		s += " (" + o.Err + ")"
	}
	return s
}

// opLog records operations of one kind from many goroutines, in the
// order they completed, and hands out the values they write.
type opLog[T any] struct {
	mu    sync.Mutex
	ops   []T // guarded by mu
	value atomic.Int64
}

// History records the register workload's operations.
type History = opLog[Op]

// Add records op.
func (h *opLog[T]) Add(op T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
}

// Ops returns the operations so far, in the order they completed.
func (h *opLog[T]) Ops() []T {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops)
}

// nextValue returns a value never written before: every write is unique,
// so a read names the write it saw.
func (h *opLog[T]) nextValue() int64 { return h.value.Add(1) }

// Workload is the clients' load: QUORUM writes of unique values, deletes
// and reads of a few int keys, each through a coordinator chosen at random
// among the running nodes.
type Workload struct {
	// Keys is how many partition keys (0..Keys-1) the clients use;
	// default 16, so clients often touch the same keys.
	Keys int
	// Clients is how many goroutines issue requests; default 4.
	Clients int
	// Think is each client's pause between requests; default 10 ms.
	Think time.Duration
	// Mix is the percentage of writes and deletes; the rest are reads.
	// Defaults 50 and 10.
	WritePct, DeletePct int
	// Seed seeds the clients' choices.
	Seed int64
	// Coordinators, when set, limits which nodes coordinate (by index).
	Coordinators []int
}

func (w *Workload) ensureDefaults() {
	if w.Keys == 0 {
		w.Keys = 16
	}
	if w.Clients == 0 {
		w.Clients = 4
	}
	if w.Think == 0 {
		w.Think = 10 * time.Millisecond
	}
	if w.WritePct == 0 && w.DeletePct == 0 {
		w.WritePct, w.DeletePct = 50, 10
	}
}

// Run issues requests until ctx ends, recording each in h, and returns
// once every client has finished its last request. Requests are not
// cancelled by ctx: each ends by itself (answer or client timeout), so
// stopping the workload never turns into failures.
func (w Workload) Run(ctx context.Context, c *Cluster, h *History) {
	w.ensureDefaults()
	var wg sync.WaitGroup
	for client := range w.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w.Seed), uint64(client)))
			for ctx.Err() == nil {
				w.step(c, h, client, rng)
				select {
				case <-ctx.Done():
				case <-time.After(w.Think):
				}
			}
		}()
	}
	wg.Wait()
}

func (w Workload) step(c *Cluster, h *History, client int, rng *rand.Rand) {
	coords := w.Coordinators
	if coords == nil {
		coords = c.Running()
	}
	if len(coords) == 0 {
		return
	}
	coord := coords[rng.IntN(len(coords))]
	key := rng.IntN(w.Keys)
	kind := Read
	switch p := rng.IntN(100); {
	case p < w.WritePct:
		kind = Write
	case p < w.WritePct+w.DeletePct:
		kind = Delete
	}
	h.Add(Do(c, Op{Client: client, Phase: Live, Kind: kind, Key: key, Coord: coord}, gocql.Quorum, h))
}

// Do runs op through its coordinator at consistency cl and returns it
// with its value (writes take a fresh one from h), times and outcome.
func Do(c *Cluster, op Op, cl gocql.Consistency, h *History) Op {
	if op.Kind == Write {
		op.Value = h.nextValue()
	}
	op.Start = time.Now()
	s, err := c.Nodes[op.Coord].Session()
	if err == nil {
		switch op.Kind {
		case Write:
			err = s.Query(fmt.Sprintf("INSERT INTO %s.%s (k, v) VALUES (?, ?)", Keyspace, Table), op.Key, op.Value).Consistency(cl).Exec()
		case Delete:
			err = s.Query(fmt.Sprintf("DELETE FROM %s.%s WHERE k = ?", Keyspace, Table), op.Key).Consistency(cl).Exec()
		case Read:
			err = s.Query(fmt.Sprintf("SELECT v FROM %s.%s WHERE k = ?", Keyspace, Table), op.Key).Consistency(cl).Scan(&op.Value)
			op.Found = err == nil
			if errors.Is(err, gocql.ErrNotFound) {
				err = nil
			}
		}
	}
	op.End = time.Now()
	op.Outcome = classify(op.Kind, err)
	if err != nil {
		op.Err = err.Error()
	}
	return op
}

// classify maps a request's error to its outcome. Only errors that prove
// nothing was applied make a write Failed: Unavailable (the coordinator
// refused before sending), or a request that never left the client.
func classify(kind Kind, err error) Outcome {
	if err == nil {
		return OK
	}
	if kind == Read {
		return Failed
	}
	var unavailable *gocql.RequestErrUnavailable
	switch {
	case errors.As(err, &unavailable),
		errors.Is(err, gocql.ErrNoConnections),
		errors.Is(err, gocql.ErrSessionClosed),
		errors.Is(err, errNotSent):
		return Failed
	}
	return Unknown
}
