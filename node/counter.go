package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Counter writes, after Cassandra's StorageProxy.mutateCounter and
// CounterMutation. A counter increment is not a value that can be written
// to every replica: it must be added once, to one shard. So the
// coordinator picks a leader per partition — itself when it is a replica
// of it, else a live replica, preferring its own data center — and hands
// it the mutation with its deltas (verb COUNTER_MUTATION when the leader
// is another node). The leader, under a per-partition lock
// (storage.Engine.LeadCounterWrite), reads its own shard of each counter
// cell, writes shard(self, clock+1, count+delta) locally, and then
// replicates that shard — never the delta — to the other replicas like a
// normal write at the requested level, its own write counting towards it,
// with hints for the replicas that are down or fail. Since shards merge
// idempotently, a hint replayed, a read repair, streaming or repair never
// counts an increment twice.
//
// A counter write is not idempotent as a whole: when the leader's answer
// is lost, the increment may have been applied, and a retry may count it
// twice. Timeouts say so with WriteType COUNTER.

// verbCounterMutation: payload a consistency (u16) and a partition list
// with counter deltas; the receiver leads the write (leadCounters) and
// answers an encoded leader outcome (appendCounterOutcome). Numbered away
// from the verbs others may add next to it.
const verbCounterMutation uint8 = 23

// counterLeader is a local store that can lead counter writes:
// *storage.Engine, and the null backend.
type counterLeader interface {
	LeadCounterWrite(ctx context.Context, mut *schema.Partition, self schema.CounterID, nowSeconds int64) (*schema.Partition, error)
}

// counterForwarder is a peer that can be asked to lead counter writes.
type counterForwarder interface {
	LeadCounter(ctx context.Context, cl exec.Consistency, muts []*schema.Partition) error
}

// mutateCounters runs a counter write: every partition goes to its
// leader, leaders run concurrently, and the first error is the answer.
func (c *Coordinator) mutateCounters(ctx context.Context, cl exec.Consistency, muts []*schema.Partition) error {
	snap := c.cfg.Ring()
	groups := make(map[ring.HostID][]*schema.Partition)
	blocks := make(map[ring.HostID]int)
	for _, m := range muts {
		// Unavailable is decided here first, with Cassandra's counts, so
		// that a write no leader could complete is not forwarded.
		t, err := c.writeTarget(snap, cl, m)
		if err != nil {
			return err
		}
		leader, err := c.counterLeaderFor(snap, m, cl)
		if err != nil {
			return err
		}
		groups[leader] = append(groups[leader], m)
		blocks[leader] = max(blocks[leader], blockFor(t.needs))
	}
	errs := make(chan error, len(groups))
	var wg sync.WaitGroup
	for id, ms := range groups {
		if id == c.cfg.Self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.forwardCounters(ctx, id, cl, ms, blocks[id])
		}()
	}
	if ms, ok := groups[c.cfg.Self]; ok {
		errs <- c.leadCounters(ctx, cl, ms)
	}
	wg.Wait()
	close(errs)
	var first error
	for err := range errs {
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// counterLeaderFor picks the leader of m's counter write, as Cassandra's
// findSuitableEndpoint: this node when it is a natural replica of the
// partition (and so alive), else a random live natural replica of the
// local data center, else of any.
func (c *Coordinator) counterLeaderFor(snap *ring.Snapshot, m *schema.Partition, cl exec.Consistency) (ring.HostID, error) {
	pl, err := c.cfg.Placement(m.Table)
	if err != nil {
		return ring.HostID{}, err
	}
	if pl.strategy == nil {
		return c.cfg.Self, nil
	}
	natural := c.describe(snap, pl.over(snap).Replicas(ring.Token(m.Token)))
	var local, other []ring.HostID
	for _, r := range natural {
		switch {
		case r.id == c.cfg.Self:
			return c.cfg.Self, nil
		case !r.alive:
		case r.dc == c.cfg.LocalDC:
			local = append(local, r.id)
		default:
			other = append(other, r.id)
		}
	}
	switch {
	case len(local) > 0:
		return local[rand.IntN(len(local))], nil
	case len(other) > 0:
		return other[rand.IntN(len(other))], nil
	}
	return ring.HostID{}, &exec.Error{Code: exec.CodeUnavailable, Consistency: cl, Required: 1, Alive: 0,
		Message: "Cannot achieve consistency level " + clName(cl) + ": no live replica can lead the counter write"}
}

// forwardCounters asks the peer id to lead muts. The peer answers once
// its own write reached cl or failed, by its write timeout; the request
// waits a little longer than that, so that the leader's own WriteTimeout
// (with its counts) is what the client sees when the leader is slow.
func (c *Coordinator) forwardCounters(ctx context.Context, id ring.HostID, cl exec.Consistency, muts []*schema.Partition, block int) error {
	r, ok := c.replicaFor(id)
	fw, canLead := r.(counterForwarder)
	if !ok || !canLead {
		return counterTimeout(cl, block, "the counter write's leader went down")
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout+c.cfg.WriteTimeout/2)
	defer cancel()
	err := fw.LeadCounter(rctx, cl, muts)
	var ee *exec.Error
	switch {
	case err == nil || errors.As(err, &ee):
		return err
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return counterTimeout(cl, block, "the counter write's leader did not answer in time")
	case ctx.Err() != nil:
		return fmt.Errorf("counter write abandoned: %w", ctx.Err())
	}
	return &exec.Error{Code: exec.CodeWriteFailure, WriteType: exec.WriteCounter, Consistency: cl, BlockFor: block, NumFailures: 1,
		Message: fmt.Sprintf("Operation failed - the counter write's leader failed: %v", err), Cause: err}
}

func counterTimeout(cl exec.Consistency, block int, why string) error {
	return &exec.Error{Code: exec.CodeWriteTimeout, WriteType: exec.WriteCounter, Consistency: cl, BlockFor: block,
		Message: "Operation timed out - received only 0 responses: " + why + "."}
}

// leadCounters is the leader's side: apply each mutation's deltas locally
// as this node's shards, then replicate the shards at cl like a normal
// write whose local replica already answered.
func (c *Coordinator) leadCounters(ctx context.Context, cl exec.Consistency, muts []*schema.Partition) error {
	lead, ok := c.cfg.Local.(counterLeader)
	if !ok {
		return exec.Errorf(exec.CodeServerError, "this node's storage cannot lead counter writes")
	}
	snap := c.cfg.Ring()
	targets := make([]target, len(muts))
	for i, m := range muts {
		t, err := c.writeTarget(snap, cl, m)
		if err != nil {
			return err
		}
		targets[i] = t
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.WriteTimeout)
	shards := make([]*schema.Partition, len(muts))
	now := time.Now().Unix()
	for i, m := range muts {
		s, err := lead.LeadCounterWrite(wctx, m, schema.CounterID(c.cfg.Self), now)
		if err != nil {
			defer cancel()
			return writeError(wctx, cl, exec.WriteCounter, 0, blockFor(targets[i].needs), []error{err})
		}
		shards[i] = s
	}
	var hosts []hostWrite
	for i, t := range targets {
		for _, r := range t.replicas {
			if r.id != c.cfg.Self {
				hosts = addHostWrite(hosts, r.id, shards, i)
			}
		}
	}
	w := c.startWrites(wctx, hosts)
	w.results.set(c.cfg.Self, nil) // the leader's own write, done above
	switch w.await(ctx, targets) {
	case writeSatisfied:
		c.goBehind(func() { c.finishBehind(wctx, cancel, w, shards, targets) })
		return nil
	case writeAbandoned:
		c.goBehind(func() { c.finishBehind(wctx, cancel, w, shards, targets) })
		return fmt.Errorf("counter write abandoned: %w", ctx.Err())
	}
	defer cancel()
	hinted := c.storeHints(wctx, shards, targets, w.results)
	return c.writeOutcome(wctx, cl, exec.WriteCounter, targets, w.results, hinted)
}

// LeadCounter asks the peer to lead a counter write (verbCounterMutation).
// A leader's *exec.Error comes back as it is.
func (r *remoteReplica) LeadCounter(ctx context.Context, cl exec.Consistency, muts []*schema.Partition) error {
	payload := binary.BigEndian.AppendUint16(nil, uint16(cl))
	payload = appendPartitionList(payload, muts)
	resp, err := r.msg.Request(ctx, r.addr, verbCounterMutation, payload)
	if err != nil {
		return fmt.Errorf("cannot forward a counter write to %s: %w", r.addr, err)
	}
	outcome, err := decodeCounterOutcome(resp)
	if err != nil {
		return fmt.Errorf("cannot decode the answer of %s: %w", r.addr, err)
	}
	if outcome != nil {
		return outcome
	}
	return nil
}

// handleCounterMutation leads a counter write for another coordinator.
func (c *cluster) handleCounterMutation(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	cl, muts, err := decodeCounterMutation(payload)
	if err != nil {
		return nil, err
	}
	err = c.n.coord.leadCounters(ctx, cl, muts)
	var ee *exec.Error
	switch {
	case err == nil:
		return appendCounterOutcome(nil, nil), nil
	case errors.As(err, &ee):
		return appendCounterOutcome(nil, ee), nil
	}
	return nil, err
}

// decodeCounterMutation decodes a verbCounterMutation payload.
func decodeCounterMutation(b []byte) (exec.Consistency, []*schema.Partition, error) {
	if len(b) < 2 {
		return 0, nil, fmt.Errorf("%w: short counter mutation", errBadPayload)
	}
	cl := exec.Consistency(binary.BigEndian.Uint16(b))
	if cl > exec.LocalOne {
		return 0, nil, fmt.Errorf("%w: bad consistency %d", errBadPayload, cl)
	}
	muts, err := decodePartitionList(b[2:])
	if err != nil {
		return 0, nil, err
	}
	return cl, muts, nil
}

// appendCounterOutcome encodes a leader's answer: 0 for success, or 1 and
// the fields of the *exec.Error a client must see (code, consistency,
// counts, write type and message).
func appendCounterOutcome(dst []byte, e *exec.Error) []byte {
	if e == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(uint32(e.Code)))
	dst = binary.AppendUvarint(dst, uint64(e.Consistency))
	for _, v := range []int{e.Required, e.Alive, e.Received, e.BlockFor, e.NumFailures} {
		dst = binary.AppendUvarint(dst, uint64(max(v, 0)))
	}
	dst = appendString(dst, string(e.WriteType))
	return appendString(dst, e.Message)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeCounterOutcome decodes appendCounterOutcome: nil for success.
func decodeCounterOutcome(b []byte) (*exec.Error, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty counter outcome", errBadPayload)
	}
	if b[0] == 0 && len(b) == 1 {
		return nil, nil
	}
	if b[0] != 1 {
		return nil, fmt.Errorf("%w: bad counter outcome", errBadPayload)
	}
	b = b[1:]
	var vals [7]uint64
	for i := range vals {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > 1<<31 {
			return nil, fmt.Errorf("%w: bad counter outcome field", errBadPayload)
		}
		vals[i], b = v, b[k:]
	}
	var strs [2]string
	for i := range strs {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, fmt.Errorf("%w: bad counter outcome string", errBadPayload)
		}
		strs[i], b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	if len(b) != 0 || vals[1] > uint64(exec.LocalOne) {
		return nil, fmt.Errorf("%w: bad counter outcome", errBadPayload)
	}
	return &exec.Error{Code: exec.ErrorCode(int32(vals[0])), Consistency: exec.Consistency(vals[1]),
		Required: int(vals[2]), Alive: int(vals[3]), Received: int(vals[4]), BlockFor: int(vals[5]), NumFailures: int(vals[6]),
		WriteType: exec.WriteType(strs[0]), Message: strs[1]}, nil
}

// LeadCounterWrite on the null backend turns deltas into shards as if
// the counter were empty, and drops them like every write.
func (s *nullStore) LeadCounterWrite(_ context.Context, mut *schema.Partition, self schema.CounterID, nowSeconds int64) (*schema.Partition, error) {
	return schema.ApplyCounterDeltas(mut, nil, self, nowSeconds)
}
