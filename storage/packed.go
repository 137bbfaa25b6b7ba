package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/sibyldb/sibyl/schema"
)

// Packed rows (FORMAT.md, "Packed rows"). A row written by this binary is
// one merge operand under its row-header key: the header fields, the
// collection deletions and the cells, so a write costs one memtable entry
// per row instead of one per cell, and flushes and compactions handle one
// key per row.
//
//	packed: 0x04 flags [marker] [deletion]          (as a row header, 0x02)
//	        uvarint(n) n × (column(u16) markedAt(i64) ldt(i64))   sorted by column, unique
//	        then to the end: column(u16) uvarint(len) path uvarint(len) cell(0x03 ...)
//	                                              sorted by (column, path), unique
//
// The encoding is canonical: the same row state always has the same
// bytes (cells in their canonical encoding, which decodeCellValue and
// appendCellValue round-trip), so replicas that merged the same
// mutations in any order hold identical values.
//
// Stores written before packed rows keep a row as a header key (0x02)
// plus one key per collection deletion and per cell; the merger merges a
// 0x02 header into a packed value, and every reader merges the packed
// cells with the separate keys that follow them (a row can be in both
// forms: an old store that got new writes).
const tagPacked byte = 0x04

// packedCDLen is the size of one collection deletion in a packed value.
const packedCDLen = 2 + 8 + 8

// packedRow is a decoded view of a packed value: the header, the raw
// collection deletions and the raw cell section, both aliasing the value.
type packedRow struct {
	header rowHeader
	cds    []byte // n × packedCDLen
	cells  []byte
}

// decodePacked decodes the header and splits the sections of a packed
// value; the sections are decoded (and checked) by packedCDs and
// packedCells as they are walked.
func decodePacked(v []byte) (packedRow, error) {
	var p packedRow
	if len(v) < 2 || v[0] != tagPacked {
		return p, fmt.Errorf("%w: bad packed row", errBadValue)
	}
	h, rest, err := decodeHeaderFields(v[1:])
	if err != nil {
		return p, err
	}
	p.header = h
	p.cds, p.cells, err = splitBodySections(rest)
	return p, err
}

// splitPackedBody splits a packed body (what follows the header fields)
// into a packedRow with an empty header.
func splitPackedBody(body []byte) (packedRow, error) {
	p := packedRow{header: rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion}}
	var err error
	p.cds, p.cells, err = splitBodySections(body)
	return p, err
}

func splitBodySections(rest []byte) (cds, cells []byte, err error) {
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k)/packedCDLen {
		return nil, nil, fmt.Errorf("%w: bad collection deletion count in packed row", errBadValue)
	}
	rest = rest[k:]
	return rest[:int(n)*packedCDLen], rest[int(n)*packedCDLen:], nil
}

// empty reports whether the row says nothing: merging it is the identity.
func (p *packedRow) empty() bool {
	return p.header.marker.Timestamp == schema.NoTimestamp && p.header.deletion.Live() && len(p.cds) == 0 && len(p.cells) == 0
}

// packedCDs walks the collection deletions of a packed value in column
// order, checking that the columns rise strictly and the deletions are
// deletions.
type packedCDs struct {
	rest []byte
	prev int // the previous column, -1 before the first
}

func newPackedCDs(raw []byte) packedCDs { return packedCDs{rest: raw, prev: -1} }

func (w *packedCDs) next(cd *schema.ColumnDeletion) (bool, error) {
	if len(w.rest) == 0 {
		return false, nil
	}
	b := w.rest[:packedCDLen]
	w.rest = w.rest[packedCDLen:]
	cd.Column = schema.ColumnID(binary.BigEndian.Uint16(b))
	cd.Deletion = schema.Deletion{MarkedAt: getI64(b[2:]), LocalDeletionTime: getI64(b[10:])}
	if int(cd.Column) <= w.prev {
		return false, fmt.Errorf("%w: packed collection deletions out of order", errBadValue)
	}
	if cd.Deletion.Live() {
		return false, fmt.Errorf("%w: packed collection deletion without a deletion", errBadValue)
	}
	w.prev = int(cd.Column)
	return true, nil
}

// packedCells walks the cells of a packed value in (column, path) order,
// checking that positions rise strictly. A cell's Path and Value alias
// the value; raw is the cell's encoding (tag 0x03 ...).
type packedCells struct {
	rest    []byte
	started bool
	prevCol schema.ColumnID
	prev    []byte // previous path, aliasing the value
}

func newPackedCells(raw []byte) packedCells { return packedCells{rest: raw} }

func (w *packedCells) next(c *schema.Cell) (raw []byte, ok bool, err error) {
	if len(w.rest) == 0 {
		return nil, false, nil
	}
	bad := func(what string) error { return fmt.Errorf("%w: packed cell: %s", errBadValue, what) }
	if len(w.rest) < 2 {
		return nil, false, bad("short column")
	}
	col := schema.ColumnID(binary.BigEndian.Uint16(w.rest))
	rest := w.rest[2:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, false, bad("bad path length")
	}
	path := nilIfEmpty(rest[k : k+int(n)])
	rest = rest[k+int(n):]
	n, k = binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, false, bad("bad cell length")
	}
	raw = rest[k : k+int(n)]
	w.rest = rest[k+int(n):]
	if w.started && (col < w.prevCol || col == w.prevCol && bytes.Compare(path, w.prev) <= 0) {
		return nil, false, bad("out of order")
	}
	w.started, w.prevCol, w.prev = true, col, path
	if err := decodeCellValue(raw, c); err != nil {
		return nil, false, err
	}
	c.Column, c.Path = col, path
	return raw, true, nil
}

// appendPackedCell appends one cell entry (position and encoded cell).
func appendPackedCell(dst []byte, col schema.ColumnID, path, cell []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(col))
	dst = binary.AppendUvarint(dst, uint64(len(path)))
	dst = append(dst, path...)
	dst = binary.AppendUvarint(dst, uint64(len(cell)))
	return append(dst, cell...)
}

func appendPackedCD(dst []byte, cd schema.ColumnDeletion) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(cd.Column))
	dst = appendI64(dst, cd.Deletion.MarkedAt)
	return appendI64(dst, cd.Deletion.LocalDeletionTime)
}

// comparePositions orders (column, path) pairs as cell keys do.
func comparePositions(ac schema.ColumnID, ap []byte, bc schema.ColumnID, bp []byte) int {
	if ac != bc {
		if ac < bc {
			return -1
		}
		return 1
	}
	return bytes.Compare(ap, bp)
}

// reconcileEncoded returns the encoding of the reconciliation of two
// versions of one cell, a and b with their encodings ea and eb: the
// winner's own bytes (canonical), or for counters their merge encoded
// afresh (counters are rare enough to allocate).
func reconcileEncoded(a, b *schema.Cell, ea, eb []byte) []byte {
	if a.Counter != schema.NotCounter || b.Counter != schema.NotCounter {
		r := schema.ReconcileCells(*a, *b)
		return appendCellValue(nil, &r)
	}
	if schema.CompareCells(*b, *a) > 0 {
		return eb
	}
	return ea
}

// mergePackedBodies appends to dst the merge of the bodies of two packed
// values (the collection deletion count, the deletions and the cells):
// deletions max'd per column, cells reconciled per (column, path). The
// result is canonical whatever the order of a and b.
func mergePackedBodies(dst []byte, a, b *packedRow) ([]byte, error) {
	var stack [8]schema.ColumnDeletion
	cds := stack[:0]
	wa, wb := newPackedCDs(a.cds), newPackedCDs(b.cds)
	var ca, cb schema.ColumnDeletion
	oka, err := wa.next(&ca)
	if err != nil {
		return dst, err
	}
	okb, err := wb.next(&cb)
	if err != nil {
		return dst, err
	}
	for oka || okb {
		switch {
		case oka && (!okb || ca.Column < cb.Column):
			cds = append(cds, ca)
			oka, err = wa.next(&ca)
		case okb && (!oka || cb.Column < ca.Column):
			cds = append(cds, cb)
			okb, err = wb.next(&cb)
		default:
			cds = append(cds, schema.ColumnDeletion{Column: ca.Column, Deletion: schema.MaxDeletion(ca.Deletion, cb.Deletion)})
			if oka, err = wa.next(&ca); err == nil {
				okb, err = wb.next(&cb)
			}
		}
		if err != nil {
			return dst, err
		}
	}
	dst = appendPackedCDs(dst, cds)
	return mergePackedCells(dst, a.cells, b.cells)
}

// appendPackedCDs appends the collection deletion section: the count,
// then the deletions (sorted by column, unique, not live).
func appendPackedCDs(dst []byte, cds []schema.ColumnDeletion) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(cds)))
	for _, cd := range cds {
		dst = appendPackedCD(dst, cd)
	}
	return dst
}

func mergePackedCells(dst, a, b []byte) ([]byte, error) {
	wa, wb := newPackedCells(a), newPackedCells(b)
	var ca, cb schema.Cell
	ea, oka, err := wa.next(&ca)
	if err != nil {
		return dst, err
	}
	eb, okb, err := wb.next(&cb)
	if err != nil {
		return dst, err
	}
	for oka || okb {
		c := 0
		switch {
		case !okb:
			c = -1
		case !oka:
			c = 1
		default:
			c = comparePositions(ca.Column, ca.Path, cb.Column, cb.Path)
		}
		switch {
		case c < 0:
			dst = appendPackedCell(dst, ca.Column, ca.Path, ea)
			if ea, oka, err = wa.next(&ca); err != nil {
				return dst, err
			}
		case c > 0:
			dst = appendPackedCell(dst, cb.Column, cb.Path, eb)
			if eb, okb, err = wb.next(&cb); err != nil {
				return dst, err
			}
		default:
			w := reconcileEncoded(&ca, &cb, ea, eb)
			dst = appendPackedCell(dst, ca.Column, ca.Path, w)
			if ea, oka, err = wa.next(&ca); err != nil {
				return dst, err
			}
			if eb, okb, err = wb.next(&cb); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// appendPackedValue appends a packed value with header h and body (the
// collection deletion section and the cells).
func appendPackedValue(dst []byte, h rowHeader, body []byte) []byte {
	return append(appendHeader(dst, tagPacked, h), body...)
}
