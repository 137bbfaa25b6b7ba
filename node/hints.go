package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Hinted handoff. When a replica is down, or does not acknowledge a write
// in time, the coordinator stores the mutation durably in storage's hint
// space for that replica (bounded per target by storage), unless the
// replica has been down longer than the hint window: past it, the replica
// must be repaired anyway and hints would only pile up. A replay loop
// sends each up target its hints, oldest first, throttled, and deletes
// each once the target has acknowledged it. Hints are best effort, as in
// Cassandra: they shorten the time replicas disagree but do not replace
// repair.

// hintStore is how the coordinator stores hints; nil disables them.
type hintStore interface {
	// Store keeps mut for target; it fails when the target is past the hint
	// window or its hints are full.
	Store(ctx context.Context, target ring.HostID, mut *schema.Partition) error
}

// errPastHintWindow is returned by Store for a target down longer than
// the hint window.
var errPastHintWindow = errors.New("node: replica down longer than the hint window")

// hintManager stores and replays hints through the storage engine.
type hintManager struct {
	c        *cluster
	engine   *storage.Engine
	window   time.Duration
	throttle int64 // bytes per second of replay, per node
	replayed atomic.Int64
	kick     chan struct{} // capacity 1: a peer came up, replay now
}

// peerUp asks for a replay round at once; it never blocks.
func (h *hintManager) peerUp() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

var _ hintStore = (*hintManager)(nil)

// Store implements hintStore.
func (h *hintManager) Store(ctx context.Context, target ring.HostID, mut *schema.Partition) error {
	if p := h.c.view.Load().peers[target]; p != nil && !p.up && !p.downSince.IsZero() &&
		h.c.n.cfg.Now().Sub(p.downSince) > h.window {
		return errPastHintWindow
	}
	if _, err := h.engine.StoreHint(ctx, target, mut); err != nil {
		return fmt.Errorf("cannot store a hint for %s: %w", target, err)
	}
	return nil
}

// run replays hints to up targets every second until ctx ends.
func (h *hintManager) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-h.kick:
		}
		h.replayAll(ctx)
	}
}

func (h *hintManager) replayAll(ctx context.Context) {
	snap := h.c.n.ring.Load()
	for _, st := range h.engine.AllHintStats() {
		if st.Count == 0 || ctx.Err() != nil {
			continue
		}
		target := st.Target
		if _, inRing := snap.Node(target); !inRing {
			h.drop(ctx, target, "it left the ring")
			continue
		}
		r, up := h.c.peer(target)
		if !up {
			continue
		}
		if n, err := h.replay(ctx, target, r); err != nil {
			h.c.log.Info("hint replay stopped; will retry", "target", target, "replayed", n, "err", err)
		} else if n > 0 {
			h.c.log.Info("replayed hints", "target", target, "count", n)
		}
	}
}

func (h *hintManager) drop(ctx context.Context, target ring.HostID, why string) {
	if err := h.engine.DropHints(ctx, target); err != nil {
		h.c.log.Warn("cannot drop hints", "target", target, "err", err)
		return
	}
	h.c.log.Info("dropped hints", "target", target, "reason", why)
}

// Hints travel in batches of up to hintBatchBytes (or hintBatchCount
// mutations), one request each, so a returning node catches up in seconds.
const (
	hintBatchBytes = 256 << 10
	hintBatchCount = 256
)

// hintBatch is hints read but not yet delivered.
type hintBatch struct {
	ids   []uint64
	muts  []*schema.Partition
	bytes int
}

// replay sends target its hints oldest first, in batches, deleting each
// once acknowledged, at most h.throttle bytes per second. It stops at the
// first failure (the target went down again); the next round resumes.
func (h *hintManager) replay(ctx context.Context, target ring.HostID, r replica) (int, error) {
	start, sent, n := time.Now(), int64(0), 0
	var b hintBatch
	flush := func() error {
		if len(b.muts) == 0 {
			return nil
		}
		if err := h.deliver(ctx, r, b.muts); err != nil {
			return err
		}
		for _, id := range b.ids {
			if err := h.engine.DeleteHint(ctx, target, id); err != nil {
				return fmt.Errorf("cannot delete a replayed hint: %w", err)
			}
		}
		n += len(b.ids)
		h.replayed.Add(int64(len(b.ids)))
		sent += int64(b.bytes)
		b = hintBatch{}
		return h.pace(ctx, start, sent)
	}
	err := h.engine.Hints(ctx, target, func(hint storage.Hint) error {
		b.ids = append(b.ids, hint.ID)
		b.muts = append(b.muts, hint.Mutation)
		b.bytes += len(schema.AppendPartition(nil, hint.Mutation))
		if b.bytes >= hintBatchBytes || len(b.muts) >= hintBatchCount {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return n, err
}

func (h *hintManager) deliver(ctx context.Context, r replica, muts []*schema.Partition) error {
	ctx, cancel := context.WithTimeout(ctx, h.c.n.cfg.WriteTimeout)
	defer cancel()
	return r.Apply(ctx, muts...)
}

// pace sleeps as long as replay runs ahead of the throttle.
func (h *hintManager) pace(ctx context.Context, start time.Time, sent int64) error {
	if h.throttle <= 0 {
		return nil
	}
	due := start.Add(time.Duration(float64(sent) / float64(h.throttle) * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// storeHints stores a hint for every replica of each mutation that is
// down or did not acknowledge it, and returns per mutation how many hints
// were stored (an ANY write counts them as acknowledgements).
func (c *Coordinator) storeHints(ctx context.Context, muts []*schema.Partition, targets []target, results replicaAnswers) []int {
	hinted := make([]int, len(targets))
	if c.cfg.Hints == nil || !needsHints(targets, results, c.cfg.Self) {
		return hinted
	}
	// The write's deadline may have passed; hints get their own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.WriteTimeout)
	defer cancel()
	for i, t := range targets {
		for _, r := range t.down {
			hinted[i] += c.hint(ctx, r.id, muts[i])
		}
		for _, r := range t.replicas {
			if results.failed(r.id) && r.id != c.cfg.Self {
				hinted[i] += c.hint(ctx, r.id, muts[i])
			}
		}
	}
	return hinted
}

// needsHints reports whether any replica of any target was down or failed:
// the common write has none, and then needs no hint context at all.
func needsHints(targets []target, results replicaAnswers, self ring.HostID) bool {
	for _, t := range targets {
		if len(t.down) > 0 {
			return true
		}
		for _, r := range t.replicas {
			if results.failed(r.id) && r.id != self {
				return true
			}
		}
	}
	return false
}

func (c *Coordinator) hint(ctx context.Context, target ring.HostID, mut *schema.Partition) int {
	err := c.cfg.Hints.Store(ctx, target, mut)
	switch {
	case err == nil:
		return 1
	case errors.Is(err, errPastHintWindow):
		// Cassandra's max_hint_window: the replica needs repair, as
		// the window promises; counted, not logged per write.
		c.cfg.Metrics.hintsDropped.WithLabelValues("past_window").Inc()
	default:
		// The write was acknowledged (or failed) without this replica:
		// without the hint only repair brings it back, so say so.
		c.cfg.Metrics.hintsDropped.WithLabelValues("store_failed").Inc()
		if c.cfg.Logger != nil {
			c.cfg.Logger.Warn("cannot store a hint; the replica needs repair", "target", target, "err", err)
		}
	}
	return 0
}

// downOnly returns the replicas that are not alive.
func downOnly(rs []replicaInfo) []replicaInfo {
	var out []replicaInfo
	for _, r := range rs {
		if !r.alive {
			out = append(out, r)
		}
	}
	return out
}
