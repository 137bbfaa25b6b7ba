package storage

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// TokenRange is the token range (Start, End] of Cassandra's ring: a range
// with Start >= End wraps around, and Start == End == math.MinInt64 is the
// whole ring.
type TokenRange struct {
	Start, End int64
}

// tokenRangeSpans returns the key spans of table t holding the tokens of
// rg, in key order. Keys sort by token, so (Start, End] is the span
// [afterTokenKey(Start), afterTokenKey(End)); a wrapping range is
// [MinInt64, End] and (Start, MaxInt64], and an End of MinInt64 (no key's
// token) leaves only the second. reader.rangeSpans is the same
// arithmetic in token order, for reads.
func tokenRangeSpans(t schema.TableID, rg TokenRange) [][2][]byte {
	_, tableEnd := tableSpan(t)
	switch {
	case rg.Start == math.MinInt64 && rg.End == math.MinInt64:
		return [][2][]byte{{tokenKey(nil, t, math.MinInt64), tableEnd}}
	case rg.Start < rg.End:
		return [][2][]byte{{afterTokenKey(nil, t, rg.Start), afterTokenKey(nil, t, rg.End)}}
	}
	spans := [][2][]byte{}
	if rg.End != math.MinInt64 {
		spans = append(spans, [2][]byte{tokenKey(nil, t, math.MinInt64), afterTokenKey(nil, t, rg.End)})
	}
	return append(spans, [2][]byte{afterTokenKey(nil, t, rg.Start), tableEnd})
}

// Truncate removes every partition of table t and reclaims their space.
// Writes applied after Truncate returns are kept; writes racing with it
// may be kept or not.
func (e *Engine) Truncate(ctx context.Context, t schema.TableID) error {
	start, end := tableSpan(t)
	pstart, pend := paxosTableSpan(t)
	istart, iend := indexTableSpan(t)
	return e.deleteSpans(ctx, [][2][]byte{{pstart, pend}, {istart, iend}, {start, end}}, "truncate table")
}

// DropTable removes every key of table t and reclaims their space. The
// table id must not be reused afterwards.
func (e *Engine) DropTable(ctx context.Context, t schema.TableID) error {
	start, end := tableSpan(t)
	pstart, pend := paxosTableSpan(t)
	istart, iend := indexTableSpan(t)
	return e.deleteSpans(ctx, [][2][]byte{{pstart, pend}, {istart, iend}, {start, end}}, "drop table")
}

// Cleanup removes the partitions of table t whose tokens are outside
// keep (the ranges this node still replicates), and reclaims their space.
func (e *Engine) Cleanup(ctx context.Context, t schema.TableID, keep []TokenRange) error {
	var kept [][2][]byte
	for _, rg := range keep {
		kept = append(kept, tokenRangeSpans(t, rg)...)
	}
	sort.Slice(kept, func(i, j int) bool { return bytes.Compare(kept[i][0], kept[j][0]) < 0 })
	start, end := tableSpan(t)
	var drop [][2][]byte
	cur := start
	for _, s := range kept {
		if bytes.Compare(s[0], cur) > 0 {
			drop = append(drop, [2][]byte{cur, s[0]})
		}
		if bytes.Compare(s[1], cur) > 0 {
			cur = s[1]
		}
	}
	if bytes.Compare(cur, end) < 0 {
		drop = append(drop, [2][]byte{cur, end})
	}
	drop, err := e.spansWithData(drop)
	if err != nil {
		return fmt.Errorf("cannot clean up table: %w", err)
	}
	return e.deleteSpans(ctx, drop, "clean up table")
}

// spansWithData returns the spans that hold at least one key. Cleanup
// runs whenever the ring settles, usually with nothing to drop (a single
// node owns every token; the gaps between kept ranges are empty), and a
// range deletion is not free even over nothing: the manual compaction
// that reclaims its space must first flush the memtable holding the
// deletion, so every empty span would cost a forced flush of whatever
// the node is writing.
func (e *Engine) spansWithData(spans [][2][]byte) ([][2][]byte, error) {
	if len(spans) == 0 {
		return nil, nil
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: spans[0][0], UpperBound: spans[len(spans)-1][1]})
	if err != nil {
		return nil, err
	}
	var out [][2][]byte
	for _, s := range spans {
		if it.SeekGE(s[0]) && bytes.Compare(it.Key(), s[1]) < 0 {
			out = append(out, s)
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// deleteSpans durably deletes the key spans with Pebble range deletions
// (physical deletes by sequence number, not CQL tombstones) and compacts
// them so the space is reclaimed.
func (e *Engine) deleteSpans(ctx context.Context, spans [][2][]byte, what string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(spans) == 0 {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	b := e.db.NewBatch()
	defer b.Close()
	for _, s := range spans {
		if err := b.DeleteRange(s[0], s[1], nil); err != nil {
			return fmt.Errorf("cannot %s: %w", what, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("cannot %s: %w", what, err)
	}
	for _, s := range spans {
		if err := e.db.Compact(ctx, s[0], s[1], true); err != nil {
			return fmt.Errorf("cannot %s: compaction: %w", what, err)
		}
	}
	return nil
}
