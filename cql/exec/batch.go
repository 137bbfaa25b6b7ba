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
	logged    bool
	timestamp term // USING TIMESTAMP of the batch
}

func (a *analyzer) analyzeBatch(b *parser.Batch) (*batchPlan, error) {
	if b.Kind == parser.BatchCounter {
		return nil, invalidf("Counter batches are not supported by this server")
	}
	bp := &batchPlan{logged: b.Kind != parser.BatchUnlogged}
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
	if x := b.Using.Timestamp(); x != nil {
		for _, w := range bp.stmts {
			if w.timestamp != nil {
				return nil, invalidf("Timestamp must be set either on BATCH or individual statements")
			}
		}
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
	if err := checkWriteConsistency(o.Consistency); err != nil {
		return nil, err
	}
	return e.runBatch(ctx, items, bp.logged, p, o.Consistency, o.Warn)
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
func (e *Executor) runBatch(ctx context.Context, items []batchItem, logged bool, p writeParams, cl Consistency, warn func(string)) (Result, error) {
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
	wt := WriteBatch
	if !logged {
		wt = WriteUnloggedBatch
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
