package exec

import (
	"slices"

	"github.com/sibyldb/sibyl/schema"
)

// This file is the one place where the executor decides what a client can
// see: a Coordinator answers with reconciled partitions, tombstones and
// expired cells included, and liveView applies partition, range, row and
// collection tombstones and TTL expiry to them through schema.LiveRows
// (the reconciliation contract of schema/reconcile.go).

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
	// Fetched is how many live rows the replicas returned, before rows
	// left with nothing but dropped columns were removed: what their read
	// limit counted.
	Fetched int
	// LastFetched is the clustering of the last of them.
	LastFetched []byte
}

// liveView applies every tombstone and TTL in p as of nowSeconds. When t
// is given, cells of columns t no longer has (dropped: a column re-added
// gets a new id) are removed too, and with them a row that has no
// primary-key marker and no other live cell, as Cassandra hides a row
// written by UPDATE once its only column is dropped.
func liveView(p *schema.Partition, nowSeconds int64, t *tableInfo) livePartition {
	lp := livePartition{Key: p.Key, Token: p.Token}
	static, rows := schema.LiveRows(p, nowSeconds)
	counterValues(static, rows)
	lp.Fetched = len(rows)
	if len(rows) > 0 {
		lp.LastFetched = rows[len(rows)-1].Clustering
	}
	if static != nil {
		if cells := t.currentCells(static.Cells); len(cells) > 0 {
			lp.Static = &liveRow{Cells: cells}
		}
	}
	lp.Rows = make([]liveRow, 0, len(rows))
	for _, r := range rows {
		lr := liveRow{Clustering: r.Clustering, Marker: r.Marker.Timestamp != schema.NoTimestamp, Cells: t.currentCells(r.Cells)}
		if lr.Marker || len(lr.Cells) > 0 {
			lp.Rows = append(lp.Rows, lr)
		}
	}
	return lp
}

// currentCells returns cells without those of columns t does not have
// (all of them when t is nil).
func (t *tableInfo) currentCells(cells []schema.Cell) []schema.Cell {
	if t == nil {
		return cells
	}
	for i := range cells {
		if !t.hasColumnID(cells[i].Column) {
			out := slices.Clone(cells[:i])
			for _, c := range cells[i+1:] {
				if t.hasColumnID(c.Column) {
					out = append(out, c)
				}
			}
			return out
		}
	}
	return cells
}
