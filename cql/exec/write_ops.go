package exec

import (
	"encoding/binary"
	"sort"

	"github.com/sibyldb/sibyl/schema"
)

// This file turns column operations (INSERT values, UPDATE assignments,
// DELETE targets) into cells, collection tombstones and row markers, with
// Cassandra's semantics for each collection operation.

type opKind uint8

const (
	opSet         opKind = iota + 1 // c = v (whole value; collections overwrite)
	opAppend                        // c = c + v: list append, set union, map put
	opPrepend                       // c = v + c: list prepend
	opRemove                        // c = c - v: list/set/map element removal
	opSetElem                       // c[k] = v: map put or list set-by-index
	opSetField                      // c.f = v: one field of a non-frozen UDT
	opDelete                        // DELETE c
	opDeleteElem                    // DELETE c[k]: map key or list index
	opDeleteField                   // DELETE c.f
	opCounterAdd                    // c = c + n on a counter (counter.go)
	opCounterSub                    // c = c - n on a counter
)

// colOp is one operation on one column of every row a statement writes.
type colOp struct {
	col   *colInfo
	kind  opKind
	value term // the value; nil for deletions
	key   term // element key or list index (opSetElem, opDeleteElem)
	field int  // UDT field index (opSetField, opDeleteField)
}

// needsRead reports whether the operation must read the current list
// (set-by-index, delete-by-index, removal of list values).
func (op *colOp) needsRead() bool {
	if op.col.Type.Kind != schema.KindList || !op.col.Type.IsMultiCell() {
		return false
	}
	return op.kind == opSetElem || op.kind == opDeleteElem || op.kind == opRemove
}

// writeCtx is the time and expiry of one statement's writes.
type writeCtx struct {
	ts  int64 // write timestamp, microseconds
	ttl int32 // seconds; 0 = none
	now int64 // server seconds (tombstone times, expiry base)
	e   *Executor
	cas *casView // a transaction's read; nil outside transactions
}

func (w *writeCtx) cell(col *colInfo, path, value []byte) schema.Cell {
	c := schema.Cell{Column: col.ID, Path: path, Timestamp: w.ts, TTL: w.ttl, LocalDeletionTime: schema.NoExpiry, Value: value}
	if w.ttl > 0 {
		c.LocalDeletionTime = w.now + int64(w.ttl)
	}
	if c.Value == nil {
		c.Value = []byte{}
	}
	return c
}

func (w *writeCtx) tombstone(col *colInfo, path []byte) schema.Cell {
	c := schema.Cell{Column: col.ID, Path: path, Timestamp: w.ts, Tombstone: true, LocalDeletionTime: w.now}
	if col.Type.IsCounter() {
		c.Counter = schema.CounterShards // a counter's tombstone (schema/counter.go)
	}
	return c
}

func (w *writeCtx) deletion(ts int64) schema.Deletion {
	return schema.Deletion{MarkedAt: ts, LocalDeletionTime: w.now}
}

func (w *writeCtx) marker() schema.Liveness {
	l := schema.Liveness{Timestamp: w.ts, TTL: w.ttl, ExpiresAt: schema.NoExpiry}
	if w.ttl > 0 {
		l.ExpiresAt = w.now + int64(w.ttl)
	}
	return l
}

// elementPath is the cell path of a set element or map key.
func elementPath(t *schema.Type, key []byte) ([]byte, error) {
	p, err := schema.AppendOrdered(nil, t, key, false)
	if err != nil {
		return nil, invalidf("Invalid collection element: %s", err).WithCause(err)
	}
	return p, nil
}

// fieldPath is the cell path of a UDT field: its position, big-endian.
func fieldPath(i int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(i)) }

// listPath is the cell path of a list element: the ordered encoding of a
// version 1 UUID whose 60-bit time orders elements. Appends take times
// after every earlier append; prepends take times before every earlier
// prepend, below every append time (clock.appendTimes, prependTimes).
func (w *writeCtx) listPath(t60 uint64) []byte {
	var u schema.UUID
	u[0], u[1], u[2], u[3] = byte(t60>>24), byte(t60>>16), byte(t60>>8), byte(t60)
	u[4], u[5] = byte(t60>>40), byte(t60>>32)
	u[6], u[7] = byte(t60>>56)&0x0f|0x10, byte(t60>>48)
	u[8], u[9] = byte(w.e.uuidClockSeq>>8)&0x3f|0x80, byte(w.e.uuidClockSeq)
	copy(u[10:], w.e.uuidNode[:])
	p, _ := schema.AppendOrdered(nil, schema.TimeUUIDType, u[:], false)
	return p
}

func (w *writeCtx) appendPaths(n int) [][]byte {
	base := w.e.clock.appendTimes(n)
	out := make([][]byte, n)
	for i := range out {
		out[i] = w.listPath(base + uint64(i))
	}
	return out
}

func (w *writeCtx) prependPaths(n int) [][]byte {
	base := w.e.clock.prependTimes(n)
	out := make([][]byte, n)
	for i := range out {
		out[i] = w.listPath(base + uint64(i))
	}
	return out
}

// rowBuilder accumulates the writes to one row.
type rowBuilder struct {
	row schema.Row
}

func (b *rowBuilder) add(c schema.Cell) { b.row.Cells = append(b.row.Cells, c) }

func (b *rowBuilder) deleteColumn(col *colInfo, d schema.Deletion) {
	for i := range b.row.ColumnDeletions {
		if b.row.ColumnDeletions[i].Column == col.ID {
			b.row.ColumnDeletions[i].Deletion = schema.MaxDeletion(b.row.ColumnDeletions[i].Deletion, d)
			return
		}
	}
	b.row.ColumnDeletions = append(b.row.ColumnDeletions, schema.ColumnDeletion{Column: col.ID, Deletion: d})
}

// finish sorts cells by (column, path) and column deletions by column.
func (b *rowBuilder) finish() schema.Row {
	sort.SliceStable(b.row.Cells, func(i, j int) bool {
		return schema.CompareCellPositions(&b.row.Cells[i], &b.row.Cells[j]) < 0
	})
	sort.Slice(b.row.ColumnDeletions, func(i, j int) bool {
		return b.row.ColumnDeletions[i].Column < b.row.ColumnDeletions[j].Column
	})
	return b.row
}
