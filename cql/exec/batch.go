package exec

import (
	"context"

	"github.com/sibyldb/sibyl/cql/parser"
	"github.com/sibyldb/sibyl/schema"
)

// batchPlan is a BEGIN BATCH ... APPLY BATCH statement sent as text: its
// statements share the batch's bind markers, numbered across them.
type batchPlan struct {
	stmts     []*writeStmt
	kind      batchKind
	timestamp term // USING TIMESTAMP of the batch
}

func (a *analyzer) analyzeBatch(b *parser.Batch) (*batchPlan, error) {
	bp := &batchPlan{kind: batchLogged}
	switch b.Kind {
	case parser.BatchUnlogged:
		bp.kind = batchUnlogged
	case parser.BatchCounter:
		bp.kind = batchCounter
	}
	if b.Using.TTL() != nil {
		return nil, invalidf("Global TTL on the BATCH statement is not supported.")
	}
	for _, s := range b.Statements {
		w, err := a.analyzeWrite(s)
		if err != nil {
			return nil, err
		}
		bp.stmts = append(bp.stmts, w)
	}
	if err := checkBatchCounters(bp.kind, bp.stmts, b.Using.Timestamp() != nil); err != nil {
		return nil, err
	}
	if x := b.Using.Timestamp(); x != nil {
		spec := ColumnSpec{Name: "[timestamp]", Type: bigintType()}
		tm, err := a.compileTerm(x, spec)
		if err != nil {
			return nil, err
		}
		bp.timestamp = tm
	}
	if err := checkCASBatch(bp.stmts, bp.timestamp != nil); err != nil {
		return nil, err
	}
	return bp, nil
}

func (bp *batchPlan) run(ctx context.Context, e *Executor, _ *Session, env *bindEnv, o *QueryOptions) (Result, error) {
	p := e.writeParams(o.HasTimestamp, o.Timestamp)
	if bp.timestamp != nil {
		v, unset, err := bp.timestamp.eval(env)
		if err != nil {
			return nil, err
		}
		if !unset {
			if len(v) != 8 {
				return nil, invalidf("Invalid null value of timestamp")
			}
			p.ts, p.tsSource = int64FromBytes(v), tsUsing
		}
	}
	items := make([]batchItem, len(bp.stmts))
	for i, w := range bp.stmts {
		items[i] = batchItem{w: w, env: env}
	}
	if hasCAS(items) {
		return e.runCAS(ctx, items, true, o.SerialConsistency, o.Consistency)
	}
	return e.runBatch(ctx, items, bp.kind, p, o.Consistency, o.Warn)
}

// batchItem is one statement of a batch with its values.
type batchItem struct {
	w      *writeStmt
	env    *bindEnv
	access []access // the permissions it needs (checked by Batch)
}

// runBatch builds every statement's mutations with the batch's write
// parameters (its timestamp unless a statement has its own), merges them
// per partition and writes them in one Mutate.
func (e *Executor) runBatch(ctx context.Context, items []batchItem, kind batchKind, p writeParams, cl Consistency, warn func(string)) (Result, error) {
	logged := kind == batchLogged
	wt := WriteBatch
	if !logged {
		wt = WriteUnloggedBatch
	}
	if len(items) > 0 && items[0].w.table.isCounter() {
		// checkBatchCounters made every statement a counter one.
		wt = WriteCounter
		if err := checkCounterConsistency(items[0].w.table, cl); err != nil {
			return nil, err
		}
	} else if err := checkWriteConsistency(cl); err != nil {
		return nil, err
	}
	var all []*schemaPartition
	tables := map[schema.TableID]*tableInfo{}
	for _, it := range items {
		muts, err := it.w.mutations(ctx, e, it.env, p, cl)
		if err != nil {
			return nil, err
		}
		all = append(all, muts...)
		tables[it.w.table.ID] = it.w.table
	}
	merged := mergeMutations(all)
	if err := e.checkBatchSize(merged, tables, logged, warn); err != nil {
		return nil, err
	}
	if err := e.cfg.Coordinator.Mutate(ctx, cl, wt, merged); err != nil {
		return nil, err
	}
	return VoidResult{}, nil
}
