package exec

import (
	"context"
	"encoding/binary"

	"github.com/sibyldb/sibyl/schema"
)

// writeStmt is an analysed INSERT, UPDATE or DELETE: which rows it
// touches (where), what it does to each (ops), and its USING clause.
type writeStmt struct {
	table     *tableInfo
	where     *whereClause
	ops       []*colOp
	insert    bool     // write the row marker (INSERT)
	deleteRow bool     // DELETE without columns: row, range or partition tombstone
	ttl       term     // nil: the table's default_time_to_live
	timestamp term     // nil: the batch's, the client's or the server's
	cas       *casSpec // the IF clause; nil when unconditional (lwt.go)
}

// writeParams are the timestamp and clock a statement executes with.
type writeParams struct {
	ts int64 // default timestamp (batch, client or server)
	// tsSource says where ts came from when the client supplied it
	// (tsUsing, tsDefault); "" for the node's own.
	tsSource string
	now      int64 // server seconds
	// casTS: ts is a transaction's ballot timestamp, which every cell
	// carries whatever the statement's USING TIMESTAMP (lwt_run.go).
	casTS bool
	// cas is the partition a transaction read, which list operations
	// read instead of reading at the statement's consistency.
	cas *casView
}

// mutations builds the partition fragments the statement writes.
func (w *writeStmt) mutations(ctx context.Context, ex *Executor, env *bindEnv, p writeParams, cl Consistency) ([]*schema.Partition, error) {
	wc, err := w.writeCtx(env, p, ex)
	if err != nil {
		return nil, err
	}
	keys, err := partitionKeyValues(w.table, w.where, env)
	if err != nil {
		return nil, err
	}
	out := make([]*schema.Partition, 0, len(keys))
	for _, kv := range keys {
		key := partitionKey(kv)
		part := &schema.Partition{Table: w.table.ID, Key: key, Token: ex.cfg.Token(key), Deletion: schema.LiveDeletion}
		if err := w.fill(ctx, ex, env, wc, part, cl); err != nil {
			return nil, err
		}
		out = append(out, part)
	}
	return out, nil
}

// writeCtx evaluates USING TIMESTAMP and USING TTL, and checks the
// timestamp the statement writes with if the client supplied it.
func (w *writeStmt) writeCtx(env *bindEnv, p writeParams, ex *Executor) (*writeCtx, error) {
	wc := &writeCtx{ts: p.ts, ttl: w.table.DefaultTTL, now: p.now, e: ex, cas: p.cas}
	source := p.tsSource
	if w.timestamp != nil && !p.casTS {
		v, unset, err := w.timestamp.eval(env)
		if err != nil {
			return nil, err
		}
		if !unset {
			if len(v) != 8 {
				return nil, invalidf("Invalid null value of timestamp")
			}
			wc.ts, source = int64(binary.BigEndian.Uint64(v)), tsUsing
		}
	}
	if source != "" {
		if err := ex.checkClientTimestamp(wc.ts, source); err != nil {
			return nil, err
		}
	}
	if w.ttl != nil {
		v, unset, err := w.ttl.eval(env)
		if err != nil {
			return nil, err
		}
		if !unset {
			if len(v) != 4 {
				return nil, invalidf("Invalid null value of TTL")
			}
			ttl := int32(binary.BigEndian.Uint32(v))
			if ttl < 0 {
				return nil, invalidf("A TTL must be greater or equal to 0, but was %d", ttl)
			}
			if ttl > schema.MaxTTL {
				return nil, invalidf("ttl is too large. requested (%d) maximum (%d)", ttl, schema.MaxTTL)
			}
			wc.ttl = ttl
		}
	}
	return wc, nil
}

// fill adds the statement's effect on one partition.
func (w *writeStmt) fill(ctx context.Context, ex *Executor, env *bindEnv, wc *writeCtx, part *schema.Partition, cl Consistency) error {
	if w.deleteRow {
		return w.fillDeletion(env, wc, part)
	}
	staticOps, rowOps := w.splitOps()
	if len(staticOps) > 0 {
		row, err := w.buildRow(ctx, ex, env, wc, part, nil, staticOps, cl)
		if err != nil {
			return err
		}
		part.Static = &row
	}
	prefixes, n, err := clusteringPrefixes(w.table, w.where, env)
	if err != nil {
		return err
	}
	if len(rowOps) == 0 && (!w.insert || (n == 0 && len(staticOps) > 0 && len(w.table.Clustering) > 0)) {
		return w.checkStaticOnly(env)
	}
	if n < len(w.table.Clustering) {
		return invalidf("Some clustering keys are missing: %s", w.table.Clustering[n].Name)
	}
	for _, p := range prefixes {
		if err := validateClustering(p); err != nil {
			return err
		}
		ck, err := encodePrefix(w.table, p)
		if err != nil {
			return err
		}
		row, err := w.buildRow(ctx, ex, env, wc, part, ck, rowOps, cl)
		if err != nil {
			return err
		}
		part.Rows = append(part.Rows, row)
	}
	sortRows(part.Rows)
	return nil
}

// checkStaticOnly validates a write to static columns only: the
// clustering key may be left out, but not given in part.
func (w *writeStmt) checkStaticOnly(env *bindEnv) error {
	_, n, err := clusteringPrefixes(w.table, w.where, env)
	if err != nil {
		return err
	}
	if n != 0 && n < len(w.table.Clustering) {
		return invalidf("Some clustering keys are missing: %s", w.table.Clustering[n].Name)
	}
	return nil
}

func (w *writeStmt) splitOps() (static, regular []*colOp) {
	for _, op := range w.ops {
		if op.col.Kind == kindStatic {
			static = append(static, op)
		} else {
			regular = append(regular, op)
		}
	}
	return static, regular
}

// buildRow applies ops to the row ck (nil: the static row).
func (w *writeStmt) buildRow(ctx context.Context, ex *Executor, env *bindEnv, wc *writeCtx, part *schema.Partition, ck []byte, ops []*colOp, cl Consistency) (schema.Row, error) {
	b := &rowBuilder{row: schema.Row{Clustering: ck, Marker: schema.NoLiveness, Deletion: schema.LiveDeletion}}
	if w.insert && ck != nil {
		b.row.Marker = wc.marker()
	}
	var current *liveRow
	for _, op := range ops {
		var cells []schema.Cell
		if op.needsRead() {
			if current == nil {
				r, err := wc.readRow(ctx, w.table, part, ck, cl)
				if err != nil {
					return schema.Row{}, err
				}
				current = r
			}
			cells = current.cellsOf(op.col.ID)
		}
		if err := op.apply(env, wc, b, cells); err != nil {
			return schema.Row{}, err
		}
	}
	return b.finish(), nil
}

// fillDeletion writes the tombstone of a DELETE without columns: a row
// deletion for a full clustering key, range tombstones for a prefix or a
// slice, a partition deletion when no clustering column is restricted.
func (w *writeStmt) fillDeletion(env *bindEnv, wc *writeCtx, part *schema.Partition) error {
	d := wc.deletion(wc.ts)
	hasSlice := w.where.multi != nil && (w.where.multi.lo != nil || w.where.multi.hi != nil)
	for _, c := range w.table.Clustering {
		if r := w.where.col(c.Name); r != nil && r.isSlice() {
			hasSlice = true
		}
	}
	prefixes, n, err := clusteringPrefixes(w.table, w.where, env)
	if err != nil {
		return err
	}
	if n == 0 && !hasSlice {
		part.Deletion = d
		return nil
	}
	if n == len(w.table.Clustering) {
		for _, p := range prefixes {
			if err := validateClustering(p); err != nil {
				return err
			}
			ck, err := encodePrefix(w.table, p)
			if err != nil {
				return err
			}
			part.Rows = append(part.Rows, schema.Row{Clustering: ck, Marker: schema.NoLiveness, Deletion: d})
		}
		sortRows(part.Rows)
		return nil
	}
	slices, err := clusteringSlices(w.table, w.where, env)
	if err != nil {
		return err
	}
	for _, s := range slices {
		part.RangeTombstones = append(part.RangeTombstones, schema.RangeTombstone{Start: s.Start, End: s.End, Deletion: d})
	}
	return nil
}

// readRow reads the current live state of one row (read-before-write for
// list index operations).
func (e *Executor) readRow(ctx context.Context, t *tableInfo, part *schema.Partition, ck []byte, cl Consistency) (*liveRow, error) {
	cmd := &schema.ReadCommand{
		Table:      t.ID,
		Key:        part.Key,
		Token:      part.Token,
		Static:     ck == nil,
		NowSeconds: e.clock.nowSeconds(),
	}
	if ck != nil {
		b := schema.Bound{Prefix: ck, Inclusive: true}
		cmd.Slices = []schema.Slice{{Start: b, End: b}}
	} else {
		cmd.PerPartitionLimit = 1 // the static row comes with the first row
	}
	if cl == Any {
		cl = One
	}
	parts, err := e.cfg.Coordinator.Read(ctx, cl, cmd)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		lp := liveView(p, cmd.NowSeconds, nil)
		if ck == nil && lp.Static != nil {
			return lp.Static, nil
		}
		for i := range lp.Rows {
			return &lp.Rows[i], nil
		}
	}
	return &liveRow{}, nil
}
