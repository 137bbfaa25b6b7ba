package storage

import (
	"fmt"
	"io"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// mergerName is stored by Pebble; changing it makes old data unreadable.
const mergerName = "sibyl.reconcile.v1"

// newMerger returns the Pebble merger that applies the reconciliation
// rules to the operands of one key. horizon(table) returns the second
// before which tombstones and expired data of that table may be purged.
func newMerger(horizon func(schema.TableID) int64) *pebble.Merger {
	return &pebble.Merger{
		Name: mergerName,
		Merge: func(key, value []byte) (pebble.ValueMerger, error) {
			m := mergerPool.Get().(*valueMerger)
			m.horizon = horizon
			m.table, m.isTable = keyTable(key)
			if err := m.first(value); err != nil {
				return nil, err
			}
			return m, nil
		},
	}
}

// mergerPool recycles valueMergers: Finish hands the merger back to
// Pebble as the io.Closer of the value it returns (which lives in the
// merger's buffer), and Close puts it back here. Reads merge every key
// that compactions have not collapsed yet, so this saves an allocation
// per key read.
var mergerPool = sync.Pool{New: func() any { return new(valueMerger) }}

// Close returns the merger to the pool; the value Finish returned is
// invalid afterwards.
func (m *valueMerger) Close() error {
	m.horizon = nil
	mergerPool.Put(m)
	return nil
}

// valueMerger keeps the winning operand seen so far. Every rule is
// commutative, so newer and older operands are treated alike.
type valueMerger struct {
	horizon func(schema.TableID) int64
	table   schema.TableID
	isTable bool
	tag     byte
	buf     []byte // the winning cell or deletion, owned
	header  rowHeader
	// inline backs buf for small values, so a merge allocates only the
	// valueMerger itself (reads merge every key not yet compacted).
	inline [192]byte
	cell   schema.Cell // decoded view of buf, for tag == tagCell
}

func (m *valueMerger) first(v []byte) error {
	m.buf = m.inline[:0]
	if len(v) == 0 {
		return fmt.Errorf("%w: empty merge operand", errBadValue)
	}
	m.tag = v[0]
	switch m.tag {
	case tagRowHeader:
		h, err := decodeRowHeaderValue(v)
		m.header = h
		return err
	case tagCell:
		m.buf = append(m.buf[:0], v...)
		return decodeCellValue(m.buf, &m.cell)
	case tagDeletion:
		if _, err := decodeDeletionValue(v); err != nil {
			return err
		}
		m.buf = append(m.buf[:0], v...)
		return nil
	}
	return fmt.Errorf("%w: unknown value tag %#x", errBadValue, m.tag)
}

func (m *valueMerger) MergeNewer(v []byte) error { return m.merge(v) }
func (m *valueMerger) MergeOlder(v []byte) error { return m.merge(v) }

func (m *valueMerger) merge(v []byte) error {
	if len(v) == 0 || v[0] != m.tag {
		return fmt.Errorf("%w: merge operands of different kinds", errBadValue)
	}
	switch m.tag {
	case tagRowHeader:
		h, err := decodeRowHeaderValue(v)
		if err != nil {
			return err
		}
		m.header.marker = schema.MaxLiveness(m.header.marker, h.marker)
		m.header.deletion = schema.MaxDeletion(m.header.deletion, h.deletion)
		return nil
	case tagCell:
		var c schema.Cell
		if err := decodeCellValue(v, &c); err != nil {
			return err
		}
		if c.Counter != schema.NotCounter || m.cell.Counter != schema.NotCounter {
			return m.mergeCounter(c)
		}
		if schema.CompareCells(c, m.cell) > 0 {
			m.buf = append(m.buf[:0], v...)
			return decodeCellValue(m.buf, &m.cell)
		}
		return nil
	default:
		d, err := decodeDeletionValue(v)
		if err != nil {
			return err
		}
		// m.buf decoded when it was kept (first, or the branch below), so
		// this cannot fail; were it corrupted since, the merge fails (Pebble
		// reports it from the read or the compaction) rather than letting
		// an unknown deletion lose to any newer one.
		cur, err := decodeDeletionValue(m.buf)
		if err != nil {
			return fmt.Errorf("kept deletion no longer decodes: %w", err)
		}
		if schema.CompareDeletions(d, cur) > 0 {
			m.buf = append(m.buf[:0], v...)
		}
		return nil
	}
}

// Finish is the plain ValueMerger's finish. Pebble never calls it, since
// valueMerger is a DeletableValueMerger (reads and compactions both go
// through DeletableFinish); it exists for the interface and for callers
// that merge operands by hand. It ignores includesBase on purpose: Finish
// has no way to say "delete the key", and returning the purged value as
// an empty one would store an empty operand that no later read decodes.
// So it never purges.
func (m *valueMerger) Finish(includesBase bool) ([]byte, io.Closer, error) {
	v, _, c, err := m.DeletableFinish(false)
	return v, c, err
}

// DeletableFinish drops a cell tombstone or an expired cell, and an
// expired row marker, once its deletion time is before the table's gc
// horizon — but only when includesBase says every older operand of the
// key took part, so nothing it shadows can reappear. Row, range, partition
// and collection tombstones shadow other keys; the purger (gc.go) removes
// them together with what they shadow.
func (m *valueMerger) DeletableFinish(includesBase bool) ([]byte, bool, io.Closer, error) {
	switch m.tag {
	case tagRowHeader:
		if includesBase && m.header.marker.Timestamp != schema.NoTimestamp && m.header.marker.TTL > 0 {
			if m.header.marker.ExpiresAt < m.horizonNow() {
				m.header.marker = schema.NoLiveness
			}
		}
		// A header with neither marker nor deletion says nothing, whatever
		// older operands hold (merging it is the identity), so it goes even
		// without the base: the row then lives or dies by its cells.
		if m.header.marker.Timestamp == schema.NoTimestamp && m.header.deletion.Live() {
			_ = m.Close()
			return nil, true, nil, nil
		}
		m.buf = appendRowHeaderValue(m.inline[:0], m.header)
		return m.buf, false, m, nil
	case tagCell:
		if includesBase && (m.cell.Tombstone || m.cell.TTL > 0) && m.cell.LocalDeletionTime < m.horizonNow() {
			_ = m.Close()
			return nil, true, nil, nil
		}
	}
	return m.buf, false, m, nil
}

func (m *valueMerger) horizonNow() int64 {
	if !m.isTable {
		return minHorizon
	}
	return m.horizon(m.table)
}

// mergeCounter reconciles a counter cell operand with the winner so far by
// schema.ReconcileCells: shards are merged, which is no longer "keep one
// operand", so the result is encoded afresh. c may alias its operand; the
// result is copied into m.buf before the operand goes away.
func (m *valueMerger) mergeCounter(c schema.Cell) error {
	r := schema.ReconcileCells(m.cell, c)
	enc := appendCellValue(make([]byte, 0, 32+len(r.Value)), &r)
	m.buf = append(m.buf[:0], enc...)
	return decodeCellValue(m.buf, &m.cell)
}
