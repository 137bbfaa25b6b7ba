package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Purging is the purger's alone (FORMAT.md, "Purge"): the merger purges
// nothing at compaction, since Pebble cannot drop a merge result over a
// key's SET base (merger.go, DeletableFinish). The purger, here, removes
// partition, range, row and collection tombstones past the horizon
// together with everything they shadow under other keys, cell tombstones,
// expired cells and expired row markers, and secondary index entries
// that are tombstones or expired past the horizon. It holds the
// partition's latch while it reads and deletes, so a write that arrives
// meanwhile waits and is never deleted with the purged data.

// purgeLoop runs Purge every interval until ctx ends.
func (e *Engine) purgeLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Purge(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("background purge failed", "err", err)
			}
		}
	}
}

// Purge removes, from every table, the tombstones whose gc_grace has
// passed and the data they shadow, then the settled Paxos records past
// gc_grace (paxos.go). Pebble reclaims the space at its next compactions
// (or call Compact).
func (e *Engine) Purge(ctx context.Context) error {
	if err := e.purgeTables(ctx); err != nil {
		return err
	}
	if err := e.purgeIndexEntries(ctx); err != nil {
		return err
	}
	// Outside purgeTables' hold on the close lock: purgePaxos takes it
	// itself, and a nested read lock would deadlock with a waiting Close.
	return e.purgePaxos(ctx)
}

func (e *Engine) purgeTables(ctx context.Context) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.m.purgeRuns.Add(1)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceTable}, UpperBound: []byte{spaceEnd}})
	if err != nil {
		return fmt.Errorf("cannot start purge: %w", err)
	}
	defer func() { _ = it.Close() }()
	var pp, next []byte
	for it.First(); it.Valid(); {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := splitPartitionKey(it.Key())
		if err != nil {
			return fmt.Errorf("cannot purge: %w", err)
		}
		pp = append(pp[:0], info.prefix...)
		h := e.horizon(info.table)
		found, err := hasPurgeable(it, pp, h)
		if err != nil {
			return err
		}
		if found {
			if err := e.purgePartition(info.table, pp, h); err != nil {
				return err
			}
		}
		next = prefixSuccessor(next[:0], pp)
		it.SeekGE(next)
	}
	return it.Error()
}

// purgeIndexEntries deletes the secondary index entries (key space 0x05)
// whose merged value is a tombstone or an expired entry past its table's
// gc horizon: stale entries marked by lookups, and entries of expired
// cells. Nothing else removes them (lookups only mark them, and the
// merger purges nothing).
func (e *Engine) purgeIndexEntries(ctx context.Context) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceIndex}, UpperBound: []byte{spaceIndex + 1}})
	if err != nil {
		return fmt.Errorf("cannot start index purge: %w", err)
	}
	defer func() { _ = it.Close() }()
	for it.First(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := it.Key()
		t, ok := keyTable(k)
		if !ok {
			return fmt.Errorf("cannot purge: %w: index entry %x", errBadKey, k)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("cannot purge: %w", err)
		}
		h := e.horizon(t)
		dead, err := deadIndexEntry(v, h)
		if err != nil {
			return wrapPurge(err)
		}
		if !dead {
			continue
		}
		if err := e.purgeIndexEntry(t, k, h); err != nil {
			return err
		}
	}
	return it.Error()
}

// purgeIndexEntry deletes entry k under its partition's latch, after
// reading it again there: Apply writes a row's entries under the same
// latch, so an entry written meanwhile is seen (and kept) rather than
// deleted with the dead one.
func (e *Engine) purgeIndexEntry(t schema.TableID, k []byte, h int64) error {
	en, err := decodeIndexEntryKey(k, indexPrefixLen)
	if err != nil {
		return wrapPurge(err)
	}
	l := &e.latches[e.latchIndex(t, en.pk)]
	l.Lock()
	defer l.Unlock()
	v, closer, err := e.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	dead, err := deadIndexEntry(v, h)
	_ = closer.Close()
	if err != nil || !dead {
		return wrapPurge(err)
	}
	if err := e.db.Delete(k, pebble.NoSync); err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	e.m.purgedKeys.Add(1)
	return nil
}

// deadIndexEntry reports whether an index entry's merged value is a
// tombstone or an expired entry deleted before horizon h.
func deadIndexEntry(v []byte, h int64) (bool, error) {
	var c schema.Cell
	if err := decodeCellValue(v, &c); err != nil {
		return false, err
	}
	return (c.Tombstone || c.TTL > 0) && c.LocalDeletionTime < h, nil
}

// hasPurgeable scans the partition pp from the iterator's position and
// reports whether it holds a tombstone deleted before horizon h.
func hasPurgeable(it *pebble.Iterator, pp []byte, h int64) (bool, error) {
	for ; it.Valid() && bytes.HasPrefix(it.Key(), pp); it.Next() {
		k := it.Key()
		if len(k) <= len(pp) {
			return false, fmt.Errorf("cannot purge: %w: bare partition prefix", errBadKey)
		}
		d, ok, err := keyDeletion(k[len(pp):], it)
		if err != nil {
			return false, err
		}
		if ok && !d.Live() && d.LocalDeletionTime < h {
			return true, nil
		}
	}
	return false, it.Error()
}

// keyDeletion returns the tombstone held by a key that can shadow other
// keys (partition, range, row or collection deletion); ok false for cells.
func keyDeletion(suffix []byte, it *pebble.Iterator) (schema.Deletion, bool, error) {
	switch suffix[0] {
	case regionHeader, regionRangeTomb:
	default:
		var rk rowKey
		if _, err := decodeRowSuffix(suffix, nil, &rk); err != nil {
			return schema.LiveDeletion, false, fmt.Errorf("cannot purge: %w", err)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return schema.LiveDeletion, false, fmt.Errorf("cannot purge: %w", err)
		}
		switch rk.sub {
		case subCell:
			var c schema.Cell
			if err := decodeCellValue(v, &c); err != nil {
				return schema.LiveDeletion, false, wrapPurge(err)
			}
			if c.Tombstone || c.TTL > 0 {
				return schema.Deletion{MarkedAt: c.Timestamp, LocalDeletionTime: c.LocalDeletionTime}, true, nil
			}
			return schema.LiveDeletion, false, nil
		case subHeader:
			if len(v) > 0 && v[0] == tagPacked {
				d, err := packedEarliestDeletion(v)
				return d, err == nil, wrapPurge(err)
			}
			h, err := decodeRowHeaderValue(v)
			if err != nil {
				return schema.LiveDeletion, false, wrapPurge(err)
			}
			return headerDeletion(h), true, nil
		}
		d, err := decodeDeletionValue(v)
		return d, err == nil, wrapPurge(err)
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return schema.LiveDeletion, false, fmt.Errorf("cannot purge: %w", err)
	}
	d, err := decodeDeletionValue(v)
	return d, err == nil, wrapPurge(err)
}

// headerDeletion is what of a row header the purger may purge first: an
// expiring marker (as a deletion at its expiry) or the row deletion,
// whichever was deleted earlier.
func headerDeletion(h rowHeader) schema.Deletion {
	if h.marker.Timestamp != schema.NoTimestamp && h.marker.TTL > 0 &&
		(h.deletion.Live() || h.marker.ExpiresAt < h.deletion.LocalDeletionTime) {
		return schema.Deletion{MarkedAt: h.marker.Timestamp, LocalDeletionTime: h.marker.ExpiresAt}
	}
	return h.deletion
}

// packedEarliestDeletion is keyDeletion for a packed row: of everything
// in it that the purger may purge (the header's, the collection
// deletions, the cell tombstones and expiring cells), the one deleted
// earliest, or a live deletion when there is none.
func packedEarliestDeletion(v []byte) (schema.Deletion, error) {
	p, err := decodePacked(v)
	if err != nil {
		return schema.LiveDeletion, err
	}
	best := headerDeletion(p.header)
	consider := func(d schema.Deletion) {
		if !d.Live() && (best.Live() || d.LocalDeletionTime < best.LocalDeletionTime) {
			best = d
		}
	}
	cds := newPackedCDs(p.cds)
	var cd schema.ColumnDeletion
	for {
		ok, err := cds.next(&cd)
		if err != nil {
			return schema.LiveDeletion, err
		}
		if !ok {
			break
		}
		consider(cd.Deletion)
	}
	cells := newPackedCells(p.cells)
	var c schema.Cell
	for {
		_, ok, err := cells.next(&c)
		if err != nil {
			return schema.LiveDeletion, err
		}
		if !ok {
			break
		}
		if c.Tombstone || c.TTL > 0 {
			consider(schema.Deletion{MarkedAt: c.Timestamp, LocalDeletionTime: c.LocalDeletionTime})
		}
	}
	return best, nil
}

func wrapPurge(err error) error {
	if err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	return nil
}

// purgeState accumulates the purgeable tombstones of one partition as
// its keys go by in order.
type purgeState struct {
	h     int64
	pd    schema.Deletion // purgeable partition deletion, or live
	rts   []schema.RangeTombstone
	ck    []byte
	raw   []byte          // region and escaped clustering of the current row
	row   schema.Deletion // purgeable shadow over the current row
	cds   []schema.ColumnDeletion
	total int
	dels  int
	// rewrites counts counter cells and packed rows written back without
	// what was purged from them.
	rewrites int
	// pend is the packed row of the current row, whose cells wait for the
	// row's collection deletion keys (an old store's, which follow the
	// packed value) before their fate is decided (flushPacked).
	pend pendingPacked
}

// pendingPacked is a packed row the purger has read the header and
// collection deletions of, with its cells copied.
type pendingPacked struct {
	ok      bool
	key     []byte
	header  rowHeader
	cds     []schema.ColumnDeletion // the kept ones
	cells   []byte
	extra   []byte // the row's cell keys, folded in (packed cell entries)
	merged  []byte // cells and extra reconciled
	changed bool
	out     []byte
}

func (s *purgeState) purgeable(d schema.Deletion) bool {
	return !d.Live() && d.LocalDeletionTime < s.h
}

// purgePartition removes, under the partition's latch, the purgeable
// tombstones of partition pp and what they shadow.
func (e *Engine) purgePartition(t schema.TableID, pp []byte, h int64) error {
	key, err := partitionKeyBytes(nil, pp)
	if err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	l := &e.latches[e.latchIndex(t, key)]
	l.Lock()
	defer l.Unlock()
	upper := prefixSuccessor(nil, pp)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: pp, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	b := e.db.NewBatch()
	defer b.Close()
	s := &purgeState{h: h, pd: schema.LiveDeletion}
	for it.First(); it.Valid(); it.Next() {
		s.total++
		if err := s.visit(b, it, pp); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := s.flushPacked(b); err != nil {
		_ = it.Close()
		return err
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	if s.dels == 0 && s.rewrites == 0 {
		return nil
	}
	if s.dels == s.total {
		// Everything goes: one range deletion lets delete-only
		// compactions drop whole sstables.
		b.Reset()
		if err := b.DeleteRange(pp, upper, nil); err != nil {
			return fmt.Errorf("cannot purge: %w", err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("cannot commit purge: %w", err)
	}
	e.m.purgedKeys.Add(int64(s.dels))
	return nil
}

// visit decides the fate of one key of the partition.
func (s *purgeState) visit(b *pebble.Batch, it *pebble.Iterator, pp []byte) error {
	k := it.Key()
	suffix := k[len(pp):]
	v, err := it.ValueAndErr()
	if err != nil {
		return fmt.Errorf("cannot purge: %w", err)
	}
	del := func() error {
		s.dels++
		return wrapPurge(b.Delete(k, nil))
	}
	switch suffix[0] {
	case regionHeader:
		d, err := decodeDeletionValue(v)
		if err != nil {
			return wrapPurge(err)
		}
		if s.purgeable(d) {
			s.pd = d
			return del()
		}
		return nil
	case regionRangeTomb:
		var rt schema.RangeTombstone
		if err := decodeRangeTombstoneKey(suffix[1:], &rt); err != nil {
			return wrapPurge(err)
		}
		if rt.Deletion, err = decodeDeletionValue(v); err != nil {
			return wrapPurge(err)
		}
		if s.purgeable(rt.Deletion) {
			s.rts = append(s.rts, rt)
			return del()
		}
		if !s.pd.Live() && rt.Deletion.MarkedAt <= s.pd.MarkedAt {
			return del()
		}
		return nil
	}
	var rk rowKey
	if s.ck, err = decodeRowSuffix(suffix, s.ck, &rk); err != nil {
		return wrapPurge(err)
	}
	if raw := suffix[:rk.rowPrefix]; !bytes.Equal(raw, s.raw) {
		if err := s.flushPacked(b); err != nil {
			return err
		}
		s.raw = append(s.raw[:0], raw...)
		s.startRow(rk.clustering, rk.region == regionStatic)
	}
	switch rk.sub {
	case subHeader:
		if len(v) > 0 && v[0] == tagPacked {
			return s.visitPacked(k, v)
		}
		return s.visitHeader(b, k, v)
	case subColumnDel:
		d, err := decodeDeletionValue(v)
		if err != nil {
			return wrapPurge(err)
		}
		if s.purgeable(d) {
			s.cds = append(s.cds, schema.ColumnDeletion{Column: rk.column, Deletion: d})
			return del()
		}
		if !s.row.Live() && d.MarkedAt <= s.row.MarkedAt {
			return del()
		}
		return nil
	}
	c := schema.Cell{Column: rk.column}
	if err := decodeCellValue(v, &c); err != nil {
		return wrapPurge(err)
	}
	if s.pend.ok {
		// A row in both forms: the cell goes into the packed row, where
		// flushPacked reconciles it with the packed version of the same
		// cell, if any. Deciding each alone could purge a tombstone in
		// one form and keep the older cell it shadows in the other.
		s.pend.extra = appendPackedCell(s.pend.extra, rk.column, rk.path, v)
		s.pend.changed = true
		return del()
	}
	switch s.cellFate(&c) {
	case cellDrop:
		return del()
	case cellRewrite:
		s.rewrites++
		return wrapPurge(b.Set(k, appendCellValue(nil, &c), nil))
	}
	return nil
}

// Fates of a cell in the purger.
const (
	cellKeep    = iota
	cellDrop    // purged, or shadowed by a purged tombstone
	cellRewrite // a counter cell that lost shards (c holds what is left)
)

// cellFate decides what the purge does with cell c of the current row.
func (s *purgeState) cellFate(c *schema.Cell) int {
	if (c.Tombstone || c.TTL > 0) && c.LocalDeletionTime < s.h {
		// The merger never drops these (merger.go, DeletableFinish): it
		// is done here, and the point delete takes every older version,
		// all shadowed by this one, with it.
		return cellDrop
	}
	if !s.row.Live() && c.Timestamp <= s.row.MarkedAt {
		return cellDrop
	}
	for _, cd := range s.cds {
		if cd.Column == c.Column && c.Timestamp <= cd.Deletion.MarkedAt {
			return cellDrop
		}
	}
	if !s.row.Live() && c.Counter == schema.CounterShards && !c.Tombstone {
		// A counter cell newer than the deletion may still hold older
		// shards, which the deletion shadows one by one: once it is
		// gone they must be gone too, or they would count again.
		n := len(c.Value)
		if !schema.ShadowCounterShards(c, s.row.MarkedAt) {
			return cellDrop
		}
		if len(c.Value) != n {
			return cellRewrite
		}
	}
	return cellKeep
}

// visitPacked does visitHeader's work for a packed row and decides the
// fate of its collection deletions; its cells wait in s.pend until the
// row ends: an old store's collection deletion keys may follow, and its
// cell keys, which are folded into the packed row (visit).
func (s *purgeState) visitPacked(k, v []byte) error {
	p, err := decodePacked(v)
	if err != nil {
		return wrapPurge(err)
	}
	pd := &s.pend
	pd.ok, pd.key, pd.cds = true, append(pd.key[:0], k...), pd.cds[:0]
	pd.header, pd.changed = s.purgeHeader(p.header)
	cds := newPackedCDs(p.cds)
	var cd schema.ColumnDeletion
	for {
		ok, err := cds.next(&cd)
		if err != nil {
			return wrapPurge(err)
		}
		if !ok {
			break
		}
		switch {
		case s.purgeable(cd.Deletion):
			s.cds = append(s.cds, cd)
			pd.changed = true
		case !s.row.Live() && cd.Deletion.MarkedAt <= s.row.MarkedAt:
			pd.changed = true
		default:
			pd.cds = append(pd.cds, cd)
		}
	}
	pd.cells = append(pd.cells[:0], p.cells...)
	pd.extra = pd.extra[:0]
	return nil
}

// flushPacked decides the fate of the pending packed row's cells and
// writes the row back without what is purged, or deletes its key when
// nothing is left.
func (s *purgeState) flushPacked(b *pebble.Batch) error {
	pd := &s.pend
	if !pd.ok {
		return nil
	}
	pd.ok = false
	pd.out = appendHeader(pd.out[:0], tagPacked, pd.header)
	pd.out = appendPackedCDs(pd.out, pd.cds)
	empty := pd.header.marker.Timestamp == schema.NoTimestamp && pd.header.deletion.Live() && len(pd.cds) == 0
	all := pd.cells
	if len(pd.extra) > 0 {
		var err error
		if pd.merged, err = mergePackedCells(pd.merged[:0], pd.cells, pd.extra); err != nil {
			return wrapPurge(err)
		}
		all = pd.merged
	}
	cells := newPackedCells(all)
	var c schema.Cell
	for {
		raw, ok, err := cells.next(&c)
		if err != nil {
			return wrapPurge(err)
		}
		if !ok {
			break
		}
		switch s.cellFate(&c) {
		case cellDrop:
			pd.changed = true
			continue
		case cellRewrite:
			pd.changed = true
			raw = appendCellValue(nil, &c)
		}
		pd.out = appendPackedCell(pd.out, c.Column, c.Path, raw)
		empty = false
	}
	if !pd.changed {
		return nil
	}
	if empty {
		s.dels++
		return wrapPurge(b.Delete(pd.key, nil))
	}
	s.rewrites++
	if err := b.Delete(pd.key, nil); err != nil {
		return wrapPurge(err)
	}
	return wrapPurge(b.Merge(pd.key, pd.out, nil))
}

// visitHeader adds a purgeable row deletion to the row's shadow and
// rewrites the row header without what is purged.
func (s *purgeState) visitHeader(b *pebble.Batch, k, v []byte) error {
	h, err := decodeRowHeaderValue(v)
	if err != nil {
		return wrapPurge(err)
	}
	h, changed := s.purgeHeader(h)
	if !changed {
		return nil
	}
	if h.marker.Timestamp == schema.NoTimestamp && h.deletion.Live() {
		s.dels++
		return wrapPurge(b.Delete(k, nil))
	}
	if err := b.Delete(k, nil); err != nil {
		return wrapPurge(err)
	}
	return wrapPurge(b.Merge(k, appendRowHeaderValue(nil, h), nil))
}

// purgeHeader adds a purgeable row deletion to the row's shadow and
// returns the header without what is purged, and whether that changed it.
func (s *purgeState) purgeHeader(h rowHeader) (rowHeader, bool) {
	changed := false
	if s.purgeable(h.deletion) {
		s.row = schema.MaxDeletion(s.row, h.deletion)
		h.deletion, changed = schema.LiveDeletion, true
	} else if !h.deletion.Live() && !s.row.Live() && h.deletion.MarkedAt <= s.row.MarkedAt {
		h.deletion, changed = schema.LiveDeletion, true
	}
	if h.marker.Timestamp != schema.NoTimestamp && !s.row.Live() && h.marker.Timestamp <= s.row.MarkedAt {
		h.marker, changed = schema.NoLiveness, true
	}
	if h.marker.Timestamp != schema.NoTimestamp && h.marker.TTL > 0 && h.marker.ExpiresAt < s.h {
		h.marker, changed = schema.NoLiveness, true
	}
	return h, changed
}

// startRow resets the per-row shadow when a new row begins.
func (s *purgeState) startRow(ck []byte, static bool) {
	s.row = s.pd
	s.cds = s.cds[:0]
	if static {
		return
	}
	for i := range s.rts {
		if s.rts[i].Covers(ck) {
			s.row = schema.MaxDeletion(s.row, s.rts[i].Deletion)
		}
	}
}
