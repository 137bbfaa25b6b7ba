package protocol

import "fmt"

// Rows is the body of a Rows result (spec section 4.2.5.2): metadata,
// then rows of [bytes] cells, nil for null.
type Rows struct {
	Metadata RowsMetadata
	Rows     [][][]byte
}

func (r *Rows) encode(e *encoder) {
	e.rowsMetadata(&r.Metadata)
	n := r.Metadata.columnCount()
	if len(r.Rows) > maxInt {
		e.fail("%d rows exceed the limit", len(r.Rows))
		return
	}
	if n == 0 && len(r.Rows) > 0 {
		e.fail("%d rows without columns", len(r.Rows))
		return
	}
	e.int(int32(len(r.Rows)))
	for i, row := range r.Rows {
		if len(row) != n {
			e.fail("row %d has %d cells for %d columns", i, len(row), n)
			return
		}
		for _, cell := range row {
			e.bytes(cell)
		}
	}
}

func (r *Rows) decode(d *decoder) {
	d.rowsMetadata(&r.Metadata)
	n := r.Metadata.columnCount()
	count := d.int("rows count")
	if d.err != nil {
		return
	}
	// Every cell takes at least its 4-byte length. A row without columns
	// takes none, and CQL cannot select zero columns, so such rows are
	// refused rather than counted without bound.
	switch {
	case count < 0:
		d.fail(fmt.Sprintf("negative rows count %d", count))
		return
	case n == 0 && count > 0:
		d.fail(fmt.Sprintf("%d rows without columns", count))
		return
	case n > 0 && int64(count) > int64(len(d.b))/(int64(n)*4):
		d.fail(fmt.Sprintf("%d rows of %d columns cannot fit in %d bytes", count, n, len(d.b)))
		return
	}
	r.Rows = make([][][]byte, 0, count)
	for range count {
		row := make([][]byte, 0, n)
		for range n {
			row = append(row, d.bytes("cell"))
		}
		r.Rows = append(r.Rows, row)
	}
}
