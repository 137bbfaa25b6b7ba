package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Secondary index entries (FORMAT.md, "Index entries") live in their own
// key space beside the table data, written by Apply in the same batch as
// the cells they index, so on a replica an entry never disagrees with the
// write that made it:
//
//	0x05 table(u32) index(u32) esc(term) token(u64) esc(partition key) row
//	row: 0x20 (static row) | 0x30 esc(clustering)
//
// The value is a cell merge operand without a value (its timestamp, TTL
// and expiry are the indexed cell's), so entries reconcile, expire and are
// purged like cells. Writes never read, so an entry is never removed when
// its cell changes or is deleted: stale entries are expected. A lookup
// re-reads each candidate row, and the caller re-checks its restrictions;
// a read that finds an entry superseded (the row holds a newer cell of the
// column with another term, or a deletion that covers the entry) writes a
// tombstone over it at the entry's own timestamp, which compaction then
// purges past the table's gc horizon.

// spaceIndex is the first byte of index entry keys. 0x04 is taken by Paxos
// state; 0x05 sorts before table data (0x10), so scans of table data —
// reads, the purger, Merkle trees, streaming, cleanup — never meet an
// index entry, and a table's entries are one contiguous span of their own.
const spaceIndex byte = 0x05

// indexState is the catalog the engine maintains index entries for
// (SetCatalog), and the indexes whose entries are complete here.
type indexState struct {
	cat atomic.Pointer[schema.Catalog]
}

// SetCatalog tells the engine the current schema: from then on Apply
// writes an entry for every indexed cell of the catalog's indexes.
// Entries for the rows stored before an index existed are written by
// BuildIndex. Call it whenever the schema changes.
func (e *Engine) SetCatalog(c *schema.Catalog) { e.indexes.cat.Store(c) }

// indexPrefixLen is the length of appendIndexPrefix's prefix: space,
// table and index.
const indexPrefixLen = 1 + 4 + 4

func appendIndexPrefix(dst []byte, t schema.TableID, index uint32) []byte {
	dst = append(dst, spaceIndex)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t))
	return binary.BigEndian.AppendUint32(dst, index)
}

// appendIndexEntryKey appends the key of the entry of term for one row.
func appendIndexEntryKey(dst []byte, t schema.TableID, index uint32, term []byte, token int64, pk []byte, static bool, ck []byte) []byte {
	dst = appendIndexPrefix(dst, t, index)
	dst = appendEscaped(dst, term)
	dst = appendToken(dst, token)
	dst = appendEscaped(dst, pk)
	if static {
		return append(dst, regionStatic)
	}
	return appendEscaped(append(dst, regionRows), ck)
}

// indexEntry is a decoded entry key.
type indexEntry struct {
	term, pk, ck []byte
	token        int64
	static       bool
}

// decodeIndexEntryKey splits an entry key whose prefix (space, table,
// index) has prefixLen bytes.
func decodeIndexEntryKey(k []byte, prefixLen int) (indexEntry, error) {
	var en indexEntry
	if len(k) < prefixLen {
		return en, fmt.Errorf("%w: short index entry", errBadKey)
	}
	term, rest, err := decodeEscaped(nil, k[prefixLen:])
	if err != nil {
		return en, err
	}
	if len(rest) < 8 {
		return en, fmt.Errorf("%w: index entry without token", errBadKey)
	}
	en.term, en.token = term, decodeToken(rest[:8])
	if en.pk, rest, err = decodeEscaped(nil, rest[8:]); err != nil {
		return en, err
	}
	switch {
	case len(rest) == 1 && rest[0] == regionStatic:
		en.static = true
	case len(rest) > 1 && rest[0] == regionRows:
		var tail []byte
		if en.ck, tail, err = decodeEscaped(nil, rest[1:]); err != nil {
			return en, err
		}
		if len(tail) != 0 {
			return en, fmt.Errorf("%w: trailing bytes in index entry", errBadKey)
		}
	default:
		return en, fmt.Errorf("%w: bad index entry row", errBadKey)
	}
	return en, nil
}

// indexedColumns returns the indexes of table t that storage maintains,
// with their columns: indexes on regular and static columns. An index on
// a key column has no entries; its queries read the range.
func (e *Engine) indexedColumns(t schema.TableID) (*schema.Table, []*schema.Index) {
	cat := e.indexes.cat.Load()
	if cat == nil {
		return nil, nil
	}
	tbl := cat.TableByID(t)
	if tbl == nil || len(tbl.Indexes) == 0 {
		return nil, nil
	}
	var out []*schema.Index
	for _, ix := range tbl.Indexes {
		if col := tbl.Column(ix.Column); col != nil && !col.IsPrimaryKey() {
			out = append(out, ix)
		}
	}
	return tbl, out
}

// encodeIndexEntries adds to b an entry for every live cell of m in an
// indexed column. Tombstones add nothing: the term they end is unknown
// without a read, and the entry it left is found stale on read.
func (e *Engine) encodeIndexEntries(b *pebble.Batch, s *writeScratch, m *schema.Partition) error {
	tbl, idxs := e.indexedColumns(m.Table)
	for _, ix := range idxs {
		col := tbl.Column(ix.Column)
		if col.Kind == schema.Static {
			if m.Static != nil {
				if err := addIndexEntries(b, s, m, ix, col, m.Static, true); err != nil {
					return err
				}
			}
			continue
		}
		for i := range m.Rows {
			if err := addIndexEntries(b, s, m, ix, col, &m.Rows[i], false); err != nil {
				return err
			}
		}
	}
	return nil
}

func addIndexEntries(b *pebble.Batch, s *writeScratch, m *schema.Partition, ix *schema.Index, col *schema.Column, r *schema.Row, static bool) error {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Column != col.ID || c.Tombstone {
			continue
		}
		term, ok := schema.IndexCellTerm(ix, col, c)
		if !ok {
			continue
		}
		entry := schema.Cell{Timestamp: c.Timestamp, TTL: c.TTL, LocalDeletionTime: c.LocalDeletionTime}
		if entry.TTL <= 0 {
			entry.TTL, entry.LocalDeletionTime = 0, schema.NoExpiry
		}
		s.key = appendIndexEntryKey(s.key[:0], m.Table, ix.ID, term, m.Token, m.Key, static, r.Clustering)
		s.val = appendCellValue(s.val[:0], &entry)
		if err := b.Merge(s.key, s.val, nil); err != nil {
			return fmt.Errorf("cannot add index entry to batch: %w", err)
		}
	}
	return nil
}

// indexTableSpan returns the span of every index entry of table t.
func indexTableSpan(t schema.TableID) (start, end []byte) {
	start = append([]byte{spaceIndex}, binary.BigEndian.AppendUint32(nil, uint32(t))...)
	return start, prefixSuccessor(nil, start)
}

// DropIndex removes every entry of index id of table t (DROP INDEX).
func (e *Engine) DropIndex(ctx context.Context, t schema.TableID, id uint32) error {
	start := appendIndexPrefix(nil, t, id)
	return e.deleteSpans(ctx, [][2][]byte{{start, prefixSuccessor(nil, start)}}, "drop index")
}
