package exec

import (
	"github.com/sibyldb/sibyl/schema"
)

// This file is the one place where the executor decides what a client can
// see: a Coordinator answers with reconciled partitions, tombstones and
// expired cells included, and liveView applies partition, range, row and
// collection tombstones and TTL expiry to them through schema.LiveRows
// (DESIGN.md section 3).

// liveRow is a row as a client sees it: only its live cells, in (column,
// path) order.
type liveRow struct {
	Clustering []byte // nil for the static row
	Marker     bool   // the row has a live primary-key marker
	Cells      []schema.Cell
}

// cellsOf returns the live cells of one column (several for a non-frozen
// collection, in path order).
func (r *liveRow) cellsOf(id schema.ColumnID) []schema.Cell {
	if r == nil {
		return nil
	}
	lo := 0
	for lo < len(r.Cells) && r.Cells[lo].Column < id {
		lo++
	}
	hi := lo
	for hi < len(r.Cells) && r.Cells[hi].Column == id {
		hi++
	}
	return r.Cells[lo:hi]
}

// livePartition is the live view of one partition fragment.
type livePartition struct {
	Key    []byte
	Token  int64
	Static *liveRow // nil when there is no live static data
	Rows   []liveRow
}

// liveView applies every tombstone and TTL in p as of nowSeconds.
func liveView(p *schema.Partition, nowSeconds int64) livePartition {
	lp := livePartition{Key: p.Key, Token: p.Token}
	static, rows := schema.LiveRows(p, nowSeconds)
	if static != nil {
		lp.Static = &liveRow{Cells: static.Cells}
	}
	lp.Rows = make([]liveRow, len(rows))
	for i, r := range rows {
		lp.Rows[i] = liveRow{Clustering: r.Clustering, Marker: r.Marker.Timestamp != schema.NoTimestamp, Cells: r.Cells}
	}
	return lp
}
