package schema

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// This file is the data model of counters, after Cassandra's
// CounterContext. A counter column's value is not written, it is added
// to, by many coordinators at once and without a read; so a replica
// cannot hold "the value" and let the highest timestamp win as for other
// cells. It holds a counter context instead: one shard per node that ever
// led an increment of the cell,
//
//	shard = (counter id, clock, count)
//
// where the counter id is the leader's host id, count is the sum of every
// increment that leader applied and clock is that leader's version of its
// shard, raised by every increment it applies. The counter's value is the
// sum of the counts.
//
// Two contexts merge shard by shard: per counter id the later shard wins
// (shardWins). A leader's successive shards of a cell have rising clocks
// and never falling timestamps (ApplyCounterDeltas), so "later" is "the
// larger clock" — but it is decided by the timestamp first, so that a
// shard a leader starts afresh after a row deletion shadowed its old one
// (clock 1 again) still beats it. That merge is
// commutative, associative and idempotent, which is what lets counters
// travel the normal write path afterwards: a shard replicated twice,
// replayed from a hint, streamed or repaired is never counted twice.
//
// An increment starts as a delta (CounterDelta: Value is the 8-byte
// amount) written by the executor, and the coordinator hands it to a
// leader, one replica of the partition, which turns it into its own
// shard (ApplyCounterDeltas). A delta is never stored and never
// replicated; only shards are.
//
// Deletion (CASSANDRA-7346): a counter cell tombstone beats every counter
// cell, whatever their timestamps, so a counter deleted by DELETE c stays
// deleted (until the tombstone is purged after gc_grace_seconds, when
// what is left may reappear: Cassandra's rule is "do not reuse a deleted
// counter"). Such a tombstone is marked as a counter's (Counter set) and,
// unlike other tombstones, is kept when a newer row or partition deletion
// covers it: the deletion would not shadow a newer counter cell, the
// tombstone does. Row, range and partition deletions shadow counter data by
// timestamp shard by shard (ShadowCounterShards): a shard whose latest
// increment is not newer than the deletion is gone, the others stay. So
// an increment after a row deletion starts the counter again from that
// increment (where Cassandra lets older shards of other leaders come
// back), and merging stays associative when tombstones are applied at
// different steps: the merged cell's newest shard cannot keep an older
// shard alive.

// CounterKind says whether a cell is a counter cell, and in which form.
type CounterKind uint8

const (
	// NotCounter is a regular cell.
	NotCounter CounterKind = iota
	// CounterDelta is an increment not yet applied by a leader: Value is
	// the amount, a big-endian int64. It exists only between the executor
	// and the leader.
	CounterDelta
	// CounterShards is a counter's replicated state: Value is a counter
	// context (AppendCounterContext).
	CounterShards
)

// CounterID identifies a counter shard: the host id of its leader.
type CounterID [16]byte

// CounterShard is one leader's part of a counter.
type CounterShard struct {
	ID    CounterID
	Clock int64
	Count int64
	// Timestamp is the write timestamp of the shard's latest increment
	// (microseconds): what a row or partition deletion is compared with.
	Timestamp int64
}

// CounterShardSize is the encoded size of one shard: id, clock, count,
// timestamp.
const CounterShardSize = 16 + 8 + 8 + 8

// AppendCounterContext appends the encoding of shards, which must be
// sorted by ID without duplicates (as DecodeCounterContext returns and
// MergeCounterContexts keeps them): each shard is its 16-byte id, then
// clock and count as big-endian int64s. No header: the length says how
// many shards there are.
func AppendCounterContext(dst []byte, shards []CounterShard) []byte {
	for _, s := range shards {
		dst = append(dst, s.ID[:]...)
		dst = binary.BigEndian.AppendUint64(dst, uint64(s.Clock))
		dst = binary.BigEndian.AppendUint64(dst, uint64(s.Count))
		dst = binary.BigEndian.AppendUint64(dst, uint64(s.Timestamp))
	}
	return dst
}

// DecodeCounterContext decodes a counter context. It refuses a length
// that is not a whole number of shards and ids out of order or repeated,
// so every decoded context is in the canonical form merge relies on.
func DecodeCounterContext(b []byte) ([]CounterShard, error) {
	if len(b)%CounterShardSize != 0 {
		return nil, fmt.Errorf("%w: counter context of %d bytes is not a whole number of shards", ErrCorrupt, len(b))
	}
	shards := make([]CounterShard, len(b)/CounterShardSize)
	for i := range shards {
		s := &shards[i]
		off := i * CounterShardSize
		copy(s.ID[:], b[off:off+16])
		s.Clock = int64(binary.BigEndian.Uint64(b[off+16:]))
		s.Count = int64(binary.BigEndian.Uint64(b[off+24:]))
		s.Timestamp = int64(binary.BigEndian.Uint64(b[off+32:]))
		if i > 0 && bytes.Compare(shards[i-1].ID[:], s.ID[:]) >= 0 {
			return nil, fmt.Errorf("%w: counter shards out of order", ErrCorrupt)
		}
	}
	return shards, nil
}

// CounterValue returns the value of a counter context: the sum of its
// counts (wrapping on overflow, as Cassandra's long does).
func CounterValue(ctx []byte) (int64, error) {
	shards, err := DecodeCounterContext(ctx)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, s := range shards {
		sum += s.Count
	}
	return sum, nil
}

// FindCounterShard returns the shard of id in shards, if any.
func FindCounterShard(shards []CounterShard, id CounterID) (CounterShard, bool) {
	i := sort.Search(len(shards), func(i int) bool { return bytes.Compare(shards[i].ID[:], id[:]) >= 0 })
	if i < len(shards) && shards[i].ID == id {
		return shards[i], true
	}
	return CounterShard{}, false
}

// shardWins reports whether a beats b for the same counter id: the later
// timestamp, then the larger clock, then the larger count (a total order,
// though only a broken leader writes one (timestamp, clock) twice).
func shardWins(a, b CounterShard) bool {
	if a.Timestamp != b.Timestamp {
		return a.Timestamp > b.Timestamp
	}
	if a.Clock != b.Clock {
		return a.Clock > b.Clock
	}
	return a.Count > b.Count
}

// shardsTimestamp is the timestamp of a counter cell holding shards: the
// latest of theirs.
func shardsTimestamp(shards []CounterShard) int64 {
	ts := NoTimestamp
	for _, s := range shards {
		ts = max(ts, s.Timestamp)
	}
	return ts
}

// IsCounterTombstone reports whether c is the tombstone of a counter cell
// (see the file comment on why it outlives a newer row deletion).
func IsCounterTombstone(c *Cell) bool { return c.Tombstone && c.Counter != NotCounter }

// ShadowCounterShards removes from the counter cell c, in place, the
// shards a deletion marked at markedAt shadows, and reports whether any
// is left. Other cells are left alone (true). The cell keeps its
// timestamp rule: the latest of its remaining shards'.
func ShadowCounterShards(c *Cell, markedAt int64) bool {
	if c.Counter != CounterShards || c.Tombstone {
		return true
	}
	shards, err := DecodeCounterContext(c.Value)
	if err != nil {
		return true
	}
	kept := shards[:0]
	for _, s := range shards {
		if s.Timestamp > markedAt {
			kept = append(kept, s)
		}
	}
	if len(kept) == len(shards) {
		return true
	}
	if len(kept) == 0 {
		return false
	}
	c.Value = AppendCounterContext(nil, kept)
	c.Timestamp = shardsTimestamp(kept)
	return true
}

// MergeCounterShards merges two canonical shard lists: the union of their
// ids, the winning shard for an id both hold.
func MergeCounterShards(a, b []CounterShard) []CounterShard {
	out := make([]CounterShard, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b):
			out = append(out, a[i])
			i++
		case i >= len(a):
			out = append(out, b[j])
			j++
		default:
			switch c := bytes.Compare(a[i].ID[:], b[j].ID[:]); {
			case c < 0:
				out = append(out, a[i])
				i++
			case c > 0:
				out = append(out, b[j])
				j++
			default:
				w := a[i]
				if shardWins(b[j], w) {
					w = b[j]
				}
				out = append(out, w)
				i++
				j++
			}
		}
	}
	return out
}

// MergeCounterContexts merges two encoded counter contexts.
func MergeCounterContexts(a, b []byte) ([]byte, error) {
	sa, err := DecodeCounterContext(a)
	if err != nil {
		return nil, err
	}
	sb, err := DecodeCounterContext(b)
	if err != nil {
		return nil, err
	}
	return AppendCounterContext(nil, MergeCounterShards(sa, sb)), nil
}

// CounterDeltaValue encodes an increment for a CounterDelta cell.
func CounterDeltaValue(delta int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(delta))
}

// CounterDeltaOf returns the increment a CounterDelta cell carries.
func CounterDeltaOf(c *Cell) (int64, error) {
	if c.Counter != CounterDelta || len(c.Value) != 8 {
		return 0, fmt.Errorf("%w: not a counter delta", ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(c.Value)), nil
}

// reconcileCounterCells merges two versions of a cell at least one of
// which is a counter cell (see the file comment):
//   - a tombstone beats a counter cell whatever the timestamps;
//   - two tombstones: the usual rule (CompareCells);
//   - two contexts: merged shard by shard, at the latest timestamp of
//     the shards kept;
//   - two deltas (two statements of one counter batch on one counter):
//     summed, as Cassandra sums them. Deltas are never stored, so this
//     is the only rule that is not idempotent and it never meets stored
//     state;
//   - a delta and a context never meet (a delta exists only until its
//     leader applies it); should they, the context wins, so stored state
//     is never changed by a delta that escaped its leader.
//
// A malformed context (which storage and the codecs refuse) loses to a
// well-formed one, so the rule stays total.
func reconcileCounterCells(a, b Cell) Cell {
	if a.Tombstone || b.Tombstone {
		if a.Tombstone && b.Tombstone {
			if c := CompareCells(a, b); c != 0 {
				if c > 0 {
					return a
				}
				return b
			}
			if b.Counter > a.Counter { // the same deletion; keep the counter's mark
				return b
			}
			return a
		}
		if a.Tombstone {
			return a
		}
		return b
	}
	if a.Counter != b.Counter {
		if a.Counter == CounterShards {
			return a
		}
		if b.Counter == CounterShards {
			return b
		}
		if CompareCells(a, b) >= 0 { // a regular cell and a delta: a schema change raced
			return a
		}
		return b
	}
	out := a
	out.Timestamp = max(a.Timestamp, b.Timestamp)
	out.TTL, out.LocalDeletionTime = 0, NoExpiry
	switch a.Counter {
	case CounterDelta:
		da, errA := CounterDeltaOf(&a)
		db, errB := CounterDeltaOf(&b)
		if errA != nil || errB != nil {
			return a
		}
		out.Value = CounterDeltaValue(da + db)
	default:
		sa, errA := DecodeCounterContext(a.Value)
		sb, errB := DecodeCounterContext(b.Value)
		switch {
		case errA != nil && errB != nil:
			if CompareCells(a, b) >= 0 {
				return a
			}
			return b
		case errA != nil:
			return b
		case errB != nil:
			return a
		}
		merged := MergeCounterShards(sa, sb)
		out.Value = AppendCounterContext(nil, merged)
		out.Timestamp = shardsTimestamp(merged)
	}
	return out
}

// ReconcileCells returns the reconciled version of two versions of the
// same cell: the winner by CompareCells for regular cells, the merge of
// reconcileCounterCells when either is a counter cell.
func ReconcileCells(a, b Cell) Cell {
	if a.Counter != NotCounter || b.Counter != NotCounter {
		return reconcileCounterCells(a, b)
	}
	if CompareCells(b, a) > 0 {
		return b
	}
	return a
}

// cellCovers reports whether replica's version r already holds everything
// m holds, so that read repair has nothing to send for it.
func cellCovers(r, m Cell) bool {
	if r.Counter == NotCounter && m.Counter == NotCounter {
		return CompareCells(r, m) >= 0
	}
	merged := ReconcileCells(r, m)
	return merged.Tombstone == r.Tombstone && merged.Counter == r.Counter &&
		merged.Timestamp == r.Timestamp && bytes.Equal(merged.Value, r.Value) &&
		merged.LocalDeletionTime == r.LocalDeletionTime
}

// HasCounterDeltas reports whether p carries a counter delta.
func HasCounterDeltas(p *Partition) bool {
	found := false
	p.eachRow(func(r *Row) {
		for i := range r.Cells {
			if r.Cells[i].Counter == CounterDelta {
				found = true
			}
		}
	})
	return found
}

func (p *Partition) eachRow(f func(r *Row)) {
	if p.Static != nil {
		f(p.Static)
	}
	for i := range p.Rows {
		f(&p.Rows[i])
	}
}

// ApplyCounterDeltas is the leader's step of a counter write, shared by
// the node's leader and every test harness so that they cannot differ:
// given the mutation mut with its deltas and current, what the leader
// itself holds of the same rows and columns (its local read, tombstones
// applied; nil when it holds nothing), it returns mut with every delta
// replaced by the leader's new shard
//
//	(self, clock', count + delta, timestamp')
//
// where (clock, count, timestamp) is the leader's current shard of that
// cell (zero when the cell is absent or shadowed by a deletion), clock' =
// clock+1 and timestamp' = max(timestamp, the write's timestamp), so that
// a later clock never has an earlier timestamp even when coordinators'
// clocks disagree. A shard started afresh after a deletion (clock 1) has
// a timestamp newer than the deletion, so it beats the shadowed one
// still on disk, whose timestamp is not (shardWins). The context
// written holds only the leader's shard: the other shards are unchanged,
// and merging puts them back together. The caller must hold the leader's
// lock on these cells from its read to its local write, or two
// increments could both start from the same shard.
func ApplyCounterDeltas(mut, current *Partition, self CounterID, nowSeconds int64) (*Partition, error) {
	out := cloneRows(mut)
	var err error
	apply := func(r *Row, cur *Row) {
		for i := range r.Cells {
			c := &r.Cells[i]
			if c.Counter != CounterDelta || err != nil {
				continue
			}
			var delta int64
			if delta, err = CounterDeltaOf(c); err != nil {
				return
			}
			var shard CounterShard
			if cur != nil {
				if cc := findCell(cur, c.Column, c.Path); cc != nil && cc.Counter == CounterShards && cc.LiveAt(nowSeconds) {
					shards, derr := DecodeCounterContext(cc.Value)
					if derr != nil {
						err = fmt.Errorf("leader's counter context: %w", derr)
						return
					}
					shard, _ = FindCounterShard(shards, self)
				}
			}
			next := CounterShard{ID: self, Clock: shard.Clock + 1, Count: shard.Count + delta,
				Timestamp: max(shard.Timestamp, c.Timestamp)}
			c.Counter = CounterShards
			c.Timestamp = next.Timestamp
			c.Value = AppendCounterContext(nil, []CounterShard{next})
			c.TTL, c.LocalDeletionTime = 0, NoExpiry
		}
	}
	var curStatic *Row
	var curRows []Row
	if current != nil {
		curStatic, curRows = LiveRows(current, nowSeconds)
	}
	if out.Static != nil {
		apply(out.Static, curStatic)
	}
	for i := range out.Rows {
		apply(&out.Rows[i], findRow(curRows, out.Rows[i].Clustering))
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findRow(rows []Row, ck []byte) *Row {
	for i := range rows {
		if bytes.Equal(rows[i].Clustering, ck) {
			return &rows[i]
		}
	}
	return nil
}

func findCell(r *Row, col ColumnID, path []byte) *Cell {
	for i := range r.Cells {
		if r.Cells[i].Column == col && bytes.Equal(r.Cells[i].Path, path) {
			return &r.Cells[i]
		}
	}
	return nil
}

// CounterReadCommand returns the single-partition read a leader runs
// before ApplyCounterDeltas: the rows and columns of mut's counter deltas.
func CounterReadCommand(mut *Partition, nowSeconds int64) *ReadCommand {
	cmd := &ReadCommand{Table: mut.Table, Key: mut.Key, Token: mut.Token, NowSeconds: nowSeconds}
	cols := map[ColumnID]bool{}
	hasDeltas := func(r *Row) bool {
		has := false
		for i := range r.Cells {
			if r.Cells[i].Counter == CounterDelta {
				cols[r.Cells[i].Column] = true
				has = true
			}
		}
		return has
	}
	// The static row is told apart by its place, not by a nil clustering:
	// the one row of a table without clustering columns has an empty one,
	// which the codec decodes as nil.
	cmd.Static = mut.Static != nil && hasDeltas(mut.Static)
	var slices []Slice
	for i := range mut.Rows {
		if hasDeltas(&mut.Rows[i]) {
			b := Bound{Prefix: mut.Rows[i].Clustering, Inclusive: true}
			slices = append(slices, Slice{Start: b, End: b})
		}
	}
	sort.Slice(slices, func(i, j int) bool { return bytes.Compare(slices[i].Start.Prefix, slices[j].Start.Prefix) < 0 })
	slices = slicesCompact(slices)
	cmd.Slices = slices
	if cmd.Static && len(slices) == 0 {
		// Only the static row: an empty slice list would mean "every row".
		cmd.Slices = []Slice{}
	}
	for c := range cols {
		cmd.Columns = append(cmd.Columns, c)
	}
	sort.Slice(cmd.Columns, func(i, j int) bool { return cmd.Columns[i] < cmd.Columns[j] })
	return cmd
}

// slicesCompact drops repeated single-row slices of a sorted list (a row
// given twice in a mutation), which a read command must not hold.
func slicesCompact(s []Slice) []Slice {
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && bytes.Equal(out[n-1].Start.Prefix, x.Start.Prefix) {
			continue
		}
		out = append(out, x)
	}
	return out
}

// cloneRows copies p with its own rows and cells, so that cells can be
// replaced without touching p (byte slices are shared).
func cloneRows(p *Partition) *Partition {
	out := *p
	if p.Static != nil {
		r := *p.Static
		r.Cells = append([]Cell(nil), r.Cells...)
		out.Static = &r
	}
	out.Rows = make([]Row, len(p.Rows))
	for i := range p.Rows {
		out.Rows[i] = p.Rows[i]
		out.Rows[i].Cells = append([]Cell(nil), p.Rows[i].Cells...)
	}
	if p.Rows == nil {
		out.Rows = nil
	}
	return &out
}
