package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// ErrHintsFull is returned (wrapped) by StoreHint when the target's hints
// would exceed Options.MaxHintBytesPerTarget. The coordinator should then
// count the replica as failed (and rely on repair) rather than wait.
var ErrHintsFull = errors.New("storage: hint store for target is full")

// Hint is a mutation kept for a replica that was down.
type Hint struct {
	Target HostID
	// ID orders the target's hints by creation (it is the creation time in
	// nanoseconds, made unique); DeleteHint takes it.
	ID       uint64
	Created  time.Time
	Mutation *schema.Partition
}

// HintStats counts the stored hints of one target.
type HintStats struct {
	Target HostID
	Count  int64
	Bytes  int64 // keys and values
}

type hintState struct {
	mu      sync.Mutex
	targets map[HostID]*HintStats
	lastID  uint64
}

func (e *Engine) loadHintStats() error {
	e.hints.targets = make(map[HostID]*HintStats)
	start := []byte{spaceHints}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: []byte{spaceHints + 1}})
	if err != nil {
		return fmt.Errorf("cannot scan hints: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		target, id, err := decodeHintKey(it.Key())
		if err != nil {
			e.log.Error("skipping malformed hint key", "err", err)
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("cannot scan hints: %w", err)
		}
		st := e.hintStatsLocked(target)
		st.Count++
		st.Bytes += int64(len(it.Key()) + len(v))
		e.hints.lastID = max(e.hints.lastID, id)
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("cannot scan hints: %w", err)
	}
	return nil
}

func (e *Engine) hintStatsLocked(target HostID) *HintStats {
	st := e.hints.targets[target]
	if st == nil {
		st = &HintStats{Target: target}
		e.hints.targets[target] = st
	}
	return st
}

// StoreHint durably stores mut for target, after the target's older
// hints. It fails with ErrHintsFull past the per-target byte bound.
func (e *Engine) StoreHint(ctx context.Context, target HostID, mut *schema.Partition) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	value := schema.AppendPartition(nil, mut)
	e.hints.mu.Lock()
	id := max(uint64(e.opts.Now().UnixNano()), e.hints.lastID+1)
	key := hintKey(target, id)
	size := int64(len(key) + len(value))
	st := e.hintStatsLocked(target)
	if st.Bytes+size > e.opts.MaxHintBytesPerTarget {
		e.hints.mu.Unlock()
		e.m.hintsRejected.Add(1)
		return 0, fmt.Errorf("%w: %d bytes stored, %d more would pass the bound of %d", ErrHintsFull, st.Bytes, size, e.opts.MaxHintBytesPerTarget)
	}
	e.hints.lastID = id
	st.Count++
	st.Bytes += size
	e.hints.mu.Unlock()
	if err := e.db.Set(key, value, e.writeOpts); err != nil {
		e.hints.mu.Lock()
		st.Count--
		st.Bytes -= size
		e.hints.mu.Unlock()
		return 0, fmt.Errorf("cannot store hint: %w", err)
	}
	e.m.hintsStored.Add(1)
	return id, nil
}

// hintReplayBatch is how many hints Hints reads before calling fn on
// them, outside the engine's close lock (fn may call DeleteHint).
const hintReplayBatch = 64

// Hints calls fn with target's hints, oldest first, until fn returns an
// error (returned as is) or the hints run out. Hints stored meanwhile may
// or may not be seen. fn may call the engine, typically DeleteHint once
// the hint is delivered.
func (e *Engine) Hints(ctx context.Context, target HostID, fn func(Hint) error) error {
	var from uint64
	for {
		batch, err := e.readHints(ctx, target, from, hintReplayBatch)
		if err != nil {
			return err
		}
		for _, h := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(h); err != nil {
				return err
			}
		}
		if len(batch) < hintReplayBatch {
			return nil
		}
		from = batch[len(batch)-1].ID + 1
	}
}

// readHints returns up to n hints of target with ids >= from.
func (e *Engine) readHints(ctx context.Context, target HostID, from uint64, n int) ([]Hint, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	prefix := hintPrefix(target)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: hintKey(target, from), UpperBound: prefixSuccessor(nil, prefix)})
	if err != nil {
		return nil, fmt.Errorf("cannot list hints: %w", err)
	}
	defer func() { _ = it.Close() }()
	var out []Hint
	for it.First(); it.Valid() && len(out) < n; it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		_, id, err := decodeHintKey(it.Key())
		if err != nil {
			return nil, fmt.Errorf("cannot list hints: %w", err)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("cannot list hints: %w", err)
		}
		m, err := schema.DecodePartition(v)
		if err != nil {
			return nil, fmt.Errorf("cannot decode hint %d: %w", id, err)
		}
		out = append(out, Hint{Target: target, ID: id, Created: time.Unix(0, int64(id)), Mutation: m})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("cannot list hints: %w", err)
	}
	return out, nil
}

// DeleteHint durably removes one hint (after it was replayed).
func (e *Engine) DeleteHint(ctx context.Context, target HostID, id uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	key := hintKey(target, id)
	v, closer, err := e.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot delete hint: %w", err)
	}
	size := int64(len(key) + len(v))
	_ = closer.Close()
	if err := e.db.Delete(key, e.writeOpts); err != nil {
		return fmt.Errorf("cannot delete hint: %w", err)
	}
	e.hints.mu.Lock()
	st := e.hintStatsLocked(target)
	st.Count--
	st.Bytes -= size
	e.hints.mu.Unlock()
	return nil
}

// DropHints durably removes every hint of target (the node left the
// cluster, or its hint window passed).
func (e *Engine) DropHints(ctx context.Context, target HostID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	prefix := hintPrefix(target)
	e.hints.mu.Lock()
	defer e.hints.mu.Unlock()
	if err := e.db.DeleteRange(prefix, prefixSuccessor(nil, prefix), e.writeOpts); err != nil {
		return fmt.Errorf("cannot drop hints: %w", err)
	}
	delete(e.hints.targets, target)
	return nil
}

// HintStatsFor returns the hint count and size of one target.
func (e *Engine) HintStatsFor(target HostID) HintStats {
	e.hints.mu.Lock()
	defer e.hints.mu.Unlock()
	if st := e.hints.targets[target]; st != nil {
		return *st
	}
	return HintStats{Target: target}
}

// AllHintStats returns the stats of every target with hints, ordered by
// target.
func (e *Engine) AllHintStats() []HintStats {
	e.hints.mu.Lock()
	out := make([]HintStats, 0, len(e.hints.targets))
	for _, st := range e.hints.targets {
		if st.Count > 0 {
			out = append(out, *st)
		}
	}
	e.hints.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Target[:], out[j].Target[:]) < 0 })
	return out
}
