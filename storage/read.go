package storage

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Read runs a single-partition command (cmd.Key set) or a token-range
// command (cmd.Key nil) and returns the partitions found, in token order.
//
// Each partition holds what this replica knows about the selected slice:
// the partition deletion, the range tombstones that intersect the slices,
// row deletions, collection deletions, cell tombstones and expired cells,
// and the live data they do not shadow (shadowed data is left out, so two
// replicas that converged answer alike whatever each has purged). Limits
// count live rows at cmd.NowSeconds (or the engine's clock when zero); a
// partition with nothing in the slice is left out.
//
// With cmd.Columns set, a row whose only live data is in other columns
// keeps one of those cells as a witness, so the row still reads as live.
func (e *Engine) Read(ctx context.Context, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	if cmd.Index != nil && cmd.Key == nil {
		return e.readIndexed(ctx, cmd)
	}
	var out []*schema.Partition
	err := e.read(ctx, cmd, func(p *schema.Partition) error {
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScanRange calls fn with every partition of table t whose token is in
// (start, end] (the whole ring when both are math.MinInt64; wrapping when
// start >= end), in token order, each complete: every row, the static
// row and every tombstone, as a fragment that can be Applied on another
// replica to make it converge. It serves repair (Merkle hashing) and
// streaming. Partitions are freshly allocated, so fn may keep them. fn
// runs while the engine holds its close lock, so it must not call the
// engine (Close would wait on it forever); it may block, which holds the
// scan's iterator (and so its sstables) open.
func (e *Engine) ScanRange(ctx context.Context, t schema.TableID, start, end int64, fn func(*schema.Partition) error) error {
	cmd := &schema.ReadCommand{Table: t, StartToken: start, EndToken: end, Static: true}
	return e.read(ctx, cmd, fn)
}

// ScanRangeAfter is ScanRange resumed after the partition (start,
// afterKey): it continues with the partitions of token start whose keys
// sort after afterKey, then the rest of (start, end]. A stream that stops
// at a page boundary resumes with the last partition's token and key,
// sending nothing twice.
func (e *Engine) ScanRangeAfter(ctx context.Context, t schema.TableID, start int64, afterKey []byte, end int64, fn func(*schema.Partition) error) error {
	cmd := &schema.ReadCommand{Table: t, StartToken: start, EndToken: end, AfterKey: afterKey, Static: true}
	return e.read(ctx, cmd, fn)
}

var readerPool = sync.Pool{New: func() any { return new(reader) }}

// fullSlices is the selection of a command without Slices; read only.
var fullSlices = []schema.Slice{schema.FullSlice}

// reader is the state of one Read. Its scratch buffers are pooled; its
// arena and cell slab belong to the partitions it returns.
type reader struct {
	e       *Engine
	ctx     context.Context
	cmd     *schema.ReadCommand
	it      *pebble.Iterator
	slices  []schema.Slice
	cols    []schema.ColumnID // sorted; nil = all
	now     int64
	left    int // live rows left under cmd.Limit; MaxInt when none
	after   []byte
	afterPP []byte // the partition AfterClustering applies to (range reads)
	emitted int

	// Scratch (pooled).
	seek, pp, ck, rowRaw, upper, rowStart []byte
	rts                                   []schema.RangeTombstone
	iterOpts                              pebble.IterOptions
	rk                                    rowKey // the key atRow decoded
	allCDs                                []schema.ColumnDeletion
	packed                                []byte // the cells of the packed row being read

	// Owned by the results.
	arena []byte
	cells []schema.Cell
	rows  []schema.Row // the rows of every partition, each a capped sub-slice
	// rowsFrom and cellsFrom index the partition's first row in rows and
	// the row's first cell in cells while they are being read.
	rowsFrom, cellsFrom int
	parts               []schema.Partition // chunk the partitions are allocated from
}

// newPartition returns a zeroed Partition from the current chunk; chunks
// are never grown in place, so returned pointers stay valid.
func (r *reader) newPartition() *schema.Partition {
	if len(r.parts) == cap(r.parts) {
		n := 1
		if r.cmd.Key == nil {
			n = 32
		}
		r.parts = make([]schema.Partition, 0, n)
	}
	r.parts = r.parts[:len(r.parts)+1]
	return &r.parts[len(r.parts)-1]
}

func (r *reader) reset() {
	r.e, r.ctx, r.cmd, r.it, r.slices, r.cols, r.after, r.afterPP = nil, nil, nil, nil, nil, nil, nil, nil
	r.arena, r.cells, r.rows, r.parts = nil, nil, nil, nil
	r.rts = r.rts[:0]
	r.allCDs = r.allCDs[:0]
	if cap(r.packed) > maxPooledRowBuf {
		r.packed = nil
	}
}

func (e *Engine) read(ctx context.Context, cmd *schema.ReadCommand, emit func(*schema.Partition) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.m.reads.Add(1)
	r := readerPool.Get().(*reader)
	defer func() {
		r.reset()
		readerPool.Put(r)
	}()
	r.e, r.ctx, r.cmd, r.emitted = e, ctx, cmd, 0
	r.slices = cmd.Slices
	if r.slices == nil {
		r.slices = fullSlices
	}
	if cmd.Columns != nil {
		r.cols = slices.Clone(cmd.Columns)
		slices.Sort(r.cols)
	}
	r.now = cmd.NowSeconds
	if r.now == 0 {
		r.now = e.nowSeconds()
	}
	r.left = math.MaxInt
	if cmd.Limit > 0 {
		r.left = cmd.Limit
	}
	r.after = cmd.AfterClustering
	if cmd.Key != nil {
		return r.readSingle(emit)
	}
	return r.readRange(emit)
}

func (r *reader) readSingle(emit func(*schema.Partition) error) error {
	r.pp = appendPartitionPrefix(r.pp[:0], r.cmd.Table, r.cmd.Token, r.cmd.Key)
	r.upper = prefixSuccessor(r.upper[:0], r.pp)
	r.iterOpts = pebble.IterOptions{LowerBound: r.pp, UpperBound: r.upper}
	it, err := r.e.db.NewIter(&r.iterOpts)
	if err != nil {
		return fmt.Errorf("cannot create iterator: %w", err)
	}
	r.it = it
	p, _, err := r.readPartition(false)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot read partition: %w", cerr)
	}
	if err != nil || p == nil {
		return err
	}
	r.e.m.readPartitions.Add(1)
	return emit(p)
}

// rangeSpans returns the key spans of the command's token range, in
// token order.
//
// Keys sort by (table, token, key), so (start, end] is the key span
// [afterTokenKey(start), afterTokenKey(end)). A range that wraps (start
// >= end) is (start, MaxInt64] then [MinInt64, end], read in that order:
// the ring's order from start. MinInt64 is no key's token, so an end of
// MinInt64 adds no second span.
func (r *reader) rangeSpans() [][2][]byte {
	c := r.cmd
	_, tableEnd := tableSpan(c.Table)
	var spans [][2][]byte
	switch {
	case c.StartToken == math.MinInt64 && c.EndToken == math.MinInt64:
		spans = append(spans, [2][]byte{tokenKey(nil, c.Table, math.MinInt64), tableEnd})
	case c.StartToken < c.EndToken || (c.StartToken == c.EndToken && c.AfterKey != nil):
		// With AfterKey the range starts at a partition, not a token: equal
		// tokens then mean the rest of that token's partitions.
		spans = append(spans, [2][]byte{afterTokenKey(nil, c.Table, c.StartToken), afterTokenKey(nil, c.Table, c.EndToken)})
	default: // wraps around the ring
		spans = append(spans, [2][]byte{afterTokenKey(nil, c.Table, c.StartToken), tableEnd})
		if c.EndToken != math.MinInt64 {
			spans = append(spans, [2][]byte{tokenKey(nil, c.Table, math.MinInt64), afterTokenKey(nil, c.Table, c.EndToken)})
		}
	}
	// A resumed read starts inside its first span, at the partition
	// (StartToken, AfterKey): after it when it was finished, at it when
	// AfterClustering says where in it to go on.
	if c.AfterKey != nil {
		pp := appendPartitionPrefix(nil, c.Table, c.StartToken, c.AfterKey)
		if c.AfterClustering == nil {
			spans[0][0] = prefixSuccessor(nil, pp)
		} else {
			spans[0][0] = pp
			r.afterPP = pp
		}
	} else {
		r.after = nil // AfterClustering needs AfterKey to know its partition
	}
	return spans
}

func (r *reader) readRange(emit func(*schema.Partition) error) error {
	for _, span := range r.rangeSpans() {
		if bytes.Compare(span[0], span[1]) >= 0 {
			continue
		}
		done, err := r.scanSpan(span[0], span[1], emit)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// scanSpan reads the partitions in [lo, hi); done reports that a limit
// was reached.
func (r *reader) scanSpan(lo, hi []byte, emit func(*schema.Partition) error) (done bool, err error) {
	r.iterOpts = pebble.IterOptions{LowerBound: lo, UpperBound: hi}
	it, err := r.e.db.NewIter(&r.iterOpts)
	if err != nil {
		return false, fmt.Errorf("cannot create iterator: %w", err)
	}
	r.it = it
	defer func() {
		if cerr := it.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cannot scan range: %w", cerr)
		}
	}()
	it.SeekGE(lo)
	for it.Valid() {
		if err := r.ctx.Err(); err != nil {
			return false, err
		}
		info, err := splitPartitionKey(it.Key())
		if err != nil {
			return false, fmt.Errorf("cannot scan range: %w", err)
		}
		r.pp = append(r.pp[:0], info.prefix...)
		if r.after != nil && !bytes.Equal(r.pp, r.afterPP) {
			r.after = nil
		}
		p, live, err := r.readPartition(true)
		if err != nil {
			return false, err
		}
		r.after = nil
		if p != nil {
			r.e.m.readPartitions.Add(1)
			if err := emit(p); err != nil {
				return false, err
			}
			if live {
				r.emitted++
			}
		}
		if r.left <= 0 || (r.cmd.PartitionLimit > 0 && r.emitted >= r.cmd.PartitionLimit) {
			return true, nil
		}
		// Reversed reads leave the iterator before the partition; forward
		// ones inside or after it.
		r.seek = prefixSuccessor(r.seek[:0], r.pp)
		if !it.Valid() || bytes.Compare(it.Key(), r.seek) < 0 {
			it.SeekGE(r.seek)
		}
	}
	return false, it.Error()
}

// inPartition reports whether the iterator is on a key of r.pp.
func (r *reader) inPartition() bool {
	return r.it.Valid() && bytes.HasPrefix(r.it.Key(), r.pp) && len(r.it.Key()) > len(r.pp)
}

func (r *reader) region() byte { return r.it.Key()[len(r.pp)] }

// readPartition reads the partition r.pp; positioned says the iterator
// is already on its first key. It returns nil when the partition has
// nothing in the selection, and whether it holds a live row.
func (r *reader) readPartition(positioned bool) (*schema.Partition, bool, error) {
	it := r.it
	if !positioned {
		it.SeekGE(r.pp)
	}
	if !r.inPartition() {
		return nil, false, it.Error()
	}
	info, err := splitPartitionKey(it.Key())
	if err != nil {
		return nil, false, fmt.Errorf("cannot read partition: %w", err)
	}
	p := r.newPartition()
	*p = schema.Partition{Table: info.table, Token: info.token, Deletion: schema.LiveDeletion}
	r.reserve(len(r.pp))
	start := len(r.arena)
	if r.arena, err = partitionKeyBytes(r.arena, r.pp); err != nil {
		return nil, false, fmt.Errorf("cannot read partition: %w", err)
	}
	p.Key = r.arena[start:len(r.arena):len(r.arena)]
	if err := r.readTombstones(p); err != nil {
		return nil, false, err
	}
	live := false
	if r.cmd.Static {
		if r.inPartition() && r.region() < regionStatic {
			return nil, false, fmt.Errorf("cannot read partition: %w: unexpected region %#x", errBadKey, r.region())
		}
		if r.inPartition() && r.region() == regionStatic {
			suffix := it.Key()[len(r.pp):]
			if r.ck, err = decodeRowSuffix(suffix, r.ck, &r.rk); err != nil {
				return nil, false, fmt.Errorf("cannot read static row: %w", err)
			}
			r.rowRaw = append(r.rowRaw[:0], suffix[:r.rk.rowPrefix]...)
			row, ok, err := r.readRow(p.Deletion, true)
			if err != nil {
				return nil, false, err
			}
			if ok {
				p.Static = &row
				live = rowLive(&row, r.now)
			}
		}
	}
	r.rowsFrom = len(r.rows)
	rowLiveAny, err := r.readRows(p)
	if err != nil {
		return nil, false, err
	}
	if len(r.rows) > r.rowsFrom {
		p.Rows = r.rows[r.rowsFrom:len(r.rows):len(r.rows)]
	}
	live = live || rowLiveAny
	if p.Deletion.Live() && len(p.RangeTombstones) == 0 && p.Static == nil && len(p.Rows) == 0 {
		return nil, false, nil
	}
	return p, live, nil
}

// readTombstones reads the partition header and range tombstones at the
// start of the partition, leaving the iterator after them.
func (r *reader) readTombstones(p *schema.Partition) error {
	it := r.it
	r.rts = r.rts[:0]
	for r.inPartition() {
		switch r.region() {
		case regionHeader:
			v, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("cannot read partition deletion: %w", err)
			}
			if p.Deletion, err = decodeDeletionValue(v); err != nil {
				return fmt.Errorf("cannot read partition deletion: %w", err)
			}
		case regionRangeTomb:
			var rt schema.RangeTombstone
			if err := decodeRangeTombstoneKey(it.Key()[len(r.pp)+1:], &rt); err != nil {
				return fmt.Errorf("cannot read range tombstone: %w", err)
			}
			v, err := it.ValueAndErr()
			if err != nil {
				return fmt.Errorf("cannot read range tombstone: %w", err)
			}
			if rt.Deletion, err = decodeDeletionValue(v); err != nil {
				return fmt.Errorf("cannot read range tombstone: %w", err)
			}
			r.rts = append(r.rts, rt)
		default:
			return r.finishTombstones(p)
		}
		it.Next()
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("cannot read partition: %w", err)
	}
	return r.finishTombstones(p)
}

// finishTombstones drops range tombstones shadowed by the partition
// deletion and returns those that intersect the slices.
func (r *reader) finishTombstones(p *schema.Partition) error {
	kept := r.rts[:0]
	for _, rt := range r.rts {
		if !p.Deletion.Live() && rt.Deletion.MarkedAt <= p.Deletion.MarkedAt {
			continue
		}
		kept = append(kept, rt)
	}
	r.rts = kept
	for i := range kept {
		for _, s := range r.slices {
			if kept[i].Intersects(s) {
				p.RangeTombstones = append(p.RangeTombstones, kept[i])
				break
			}
		}
	}
	return nil
}

// rowTop returns the largest of the partition deletion and the range
// tombstones covering ck.
func (r *reader) rowTop(pd schema.Deletion, ck []byte) schema.Deletion {
	top := pd
	for i := range r.rts {
		if r.rts[i].Covers(ck) {
			top = schema.MaxDeletion(top, r.rts[i].Deletion)
		}
	}
	return top
}

func (r *reader) startSeek(s schema.Slice) []byte {
	r.seek = append(append(r.seek[:0], r.pp...), regionRows)
	if len(s.Start.Prefix) > 0 {
		r.seek = appendEscapedOpen(r.seek, s.Start.Prefix)
		if !s.Start.Inclusive {
			r.seek = append(r.seek, 0xFF)
		}
	}
	if r.after != nil {
		k := appendEscaped(append(append([]byte(nil), r.pp...), regionRows), r.after)
		k = prefixSuccessor(k[:0:0], k)
		if bytes.Compare(k, r.seek) > 0 {
			r.seek = append(r.seek[:0], k...)
		}
	}
	return r.seek
}

func (r *reader) endSeek(s schema.Slice) []byte {
	r.seek = append(r.seek[:0], r.pp...)
	if len(s.End.Prefix) == 0 {
		r.seek = append(r.seek, regionEnd)
	} else {
		r.seek = appendEscapedOpen(append(r.seek, regionRows), s.End.Prefix)
		if s.End.Inclusive {
			r.seek = append(r.seek, 0xFF)
		}
	}
	if r.after != nil {
		k := appendEscaped(append(append([]byte(nil), r.pp...), regionRows), r.after)
		if bytes.Compare(k, r.seek) < 0 {
			r.seek = append(r.seek[:0], k...)
		}
	}
	return r.seek
}

// afterOK applies AfterClustering in read order.
func (r *reader) afterOK(ck []byte) bool {
	if r.after == nil {
		return true
	}
	c := bytes.Compare(ck, r.after)
	if r.cmd.Reversed {
		return c < 0
	}
	return c > 0
}

// atRow decodes the clustering of the row under the iterator into r.ck
// and its raw region+clustering bytes into r.rowRaw; false when the
// iterator has left the partition's clustering rows.
func (r *reader) atRow() (bool, error) {
	if !r.inPartition() || r.region() != regionRows {
		return false, r.it.Error()
	}
	var err error
	suffix := r.it.Key()[len(r.pp):]
	if r.ck, err = decodeRowSuffix(suffix, r.ck, &r.rk); err != nil {
		return false, fmt.Errorf("cannot read row: %w", err)
	}
	r.ck = r.rk.clustering
	r.rowRaw = append(r.rowRaw[:0], suffix[:r.rk.rowPrefix]...)
	return true, nil
}

// readRows reads the clustering rows of the slices into p.Rows.
func (r *reader) readRows(p *schema.Partition) (bool, error) {
	perLeft := math.MaxInt
	if r.cmd.PerPartitionLimit > 0 {
		perLeft = r.cmd.PerPartitionLimit
	}
	live := false
	it := r.it
	n := len(r.slices)
	for i := 0; i < n && r.left > 0 && perLeft > 0; i++ {
		if err := r.ctx.Err(); err != nil {
			return false, err
		}
		var s schema.Slice
		if r.cmd.Reversed {
			s = r.slices[n-1-i]
			seek := r.endSeek(s)
			if i == 0 || !it.Valid() || bytes.Compare(it.Key(), seek) >= 0 {
				it.SeekLT(seek)
			}
		} else {
			s = r.slices[i]
			seek := r.startSeek(s)
			if !it.Valid() || bytes.Compare(it.Key(), seek) < 0 {
				it.SeekGE(seek)
			}
		}
		for r.left > 0 && perLeft > 0 {
			ok, err := r.atRow()
			if err != nil {
				return false, err
			}
			if !ok {
				break
			}
			if r.cmd.Reversed && !s.Start.AfterStart(r.ck) || !r.cmd.Reversed && !s.End.BeforeEnd(r.ck) {
				break
			}
			rowLive, err := r.visitRow(p, s)
			if err != nil {
				return false, err
			}
			if rowLive {
				live = true
				r.left--
				perLeft--
			}
		}
	}
	return live, nil
}

// visitRow reads the row at r.ck if it is selected, appends it to p, and
// leaves the iterator on the next row in read order.
func (r *reader) visitRow(p *schema.Partition, s schema.Slice) (bool, error) {
	it := r.it
	selected := s.Contains(r.ck) && r.afterOK(r.ck)
	r.seek = append(append(r.seek[:0], r.pp...), r.rowRaw...)
	if !selected {
		if r.cmd.Reversed {
			it.SeekLT(r.seek)
		} else {
			r.seek = prefixSuccessor(r.seek[:0:0], r.seek)
			it.SeekGE(r.seek)
		}
		return false, nil
	}
	top := r.rowTop(p.Deletion, r.ck)
	if r.cmd.Reversed {
		r.rowStart = append(r.rowStart[:0], r.seek...)
		// The row's first key: its header or collection deletions come
		// before its cells.
		it.SeekGE(r.rowStart)
		if err := decodeSub(it.Key()[len(r.rowStart):], &r.rk); err != nil {
			return false, fmt.Errorf("cannot read row: %w", err)
		}
		row, ok, err := r.readRow(top, false)
		if err != nil {
			return false, err
		}
		it.SeekLT(r.rowStart)
		return r.addRow(p, row, ok), nil
	}
	row, ok, err := r.readRow(top, false)
	if err != nil {
		return false, err
	}
	return r.addRow(p, row, ok), nil
}

func (r *reader) addRow(p *schema.Partition, row schema.Row, ok bool) bool {
	if !ok {
		return false
	}
	r.rows, r.rowsFrom = appendChunked(r.rows, r.rowsFrom, row)
	r.e.m.readRows.Add(1)
	return rowLive(&row, r.now)
}

func rowLive(row *schema.Row, now int64) bool {
	if row.Marker.LiveAt(now) {
		return true
	}
	for i := range row.Cells {
		if row.Cells[i].LiveAt(now) {
			return true
		}
	}
	return false
}

func (r *reader) columnSelected(c schema.ColumnID) bool {
	if r.cols == nil {
		return true
	}
	_, ok := slices.BinarySearch(r.cols, c)
	return ok
}

// reserve makes room for n more bytes in the arena, starting a new chunk
// when needed: earlier bytes stay where results reference them.
func (r *reader) reserve(n int) {
	if cap(r.arena)-len(r.arena) < n {
		r.arena = make([]byte, 0, max(min(2*cap(r.arena), 1<<20), n, 512))
	}
}

func (r *reader) copyBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	r.reserve(len(b))
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return r.arena[start:len(r.arena):len(r.arena)]
}

// readRow reads every key of the row under the iterator (forward),
// whose key atRow (or the caller) decoded into r.rk, r.ck and r.rowRaw,
// applying top (the partition or range tombstone above it), and leaves
// the iterator after the row. ok is false when nothing of the row
// remains.
func (r *reader) readRow(top schema.Deletion, static bool) (schema.Row, bool, error) {
	it := r.it
	rk := r.rk
	row := schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion}
	if !static {
		row.Clustering = r.copyBytes(r.ck)
		if row.Clustering == nil {
			row.Clustering = []byte{}
		}
	}
	// rk walks the row's keys; r.rk keeps describing the row's first.
	eff := top
	// Collection deletions of every column, selected or not: shadowed
	// needs them for the witness below, the row keeps only the selected.
	r.allCDs = r.allCDs[:0]
	r.cellsFrom = len(r.cells)
	// A row exists while its marker or any cell of any column is live, so
	// a projection that leaves out the only live columns must still see
	// the row. The first live cell of an unselected column is kept as a
	// witness, and returned (in column order) only when neither the marker
	// nor a selected cell shows the row alive (its column was not asked
	// for, so no result shows it).
	w := rowWitness{}
	// A packed row (packed.go) holds the header, collection deletions and
	// cells in the header key's value; an old store's row keeps them under
	// keys of their own, which follow the header key. A row can have both
	// (an old store that got new writes): the packed cells are copied (the
	// iterator's value dies at Next) and merged with the cell keys by
	// position, once the collection deletion keys, which sort before the
	// cell keys, have been read.
	pending := false
	var pc schema.Cell
	var pcs packedCells
	for {
		v, err := it.ValueAndErr()
		if err != nil {
			return row, false, fmt.Errorf("cannot read row: %w", err)
		}
		switch rk.sub {
		case subHeader:
			var h rowHeader
			var pr packedRow
			if len(v) > 0 && v[0] == tagPacked {
				pr, err = decodePacked(v)
				h = pr.header
			} else {
				h, err = decodeRowHeaderValue(v)
			}
			if err != nil {
				return row, false, fmt.Errorf("cannot read row header: %w", err)
			}
			row.Marker, row.Deletion = h.marker, h.deletion
			// A row deletion under an as-new or newer partition or range
			// tombstone says nothing more; a marker no newer than what
			// deletes the row is dead. Both are dropped so the result
			// holds only what still decides something.
			if !row.Deletion.Live() && !top.Live() && row.Deletion.MarkedAt <= top.MarkedAt {
				row.Deletion = schema.LiveDeletion
			}
			eff = schema.MaxDeletion(top, row.Deletion)
			if row.Marker.Timestamp != schema.NoTimestamp && !eff.Live() && row.Marker.Timestamp <= eff.MarkedAt {
				row.Marker = schema.NoLiveness
			}
			cds := newPackedCDs(pr.cds)
			var cd schema.ColumnDeletion
			for {
				ok, err := cds.next(&cd)
				if err != nil {
					return row, false, fmt.Errorf("cannot read collection deletion: %w", err)
				}
				if !ok {
					break
				}
				r.addCD(cd, eff)
			}
			r.packed = append(r.packed[:0], pr.cells...)
			pcs = newPackedCells(r.packed)
			if pending, err = nextPackedCell(&pcs, &pc); err != nil {
				return row, false, err
			}
		case subColumnDel:
			d, err := decodeDeletionValue(v)
			if err != nil {
				return row, false, fmt.Errorf("cannot read collection deletion: %w", err)
			}
			r.addCD(schema.ColumnDeletion{Column: rk.column, Deletion: d}, eff)
		case subCell:
			c := schema.Cell{Column: rk.column, Path: rk.path}
			if err := decodeCellValue(v, &c); err != nil {
				return row, false, fmt.Errorf("cannot read cell: %w", err)
			}
			// The packed cells before this one, then this one reconciled
			// with the packed version of it if there is one.
			for pending {
				cmp := schema.CompareCellPositions(&pc, &c)
				if cmp > 0 {
					break
				}
				if cmp == 0 {
					c = schema.ReconcileCells(pc, c)
				} else {
					r.keepCell(&pc, eff, &w)
				}
				if pending, err = nextPackedCell(&pcs, &pc); err != nil {
					return row, false, err
				}
			}
			r.keepCell(&c, eff, &w)
		}
		it.Next()
		if !it.Valid() {
			break
		}
		k := it.Key()
		if !bytes.HasPrefix(k, r.pp) || !bytes.HasPrefix(k[len(r.pp):], r.rowRaw) {
			break
		}
		if err := decodeSub(k[len(r.pp)+len(r.rowRaw):], &rk); err != nil {
			return row, false, fmt.Errorf("cannot read row: %w", err)
		}
	}
	if err := it.Error(); err != nil {
		return row, false, fmt.Errorf("cannot read row: %w", err)
	}
	for pending {
		r.keepCell(&pc, eff, &w)
		var err error
		if pending, err = nextPackedCell(&pcs, &pc); err != nil {
			return row, false, err
		}
	}
	witness, hasWitness := w.cell, w.ok
	for _, cd := range r.allCDs {
		if r.columnSelected(cd.Column) {
			row.ColumnDeletions = append(row.ColumnDeletions, cd)
		}
	}
	if hasWitness && !row.Marker.LiveAt(r.now) && !anyLive(r.cells[r.cellsFrom:], r.now) {
		r.cells, r.cellsFrom = appendChunked(r.cells, r.cellsFrom, witness)
		r.cells = insertCell(r.cells, r.cellsFrom, r.cells[len(r.cells)-1], len(r.cells)-1)
	}
	if len(r.cells) > r.cellsFrom {
		// Capped, so an append to one row's cells cannot overwrite the
		// next row's, which follow in the same chunk.
		row.Cells = r.cells[r.cellsFrom:len(r.cells):len(r.cells)]
	}
	if row.Marker.Timestamp == schema.NoTimestamp && row.Deletion.Live() && len(row.ColumnDeletions) == 0 && len(row.Cells) == 0 {
		return row, false, nil
	}
	return row, true, nil
}

// rowWitness is the first live cell of an unselected column (readRow).
type rowWitness struct {
	cell schema.Cell
	ok   bool
}

// keepCell adds c, a cell of the row readRow reads, to the row's cells
// unless eff or a collection deletion shadows it; a live cell of an
// unselected column may become the row's witness. c's bytes are copied:
// they belong to the iterator or to r.packed.
func (r *reader) keepCell(c *schema.Cell, eff schema.Deletion, w *rowWitness) {
	if r.shadowed(c, eff) {
		return
	}
	if r.columnSelected(c.Column) {
		k := *c
		k.Path, k.Value = r.copyBytes(c.Path), r.copyBytes(c.Value)
		r.cells, r.cellsFrom = appendChunked(r.cells, r.cellsFrom, k)
	} else if !w.ok && c.LiveAt(r.now) {
		w.cell, w.ok = *c, true
		w.cell.Path, w.cell.Value = r.copyBytes(c.Path), r.copyBytes(c.Value)
	}
}

// addCD records a collection deletion of the row readRow reads, unless
// eff (the row's effective deletion) makes it say nothing. r.allCDs stays
// sorted by column with one deletion per column: a row stored in both
// forms can hold a column's deletion twice (packed and under its own
// key), and the larger is the one that counts.
func (r *reader) addCD(cd schema.ColumnDeletion, eff schema.Deletion) {
	if !eff.Live() && cd.Deletion.MarkedAt <= eff.MarkedAt {
		return
	}
	i, found := slices.BinarySearchFunc(r.allCDs, cd.Column, func(x schema.ColumnDeletion, c schema.ColumnID) int {
		return int(x.Column) - int(c)
	})
	if found {
		r.allCDs[i].Deletion = schema.MaxDeletion(r.allCDs[i].Deletion, cd.Deletion)
		return
	}
	r.allCDs = slices.Insert(r.allCDs, i, cd)
}

// nextPackedCell steps w to its next cell into c; false at the end.
func nextPackedCell(w *packedCells, c *schema.Cell) (bool, error) {
	_, ok, err := w.next(c)
	if err != nil {
		return false, fmt.Errorf("cannot read packed row: %w", err)
	}
	return ok, nil
}

// shadowed reports whether c is covered by eff or by a collection
// deletion of its column read earlier in the row.
func (r *reader) shadowed(c *schema.Cell, eff schema.Deletion) bool {
	if schema.IsCounterTombstone(c) {
		return false // it outlives a newer row deletion (schema/counter.go)
	}
	if !eff.Live() && c.Timestamp <= eff.MarkedAt {
		return true
	}
	for i := len(r.allCDs) - 1; i >= 0; i-- {
		if r.allCDs[i].Column == c.Column {
			return c.Timestamp <= r.allCDs[i].Deletion.MarkedAt
		}
	}
	return false
}

func anyLive(cells []schema.Cell, now int64) bool {
	for i := range cells {
		if cells[i].LiveAt(now) {
			return true
		}
	}
	return false
}

// insertCell moves c, the last cell of cells (at index last), to its
// (column, path) position within cells[from:].
func insertCell(cells []schema.Cell, from int, c schema.Cell, last int) []schema.Cell {
	i := from
	for i < last && schema.CompareCellPositions(&cells[i], &c) < 0 {
		i++
	}
	copy(cells[i+1:last+1], cells[i:last])
	cells[i] = c
	return cells
}

// appendChunked appends v to s, whose elements from start on belong to
// the value being built (a row's cells, a partition's rows). When s is
// full it moves only those to a new, larger chunk, leaving the earlier
// elements where the results already reference them; it returns the new
// slice and start.
func appendChunked[T any](s []T, start int, v T) ([]T, int) {
	if len(s) < cap(s) {
		return append(s, v), start
	}
	n := max(2*cap(s), 2*(len(s)-start), 4)
	fresh := make([]T, len(s)-start, n)
	copy(fresh, s[start:])
	return append(fresh, v), 0
}
