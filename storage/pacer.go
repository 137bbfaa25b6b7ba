package storage

import (
	"context"
	"time"
)

// Compaction pacing. Pebble starts a compaction as soon as a flush makes
// one worthwhile and runs it flat out: on a small machine that is one
// core taken for a second after every flush, and requests queue behind it
// (the open-loop latency stall of BENCHMARKS.md). The pacer spreads that
// work over time while compactions are keeping up: while L0 is shallow
// and the compaction debt small it limits compaction output to
// Options.CompactionPacing bytes per second; once they fall behind it
// lifts the limit, so pacing never lets L0 grow to Pebble's write stall.
// An operator's setcompactionthroughput wins over the pacer either way.

// pebbleL0CompactionThreshold is Pebble's default, set explicitly so the
// pacer's notion of "L0 is deep" is the one Pebble compacts by.
const pebbleL0CompactionThreshold = 4

// pacingInterval is how often the pacer looks at the LSM. Pebble's
// Metrics takes its locks briefly; four times a second is nothing, and
// quicker than L0 can fill (a memtable flush every few seconds under a
// full write load).
const pacingInterval = 250 * time.Millisecond

// behind reports whether compactions are falling behind: L0 is as deep
// as the point where Pebble compacts it, or the debt exceeds what paced
// compactions would clear in pacingCatchUp.
func (e *Engine) behind(sublevels int32, debt uint64) bool {
	return int(sublevels) > e.pacingL0 || debt > uint64(e.opts.CompactionPacing)*uint64(pacingCatchUp/time.Second)
}

// pacingCatchUp bounds the debt the pacer accepts: what the paced rate
// clears in this long.
const pacingCatchUp = 8 * time.Second

// pace sets the paced limit from the LSM's shape until ctx ends.
func (e *Engine) pace(ctx context.Context) {
	t := time.NewTicker(pacingInterval)
	defer t.Stop()
	for {
		m := e.db.Metrics()
		if e.behind(m.Levels[0].Sublevels, m.Compact.EstimatedDebt) {
			e.throttle.paced.Store(0)
		} else {
			e.throttle.paced.Store(e.opts.CompactionPacing)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
