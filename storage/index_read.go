package storage

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// A range read with an IndexRead (schema/index_read.go) is answered from
// the index's entries: the entries of the term (or term range) whose
// token is in the command's range are the candidate rows; they are read
// partition by partition, in token order, with the command's selection,
// limits and paging position, as the range read would return them. The
// caller re-checks its restrictions on every row, because an entry may be
// stale. Where the index is unknown, on a key column, or not yet built on
// this node, the command is read as the plain range read it also is.
//
// Cost: one iterator over the term's entries in the range, then one
// partition read per candidate partition (point slices on the candidate
// rows). The candidates of one read are held in memory and sorted, which
// a range term (SAI) needs; so a read costs O(matching entries in the
// range), not O(rows in the range).

// candidate is one live index entry found for a read.
type candidate struct {
	pp     []byte // the row's partition prefix (table data key space)
	entry  indexEntry
	key    []byte // the entry's key
	ts     int64  // the entry's timestamp
	static bool
}

func (e *Engine) readIndexed(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	tbl, idxs := e.indexedColumns(cmd.Table)
	var ix *schema.Index
	for _, x := range idxs {
		if x.ID == cmd.Index.Index {
			ix = x
		}
	}
	if ix == nil || !e.IndexBuilt(cmd.Table, ix.ID) {
		plain := *cmd
		plain.Index = nil
		return e.Read(ctx, &plain)
	}
	e.m.indexReads.Add(1)
	col := tbl.Column(ix.Column)
	lo, hi, err := indexSpan(cmd, ix, col)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRead, err)
	}
	now := cmd.NowSeconds
	if now == 0 {
		now = e.nowSeconds()
	}
	cands, err := e.indexCandidates(ctx, cmd, lo, hi, now)
	if err != nil {
		return nil, err
	}
	return e.readCandidates(ctx, cmd, col, ix, cands, now)
}

// ErrInvalidRead is returned (wrapped) for a read command that cannot be
// answered as asked (an index term that does not fit its column).
var ErrInvalidRead = fmt.Errorf("storage: invalid read command")

// indexSpan returns the key span of the entries of the command's term.
func indexSpan(cmd *schema.ReadCommand, ix *schema.Index, col *schema.Column) (lo, hi []byte, err error) {
	prefix := appendIndexPrefix(nil, cmd.Table, ix.ID)
	ir := cmd.Index
	termKey := func(vals [][]byte) ([]byte, error) {
		term, err := schema.IndexQueryTerm(ix, col, vals)
		if err != nil {
			return nil, err
		}
		return appendEscaped(slices.Clone(prefix), term), nil
	}
	if ir.Eq != nil {
		k, err := termKey(ir.Eq)
		if err != nil {
			return nil, nil, err
		}
		return k, prefixSuccessor(nil, k), nil
	}
	lo, hi = prefix, prefixSuccessor(nil, prefix)
	if ir.Lo != nil {
		if lo, err = termKey([][]byte{ir.Lo.Value}); err != nil {
			return nil, nil, err
		}
		if !ir.Lo.Inclusive {
			lo = prefixSuccessor(nil, lo)
		}
	}
	if ir.Hi != nil {
		if hi, err = termKey([][]byte{ir.Hi.Value}); err != nil {
			return nil, nil, err
		}
		if ir.Hi.Inclusive {
			hi = prefixSuccessor(nil, hi)
		}
	}
	return lo, hi, nil
}

// indexCandidates returns the live entries in [lo, hi) whose row is in
// the command's token range (after its paging position), in the order a
// range read returns rows, without duplicates.
func (e *Engine) indexCandidates(ctx context.Context, cmd *schema.ReadCommand, lo, hi []byte, now int64) ([]candidate, error) {
	if bytes.Compare(lo, hi) >= 0 {
		return nil, nil
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	spans := (&reader{cmd: cmd}).rangeSpans()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("cannot create index iterator: %w", err)
	}
	defer it.Close()
	prefixLen := len(appendIndexPrefix(nil, cmd.Table, 0))
	var out []candidate
	for it.First(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		en, err := decodeIndexEntryKey(it.Key(), prefixLen)
		if err != nil {
			return nil, fmt.Errorf("cannot read index: %w", err)
		}
		pp := appendPartitionPrefix(nil, cmd.Table, en.token, en.pk)
		if !inSpans(spans, pp) {
			continue
		}
		var c schema.Cell
		if err := decodeCellValue(it.Value(), &c); err != nil {
			return nil, fmt.Errorf("cannot read index entry: %w", err)
		}
		if c.Tombstone || (c.TTL > 0 && c.LocalDeletionTime <= now) {
			continue
		}
		out = append(out, candidate{pp: pp, entry: en, key: slices.Clone(it.Key()), ts: c.Timestamp, static: en.static})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("cannot read index: %w", err)
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		if c := bytes.Compare(a.pp, b.pp); c != 0 {
			return c
		}
		if a.static != b.static {
			if a.static {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.entry.ck, b.entry.ck)
	})
	return out, nil
}

// inSpans reports whether the partition prefix pp is in one of spans.
func inSpans(spans [][2][]byte, pp []byte) bool {
	for _, s := range spans {
		if bytes.Compare(pp, s[0]) >= 0 && bytes.Compare(pp, s[1]) < 0 {
			return true
		}
	}
	return false
}

// readCandidates reads the candidates' partitions in order, within the
// command's limits, and marks the entries it finds superseded.
func (e *Engine) readCandidates(ctx context.Context, cmd *schema.ReadCommand, col *schema.Column, ix *schema.Index, cands []candidate, now int64) ([]*schema.Partition, error) {
	var out []*schema.Partition
	var stale []candidate
	left := math.MaxInt
	if cmd.Limit > 0 {
		left = cmd.Limit
	}
	var afterPP []byte
	if cmd.AfterKey != nil && cmd.AfterClustering != nil {
		afterPP = appendPartitionPrefix(nil, cmd.Table, cmd.StartToken, cmd.AfterKey)
	}
	partitions := 0
	for i := 0; i < len(cands) && left > 0; {
		j := i
		wholePartition := cmd.Slices != nil
		for j < len(cands) && bytes.Equal(cands[j].pp, cands[i].pp) {
			wholePartition = wholePartition || cands[j].static
			j++
		}
		group := cands[i:j]
		i = j
		sub := &schema.ReadCommand{Table: cmd.Table, Key: group[0].entry.pk, Token: group[0].entry.token,
			Slices: cmd.Slices, Reversed: cmd.Reversed, Columns: cmd.Columns, Static: cmd.Static,
			Limit: left, PerPartitionLimit: cmd.PerPartitionLimit, NowSeconds: now}
		if left == math.MaxInt {
			sub.Limit = 0
		}
		if !wholePartition {
			sub.Slices = nil
			for _, c := range group {
				if len(sub.Slices) > 0 && bytes.Equal(sub.Slices[len(sub.Slices)-1].Start.Prefix, c.entry.ck) {
					continue
				}
				sub.Slices = append(sub.Slices, schema.Slice{Start: schema.Bound{Prefix: c.entry.ck, Inclusive: true}, End: schema.Bound{Prefix: c.entry.ck, Inclusive: true}})
			}
		}
		if afterPP != nil && bytes.Equal(afterPP, group[0].pp) {
			sub.AfterClustering = cmd.AfterClustering
		}
		parts, err := e.Read(ctx, sub)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			n := 0
			for k := range p.Rows {
				if rowLive(&p.Rows[k], now) {
					n++
				}
			}
			if n == 0 && p.Static != nil && rowLive(p.Static, now) {
				n = 1
			}
			left -= n
			if n > 0 {
				partitions++
			}
			out = append(out, p)
		}
		if cmd.Columns == nil || slices.Contains(cmd.Columns, col.ID) {
			stale = appendStale(stale, group, parts, ix, col)
		}
		if cmd.PartitionLimit > 0 && partitions >= cmd.PartitionLimit {
			break
		}
	}
	e.markStale(ctx, stale, now)
	return out, nil
}

// appendStale appends the keys of the group's entries that the partition
// read shows superseded: the row (or partition) holds a deletion at or
// after the entry, or a newer cell of the column, and no cell of the
// column as new as the entry still gives the entry's term. A row the read
// did not return proves nothing (it may be outside the selection or not
// yet streamed here), so its entry stays.
func appendStale(stale, group []candidate, parts []*schema.Partition, ix *schema.Index, col *schema.Column) []candidate {
	if len(parts) != 1 {
		return stale
	}
	p := parts[0]
	for _, c := range group {
		row := findRow(p, c)
		if row == nil {
			continue
		}
		superseded := p.Deletion.MarkedAt >= c.ts || row.Deletion.MarkedAt >= c.ts
		still := false
		for k := range row.Cells {
			cell := &row.Cells[k]
			if cell.Column != col.ID {
				continue
			}
			if cell.Timestamp > c.ts {
				superseded = true
			}
			if cell.Tombstone || cell.Timestamp < c.ts {
				continue
			}
			if term, ok := schema.IndexCellTerm(ix, col, cell); ok && bytes.Equal(term, c.entry.term) {
				still = true
			}
		}
		if superseded && !still {
			stale = append(stale, c)
		}
	}
	return stale
}

func findRow(p *schema.Partition, c candidate) *schema.Row {
	if c.static {
		return p.Static
	}
	for k := range p.Rows {
		if bytes.Equal(p.Rows[k].Clustering, c.entry.ck) {
			return &p.Rows[k]
		}
	}
	return nil
}

// markStale writes a tombstone over each stale entry at the timestamp the
// read saw: it shadows that entry and nothing newer (an entry written
// again meanwhile by a later write of the same term has a later
// timestamp). It is best effort: a lost tombstone only leaves a stale
// entry for a later read.
func (e *Engine) markStale(ctx context.Context, stale []candidate, now int64) {
	if len(stale) == 0 || ctx.Err() != nil {
		return
	}
	if err := e.enter(); err != nil {
		return
	}
	defer e.exit()
	b := e.db.NewBatch()
	defer b.Close()
	for _, c := range stale {
		tomb := schema.Cell{Timestamp: c.ts, Tombstone: true, LocalDeletionTime: now}
		if err := b.Merge(c.key, appendCellValue(nil, &tomb), nil); err != nil {
			return
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		e.log.Warn("cannot mark stale index entries", "err", err)
		return
	}
	e.m.staleIndexEntries.Add(int64(b.Count()))
}
