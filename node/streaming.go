package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Range movements: a node joining streams the ranges it takes over, a
// node leaving (decommission) streams its ranges to their next owners, an
// operator's removenode re-replicates a dead node's ranges, and every node
// drops the data of ranges it no longer replicates once the ring is
// settled. Data moves in pages of whole partitions, each page resuming
// after the last partition of the previous one; applying a partition
// twice is harmless (reconciliation is idempotent), so a failed movement
// can simply be run again.

const (
	// verbStreamRange: payload table id (uvarint), start and end tokens
	// (8 bytes each, big endian, start < end) and the partition key to
	// resume after (uvarint length, 0 = from the range's start); answers a
	// page: a byte (1 = more follows), the token and key of its last
	// partition (where the next page resumes), and a partition list.
	verbStreamRange uint8 = 7
	// verbRemoveNode: payload a host id; the receiver forgets that node.
	verbRemoveNode uint8 = 8
)

// streamPageBytes bounds one page of streamed partitions: far below
// messaging's frame limit, large enough that round trips do not dominate.
// A variable so tests can force many pages.
var streamPageBytes = 4 << 20

// ringDelay is how long a node waits after announcing a status change
// before it moves data, so every coordinator has seen the change (and
// sends new writes to the pending replicas). Cassandra waits 30 s over a
// slower gossip; memberlist spreads metadata in well under a second on a
// LAN.
const ringDelay = 3 * time.Second

// Local-metadata keys of range movements.
const (
	metaBootstrapped   = "bootstrapped"   // set once the node has its data: it never bootstraps again
	metaDecommissioned = "decommissioned" // set once the node has left: it must not serve again
)

// errPageFull stops a scan once a page is full.
var errPageFull = errors.New("node: stream page full")

// errDecommissioned is returned by New on a node that has left the ring.
var errDecommissioned = errors.New("node: this node was decommissioned; wipe its data directory to reuse it")

func (c *cluster) registerStreamVerbs() {
	c.msg.Handle(verbStreamRange, c.handleStreamRange)
	c.msg.Handle(verbRemoveNode, c.handleRemoveNode)
	c.msg.Handle(verbRepairTree, c.handleRepairTree)
}

// streamCursor is where a range stream stands: the rest of (start, end],
// after the partition (start, afterKey) when afterKey is set.
type streamCursor struct {
	r        ring.Range
	afterKey []byte
}

func appendStreamRequest(dst []byte, table schema.TableID, cur streamCursor) []byte {
	dst = binary.AppendUvarint(dst, uint64(table))
	dst = binary.BigEndian.AppendUint64(dst, uint64(cur.r.Start))
	dst = binary.BigEndian.AppendUint64(dst, uint64(cur.r.End))
	dst = binary.AppendUvarint(dst, uint64(len(cur.afterKey)))
	return append(dst, cur.afterKey...)
}

func decodeStreamRequest(b []byte) (schema.TableID, streamCursor, error) {
	id, k := binary.Uvarint(b)
	if k <= 0 || id > math.MaxUint32 || len(b)-k < 16 {
		return 0, streamCursor{}, fmt.Errorf("%w: bad stream request", errBadPayload)
	}
	cur := streamCursor{r: ring.Range{Start: ring.Token(binary.BigEndian.Uint64(b[k:])), End: ring.Token(binary.BigEndian.Uint64(b[k+8:]))}}
	key, rest, err := takeChunk(b[k+16:])
	if err != nil || len(rest) != 0 {
		return 0, streamCursor{}, fmt.Errorf("%w: bad stream request key", errBadPayload)
	}
	if len(key) > 0 {
		cur.afterKey = key
	}
	if cur.r.Start >= cur.r.End {
		return 0, streamCursor{}, fmt.Errorf("%w: stream range %v must not wrap", errBadPayload, cur.r)
	}
	return schema.TableID(id), cur, nil
}

// streamPage is one answer of verbStreamRange.
type streamPage struct {
	more  bool
	last  streamCursor // r.Start and afterKey: the page's last partition
	parts []*schema.Partition
	size  int // encoded bytes of parts, when scanPage read them (not sent)
}

func appendStreamPage(dst []byte, p streamPage) []byte {
	more := byte(0)
	if p.more {
		more = 1
	}
	dst = append(dst, more)
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.last.r.Start))
	dst = binary.AppendUvarint(dst, uint64(len(p.last.afterKey)))
	dst = append(dst, p.last.afterKey...)
	return appendPartitionList(dst, p.parts)
}

func decodeStreamPage(b []byte) (streamPage, error) {
	if len(b) < 9 || b[0] > 1 {
		return streamPage{}, fmt.Errorf("%w: bad stream page header", errBadPayload)
	}
	p := streamPage{more: b[0] == 1}
	p.last.r.Start = ring.Token(binary.BigEndian.Uint64(b[1:]))
	key, rest, err := takeChunk(b[9:])
	if err != nil {
		return streamPage{}, fmt.Errorf("%w: bad stream page key", errBadPayload)
	}
	p.last.afterKey = key
	if p.more && len(key) == 0 {
		return streamPage{}, fmt.Errorf("%w: a page with more to come must name its last key", errBadPayload)
	}
	if p.parts, err = decodePartitionList(rest); err != nil {
		return streamPage{}, err
	}
	return p, nil
}

// next is the cursor after page, within the same range.
func (cur streamCursor) next(page streamPage) streamCursor {
	return streamCursor{r: ring.Range{Start: page.last.r.Start, End: cur.r.End}, afterKey: page.last.afterKey}
}

// scanPage reads one page of table's partitions from cur.
func (c *cluster) scanPage(ctx context.Context, table schema.TableID, cur streamCursor) (streamPage, error) {
	var page streamPage
	size := 0
	fn := func(p *schema.Partition) error {
		page.parts = append(page.parts, p)
		size += len(schema.AppendPartition(nil, p))
		page.size = size
		if size >= streamPageBytes {
			return errPageFull
		}
		return nil
	}
	var err error
	if cur.afterKey != nil {
		err = c.n.engine.ScanRangeAfter(ctx, table, int64(cur.r.Start), cur.afterKey, int64(cur.r.End), fn)
	} else {
		err = c.n.engine.ScanRange(ctx, table, int64(cur.r.Start), int64(cur.r.End), fn)
	}
	if errors.Is(err, errPageFull) {
		last := page.parts[len(page.parts)-1]
		page.more, page.last = true, streamCursor{r: ring.Range{Start: ring.Token(last.Token)}, afterKey: last.Key}
		return page, nil
	}
	return page, err
}

func (c *cluster) handleStreamRange(ctx context.Context, from string, payload []byte) ([]byte, error) {
	table, cur, err := decodeStreamRequest(payload)
	if err != nil {
		return nil, err
	}
	if c.n.engine == nil {
		return appendStreamPage(nil, streamPage{}), nil
	}
	page, err := c.scanPage(ctx, table, cur)
	if err != nil {
		return nil, fmt.Errorf("cannot scan table %d range %v: %w", table, cur.r, err)
	}
	out := appendStreamPage(nil, page)
	c.n.ops.peerActivity("stream-out", c.n.peerLabel(from), "partitions", int64(len(page.parts)), int64(len(out)))
	return out, nil
}

func (c *cluster) handleRemoveNode(_ context.Context, _ string, payload []byte) ([]byte, error) {
	if len(payload) != 16 {
		return nil, fmt.Errorf("%w: bad host id", errBadPayload)
	}
	var id ring.HostID
	copy(id[:], payload)
	c.queue.Push(gossipEvent{kind: evRemoved, id: id})
	return nil, nil
}

// pullRange copies table's partitions in r (not wrapping) from the peer at
// addr into dst, page by page.
func (c *cluster) pullRange(ctx context.Context, addr string, table schema.TableID, r ring.Range, dst replica) error {
	cur := streamCursor{r: r}
	for {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := c.msg.Request(rctx, addr, verbStreamRange, appendStreamRequest(nil, table, cur))
		cancel()
		if err != nil {
			return fmt.Errorf("cannot stream table %d range %v from %s: %w", table, r, addr, err)
		}
		page, err := decodeStreamPage(resp)
		if err != nil {
			return fmt.Errorf("cannot decode a stream page from %s: %w", addr, err)
		}
		opOf(ctx).add(0, int64(len(resp)))
		if err := c.n.ops.stream.wait(ctx, len(resp)); err != nil {
			return err
		}
		if len(page.parts) > 0 {
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := dst.Apply(actx, page.parts...)
			cancel()
			if err != nil {
				return fmt.Errorf("cannot apply streamed data: %w", err)
			}
		}
		if !page.more {
			return nil
		}
		cur = cur.next(page)
	}
}

// streamRanges splits r into the non-wrapping ranges streams take: the
// whole ring is (MinToken, MaxToken] (no key has MinToken).
func streamRanges(r ring.Range) []ring.Range {
	if r.IsFull() {
		return []ring.Range{{Start: ring.MinToken, End: ring.MaxToken}}
	}
	return r.Unwrap()
}

// replicatedTables returns every table with a replication strategy (not
// local-only), with its strategy.
func (c *cluster) replicatedTables() map[schema.TableID]ring.Strategy {
	out := make(map[schema.TableID]ring.Strategy)
	for _, t := range c.n.schema.Catalog().Tables() {
		pl, err := c.n.schema.placementOf(t.TableID)
		if err == nil && pl.strategy != nil {
			out[t.TableID] = pl.strategy
		}
	}
	return out
}

// fetchFrom copies table's data in r from every up node of sources (all of
// them, so a write that missed one replica is still found) into dst.
func (c *cluster) fetchFrom(ctx context.Context, sources []ring.HostID, table schema.TableID, r ring.Range, dst replica) error {
	fetched := 0
	for _, id := range sources {
		if id == c.n.id.hostID {
			if err := c.copyLocal(ctx, table, r, dst); err != nil {
				return err
			}
			fetched++
			continue
		}
		p := c.view.Load().peers[id]
		if p == nil || !p.up {
			continue
		}
		if err := c.pullRange(ctx, p.meta.msgAddr(), table, r, dst); err != nil {
			return err
		}
		fetched++
	}
	if fetched == 0 && len(sources) > 0 {
		return fmt.Errorf("no replica of range %v is up to stream from", r)
	}
	return nil
}

// copyLocal copies this node's data of table in r to dst.
func (c *cluster) copyLocal(ctx context.Context, table schema.TableID, r ring.Range, dst replica) error {
	if dst == c.n.local {
		return nil
	}
	cur := streamCursor{r: r}
	for {
		page, err := c.scanPage(ctx, table, cur)
		if err != nil {
			return fmt.Errorf("cannot scan table %d range %v: %w", table, r, err)
		}
		if len(page.parts) > 0 {
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := dst.Apply(actx, page.parts...)
			cancel()
			if err != nil {
				return fmt.Errorf("cannot stream table %d range %v: %w", table, r, err)
			}
			opOf(ctx).add(0, int64(page.size))
			if err := c.n.ops.stream.wait(ctx, page.size); err != nil {
				return err
			}
		}
		if !page.more {
			return nil
		}
		cur = cur.next(page)
	}
}

// setStatus changes this node's ring status, rebuilds its ring and
// announces the change.
func (c *cluster) setStatus(st ring.Status) {
	c.status.Store(uint32(st))
	c.queue.Push(gossipEvent{kind: evRefresh, id: c.n.id.hostID})
	c.announce()
}

// bootstrap runs on a node's first start when it joins an existing
// cluster: it waits to know the ring, announces itself joining (writes for
// its future ranges now reach it), waits ringDelay, streams those ranges
// from their current replicas, then turns normal.
func (c *cluster) bootstrap(ctx context.Context) error {
	if err := c.waitForRing(ctx); err != nil {
		return nil // shutting down
	}
	c.setStatus(ring.StatusJoining)
	c.log.Info("joining: announced; streaming the ranges this node takes over after the ring delay", "delay", ringDelay)
	if !sleepCtx(ctx, ringDelay) {
		return nil
	}
	c.waitForSchema(ctx, 30*time.Second) // the tables to stream are the cluster's
	for {
		err := c.streamJoin(ctx)
		if err == nil {
			break
		}
		c.log.Warn("bootstrap streaming failed; retrying", "err", err)
		if !sleepCtx(ctx, 2*time.Second) {
			return nil
		}
	}
	if err := c.n.engine.SetLocal(ctx, metaBootstrapped, []byte{1}); err != nil {
		return fmt.Errorf("cannot record the end of bootstrap: %w", err)
	}
	c.setStatus(ring.StatusNormal)
	c.log.Info("joined the ring: status normal")
	return nil
}

// waitForRing waits until gossip has found a peer and every up peer's
// tokens are in the ring.
func (c *cluster) waitForRing(ctx context.Context) error {
	for {
		if c.ringComplete() {
			return nil
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

func (c *cluster) ringComplete() bool {
	v := c.view.Load()
	up := 0
	snap := c.n.ring.Load()
	for id, p := range v.peers {
		if !p.up {
			continue
		}
		up++
		if _, ok := snap.Node(id); !ok {
			return false
		}
	}
	return up > 0
}

func (c *cluster) streamJoin(ctx context.Context) (err error) {
	snap := c.n.ring.Load()
	self := c.n.id.hostID
	tables := c.replicatedTables()
	total := 0
	for _, st := range tables {
		for _, fr := range snap.FutureRanges(self, st) {
			total += len(streamRanges(fr))
		}
	}
	op := c.n.ops.start("bootstrap", "streaming in", "ranges", int64(total))
	defer func() { op.finish(err) }()
	ctx = withOp(ctx, op)
	for table, st := range tables {
		for _, fr := range snap.FutureRanges(self, st) {
			for _, r := range streamRanges(fr) {
				if err := c.fetchFrom(ctx, snap.Replicas(r.End, st), table, r, c.n.local); err != nil {
					return err
				}
				op.add(1, 0)
			}
		}
	}
	return nil
}

// Decommission streams every range this node replicates to the nodes that
// take it over, then leaves the cluster for good. The process should be
// stopped afterwards; it refuses to start again on the same data.
func (n *Node) Decommission(ctx context.Context) error {
	c := n.cluster
	if ring.Status(c.status.Load()) != ring.StatusNormal {
		return fmt.Errorf("cannot decommission a node whose status is %s", ring.Status(c.status.Load()))
	}
	if len(c.view.Load().peers) == 0 {
		return errors.New("cannot decommission the only node of the cluster")
	}
	c.setStatus(ring.StatusLeaving)
	if !sleepCtx(ctx, ringDelay) {
		return ctx.Err()
	}
	if err := c.streamLeave(ctx); err != nil {
		c.setStatus(ring.StatusNormal)
		return fmt.Errorf("decommission aborted (status back to normal): %w", err)
	}
	c.waitForHints(ctx, 30*time.Second) // hand over the hints this node holds
	if n.engine != nil {
		if err := n.engine.SetLocal(ctx, metaDecommissioned, []byte{1}); err != nil {
			return fmt.Errorf("cannot record the decommission: %w", err)
		}
	}
	c.adm.leaving.Store(true) // peers retire this id now: expected, not a removal
	c.left.Store(true)
	c.announce()
	sleepCtx(ctx, time.Second) // let the metadata spread before memberlist's leave
	if err := c.gossip.leave(5 * time.Second); err != nil {
		return err
	}
	// Its data now lives elsewhere: stop the native transport at once, as
	// Cassandra does, so no client keeps reading what this node no longer
	// receives. Requests in flight finish first.
	if n.cql != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.cfg.ShutdownTimeout)
		err := n.cql.Shutdown(sctx)
		cancel()
		if err != nil {
			c.log.Warn("client connections cut before their requests finished", "err", err)
		}
	}
	c.log.Info("decommissioned: this node has left the ring and stopped serving clients; stop the process")
	return nil
}

func (c *cluster) streamLeave(ctx context.Context) (err error) {
	snap := c.n.ring.Load()
	tables := c.replicatedTables()
	total := 0
	for _, st := range tables {
		for _, cr := range snap.Ranges(c.n.id.hostID, st) {
			total += len(streamRanges(cr))
		}
	}
	op := c.n.ops.start("decommission", "streaming out", "ranges", int64(total))
	defer func() { op.finish(err) }()
	ctx = withOp(ctx, op)
	for table, st := range tables {
		for _, cr := range snap.Ranges(c.n.id.hostID, st) {
			for _, r := range streamRanges(cr) {
				for _, id := range snap.PendingReplicas(r.End, st) {
					dst, up := c.peer(id)
					if !up {
						return fmt.Errorf("node %s, a new replica of %v, is down", id, r)
					}
					if err := c.copyLocal(ctx, table, r, dst); err != nil {
						return err
					}
				}
				op.add(1, 0)
			}
		}
	}
	return nil
}

// RemoveNode re-replicates the ranges of a dead node from the surviving
// replicas to the nodes that take them over, then removes it from the
// ring on every node.
func (n *Node) RemoveNode(ctx context.Context, id ring.HostID) error {
	c := n.cluster
	if id == n.id.hostID {
		return errors.New("a node cannot remove itself: use decommission")
	}
	p := c.view.Load().peers[id]
	if p == nil {
		return fmt.Errorf("host %s is not in the ring", id)
	}
	if p.up {
		return fmt.Errorf("host %s is up: decommission it instead", id)
	}
	snap := n.ring.Load()
	after, err := ring.NewBuilder(snap).Remove(id).Build()
	if err != nil {
		return fmt.Errorf("cannot compute the ring without %s: %w", id, err)
	}
	if err := c.rereplicate(ctx, snap, after, id); err != nil {
		return err
	}
	for pid, pv := range c.view.Load().peers {
		if pid != id && pv.up {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.msg.Request(rctx, pv.meta.msgAddr(), verbRemoveNode, id[:])
			cancel()
			if err != nil {
				c.log.Warn("cannot tell a peer about the removal; it will keep the dead node", "peer", pid, "err", err)
			}
		}
	}
	c.queue.Push(gossipEvent{kind: evRemoved, id: id})
	return nil
}

// rereplicate copies, for every range the dead node replicated, the data
// from the surviving replicas to each node that becomes a replica.
func (c *cluster) rereplicate(ctx context.Context, before, after *ring.Snapshot, dead ring.HostID) error {
	for table, st := range c.replicatedTables() {
		for _, dr := range before.Ranges(dead, st) {
			for _, r := range streamRanges(dr) {
				old := before.Replicas(r.End, st)
				for _, g := range after.Replicas(r.End, st) {
					if containsHost(old, g) {
						continue
					}
					dst, up := c.replicaFor(g)
					if !up {
						return fmt.Errorf("node %s, a new replica of %v, is down", g, r)
					}
					if err := c.fetchFrom(ctx, withoutHost(old, dead), table, r, dst); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (c *cluster) replicaFor(id ring.HostID) (replica, bool) {
	if id == c.n.id.hostID {
		return c.n.local, true
	}
	return c.peer(id)
}

func containsHost(ids []ring.HostID, id ring.HostID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func withoutHost(ids []ring.HostID, id ring.HostID) []ring.HostID {
	var out []ring.HostID
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// cleanupLoop drops the data of ranges this node no longer replicates. It
// acts only on a settled ring: every node up and normal, and the ring
// unchanged for cleanupSettle, so a node that is down (whose data might be
// needed) or a movement in progress always blocks it.
func (c *cluster) cleanupLoop(ctx context.Context) error {
	const cleanupSettle = 30 * time.Second
	var cleaned, seen uint64
	var since time.Time
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		snap := c.n.ring.Load()
		if v := snap.Version(); v != seen {
			seen, since = v, time.Now()
		}
		if seen == cleaned || time.Since(since) < cleanupSettle || !c.ringSettled(snap) {
			continue
		}
		if err := c.cleanup(ctx, snap); err != nil {
			c.log.Warn("cleanup failed; will retry", "err", err)
			continue
		}
		cleaned = seen
	}
}

func (c *cluster) ringSettled(snap *ring.Snapshot) bool {
	v := c.view.Load()
	for _, n := range snap.Nodes() {
		if n.Status != ring.StatusNormal {
			return false
		}
		if n.ID == c.n.id.hostID {
			continue
		}
		if p := v.peers[n.ID]; p == nil || !p.up {
			return false
		}
	}
	return true
}

func (c *cluster) cleanup(ctx context.Context, snap *ring.Snapshot) (err error) {
	var errs []error
	tables := c.replicatedTables()
	op := c.n.ops.start("cleanup", "automatic: the ring settled", "tables", int64(len(tables)))
	defer func() { op.finish(err) }()
	for table, st := range tables {
		var keep []storage.TokenRange
		for _, r := range snap.Ranges(c.n.id.hostID, st) {
			keep = append(keep, storage.TokenRange{Start: int64(r.Start), End: int64(r.End)})
		}
		if err := c.n.engine.Cleanup(ctx, table, keep); err != nil {
			errs = append(errs, fmt.Errorf("cannot clean up table %d: %w", table, err))
		}
		op.add(1, 0)
	}
	return errors.Join(errs...)
}

// waitForSchema waits, at most d, until every up peer reports this node's
// schema version.
func (c *cluster) waitForSchema(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		mine, agreed := c.n.schema.Catalog().Version(), true
		for _, p := range c.view.Load().peers {
			agreed = agreed && (!p.up || p.meta.Schema == mine)
		}
		if agreed || !sleepCtx(ctx, 100*time.Millisecond) {
			return
		}
	}
	c.log.Warn("schema not agreed with every peer; streaming the tables known here", "waited", d)
}

// waitForHints waits, at most d, until the replay loop has delivered every
// hint this node holds.
func (c *cluster) waitForHints(ctx context.Context, d time.Duration) {
	if c.hints == nil {
		return
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		var pending int64
		for _, st := range c.n.engine.AllHintStats() {
			pending += st.Count
		}
		if pending == 0 || !sleepCtx(ctx, 200*time.Millisecond) {
			return
		}
	}
	c.log.Warn("leaving with hints not yet delivered; repair the cluster afterwards", "waited", d)
}

// sleepCtx sleeps for d; it reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
