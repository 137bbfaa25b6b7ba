package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// replica is one node's data, as the coordinator reaches it: the local
// node's storage directly, another node's through messaging. It may be
// called by many goroutines at once.
//
// Every method returns by ctx's deadline, answered or not: the coordinator
// counts on it to bound the goroutines it leaves behind an answer.
type replica interface {
	Apply(ctx context.Context, muts ...*schema.Partition) error
	Read(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error)
	Truncate(ctx context.Context, table schema.TableID) error

	// Paxos acceptor (lightweight transactions; storage/paxos.go has the
	// rules, node/paxos.go the protocol).
	PaxosPrepare(ctx context.Context, ballot storage.Ballot, cmd *schema.ReadCommand) (storage.PaxosPromise, error)
	PaxosPropose(ctx context.Context, ballot storage.Ballot, proposal *schema.Partition) (accepted bool, highest storage.Ballot, err error)
	PaxosCommit(ctx context.Context, ballot storage.Ballot, update *schema.Partition) error
}

// placement is how a table's partitions are placed: the keyspace's
// replication strategy, or nil for local-only tables (LocalStrategy).
type placement struct {
	keyspace string
	strategy ring.Strategy
	// resolved memoizes strategy's ring.Placement over the latest ring
	// snapshot; nil resolves on every call. A placement lives as long as
	// its catalog, so a changed strategy comes with a fresh memo.
	resolved *resolvedPlacement
}

// resolvedPlacement holds the ring.Placement of one keyspace's strategy
// over one snapshot. Resolving once per snapshot saves the coordinator a
// memo lookup (and the strategy's String) on every write.
type resolvedPlacement struct {
	p atomic.Pointer[ring.Placement]
}

// over returns pl's placement over snap.
func (pl placement) over(snap *ring.Snapshot) *ring.Placement {
	if pl.resolved == nil {
		return snap.Placement(pl.strategy)
	}
	if p := pl.resolved.p.Load(); p != nil && p.Snapshot() == snap {
		return p
	}
	p := snap.Placement(pl.strategy)
	pl.resolved.p.Store(p)
	return p
}

// coordinatorConfig are a Coordinator's collaborators.
type coordinatorConfig struct {
	Self    ring.HostID
	LocalDC string
	// Ring returns the current ring snapshot; never nil.
	Ring func() *ring.Snapshot
	// Placement returns the placement of a table, or an Invalid error for a
	// table the catalog does not know.
	Placement func(schema.TableID) (placement, error)
	// Local is this node's storage.
	Local replica
	// Peer returns another node's replica and whether it is reachable and
	// up; nil on a single node (every other node then counts as down).
	Peer func(ring.HostID) (replica, bool)
	// Hints stores mutations for replicas that are down or do not answer
	// in time; nil disables hinted handoff (ANY then needs a live replica).
	Hints hintStore

	WriteTimeout, ReadTimeout time.Duration
	// Now is the clock of Paxos ballots (and so of LWT write timestamps),
	// the node's like the executor's; nil means time.Now.
	Now func() time.Time
	// FilteringWarnRows and FilteringFailRows bound replica filtering
	// protection per read (coordinator_filter.go); 0 means the defaults.
	FilteringWarnRows, FilteringFailRows int
	Metrics                              *coordinatorMetrics
	// Logger receives what the coordinator cannot tell a client, such as
	// a hint it failed to store behind an answer.
	Logger *slog.Logger
}

// Coordinator implements exec.Coordinator: for each partition it finds the
// replicas from the ring snapshot and the keyspace's strategy, checks that
// the consistency level can be met by the live ones (Unavailable at once
// otherwise, with Cassandra's counts), sends the operation, and waits for
// enough answers within the write or read timeout. Reads reconcile the
// answers with schema.Merge and repair replicas that were behind (blocking
// read repair) before answering. The local replica goes straight to
// storage.
type Coordinator struct {
	cfg coordinatorConfig // immutable
	// behind counts the goroutines of writes still running after their
	// client was answered (slower replicas, their hints); Wait waits for
	// them, as the node's Close must before storage closes.
	behind sync.WaitGroup
	// ballots makes the Paxos ballots of lightweight transactions.
	ballots *ballotClock
}

var _ exec.Coordinator = (*Coordinator)(nil)

func newCoordinator(cfg coordinatorConfig) *Coordinator {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Coordinator{cfg: cfg, ballots: newBallotClock(cfg.Self, now)}
}

// target is a mutation's replicas and what its level needs of them.
type target struct {
	needs    []need
	replicas []replicaInfo // live natural and pending replicas
	down     []replicaInfo // natural and pending replicas that are down (hinted)
}

// Mutate applies muts at consistency cl.
func (c *Coordinator) Mutate(ctx context.Context, cl exec.Consistency, wt exec.WriteType, muts []*schema.Partition) error {
	start := time.Now()
	err := c.mutate(ctx, cl, wt, muts)
	c.cfg.Metrics.observeWrite(start, cl, muts, err)
	return err
}

func (c *Coordinator) mutate(ctx context.Context, cl exec.Consistency, wt exec.WriteType, muts []*schema.Partition) error {
	if len(muts) == 0 {
		return nil
	}
	if wt == exec.WriteCounter {
		return c.mutateCounters(ctx, cl, muts) // through a leader: counter.go
	}
	snap := c.cfg.Ring()
	targets := make([]target, len(muts))
	var hosts []hostWrite
	for i, m := range muts {
		t, err := c.writeTarget(snap, cl, m)
		if err != nil {
			return err
		}
		targets[i] = t
		for _, r := range t.replicas {
			hosts = addHostWrite(hosts, r.id, muts, i)
		}
	}
	if exec.TraceFrom(ctx) != nil { // the arguments cost allocations
		exec.Tracef(ctx, "Determined %d replicas for %d mutations at %s", len(hosts), len(muts), clName(cl))
	}
	// The replicas' writes run under their own deadline, detached from the
	// client's request: once every mutation's level is met the answer goes
	// out, and slower replicas finish, or are hinted, behind it. A replica
	// that hangs therefore costs the client nothing at QUORUM.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.WriteTimeout)
	w := c.startWrites(wctx, hosts)
	// writeAllIn falls through the switch: nothing is left to wait for,
	// so the hints are stored and the outcome decided inline, whether the
	// levels were met or not.
	switch w.await(ctx, targets) {
	case writeSatisfied:
		c.goBehind(func() { c.finishBehind(wctx, cancel, w, muts, targets) })
		return nil
	case writeAbandoned:
		c.goBehind(func() { c.finishBehind(wctx, cancel, w, muts, targets) })
		return fmt.Errorf("write abandoned: %w", ctx.Err())
	}
	defer cancel()
	hinted := c.storeHints(wctx, muts, targets, w.results)
	return c.writeOutcome(wctx, cl, wt, targets, w.results, hinted)
}

// hostWrite is the mutations one replica takes in a write.
type hostWrite struct {
	id   ring.HostID
	muts []*schema.Partition
}

// addHostWrite adds muts[i] to id's mutations in hosts. A replica's first
// mutation is a capacity-limited window on muts, not a copy: the common
// write of one partition builds no per-replica slice, and a second
// mutation for the same replica appends into a fresh array, never into
// the caller's.
func addHostWrite(hosts []hostWrite, id ring.HostID, muts []*schema.Partition, i int) []hostWrite {
	for k := range hosts {
		if hosts[k].id == id {
			hosts[k].muts = append(hosts[k].muts, muts[i])
			return hosts
		}
	}
	return append(hosts, hostWrite{id: id, muts: muts[i : i+1 : i+1]})
}

// replicaAnswers are one write's answers by replica: a short slice
// searched in order, since a write has a handful of replicas; cheaper on
// every write than a map.
type replicaAnswers []hostResult

// lookup returns id's answer and whether it has answered.
func (a replicaAnswers) lookup(id ring.HostID) (hostResult, bool) {
	for _, r := range a {
		if r.id == id {
			return r, true
		}
	}
	return hostResult{}, false
}

// failed reports whether id answered with an error.
func (a replicaAnswers) failed(id ring.HostID) bool {
	r, _ := a.lookup(id)
	return r.err != nil
}

// set records id's answer, replacing any earlier one.
func (a *replicaAnswers) set(id ring.HostID, err error) {
	for k := range *a {
		if (*a)[k].id == id {
			(*a)[k].err = err
			return
		}
	}
	*a = append(*a, hostResult{id: id, err: err})
}

// writeRound is one write's replica answers as they arrive. Until await
// returns, only the coordinator's request goroutine reads results; after
// it, only finishBehind does.
type writeRound struct {
	results replicaAnswers  // answers received
	pending int             // remote answers still to come
	done    chan hostResult // buffered for every remote replica
	// deadline is the write's context: when it ends, the remote replicas
	// that have not answered have timed out (expire).
	deadline context.Context
	remotes  []ring.HostID    // every remote replica written to
	calls    []messaging.Call // requests answered through done, forgotten at the deadline

	// Room for the slices above at RF 3, in the round's own allocation.
	resultsBuf [3]hostResult
	remotesBuf [3]ring.HostID
	callsBuf   [3]messaging.Call
}

type hostResult struct {
	id  ring.HostID
	err error
}

// startWrites sends each replica its mutations, remote replicas first,
// then the local one inline. Each remote replica answers on w.done at most
// once; one that has not by ctx's deadline has timed out (expire).
//
// A remote write is a request whose answer messaging delivers straight to
// w.done (remoteReplica.startApply): no goroutine waits for it. Only
// traced writes (whose events need the request's outcome where it is
// sent) and replicas other than remoteReplica get a goroutine each.
// Remote replicas that take the same mutations (all of them, for the
// common write of one partition) share one encoding of them.
func (c *Coordinator) startWrites(ctx context.Context, hosts []hostWrite) *writeRound {
	w := &writeRound{done: make(chan hostResult, len(hosts)), deadline: ctx}
	w.results, w.remotes, w.calls = w.resultsBuf[:0], w.remotesBuf[:0], w.callsBuf[:0]
	traced := nodeTrace(ctx) != nil
	var encodedFor []*schema.Partition
	var encoded []byte
	var local []*schema.Partition
	for _, hw := range hosts {
		id, ms := hw.id, hw.muts
		if id == c.cfg.Self {
			local = ms
			continue
		}
		w.remotes = append(w.remotes, id)
		w.pending++
		r, ok := c.replicaFor(id)
		remote, _ := r.(encodedApplier)
		if !ok || remote == nil {
			c.goBehind(func() {
				err := errReplicaDown
				if ok {
					err = r.Apply(ctx, ms...)
				}
				w.done <- hostResult{id: id, err: err}
			})
			continue
		}
		if encoded == nil || !slices.Equal(ms, encodedFor) {
			encodedFor, encoded = ms, appendPartitionList(nil, ms)
		}
		payload := encoded
		if traced {
			c.goBehind(func() {
				w.done <- hostResult{id: id, err: remote.applyEncoded(ctx, payload)}
			})
			continue
		}
		call, err := remote.startApply(ctx, payload, id, w.done)
		if err != nil {
			w.results.set(id, err)
			w.pending--
			continue
		}
		w.calls = append(w.calls, call)
	}
	if local != nil {
		w.results.set(c.cfg.Self, c.cfg.Local.Apply(ctx, local...))
	}
	return w
}

// receive takes one answer, or, once the write's deadline has passed,
// times out every remote replica still to answer. It blocks until one of
// them happens or stop is closed (nil: never); it reports whether it
// took anything.
func (w *writeRound) receive(stop <-chan struct{}) bool {
	select {
	case r := <-w.done:
		w.results.set(r.id, r.err)
		w.pending--
		return true
	case <-w.deadline.Done():
		w.expire()
		return true
	case <-stop:
		return false
	}
}

// expire records a timeout for every remote replica that has not
// answered, and forgets their requests, so a replica that never answers
// does not hold an in-flight slot of its connection. Replicas written
// through a goroutine end by the deadline too; their late answers land
// in w.done's room and are never read.
func (w *writeRound) expire() {
	for _, c := range w.calls {
		c.Forget()
	}
	w.calls = nil
	for drained := false; !drained && w.pending > 0; {
		select {
		case r := <-w.done: // answered in time, read late
			w.results.set(r.id, r.err)
			w.pending--
		default:
			drained = true
		}
	}
	for _, id := range w.remotes {
		if _, ok := w.results.lookup(id); !ok {
			w.results.set(id, fmt.Errorf("no answer from %s: %w", id, w.deadline.Err()))
		}
	}
	w.pending = 0
}

// encodedApplier is a replica that takes mutations appendPartitionList
// already encoded (remoteReplica), waiting for the answer or not.
type encodedApplier interface {
	applyEncoded(ctx context.Context, payload []byte) error
	startApply(ctx context.Context, payload []byte, id ring.HostID, done chan<- hostResult) (messaging.Call, error)
}

// goBehind runs fn in a goroutine that Wait accounts for. fn must end by
// the write's deadline.
func (c *Coordinator) goBehind(fn func()) {
	c.behind.Add(1)
	go func() {
		defer c.behind.Done()
		fn()
	}()
}

// Wait returns once every write goroutine has ended: replica writes still
// running after their answer, and the hints stored for them. Each ends by
// its write deadline (WriteTimeout, then as long again for its hints), so
// Wait is bounded once no new request arrives.
func (c *Coordinator) Wait() { c.behind.Wait() }

// How a write's wait ended.
const (
	writeAllIn     = iota // every replica answered (or timed out)
	writeSatisfied        // every mutation's level is met; others may still answer
	writeAbandoned        // the client's request was cancelled first
)

// await collects answers until every target is satisfied, every replica
// has answered, or the client's ctx ends.
//
// It checks satisfaction only while answers are pending: with none (a
// write only the local replica takes, or the last remote answer just in)
// it returns writeAllIn even when the levels are met, since no goroutine
// is left to go behind and the caller's inline path decides the outcome
// from the full results anyway.
func (w *writeRound) await(ctx context.Context, targets []target) int {
	for w.pending > 0 {
		if allSatisfied(targets, w.results) {
			return writeSatisfied
		}
		if !w.receive(ctx.Done()) {
			return writeAbandoned
		}
	}
	return writeAllIn
}

// finishBehind waits for the answers still to come after the client was
// answered, hints the replicas that failed or were down, and releases the
// write's deadline. It ends by that deadline: every pending op does.
func (c *Coordinator) finishBehind(ctx context.Context, cancel context.CancelFunc, w *writeRound, muts []*schema.Partition, targets []target) {
	defer cancel()
	for w.pending > 0 {
		w.receive(nil)
	}
	c.storeHints(ctx, muts, targets, w.results)
}

// allSatisfied reports whether every target has enough acknowledgements
// among the answers received so far.
func allSatisfied(targets []target, results replicaAnswers) bool {
	var room [8]replicaInfo // on the stack for the usual RF
	for _, t := range targets {
		acked := room[:0]
		for _, r := range t.replicas {
			if a, ok := results.lookup(r.id); ok && a.err == nil {
				acked = append(acked, r)
			}
		}
		if !satisfied(t.needs, acked) {
			return false
		}
	}
	return true
}

// writeTarget computes where mutation m goes and checks availability.
func (c *Coordinator) writeTarget(snap *ring.Snapshot, cl exec.Consistency, m *schema.Partition) (target, error) {
	pl, err := c.cfg.Placement(m.Table)
	if err != nil {
		return target{}, err
	}
	if pl.strategy == nil {
		return c.localOnly(cl)
	}
	tok := ring.Token(m.Token)
	rp := pl.over(snap)
	natural := c.describe(snap, rp.Replicas(tok))
	pending := c.describe(snap, rp.PendingReplicas(tok))
	pendingByDC := make(map[string]int)
	for _, p := range pending {
		pendingByDC[p.dc]++
	}
	needs, err := requirements(cl, replicationFactors(pl.strategy), c.cfg.LocalDC, true, pendingByDC)
	if err != nil {
		return target{}, err
	}
	all := append(natural, pending...)
	if err := checkAvailable(cl, needs, all, c.cfg.Hints != nil); err != nil {
		return target{}, err
	}
	return target{needs: needs, replicas: aliveOnly(all), down: downOnly(all)}, nil
}

// localOnly is the target of a table that lives on every node by itself.
func (c *Coordinator) localOnly(cl exec.Consistency) (target, error) {
	self := replicaInfo{id: c.cfg.Self, dc: c.cfg.LocalDC, alive: true}
	if cl == exec.Serial || cl == exec.LocalSerial {
		_, err := requirements(cl, map[string]int{"": 1}, c.cfg.LocalDC, true, nil)
		return target{}, err
	}
	return target{needs: []need{{count: 1}}, replicas: []replicaInfo{self}}, nil
}

// describe returns the replicas' data centers and liveness.
func (c *Coordinator) describe(snap *ring.Snapshot, ids []ring.HostID) []replicaInfo {
	out := make([]replicaInfo, 0, len(ids))
	for _, id := range ids {
		n, _ := snap.Node(id)
		out = append(out, replicaInfo{id: id, dc: n.DC, alive: c.isAlive(id)})
	}
	return out
}

func (c *Coordinator) isAlive(id ring.HostID) bool {
	if id == c.cfg.Self {
		return true
	}
	if c.cfg.Peer == nil {
		return false
	}
	_, ok := c.cfg.Peer(id)
	return ok
}

func (c *Coordinator) replicaFor(id ring.HostID) (replica, bool) {
	if id == c.cfg.Self {
		return c.cfg.Local, true
	}
	if c.cfg.Peer == nil {
		return nil, false
	}
	return c.cfg.Peer(id)
}

func aliveOnly(rs []replicaInfo) []replicaInfo {
	out := rs[:0:0]
	for _, r := range rs {
		if r.alive {
			out = append(out, r)
		}
	}
	return out
}

// fanOut runs op on every host's replica, the local one in the calling
// goroutine and the others concurrently, and waits for all of them (each
// bounded by ctx's deadline), so no goroutine outlives the call.
func (c *Coordinator) fanOut(ctx context.Context, perHost map[ring.HostID][]*schema.Partition,
	op func(context.Context, replica, []*schema.Partition) error) map[ring.HostID]error {
	results := make(map[ring.HostID]error, len(perHost))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for id, ms := range perHost {
		if id == c.cfg.Self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := errReplicaDown
			if r, ok := c.replicaFor(id); ok {
				err = op(ctx, r, ms)
			}
			mu.Lock()
			results[id] = err
			mu.Unlock()
		}()
	}
	if ms, ok := perHost[c.cfg.Self]; ok {
		err := op(ctx, c.cfg.Local, ms)
		mu.Lock()
		results[c.cfg.Self] = err
		mu.Unlock()
	}
	wg.Wait()
	return results
}

// errReplicaDown is the result of a replica that went away mid-request.
var errReplicaDown = errors.New("node: replica is down")

// writeOutcome turns the replicas' answers into the client's answer: nil
// when every mutation has enough acknowledgements, else WriteTimeout (the
// deadline passed) or WriteFailure (replicas answered with errors).
func (c *Coordinator) writeOutcome(ctx context.Context, cl exec.Consistency, wt exec.WriteType,
	targets []target, results replicaAnswers, hinted []int) error {
	var room [8]replicaInfo // on the stack for the usual RF
	for i, t := range targets {
		acked := room[:0]
		var failures []error
		for _, r := range t.replicas {
			if a, _ := results.lookup(r.id); a.err == nil {
				acked = append(acked, r)
			} else {
				failures = append(failures, a.err)
			}
		}
		if satisfied(t.needs, acked) || (cl == exec.Any && len(acked)+hinted[i] > 0) {
			continue
		}
		return writeError(ctx, cl, wt, len(acked), blockFor(t.needs), failures)
	}
	return nil
}

func writeError(ctx context.Context, cl exec.Consistency, wt exec.WriteType, received, block int, failures []error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &exec.Error{Code: exec.CodeWriteTimeout, WriteType: wt, Consistency: cl, Received: received, BlockFor: block,
			Message: fmt.Sprintf("Operation timed out - received only %d responses.", received)}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("write abandoned: %w", ctx.Err())
	}
	cause := errors.Join(failures...)
	return &exec.Error{Code: exec.CodeWriteFailure, WriteType: wt, Consistency: cl, Received: received, BlockFor: block,
		NumFailures: len(failures), Cause: cause,
		Message: fmt.Sprintf("Operation failed - received %d responses and %d failures: %v", received, len(failures), cause)}
}

// Truncate removes every row of table on every node. Like Cassandra, it
// needs every node up.
func (c *Coordinator) Truncate(ctx context.Context, table schema.TableID) error {
	snap := c.cfg.Ring()
	perHost := make(map[ring.HostID][]*schema.Partition)
	perHost[c.cfg.Self] = nil
	for _, n := range snap.Nodes() {
		if !c.isAlive(n.ID) {
			return &exec.Error{Code: exec.CodeUnavailable, Consistency: exec.All, Required: len(snap.Nodes()),
				Alive: c.countAlive(snap), Message: "Cannot achieve consistency level ALL: truncate needs every node up"}
		}
		perHost[n.ID] = nil
	}
	// Truncating deletes and compacts a whole table on every node, far
	// slower than a write: Cassandra gives it its own, longer timeout
	// (truncate_request_timeout); here a multiple of the write's.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout*5)
	defer cancel()
	results := c.fanOut(ctx, perHost, func(ctx context.Context, r replica, _ []*schema.Partition) error {
		return r.Truncate(ctx, table)
	})
	var errs []error
	for id, err := range results {
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot truncate on %s: %w", id, err))
		}
	}
	if len(errs) > 0 {
		cause := errors.Join(errs...)
		return exec.Errorf(exec.CodeTruncateError, "%v", cause).WithCause(cause)
	}
	return nil
}

func (c *Coordinator) countAlive(snap *ring.Snapshot) int {
	n := 0
	for _, node := range snap.Nodes() {
		if c.isAlive(node.ID) {
			n++
		}
	}
	return n
}
