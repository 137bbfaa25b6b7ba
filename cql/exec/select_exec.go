package exec

import (
	"bytes"
	"context"
	"math"
	"slices"

	"github.com/sibyldb/sibyl/schema"
)

// execute runs the SELECT for one page.
func (st *selectStmt) execute(ctx context.Context, e *Executor, env *bindEnv, o *QueryOptions) (*RowsResult, error) {
	run, state, err := st.newRun(env, o)
	if err != nil {
		return nil, err
	}
	if err := st.checkSerialRead(env, o.Consistency); err != nil {
		return nil, err
	}
	switch {
	case st.table.virtual != nil:
		err = st.readVirtual(ctx, e, run, state)
	case hasFullPartitionKey(st.table, st.where):
		err = st.readKeys(ctx, e, run, state, o)
	default:
		err = st.readRange(ctx, e, run, state, o)
	}
	if err != nil {
		return nil, err
	}
	if err := run.finish(); err != nil {
		return nil, err
	}
	rows := run.rows
	if st.jsonOf != nil {
		rows = jsonRows(st.jsonOf, rows)
	}
	res := &RowsResult{Columns: st.specs, Rows: rows, PagingState: run.pagingState()}
	tracePage(ctx, o, state != nil, res)
	return res, nil
}

func (st *selectStmt) newRun(env *bindEnv, o *QueryOptions) (*selectRun, *pagingState, error) {
	limit, err := evalLimit(st.limit, env, "LIMIT")
	if err != nil {
		return nil, nil, err
	}
	pp, err := evalLimit(st.ppLimit, env, "PER PARTITION LIMIT")
	if err != nil {
		return nil, nil, err
	}
	filter, err := bindFilter(st.where, env)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSelectionValues(st.sels, env); err != nil {
		return nil, nil, err
	}
	run := &selectRun{st: st, env: env, filter: filter, remaining: limit, ppLimit: pp}
	if o.PageSize > 0 && !(st.aggregate && st.groupBy == 0) {
		run.pageSize = int(o.PageSize)
	}
	if st.distinct {
		run.ppLimit = 1
	}
	var state *pagingState
	if len(o.PagingState) > 0 {
		if state, err = decodePagingState(o.PagingState); err != nil {
			return nil, nil, pagingError(err)
		}
		if state.Remaining > 0 || limit > 0 {
			run.remaining = state.Remaining
		}
	}
	return run, state, nil
}

// chunk is how many live rows to ask a replica for next; 0 asks for all.
func (run *selectRun) chunk() int {
	n := 0
	if run.pageSize > 0 {
		n = run.pageSize - len(run.rows)
	}
	if run.remaining > 0 && (n == 0 || run.remaining < n) {
		n = run.remaining
	}
	if run.st.needsFilter && n > 0 {
		// The filter rejects rows after the read, so asking for just the
		// rows the page still needs would cost a round trip per handful
		// of matches near the end of a page; 100 bounds that, and a
		// chunk's extra rows are cheap next to a round trip.
		n = max(n, 100)
	}
	if run.st.aggregate {
		// LIMIT and the page size count output rows (groups), which say
		// nothing about how many rows feed them, so neither bounds the
		// read. An aggregate without GROUP BY is not paged (pageSize 0)
		// and reads everything at once, as its one row needs; GROUP BY
		// pages read 1000 rows a round trip, to keep each answer's memory
		// bounded whatever the groups' sizes.
		n = 0
		if run.pageSize > 0 {
			n = 1000
		}
	}
	return n
}

// partitionRows feeds one partition's live rows to run. first is false
// when the read resumes inside the partition. It returns the clustering
// of the last row read, and how many rows were read.
func (st *selectStmt) partitionRows(e *Executor, run *selectRun, lp livePartition, keyIndex int, first bool, now int64, env *bindEnv) ([]byte, int, error) {
	pk, err := splitPartitionKey(lp.Key, len(st.table.Partition))
	if err != nil {
		return nil, 0, err
	}
	base := rowCtx{key: lp.Key, pk: pk, static: lp.Static, token: lp.Token, now: now, env: env}
	if st.distinct {
		if lp.Static != nil || len(lp.Rows) > 0 {
			r := base
			return nil, len(lp.Rows), run.accept(&r, keyIndex)
		}
		// Every row read was hidden (dropped columns): read on.
		return lp.LastFetched, lp.Fetched, nil
	}
	if len(lp.Rows) == 0 && first && lp.Static != nil && st.returnsStaticOnlyRow() {
		r := base
		if err := run.accept(&r, keyIndex); err != nil {
			return nil, 0, err
		}
	}
	var last []byte
	all := true
	for i := range lp.Rows {
		if run.done || run.partDone {
			all = false
			break
		}
		row := &lp.Rows[i]
		ck, err := st.table.decodeClustering(row.Clustering)
		if err != nil {
			return nil, 0, Errorf(CodeServerError, "cannot decode clustering key: %s", err).WithCause(err)
		}
		r := base
		r.ck, r.ckEnc, r.row = ck, row.Clustering, row
		if err := run.accept(&r, keyIndex); err != nil {
			return nil, 0, err
		}
		last = row.Clustering
	}
	if all && lp.LastFetched != nil {
		// Every row was consumed: resume after the last one fetched,
		// even if liveView hid it.
		last = lp.LastFetched
	}
	return last, lp.Fetched, nil
}

// storageAppliesPPLimit reports whether PER PARTITION LIMIT (and
// DISTINCT's one row per partition) may be handed to the replicas: it
// counts result rows, so not when rows are filtered after the read (the
// limit applies to the rows that match), nor when they are aggregated
// (GROUP BY counts groups), nor when the table has dropped columns
// (replicas count rows that liveView hides); selectRun counts them itself
// in those cases.
func (st *selectStmt) storageAppliesPPLimit() bool {
	return !st.needsFilter && !st.aggregate && !st.table.hasDropped
}

// returnsStaticOnlyRow: a partition with static data but no rows yields
// one row (clustering and regular columns null) when no clustering column
// is restricted, as Cassandra does.
func (st *selectStmt) returnsStaticOnlyRow() bool {
	if st.where.multi != nil {
		return false
	}
	for _, c := range st.table.Clustering {
		if st.where.col(c.Name) != nil {
			return false
		}
	}
	return true
}

// readKeys reads the partitions named by = and IN on the partition key.
func (st *selectStmt) readKeys(ctx context.Context, e *Executor, run *selectRun, state *pagingState, o *QueryOptions) error {
	keyVals, err := partitionKeyValues(st.table, st.where, run.env)
	if err != nil {
		return err
	}
	slicesSel, err := clusteringSlices(st.table, st.where, run.env)
	if err != nil {
		return err
	}
	if st.orderBy && len(keyVals) > 1 {
		return st.readKeysOrdered(ctx, e, run, keyVals, slicesSel, o)
	}
	start := 0
	if state != nil {
		start = state.KeyIndex
	}
	for i := start; i < len(keyVals) && !run.done; i++ {
		var after []byte
		partRows := 0
		if state != nil && i == state.KeyIndex {
			if state.PartitionDone || len(state.Clustering) == 0 {
				continue
			}
			after, partRows = state.Clustering, state.PartitionRows
		}
		if err := st.readPartition(ctx, e, run, partitionKey(keyVals[i]), i, slicesSel, after, partRows, o.Consistency); err != nil {
			return err
		}
	}
	return nil
}

// readPartition reads one partition in chunks until it is exhausted or
// the run is done.
func (st *selectStmt) readPartition(ctx context.Context, e *Executor, run *selectRun, key []byte, idx int, sl []schema.Slice, after []byte, partRows int, cl Consistency) error {
	run.startPartition(partRows)
	first := after == nil
	for !run.done && !run.partDone {
		n := run.chunk()
		cmd := &schema.ReadCommand{
			Table: st.table.ID, Key: key, Token: e.cfg.Token(key), Slices: sl, Reversed: st.reversed,
			Static: true, AfterClustering: after, Limit: n, NowSeconds: e.clock.nowSeconds(),
		}
		if run.ppLimit > 0 && st.storageAppliesPPLimit() {
			cmd.PerPartitionLimit = run.ppLimit - run.partRows
		}
		parts, err := e.cfg.Coordinator.Read(ctx, readCL(cl), cmd)
		if err != nil {
			return err
		}
		if len(parts) == 0 {
			return nil
		}
		lp := liveView(parts[0], cmd.NowSeconds, st.table)
		last, got, err := st.partitionRows(e, run, lp, idx, first, cmd.NowSeconds, run.env)
		if err != nil {
			return err
		}
		if n == 0 || got < n || last == nil || (st.distinct && (lp.Static != nil || len(lp.Rows) > 0)) || bytes.Equal(last, after) {
			return nil
		}
		after, first = last, false
	}
	return nil
}

func readCL(cl Consistency) Consistency {
	if cl == Any {
		return One
	}
	return cl
}

// readKeysOrdered reads every IN partition and merges their rows in
// clustering order (ORDER BY over several partitions), without paging.
func (st *selectStmt) readKeysOrdered(ctx context.Context, e *Executor, run *selectRun, keyVals [][][]byte, sl []schema.Slice, o *QueryOptions) error {
	if run.pageSize > 0 {
		return invalidf("Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query")
	}
	type item struct {
		lp  livePartition
		row int
	}
	var items []item
	now := e.clock.nowSeconds()
	var lps []livePartition
	for _, kv := range keyVals {
		key := partitionKey(kv)
		cmd := &schema.ReadCommand{Table: st.table.ID, Key: key, Token: e.cfg.Token(key), Slices: sl, Reversed: st.reversed, Static: true, NowSeconds: now}
		if run.ppLimit > 0 && st.storageAppliesPPLimit() {
			cmd.PerPartitionLimit = run.ppLimit
		}
		parts, err := e.cfg.Coordinator.Read(ctx, readCL(o.Consistency), cmd)
		if err != nil {
			return err
		}
		for _, p := range parts {
			lps = append(lps, liveView(p, now, st.table))
		}
	}
	for _, lp := range lps {
		if len(lp.Rows) == 0 && lp.Static != nil && st.returnsStaticOnlyRow() {
			// A partition with only static data yields its static row,
			// whose clustering is null: null sorts first (Cassandra's
			// ORDER BY comparator), so last when reversed.
			items = append(items, item{lp, -1})
		}
		for i := range lp.Rows {
			items = append(items, item{lp, i})
		}
	}
	// Cassandra sorts the merged rows on the ORDER BY columns only, in
	// clustering order (a stable sort: ties keep partition order), a null
	// clustering (a static-only row) first.
	keyOf := make([][][]byte, len(items))
	for i, it := range items {
		if it.row < 0 {
			continue
		}
		ck, err := st.table.decodeClustering(it.lp.Rows[it.row].Clustering)
		if err != nil {
			return Errorf(CodeServerError, "cannot decode clustering key: %s", err).WithCause(err)
		}
		keyOf[i] = ck
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		c := st.compareOrdering(keyOf[a], keyOf[b])
		if st.reversed {
			return -c
		}
		return c
	})
	sorted := make([]item, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	items = sorted
	// A partition's rows keep their order in the merge, so PER PARTITION
	// LIMIT counts each partition's matching rows as they come.
	partRows := make(map[string]int, len(lps))
	for i, it := range items {
		if run.done {
			break
		}
		one := it.lp
		if it.row < 0 {
			one.Rows = nil
		} else {
			one.Rows = one.Rows[it.row : it.row+1]
		}
		n := partRows[string(one.Key)]
		if run.ppLimit > 0 && n >= run.ppLimit {
			continue
		}
		run.startPartition(n)
		if _, _, err := st.partitionRows(e, run, one, i, it.row < 0, now, run.env); err != nil {
			return err
		}
		partRows[string(one.Key)] = run.partRows
	}
	return nil
}

// compareOrdering compares two rows' clustering values on the ORDER BY
// columns in clustering order; nil (a static-only row) sorts first.
func (st *selectStmt) compareOrdering(a, b [][]byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	for _, c := range st.orderCols {
		if c.Position >= len(a) || c.Position >= len(b) {
			continue
		}
		r := compareValues(c.Type, a[c.Position], b[c.Position])
		if c.Desc {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

// tokenRange is the (start, end] token range a range read covers.
//
// MinInt64 is the ring's sentinel: no key has it as its token (Murmur3
// maps that hash to MaxInt64), so as a start it excludes nothing, and as
// an end it means "to the end of the ring"; (MinInt64, MinInt64] is the
// whole ring. Token restrictions never wrap around the ring: a start at
// or past the end selects nothing, as in Cassandra.
func (st *selectStmt) tokenRange(f *rowFilter) (start, end int64, empty bool) {
	start, end = math.MinInt64, math.MinInt64
	if f.token == nil {
		return start, end, false
	}
	if lo := f.token.lo; lo != nil {
		start = lo.v
		if lo.incl {
			// token >= v is token > v-1, but MinInt64-1 would wrap to
			// MaxInt64; token >= MinInt64 excludes nothing, which the
			// sentinel start already says.
			if lo.v == math.MinInt64 {
				start = math.MinInt64
			} else {
				start = lo.v - 1
			}
		}
	}
	if hi := f.token.hi; hi != nil {
		end = hi.v
		if !hi.incl {
			// token < v is token <= v-1; nothing is below MinInt64.
			if hi.v == math.MinInt64 {
				return 0, 0, true
			}
			end = hi.v - 1
		}
		// An end of MinInt64 here is a real bound (token <= MinInt64,
		// which no key has), not the end-of-ring sentinel: empty. Without
		// a lower bound start is MinInt64 and below any other end.
		if end == math.MinInt64 || (f.token.lo != nil && start >= end) {
			return 0, 0, true
		}
	}
	return start, end, false
}

// readRange scans a token range (the whole ring without a token
// restriction), in token order, resuming after the paging state.
func (st *selectStmt) readRange(ctx context.Context, e *Executor, run *selectRun, state *pagingState, o *QueryOptions) error {
	start, end, empty := st.tokenRange(run.filter)
	if empty {
		return nil
	}
	sl, err := st.rangeSlices(run.env)
	if err != nil {
		return err
	}
	cur := rangeCursor{start: start, end: end}
	if state != nil {
		cur.afterKey = state.Key
		cur.start = e.cfg.Token(state.Key)
		if !state.PartitionDone && len(state.Clustering) > 0 {
			cur.afterCK, cur.partRows = state.Clustering, state.PartitionRows
		}
	}
	for !run.done {
		before := cur
		more, err := st.readRangeChunk(ctx, e, run, &cur, sl, o.Consistency)
		if err != nil || !more {
			return err
		}
		if bytes.Equal(before.afterKey, cur.afterKey) && bytes.Equal(before.afterCK, cur.afterCK) && before.afterKey != nil {
			return Errorf(CodeServerError, "range read made no progress after partition %x", cur.afterKey)
		}
	}
	return nil
}

// rangeSlices are the clustering slices of a range read: those of the
// restrictions when they don't need filtering, else all rows.
func (st *selectStmt) rangeSlices(env *bindEnv) ([]schema.Slice, error) {
	if st.needsFilter {
		return nil, nil
	}
	return clusteringSlices(st.table, st.where, env)
}

type rangeCursor struct {
	start, end int64
	afterKey   []byte
	afterCK    []byte // nil: skip afterKey's partition entirely
	partRows   int
}

// readRangeChunk reads one chunk of the range and reports whether more
// may follow.
func (st *selectStmt) readRangeChunk(ctx context.Context, e *Executor, run *selectRun, cur *rangeCursor, sl []schema.Slice, cl Consistency) (bool, error) {
	n := run.chunk()
	cmd := &schema.ReadCommand{
		Table: st.table.ID, StartToken: cur.start, EndToken: cur.end, AfterKey: cur.afterKey,
		Slices: sl, Static: true, Limit: n, NowSeconds: e.clock.nowSeconds(),
	}
	if cur.afterKey != nil && cur.afterCK != nil {
		cmd.AfterClustering = cur.afterCK
	}
	if run.ppLimit > 0 && st.storageAppliesPPLimit() {
		cmd.PerPartitionLimit = run.ppLimit
	}
	if st.distinct && n > 0 {
		cmd.PartitionLimit, cmd.Limit = n, 0
	}
	// Rows found through an index are candidates: the filter re-checks
	// them (needsFilter holds whenever an index restriction does).
	cmd.Index = st.index.indexRead(run.filter)
	parts, err := e.cfg.Coordinator.Read(ctx, readCL(cl), cmd)
	if err != nil || len(parts) == 0 {
		return false, err
	}
	total := 0
	var lastCK []byte
	for _, p := range parts {
		if run.done {
			return false, nil
		}
		resumed := cur.afterKey != nil && bytes.Equal(p.Key, cur.afterKey) && cmd.AfterClustering != nil
		partRows := 0
		if resumed {
			partRows = cur.partRows
		}
		run.startPartition(partRows)
		lp := liveView(p, cmd.NowSeconds, st.table)
		last, got, err := st.partitionRows(e, run, lp, 0, !resumed, cmd.NowSeconds, run.env)
		if err != nil {
			return false, err
		}
		total += got
		lastCK = last
		cur.afterKey, cur.start, cur.partRows = p.Key, p.Token, run.partRows
		cur.afterCK = nil
		if lastCK != nil && !run.partDone {
			cur.afterCK = lastCK
		}
	}
	if n == 0 {
		return false, nil
	}
	if st.distinct {
		return len(parts) >= n, nil
	}
	return total >= n, nil
}
