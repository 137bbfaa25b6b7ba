package exec

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/sibyldb/sibyl/schema"
)

// Execution of conditional statements and batches: one Coordinator.CAS
// on one partition (Cassandra's CQL3CasRequest).

// casAppliedName is the name of the first result column.
const casAppliedName = "[applied]"

// rowCondKind says what the conditions on one row require.
type rowCondKind int

const (
	condColumns   rowCondKind = iota // IF c = v AND ...
	condExists                       // IF EXISTS
	condNotExists                    // IF NOT EXISTS
)

// rowCond is every condition of a transaction on one row (or on the
// static row).
type rowCond struct {
	kind  rowCondKind
	conds []*boundCond
}

// casRequest is a transaction being assembled from its statements.
type casRequest struct {
	table   *tableInfo
	keyVals [][]byte // the partition key's values
	key     []byte
	static  *rowCond            // conditions on the static row
	rows    map[string]*rowCond // by encoded clustering
	// read lists the regular and static columns the transaction reads
	// (CQL3CasRequest.columnsToRead).
	read map[schema.ColumnID]bool
	// shown is the failure result's columns after the partition key
	// and clustering (batches) or alone; nil shows every column.
	shown    []*colInfo
	wildcard bool
}

// hasCAS reports whether some statement of a batch has conditions.
func hasCAS(items []batchItem) bool {
	for _, it := range items {
		if it.w.cas != nil {
			return true
		}
	}
	return false
}

// checkCASBatch applies BatchStatement's checks to a batch with
// conditions: one table, and no batch-wide timestamp.
func checkCASBatch(ws []*writeStmt, batchTimestamp bool) error {
	has := false
	for _, w := range ws {
		has = has || w.cas != nil
	}
	if !has {
		return nil
	}
	if batchTimestamp {
		return invalidf("Cannot provide custom timestamp for conditional BATCH")
	}
	for _, w := range ws[1:] {
		if w.table.ID != ws[0].table.ID {
			return invalidf("Batch with conditions cannot span multiple tables")
		}
	}
	return nil
}

// runCAS runs the statements of items (one, or a batch's) as one
// lightweight transaction with the serial consistency serial and the
// commit consistency commit.
func (e *Executor) runCAS(ctx context.Context, items []batchItem, isBatch bool, serial, commit Consistency) (Result, error) {
	now := e.clock.nowSeconds()
	req, err := e.buildCAS(items, isBatch)
	if err != nil {
		return nil, err
	}
	// Cassandra checks the levels when the request is built
	// (StorageProxy.cas), after the statement's keys and conditions.
	if err := checkSerial(serial, commit); err != nil {
		return nil, err
	}
	cmd := req.readCommand(e, now)
	decide := func(cur *schema.Partition, ts int64) (*schema.Partition, error) {
		// Moving the clock past the ballot is the one effect Decide has,
		// and doing it again for a retried round changes nothing.
		e.clock.observe(ts)
		view := req.view(cur, now)
		ok, err := req.holds(view)
		if err != nil || !ok {
			return nil, err
		}
		return e.casUpdate(ctx, items, view, ts, now, commit)
	}
	res, err := e.cfg.Coordinator.CAS(ctx, &CASRequest{Read: cmd, Serial: serial, Commit: commit, Decide: decide})
	if err != nil {
		return nil, casError(err)
	}
	applied := &RowsResult{Columns: []ColumnSpec{req.appliedSpec()}, Rows: [][][]byte{{boolBytes(res.Applied)}}}
	if res.Applied {
		return applied, nil
	}
	return req.failure(req.view(res.Current, now), applied)
}

// casError turns the Coordinator's WriteTimeout of a Paxos round (write
// type CAS: the update may or may not be applied) into CAS_WRITE_UNKNOWN,
// which cql/server sends as such to protocol v5 clients and as that
// WriteTimeout to older ones.
func casError(err error) error {
	var ee *Error
	if errors.As(err, &ee) && ee.Code == CodeWriteTimeout && ee.WriteType == WriteCAS {
		unknown := *ee
		unknown.Code = CodeCASWriteUnknown
		return &unknown
	}
	return err
}

// buildCAS checks the statements' keys and collects their conditions
// (BatchStatement.makeCasRequest, ModificationStatement.makeCasRequest).
func (e *Executor) buildCAS(items []batchItem, isBatch bool) (*casRequest, error) {
	t := items[0].w.table
	req := &casRequest{table: t, rows: map[string]*rowCond{}, read: map[schema.ColumnID]bool{}}
	updatesStatic, updatesRegular := false, false
	seen := map[string]bool{}
	for _, c := range t.Partition {
		seen[c.Name] = isBatch
	}
	for _, c := range t.Clustering {
		seen[c.Name] = isBatch
	}
	if isBatch {
		req.shown = append(slices.Clone(t.Partition), t.Clustering...)
	}
	for _, it := range items {
		w := it.w
		if err := req.checkKey(w, it.env, isBatch); err != nil {
			return nil, err
		}
		n, slice := w.where.restrictedClustering(t)
		updatesRegular = updatesRegular || len(t.Clustering) == 0 || n > 0
		for _, op := range w.ops {
			updatesStatic = updatesStatic || op.col.Kind == kindStatic
			if op.needsRead() {
				req.read[op.col.ID] = true
			}
		}
		if w.cas == nil {
			continue
		}
		if slice {
			// A conditional statement's conditions are on one row.
			return nil, invalidf("Slice restrictions are not supported on the clustering columns with conditional updates")
		}
		if err := req.addConditions(w, it.env, n); err != nil {
			return nil, err
		}
		if w.cas.ifExists || w.cas.ifNotExists {
			req.wildcard = true
		}
		for _, c := range w.cas.columns() {
			req.read[c.ID] = true
			if !seen[c.Name] {
				seen[c.Name] = true
				req.shown = append(req.shown, c)
			}
		}
	}
	for _, c := range t.Columns {
		if (c.Kind == kindStatic && updatesStatic) || (c.Kind == kindRegular && updatesRegular) {
			req.read[c.ID] = true
		}
	}
	return req, nil
}

// checkKey evaluates w's partition key, which must be the transaction's
// one partition, and refuses IN on the key.
func (req *casRequest) checkKey(w *writeStmt, env *bindEnv, isBatch bool) error {
	if isBatch {
		for _, c := range req.table.Partition {
			if r := w.where.col(c.Name); r != nil && (r.in != nil || r.inList != nil) {
				return invalidf("Batch with conditions cannot span multiple partitions (you cannot use IN on the partition key)")
			}
		}
	}
	if w.cas != nil || isBatch {
		spec := w.cas
		if spec == nil {
			spec = &casSpec{kind: stmtKind(w)}
		}
		if err := checkCASKeys(&writeStmt{table: w.table, where: w.where, cas: spec}); err != nil {
			return err
		}
	}
	keys, err := partitionKeyValues(w.table, w.where, env)
	if err != nil {
		return err
	}
	if len(keys) != 1 {
		return invalidf("Batch with conditions cannot span multiple partitions")
	}
	key := partitionKey(keys[0])
	if req.key == nil {
		req.keyVals, req.key = keys[0], key
		return nil
	}
	if !bytes.Equal(key, req.key) {
		return invalidf("Batch with conditions cannot span multiple partitions")
	}
	return nil
}

// addConditions adds w's conditions on its row (the static row when w
// applies only to static columns), as CQL3CasRequest.addConditions,
// addExist and addNotExist, with their refusals of contradictions.
func (req *casRequest) addConditions(w *writeStmt, env *bindEnv, n int) error {
	var ck []byte
	static := appliesOnlyToStatic(w) && n == 0
	if !static {
		prefixes, _, err := clusteringPrefixes(w.table, w.where, env)
		if err != nil {
			return err
		}
		if len(prefixes) != 1 {
			return invalidf("IN on the clustering key columns is not supported with conditional %s", casKindWord(w.cas.kind))
		}
		if err := validateClustering(prefixes[0]); err != nil {
			return err
		}
		if ck, err = encodePrefix(w.table, prefixes[0]); err != nil {
			return err
		}
	}
	switch {
	case w.cas.ifNotExists:
		return req.addExists(static, ck, condNotExists)
	case w.cas.ifExists:
		return req.addExists(static, ck, condExists)
	}
	var regular, statics []*boundCond
	for _, c := range w.cas.conds {
		b, err := c.bind(env)
		if err != nil {
			return err
		}
		if c.col.Kind == kindStatic {
			statics = append(statics, b)
		} else {
			regular = append(regular, b)
		}
	}
	if len(regular) > 0 {
		if err := req.addColumns(static, ck, regular); err != nil {
			return err
		}
	}
	if len(statics) > 0 {
		return req.addColumns(true, nil, statics)
	}
	return nil
}

func (req *casRequest) get(static bool, ck []byte) *rowCond {
	if static {
		return req.static
	}
	return req.rows[string(ck)]
}

func (req *casRequest) set(static bool, ck []byte, rc *rowCond) {
	if static {
		req.static = rc
	} else {
		req.rows[string(ck)] = rc
	}
}

func (req *casRequest) addExists(static bool, ck []byte, kind rowCondKind) error {
	prev := req.get(static, ck)
	switch {
	case prev == nil:
		req.set(static, ck, &rowCond{kind: kind})
		return nil
	case prev.kind == kind:
		// Two statements of a batch with the same IF [NOT] EXISTS on one
		// row (CASSANDRA-12867).
		return nil
	case prev.kind != condColumns:
		return invalidf("Cannot mix IF EXISTS and IF NOT EXISTS conditions for the same row")
	case kind == condNotExists:
		return invalidf("Cannot mix IF conditions and IF NOT EXISTS for the same row")
	}
	return invalidf("Cannot mix IF conditions and IF EXISTS for the same row")
}

func (req *casRequest) addColumns(static bool, ck []byte, conds []*boundCond) error {
	prev := req.get(static, ck)
	switch {
	case prev == nil:
		req.set(static, ck, &rowCond{kind: condColumns, conds: conds})
	case prev.kind != condColumns:
		return invalidf("Cannot mix IF conditions and IF NOT EXISTS for the same row")
	default:
		prev.conds = append(prev.conds, conds...)
	}
	return nil
}

// readCommand is what the transaction reads: the rows with conditions,
// or, when only the static row has some, the first live row (so that a
// partition with rows but no static data is told from an empty one).
func (req *casRequest) readCommand(e *Executor, now int64) *schema.ReadCommand {
	cmd := &schema.ReadCommand{Table: req.table.ID, Key: req.key, Token: e.cfg.Token(req.key), Static: true, NowSeconds: now}
	if len(req.rows) == 0 {
		cmd.Limit = 1
		return cmd
	}
	cks := make([]string, 0, len(req.rows))
	for ck := range req.rows {
		cks = append(cks, ck)
	}
	sort.Strings(cks)
	for _, ck := range cks {
		b := schema.Bound{Prefix: []byte(ck), Inclusive: true}
		cmd.Slices = append(cmd.Slices, schema.Slice{Start: b, End: b})
	}
	return cmd
}

// casView is the partition a transaction read, as its conditions and its
// result see it: live data of the columns it reads only.
type casView struct {
	static *liveRow
	rows   []liveRow
}

// view reduces p (nil: empty) to what the transaction reads.
func (req *casRequest) view(p *schema.Partition, now int64) *casView {
	v := &casView{}
	if p == nil {
		return v
	}
	lp := liveView(p, now, req.table)
	if lp.Static != nil {
		if cells := req.readCells(lp.Static.Cells); len(cells) > 0 {
			v.static = &liveRow{Cells: cells}
		}
	}
	for _, r := range lp.Rows {
		r.Cells = req.readCells(r.Cells)
		if r.Marker || len(r.Cells) > 0 {
			v.rows = append(v.rows, r)
		}
	}
	return v
}

func (req *casRequest) readCells(cells []schema.Cell) []schema.Cell {
	out := make([]schema.Cell, 0, len(cells))
	for _, c := range cells {
		if req.read[c.Column] {
			out = append(out, c)
		}
	}
	return out
}

// row returns the live row ck of the view (nil when absent; the static
// row for a nil ck).
func (v *casView) row(ck []byte) *liveRow {
	if ck == nil {
		return v.static
	}
	for i := range v.rows {
		if bytes.Equal(v.rows[i].Clustering, ck) {
			return &v.rows[i]
		}
	}
	return nil
}

// holds reports whether every condition of the transaction holds on v
// (CQL3CasRequest.appliesTo).
func (req *casRequest) holds(v *casView) (bool, error) {
	if req.static != nil {
		if ok, err := req.static.holds(v.static); err != nil || !ok {
			return false, err
		}
	}
	for ck, rc := range req.rows {
		if ok, err := rc.holds(v.row([]byte(ck))); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (rc *rowCond) holds(row *liveRow) (bool, error) {
	exists := row != nil && (row.Marker || len(row.Cells) > 0)
	switch rc.kind {
	case condExists:
		return exists, nil
	case condNotExists:
		return !exists, nil
	}
	for _, c := range rc.conds {
		if ok, err := c.appliesTo(row); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// casUpdate builds the transaction's update: every statement's
// mutations at the ballot's timestamp ts (USING TIMESTAMP of a batch's
// unconditional statements included, as Paxos rewrites every timestamp
// of a proposal), merged into one partition. List operations that read
// the current list read it from the transaction's view.
func (e *Executor) casUpdate(ctx context.Context, items []batchItem, view *casView, ts, now int64, commit Consistency) (*schema.Partition, error) {
	var all []*schema.Partition
	for _, it := range items {
		p := writeParams{ts: ts, now: now, casTS: true, cas: view}
		muts, err := it.w.mutations(ctx, e, it.env, p, commit)
		if err != nil {
			return nil, err
		}
		all = append(all, muts...)
	}
	merged := mergeMutations(all)
	if len(merged) != 1 {
		return nil, internalError("build a transaction's update", errors.New("statements span several partitions"))
	}
	return merged[0], nil
}

// readRow returns the current state of row ck (nil: the static row) for
// an operation that reads before it writes: from the transaction's view
// in a transaction, else by a read at cl.
func (wc *writeCtx) readRow(ctx context.Context, t *tableInfo, part *schema.Partition, ck []byte, cl Consistency) (*liveRow, error) {
	if wc.cas == nil {
		return wc.e.readRow(ctx, t, part, ck, cl)
	}
	if r := wc.cas.row(ck); r != nil {
		return r, nil
	}
	return &liveRow{}, nil
}

func (req *casRequest) appliedSpec() ColumnSpec {
	return ColumnSpec{Keyspace: req.table.Keyspace, Table: req.table.Name, Name: casAppliedName, Type: schema.BooleanType}
}

// failure is the result of a transaction whose conditions did not hold:
// [applied] false followed by the rows read, one per row, with every
// column after IF [NOT] EXISTS, else the partition key and clustering
// (batches only) and the columns with conditions. A partition with
// nothing read answers [applied] alone.
func (req *casRequest) failure(v *casView, applied *RowsResult) (Result, error) {
	cols := req.shown
	if req.wildcard {
		cols = req.table.Columns
	}
	base := &rowCtx{pk: req.keyVals, static: v.static}
	var ctxs []*rowCtx
	for i := range v.rows {
		r := *base
		r.row = &v.rows[i]
		ck, err := req.table.decodeClustering(v.rows[i].Clustering)
		if err != nil {
			return nil, internalError("decode a clustering key", err)
		}
		r.ck = ck
		ctxs = append(ctxs, &r)
	}
	if len(ctxs) == 0 && v.static != nil {
		ctxs = append(ctxs, base)
	}
	if len(ctxs) == 0 {
		return applied, nil
	}
	out := &RowsResult{Columns: append(applied.Columns, make([]ColumnSpec, 0, len(cols))...)}
	for _, c := range cols {
		out.Columns = append(out.Columns, specOf(req.table, c))
	}
	for _, r := range ctxs {
		row := make([][]byte, 0, len(out.Columns))
		row = append(row, boolBytes(false))
		for _, c := range cols {
			row = append(row, r.value(c))
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// stmtKind names the kind of an analysed write, as its messages do.
func stmtKind(w *writeStmt) string {
	switch {
	case w.insert:
		return "INSERT"
	case w.deleteRow:
		return "DELETE"
	}
	for _, op := range w.ops {
		if op.kind != opDelete && op.kind != opDeleteElem && op.kind != opDeleteField {
			return "UPDATE"
		}
	}
	return "DELETE"
}
