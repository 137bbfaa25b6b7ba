package storage

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Snapshots (nodetool snapshot) are Pebble checkpoints: a directory of
// hard links to the store's immutable sstables plus a copy of its WAL,
// MANIFEST and OPTIONS, taken in an instant and costing no space until
// compactions replace the linked files. A checkpoint is itself a Pebble
// store, so a restore opens it read-only (OpenCheckpoint) and scans the
// tables it wants with the ordinary reader; nothing about the checkpoint's
// layout is Sibyl's own. What a snapshot holds beyond the rows (the schema
// of its tables, its tag and time) is the caller's manifest.

// Checkpoint writes a checkpoint of the store into dest, which must not
// exist. With tables, the checkpoint links only the sstables that hold
// keys of those tables (the WAL is copied whole, so it may still surface
// keys of others, which a reader of those tables never sees).
func (e *Engine) Checkpoint(ctx context.Context, dest string, tables []schema.TableID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	// The WAL is flushed first so that writes acknowledged before the call
	// (UnsafePeriodicSync acknowledges before the sync) are in the copy.
	opts := []pebble.CheckpointOption{pebble.WithFlushedWAL()}
	if len(tables) > 0 {
		spans := make([]pebble.CheckpointSpan, 0, len(tables))
		for _, t := range tables {
			start, end := tableSpan(t)
			spans = append(spans, pebble.CheckpointSpan{Start: start, End: end})
		}
		opts = append(opts, pebble.WithRestrictToSpans(spans))
	}
	if err := e.db.Checkpoint(dest, opts...); err != nil {
		return fmt.Errorf("cannot write a checkpoint to %s: %w", dest, err)
	}
	return nil
}

// Checkpoint is a read-only view of a store written by Engine.Checkpoint.
type Checkpoint struct {
	e *Engine
}

// OpenCheckpoint opens the checkpoint in dir read-only: Pebble replays its
// WAL in memory and never writes to dir, so a snapshot can be restored any
// number of times. opts.Dir is replaced by dir; the other options (file
// system, logger, gc_grace) are those of the live store.
func OpenCheckpoint(dir string, opts Options) (*Checkpoint, error) {
	opts.Dir = dir
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, log: opts.Logger, latchSeed: maphash.MakeSeed(), writeOpts: pebble.Sync, throttle: newCompactionThrottle()}
	cache := pebble.NewCache(8 << 20)
	defer cache.Unref()
	popts := &pebble.Options{
		FS:                 opts.FS,
		Cache:              cache,
		Merger:             newMerger(),
		Logger:             pebbleLogger{opts.Logger},
		FormatMajorVersion: pebble.FormatNewest,
		ReadOnly:           true,
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("cannot open the checkpoint in %s: %w", dir, err)
	}
	if err := checkFormatVersion(db, false); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot open the checkpoint in %s: %w", dir, err)
	}
	e.db = db
	// No background task runs on a read-only store; Close still cancels.
	e.cancel = func() {}
	return &Checkpoint{e: e}, nil
}

// ScanTable calls fn with every partition of table t in the checkpoint,
// complete with its tombstones, in token order (as Engine.ScanRange).
func (c *Checkpoint) ScanTable(ctx context.Context, t schema.TableID, fn func(*schema.Partition) error) error {
	return c.e.ScanRange(ctx, t, math.MinInt64, math.MinInt64, fn)
}

// Close closes the checkpoint's store.
func (c *Checkpoint) Close() error { return c.e.Close() }

// RekeyPartition rewrites p, read from a table whose regular and static
// columns had other ids, for the live table: Table becomes to, and every
// column id is mapped through cols. Cells and collection deletions of a
// column cols does not know (dropped since) are left out and counted in
// dropped. Rows keep their timestamps, so the result reconciles with the
// live data as the original write would have.
func RekeyPartition(p *schema.Partition, to schema.TableID, cols map[schema.ColumnID]schema.ColumnID) (dropped int) {
	p.Table = to
	rekeyRow := func(r *schema.Row) {
		cells := r.Cells[:0]
		for _, c := range r.Cells {
			id, ok := cols[c.Column]
			if !ok {
				dropped++
				continue
			}
			c.Column = id
			cells = append(cells, c)
		}
		// Storage wants cells ordered by (column, path); new ids may order
		// the columns differently.
		slices.SortStableFunc(cells, func(a, b schema.Cell) int {
			if a.Column != b.Column {
				return int(a.Column) - int(b.Column)
			}
			return bytes.Compare(a.Path, b.Path)
		})
		r.Cells = cells
		cds := r.ColumnDeletions[:0]
		for _, d := range r.ColumnDeletions {
			if id, ok := cols[d.Column]; ok {
				d.Column = id
				cds = append(cds, d)
			} else {
				dropped++
			}
		}
		slices.SortStableFunc(cds, func(a, b schema.ColumnDeletion) int { return int(a.Column) - int(b.Column) })
		r.ColumnDeletions = cds
	}
	if p.Static != nil {
		rekeyRow(p.Static)
	}
	for i := range p.Rows {
		rekeyRow(&p.Rows[i])
	}
	return dropped
}
