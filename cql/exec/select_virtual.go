package exec

import (
	"bytes"
	"context"
	"slices"

	"github.com/sibyldb/sibyl/schema"
)

// readVirtual computes a virtual table's rows and feeds them to run in
// (partition key, clustering) order, resuming after the paging state.
func (st *selectStmt) readVirtual(_ context.Context, e *Executor, run *selectRun, state *pagingState) error {
	v := &virtualCtx{e: e, cat: e.cfg.Schema.Catalog(), session: run.env.session}
	rows, err := st.virtualRows(v)
	if err != nil {
		return err
	}
	now := e.clock.nowSeconds()
	keyIndex := -1
	var prevKey []byte
	for i := range rows {
		r := &rows[i]
		if keyIndex < 0 || !bytes.Equal(r.key, prevKey) {
			keyIndex++
			prevKey = r.key
			run.startPartition(0)
			if state != nil && keyIndex == state.KeyIndex {
				run.startPartition(state.PartitionRows)
			}
		}
		if state != nil && skipVirtual(state, keyIndex, r.ckEnc) {
			continue
		}
		r.now, r.env = now, run.env
		if err := run.accept(r, keyIndex); err != nil {
			return err
		}
		if run.done {
			return nil
		}
	}
	return nil
}

func skipVirtual(s *pagingState, keyIndex int, ck []byte) bool {
	if keyIndex != s.KeyIndex {
		return keyIndex < s.KeyIndex
	}
	return s.PartitionDone || bytes.Compare(ck, s.Clustering) <= 0
}

// virtualRows builds the rowCtx of every row, sorted.
func (st *selectStmt) virtualRows(v *virtualCtx) ([]rowCtx, error) {
	t := st.table
	maps := t.virtual.rows(v)
	out := make([]rowCtx, 0, len(maps))
	for _, m := range maps {
		r, err := virtualRow(t, m, v.e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b rowCtx) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare(a.ckEnc, b.ckEnc)
	})
	return out, nil
}

// virtualRow serializes one row's Go values with the table's column types.
func virtualRow(t *tableInfo, m map[string]any, e *Executor) (rowCtx, error) {
	r := rowCtx{virtual: make(map[string][]byte, len(m))}
	for _, c := range t.Columns {
		gv, ok := m[c.Name]
		if !ok || gv == nil {
			continue
		}
		b, err := schema.Marshal(c.Type, gv)
		if err != nil {
			return r, Errorf(CodeServerError, "cannot build %s.%s: %s", t.Keyspace, t.Name, err).WithCause(err)
		}
		r.virtual[c.Name] = b
	}
	for _, c := range t.Partition {
		r.pk = append(r.pk, r.virtual[c.Name])
	}
	for _, c := range t.Clustering {
		r.ck = append(r.ck, r.virtual[c.Name])
	}
	r.key = partitionKey(r.pk)
	r.token = e.cfg.Token(r.key)
	enc, err := t.encodeClustering(r.ck)
	if err != nil {
		return r, Errorf(CodeServerError, "cannot build %s.%s: %s", t.Keyspace, t.Name, err).WithCause(err)
	}
	r.ckEnc = enc
	return r, nil
}
