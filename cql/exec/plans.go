package exec

import (
	"context"

	"github.com/sibyldb/sibyl/schema"
)

func (st *selectStmt) run(ctx context.Context, e *Executor, _ *Session, env *bindEnv, o *QueryOptions) (Result, error) {
	rr, err := st.execute(ctx, e, env, o)
	if err != nil {
		return nil, err
	}
	rr.NoMetadata = o.SkipMetadata
	return rr, nil
}

func (w *writeStmt) run(ctx context.Context, e *Executor, _ *Session, env *bindEnv, o *QueryOptions) (Result, error) {
	if w.cas != nil {
		return e.runCAS(ctx, []batchItem{{w: w, env: env}}, false, o.SerialConsistency, o.Consistency)
	}
	wt := writeTypeOf(w, WriteSimple)
	if wt == WriteCounter {
		if err := checkCounterConsistency(w.table, o.Consistency); err != nil {
			return nil, err
		}
	} else if err := checkWriteConsistency(o.Consistency); err != nil {
		return nil, err
	}
	p := e.writeParams(o.HasTimestamp, o.Timestamp)
	muts, err := w.mutations(ctx, e, env, p, o.Consistency)
	if err != nil {
		return nil, err
	}
	if err := e.cfg.Coordinator.Mutate(ctx, o.Consistency, wt, muts); err != nil {
		return nil, err
	}
	return VoidResult{}, nil
}

// writeParams returns the parameters of a write: its default timestamp is
// the client's when it sent one (checked when a statement uses it), else
// the node's next monotonic timestamp.
func (e *Executor) writeParams(has bool, ts int64) writeParams {
	p := writeParams{now: e.clock.nowSeconds()}
	if has {
		p.ts, p.tsSource = ts, tsDefault
	} else {
		p.ts = e.clock.timestamp()
	}
	return p
}

type usePlan struct{ keyspace string }

func (u usePlan) run(_ context.Context, e *Executor, s *Session, _ *bindEnv, _ *QueryOptions) (Result, error) {
	if e.cfg.Schema.Catalog().Keyspace(u.keyspace) == nil {
		return nil, invalidf("Keyspace '%s' does not exist", u.keyspace)
	}
	s.SetKeyspace(u.keyspace)
	return &SetKeyspaceResult{Keyspace: u.keyspace}, nil
}

// mergeMutations merges fragments of the same partition into one, keeping
// first-seen partition order.
func mergeMutations(muts []*schema.Partition) []*schema.Partition {
	type key struct {
		table schema.TableID
		key   string
	}
	idx := map[key]int{}
	var out []*schema.Partition
	for _, m := range muts {
		k := key{m.Table, string(m.Key)}
		if i, ok := idx[k]; ok {
			out[i] = schema.Merge(out[i], m)
			continue
		}
		idx[k] = len(out)
		out = append(out, m)
	}
	return out
}

type schemaPartition = schema.Partition

func bigintType() *schema.Type { return schema.BigintType }

func int64FromBytes(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}
