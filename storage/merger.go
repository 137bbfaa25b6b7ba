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
// rules to the operands of one key. It purges nothing (see
// DeletableFinish); the purger does.
func newMerger() *pebble.Merger {
	return &pebble.Merger{
		Name: mergerName,
		Merge: func(key, value []byte) (pebble.ValueMerger, error) {
			m := mergerPool.Get().(*valueMerger)
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
	// A huge row must not pin its buffers in the pool for ever.
	if cap(m.body) > maxPooledRowBuf {
		m.body = nil
	}
	if cap(m.alt) > maxPooledRowBuf {
		m.alt = nil
	}
	if cap(m.out) > maxPooledRowBuf {
		m.out = nil
	}
	if cap(m.raw) > maxPooledRowBuf {
		m.raw = nil
	}
	mergerPool.Put(m)
	return nil
}

// maxPooledRowBuf bounds the row buffers a pooled merger keeps.
const maxPooledRowBuf = 64 << 10

// valueMerger keeps the winning operand seen so far. Every rule is
// commutative, so newer and older operands are treated alike.
//
// A row header (0x02) and a packed row (0x04) are one family: the key of
// a row written by an old binary holds headers, that of a row written
// since holds packed rows, and an old store that got new writes holds
// both. Their merge is packed as soon as one operand is.
type valueMerger struct {
	tag    byte   // tagDeletion, tagCell, or tagRowHeader for the row family
	buf    []byte // the winning cell or deletion, owned; the result of a row
	header rowHeader
	// packed says a packed operand was merged: body then holds the merged
	// collection deletions and cells (the packed value after its header,
	// canonical), and alt is the spare buffer the next merge writes into.
	packed    bool
	body, alt []byte
	out       []byte // backs buf for a packed result larger than inline
	// raw holds the first operand, a packed row, as it came while it is
	// the only one: a key read or compacted with one operand (the common
	// case) is returned as written, without decoding its cells twice.
	// A second operand decodes it into header and body first.
	raw    []byte
	hasRaw bool
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
	// An empty body (no collection deletion, no cell): a packed operand
	// merged later, or now, merges into it.
	m.packed, m.body, m.hasRaw = false, appendPackedCDs(m.body[:0], nil), false
	switch m.tag {
	case tagRowHeader:
		h, err := decodeRowHeaderValue(v)
		m.header = h
		return err
	case tagPacked:
		m.tag = tagRowHeader
		m.header = rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion}
		if _, err := decodePacked(v); err != nil {
			return err
		}
		m.raw, m.hasRaw, m.packed = append(m.raw[:0], v...), true, true
		return nil
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
	if m.hasRaw {
		m.hasRaw = false
		if err := m.mergePacked(m.raw); err != nil {
			return err
		}
	}
	if len(v) > 0 && v[0] == tagPacked && m.tag == tagRowHeader {
		return m.mergePacked(v)
	}
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
// that merge operands by hand. Finish has no way to say "nothing", so an
// empty row header comes back as itself (merging it is the identity).
func (m *valueMerger) Finish(includesBase bool) ([]byte, io.Closer, error) {
	if m.hasRaw {
		m.buf = m.raw
		return m.buf, m, nil
	}
	if m.tag == tagRowHeader {
		return m.rowResult(), m, nil
	}
	v, _, c, err := m.DeletableFinish(includesBase)
	return v, c, err
}

// DeletableFinish returns the winner. It never purges: tombstones and
// expired data past the gc horizon stay until the purger (gc.go) deletes
// them with a point delete, whatever shape Pebble has left the key in.
//
// Why not drop them here when includesBase says every older operand took
// part, as the merger once did: Pebble's delete=true means "these merge
// operands yield no record; older records of the key stay visible" (like
// a SingleDelete meeting its Set). In a compaction, includesBase is true
// when the merge consumed the key's base SET (any key once compacted to the
// bottom of the LSM becomes a SET) or stopped at a DEL; delete=true then
// makes Pebble v2.1.7's compaction iterator re-emit that SET — the value
// the purged tombstone shadowed comes back — and leaves its skip flag set,
// so its next Next panics with "compaction iterator has skip=true, but
// iterator is at iterPosNext" and takes the node down
// (cockroachdb/pebble#6168). The merger cannot tell that case from a merge
// of MERGE operands alone, so it deletes nothing when includesBase is true.
//
// Without includesBase the merge stopped at an older snapshot stripe or
// key, which Pebble handles: there delete=true is what it says. The one
// result dropped is a row header with neither marker nor deletion, which
// says nothing whatever older operands hold (merging it is the identity);
// the row then lives or dies by its cells. With includesBase it is kept
// as an empty header, which reads as nothing. No writer makes one (Apply
// writes no header without a marker or deletion, and the purger deletes
// a header it empties), so this is for operands from elsewhere.
func (m *valueMerger) DeletableFinish(includesBase bool) ([]byte, bool, io.Closer, error) {
	if m.tag != tagRowHeader {
		return m.buf, false, m, nil
	}
	if m.hasRaw {
		p, err := decodePacked(m.raw) // decoded by first: cannot fail
		if err != nil {
			return nil, false, nil, err
		}
		if !includesBase && p.empty() {
			_ = m.Close()
			return nil, true, nil, nil
		}
		m.buf = m.raw
		return m.buf, false, m, nil
	}
	if !includesBase && m.header.marker.Timestamp == schema.NoTimestamp && m.header.deletion.Live() &&
		(!m.packed || len(m.body) == 1) { // one byte: no collection deletion, no cell
		_ = m.Close()
		return nil, true, nil, nil
	}
	return m.rowResult(), false, m, nil
}

// rowResult encodes the merged row: a row header while only headers were
// merged (an old store's keys stay as they were), a packed row once a
// packed operand was.
func (m *valueMerger) rowResult() []byte {
	if !m.packed {
		m.buf = appendRowHeaderValue(m.inline[:0], m.header)
		return m.buf
	}
	dst := m.inline[:0]
	if cap(m.out) > len(m.inline) {
		dst = m.out[:0]
	}
	m.buf = appendPackedValue(dst, m.header, m.body)
	if cap(m.buf) > len(m.inline) {
		m.out = m.buf // kept with the pooled merger for the next row
	}
	return m.buf
}

// mergePacked merges a packed operand into the row merged so far: the
// header field by field, the body by mergePackedBodies into the spare
// buffer, which then becomes the body (the operand is not kept).
func (m *valueMerger) mergePacked(v []byte) error {
	p, err := decodePacked(v)
	if err != nil {
		return err
	}
	cur, err := splitPackedBody(m.body)
	if err != nil {
		return fmt.Errorf("kept packed row no longer decodes: %w", err)
	}
	m.alt, err = mergePackedBodies(m.alt[:0], &cur, &p)
	if err != nil {
		return err
	}
	m.body, m.alt = m.alt, m.body
	m.header.marker = schema.MaxLiveness(m.header.marker, p.header.marker)
	m.header.deletion = schema.MaxDeletion(m.header.deletion, p.header.deletion)
	m.packed = true
	return nil
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
