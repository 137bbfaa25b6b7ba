package storage

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// ErrInvalidMutation is returned (wrapped) by Apply for a mutation that
// cannot be stored.
var ErrInvalidMutation = errors.New("storage: invalid mutation")

// writeScratch holds the reusable buffers of one Apply.
type writeScratch struct {
	prefix, key, val, cell []byte
	latches                []int
	cells                  []schema.Cell           // a row's cells, sorted, when the mutation's were not
	cds                    []schema.ColumnDeletion // a row's collection deletions, sorted
}

var writeScratchPool = sync.Pool{New: func() any { return new(writeScratch) }}

// Apply writes the mutations atomically and returns once they are synced
// to the write-ahead log (unless Options.UnsafePeriodicSync is set).
// Concurrent Applies share WAL syncs. Apply never reads: every entry is a
// Pebble merge operand reconciled by the merger, so applying the same
// mutations in any order, any number of times, gives the same state.
//
// Zero-valued Deletion and Liveness fields are read as "none". A cell
// tombstone's Value and TTL are ignored; a live cell without TTL never
// expires whatever its LocalDeletionTime says.
func (e *Engine) Apply(ctx context.Context, muts ...*schema.Partition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, m := range muts {
		if err := validateMutation(m); err != nil {
			return err
		}
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	s := writeScratchPool.Get().(*writeScratch)
	defer writeScratchPool.Put(s)
	b := e.db.NewBatch()
	defer b.Close()
	s.latches = s.latches[:0]
	for _, m := range muts {
		if err := e.encodeMutation(b, s, m); err != nil {
			return err
		}
		s.latches = append(s.latches, e.latchIndex(m.Table, m.Key))
	}
	e.rlockLatches(s)
	// Index entries go in the same batch as the cells, encoded under the
	// latches so that an index build's barrier (index_build.go) sees
	// every write either committed or encoded with the new index.
	for _, m := range muts {
		if err := e.encodeIndexEntries(b, s, m); err != nil {
			e.runlockLatches(s)
			return err
		}
	}
	err := b.Commit(e.writeOpts)
	e.runlockLatches(s)
	if err != nil {
		return fmt.Errorf("cannot commit mutation batch: %w", err)
	}
	e.m.applies.Add(1)
	e.m.applyPartitions.Add(int64(len(muts)))
	e.m.applyBytes.Add(int64(b.Len()))
	return nil
}

func validateMutation(m *schema.Partition) error {
	if m == nil {
		return fmt.Errorf("%w: nil partition", ErrInvalidMutation)
	}
	if len(m.Key) == 0 {
		return fmt.Errorf("%w: empty partition key", ErrInvalidMutation)
	}
	check := func(r *schema.Row) error {
		for i := range r.Cells {
			if r.Cells[i].TTL < 0 {
				return fmt.Errorf("%w: negative ttl on column %d", ErrInvalidMutation, r.Cells[i].Column)
			}
			if err := validateCounterCell(&r.Cells[i]); err != nil {
				return err
			}
		}
		if r.Marker.TTL < 0 {
			return fmt.Errorf("%w: negative row marker ttl", ErrInvalidMutation)
		}
		return nil
	}
	if m.Static != nil {
		if err := check(m.Static); err != nil {
			return err
		}
	}
	for i := range m.Rows {
		if err := check(&m.Rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) latchIndex(t schema.TableID, key []byte) int {
	var h maphash.Hash
	h.SetSeed(e.latchSeed)
	var tb [4]byte
	tb[0], tb[1], tb[2], tb[3] = byte(t>>24), byte(t>>16), byte(t>>8), byte(t)
	_, _ = h.Write(tb[:])
	_, _ = h.Write(key)
	return int(h.Sum64() % numLatches)
}

// rlockLatches read-locks the distinct latches of s, in index order so
// that two writers and the purger cannot deadlock.
func (e *Engine) rlockLatches(s *writeScratch) {
	slices.Sort(s.latches)
	s.latches = slices.Compact(s.latches)
	for _, i := range s.latches {
		e.latches[i].RLock()
	}
}

func (e *Engine) runlockLatches(s *writeScratch) {
	for _, i := range s.latches {
		e.latches[i].RUnlock()
	}
}

func isZeroDeletion(d schema.Deletion) bool { return d.MarkedAt == 0 && d.LocalDeletionTime == 0 }

func liveDeletion(d schema.Deletion) bool { return d.Live() || isZeroDeletion(d) }

func normLiveness(l schema.Liveness) schema.Liveness {
	if l.Timestamp == 0 && l.TTL == 0 && l.ExpiresAt == 0 {
		return schema.NoLiveness
	}
	if l.TTL <= 0 {
		l.TTL, l.ExpiresAt = 0, schema.NoExpiry
	}
	return l
}

// encodeMutation adds m's entries to b as merge operands.
func (e *Engine) encodeMutation(b *pebble.Batch, s *writeScratch, m *schema.Partition) error {
	s.prefix = appendPartitionPrefix(s.prefix[:0], m.Table, m.Token, m.Key)
	if !liveDeletion(m.Deletion) {
		s.key = appendHeaderKey(append(s.key[:0], s.prefix...))
		s.val = appendDeletionValue(s.val[:0], m.Deletion)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add partition deletion to batch: %w", err)
		}
	}
	for i := range m.RangeTombstones {
		rt := &m.RangeTombstones[i]
		if liveDeletion(rt.Deletion) {
			continue
		}
		s.key = appendRangeTombstoneKey(append(s.key[:0], s.prefix...), rt)
		s.val = appendDeletionValue(s.val[:0], rt.Deletion)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add range tombstone to batch: %w", err)
		}
	}
	enc := encodePackedRow
	if e.opts.legacyRows {
		enc = encodeRow
	}
	if m.Static != nil {
		if err := enc(b, s, m.Static, true); err != nil {
			return err
		}
	}
	for i := range m.Rows {
		if err := enc(b, s, &m.Rows[i], false); err != nil {
			return err
		}
	}
	return nil
}

// encodePackedRow adds r to b as one packed row (packed.go) under the
// row's header key: one memtable entry per row whatever its number of
// cells. The value is built in s.val, reused from row to row; b.Merge
// copies it into the batch.
//
// The mutation's cells and collection deletions are put in the packed
// order, and two versions of one cell (or deletions of one column) in
// the same row are reconciled here, as the merger reconciled two
// operands of one key when each cell had its own.
func encodePackedRow(b *pebble.Batch, s *writeScratch, r *schema.Row, static bool) error {
	if !packRow(s, r) {
		return nil // says nothing (nothing was written before packed rows either)
	}
	s.key = append(appendRowPrefix(append(s.key[:0], s.prefix...), static, r.Clustering), subHeader)
	if err := b.Merge(s.key, s.val, nil); err != nil {
		return fmt.Errorf("cannot add row to batch: %w", err)
	}
	return nil
}

// packRow encodes r as a packed value into s.val; false when the row
// holds nothing to write.
func packRow(s *writeScratch, r *schema.Row) bool {
	h := rowHeader{marker: normLiveness(r.Marker), deletion: r.Deletion}
	if isZeroDeletion(h.deletion) {
		h.deletion = schema.LiveDeletion
	}
	s.cds = s.cds[:0]
	for _, cd := range r.ColumnDeletions {
		if !liveDeletion(cd.Deletion) {
			s.cds = append(s.cds, cd)
		}
	}
	if len(s.cds) > 1 {
		// By column, the largest deletion of a column first: Compact
		// keeps the first of each run.
		slices.SortFunc(s.cds, func(a, b schema.ColumnDeletion) int {
			if a.Column != b.Column {
				return int(a.Column) - int(b.Column)
			}
			return schema.CompareDeletions(b.Deletion, a.Deletion)
		})
		s.cds = slices.CompactFunc(s.cds, func(a, b schema.ColumnDeletion) bool { return a.Column == b.Column })
	}
	if h.marker.Timestamp == schema.NoTimestamp && h.deletion.Live() && len(s.cds) == 0 && len(r.Cells) == 0 {
		return false
	}
	cells := r.Cells
	if !cellsSorted(cells) {
		s.cells = append(s.cells[:0], cells...)
		slices.SortStableFunc(s.cells, func(a, b schema.Cell) int { return schema.CompareCellPositions(&a, &b) })
		cells = s.cells
	}
	s.val = appendHeader(s.val[:0], tagPacked, h)
	s.val = appendPackedCDs(s.val, s.cds)
	for i := 0; i < len(cells); {
		c := normCell(cells[i])
		i++
		for i < len(cells) && schema.CompareCellPositions(&c, &cells[i]) == 0 {
			c = schema.ReconcileCells(c, normCell(cells[i]))
			i++
		}
		s.cell = appendCellValue(s.cell[:0], &c)
		s.val = appendPackedCell(s.val, c.Column, c.Path, s.cell)
	}
	return true
}

// normCell is c as stored: a tombstone has no value or TTL, a live cell
// without TTL never expires. c is a copy, so the caller's mutation is
// left alone.
func normCell(c schema.Cell) schema.Cell {
	if c.Tombstone {
		c.Value, c.TTL = nil, 0
	} else if c.TTL <= 0 {
		c.TTL, c.LocalDeletionTime = 0, schema.NoExpiry
	}
	return c
}

// cellsSorted reports whether cells are in strictly rising (column, path)
// order, as the executor builds them; otherwise the writer sorts a copy.
func cellsSorted(cells []schema.Cell) bool {
	for i := 1; i < len(cells); i++ {
		if schema.CompareCellPositions(&cells[i-1], &cells[i]) >= 0 {
			return false
		}
	}
	return true
}

// encodeRow adds r's header, collection deletions and cells to b, each
// under its own key: the form of stores written before packed rows, kept
// for tests and benchmarks of mixed and old stores (Options.legacyRows).
//
// Every key of the row is built in one buffer: rowKey[:n] is the row's
// prefix, and each entry's key overwrites the previous entry's suffix in
// place. That is safe because b.Merge copies key and value into the batch
// before it returns. An append may move the buffer to a larger array, so
// rowKey follows s.key after each one (rowKey[:n] is then the prefix in
// the new array), and the largest array goes back to s for the next row.
func encodeRow(b *pebble.Batch, s *writeScratch, r *schema.Row, static bool) error {
	rowKey := appendRowPrefix(append(s.key[:0], s.prefix...), static, r.Clustering)
	n := len(rowKey)
	h := rowHeader{marker: normLiveness(r.Marker), deletion: r.Deletion}
	if isZeroDeletion(h.deletion) {
		h.deletion = schema.LiveDeletion
	}
	// A header that carries neither is not written: an UPDATE has no row
	// marker, and its row exists only through its cells (and dies with
	// them), as in Cassandra.
	if h.marker.Timestamp != schema.NoTimestamp || !h.deletion.Live() {
		s.key = append(rowKey[:n], subHeader)
		s.val = appendRowHeaderValue(s.val[:0], h)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add row header to batch: %w", err)
		}
		rowKey = s.key
	}
	for _, cd := range r.ColumnDeletions {
		if liveDeletion(cd.Deletion) {
			continue
		}
		s.key = appendColumnDelSub(rowKey[:n], cd.Column)
		s.val = appendDeletionValue(s.val[:0], cd.Deletion)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add collection deletion to batch: %w", err)
		}
		rowKey = s.key
	}
	for i := range r.Cells {
		c := normCell(r.Cells[i])
		s.key = appendCellSub(rowKey[:n], c.Column, c.Path)
		s.val = appendCellValue(s.val[:0], &c)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add cell to batch: %w", err)
		}
		rowKey = s.key
	}
	s.key = rowKey
	return nil
}
