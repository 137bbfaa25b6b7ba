package exec

import (
	"github.com/sibyldb/sibyl/schema"
)

// Which SELECTs a secondary index answers without ALLOW FILTERING, with
// the rules of Cassandra 4.1's StatementRestrictions (legacy indexes) and
// 5.0's StorageAttachedIndex:
//
//   - a restriction is "covered" when an index on its column supports
//     every operator in it: = on a column or full(frozen) index; CONTAINS
//     on a values() index; CONTAINS KEY on keys(); m[k] = v on entries();
//     and, for SAI only, <, <=, >, >= on a column whose type is not a
//     literal (text, ascii, blob, boolean compare by equality only). IN is
//     never covered.
//   - a query uses indexes when some restriction is covered; then a
//     partial partition key and clustering restrictions on indexed
//     clustering columns no longer need ALLOW FILTERING, but every
//     restriction that would be a row filter must be covered.
//   - with legacy (COMPOSITES) indexes only one such filter restriction,
//     with one CONTAINS at most, is allowed (Cassandra's needFiltering);
//     SAI indexes combine any number of covered restrictions with AND.
//
// How the answer is computed, and what it costs, is in doc.go ("Secondary
// indexes"): the rows are found by the same token-range scan ALLOW
// FILTERING uses, with the restrictions applied on each replica's rows.

// coveringIndexes returns the indexes that together answer every operator
// of r, or ok false when some operator has none.
func coveringIndexes(t *tableInfo, r *restriction) (used []*schema.Index, ok bool) {
	if r.in != nil || r.inList != nil {
		return nil, false
	}
	need := func(match func(ix *schema.Index) bool) bool {
		for _, ix := range t.indexes {
			if ix.Column == r.col.Name && match(ix) {
				used = append(used, ix)
				return true
			}
		}
		return false
	}
	if r.eq != nil && !need(func(ix *schema.Index) bool {
		return ix.Target == schema.TargetSimple || ix.Target == schema.TargetFull
	}) {
		return nil, false
	}
	if r.isSlice() && !need(func(ix *schema.Index) bool {
		return ix.IsSAI() && ix.Target == schema.TargetSimple && saiRangeType(r.col.Type)
	}) {
		return nil, false
	}
	if len(r.contains) > 0 && !need(func(ix *schema.Index) bool { return ix.Target == schema.TargetValues }) {
		return nil, false
	}
	if len(r.containsKey) > 0 && !need(func(ix *schema.Index) bool { return ix.Target == schema.TargetKeys }) {
		return nil, false
	}
	if len(r.entries) > 0 && !need(func(ix *schema.Index) bool { return ix.Target == schema.TargetEntries }) {
		return nil, false
	}
	return used, len(used) > 0
}

// saiRangeType reports whether SAI answers ranges on values of t: numeric,
// temporal, uuid and inet types; literal types only support equality.
func saiRangeType(t *schema.Type) bool {
	switch t.Kind {
	case schema.KindInt, schema.KindBigint, schema.KindSmallint, schema.KindTinyint,
		schema.KindVarint, schema.KindDecimal, schema.KindFloat, schema.KindDouble,
		schema.KindDate, schema.KindTime, schema.KindTimestamp,
		schema.KindUUID, schema.KindTimeUUID, schema.KindInet:
		return true
	}
	return false
}

// indexAnswers reports whether the table's indexes answer the WHERE clause
// without ALLOW FILTERING (the rules above). fullKey says whether every
// partition key column is restricted by = or IN.
func (st *selectStmt) indexAnswers() bool {
	t, w := st.table, st.where
	if len(t.indexes) == 0 || w.multi != nil {
		return false
	}
	pkFilters := st.partitionKeyNeedsFilter()
	ckFilters := st.clusteringNeedsFilter(hasFullPartitionKey(t, w))
	if w.token != nil && pkFilters {
		return false
	}
	queriable, allSAI := false, true
	filters := 0
	for _, r := range w.cols {
		used, ok := coveringIndexes(t, r)
		if ok {
			queriable = true
		}
		// A restriction the key access answers needs no index.
		keyAnswered := r.contains == nil && r.containsKey == nil && r.entries == nil &&
			(r.col.Kind == kindPartition && !pkFilters || r.col.Kind == kindClustering && !ckFilters)
		if keyAnswered {
			continue
		}
		if !ok {
			return false
		}
		filters++
		for _, ix := range used {
			if !ix.IsSAI() {
				allSAI = false
			}
		}
		if len(r.contains)+len(r.containsKey)+len(r.entries) > 1 && !allSAI {
			return false
		}
	}
	return queriable && (filters <= 1 || allSAI)
}

// usesIndex is Cassandra's usesSecondaryIndexing: some restriction that
// the key access does not answer is covered by an index.
func (st *selectStmt) usesIndex() bool {
	t, w := st.table, st.where
	if len(t.indexes) == 0 || t.virtual != nil {
		return false
	}
	pkFilters := st.partitionKeyNeedsFilter()
	ckFilters := st.clusteringNeedsFilter(hasFullPartitionKey(t, w))
	for _, r := range w.cols {
		keyAnswered := r.contains == nil && r.containsKey == nil && r.entries == nil &&
			(r.col.Kind == kindPartition && !pkFilters || r.col.Kind == kindClustering && !ckFilters)
		if _, ok := coveringIndexes(t, r); ok && !keyAnswered {
			return true
		}
	}
	return false
}

// indexOp is the kind of restriction an index lookup answers.
type indexOp uint8

const (
	opEq indexOp = iota + 1
	opContains
	opContainsKey
	opEntry
	opRange
)

// indexChoice is the restriction a range read looks its rows up by:
// storage keeps entries for indexes on regular and static columns
// (storage/index.go), so an index on a key column is never chosen.
type indexChoice struct {
	ix  *schema.Index
	col string
	op  indexOp
}

// chooseIndex picks the index a range read uses, if any: an equality-like
// restriction (=, CONTAINS, CONTAINS KEY, m[k] = v) before an SAI range,
// then by column name, so every node and every page choose alike.
func (st *selectStmt) chooseIndex() *indexChoice {
	t, w := st.table, st.where
	if len(t.indexes) == 0 || t.virtual != nil {
		return nil
	}
	var best *indexChoice
	for _, c := range t.Columns {
		r := w.col(c.Name)
		if r == nil || c.isKey() || r.in != nil || r.inList != nil {
			continue
		}
		for _, ix := range t.indexes {
			if ix.Column != c.Name {
				continue
			}
			op := indexOp(0)
			switch {
			case r.eq != nil && (ix.Target == schema.TargetSimple || ix.Target == schema.TargetFull):
				op = opEq
			case len(r.contains) > 0 && ix.Target == schema.TargetValues:
				op = opContains
			case len(r.containsKey) > 0 && ix.Target == schema.TargetKeys:
				op = opContainsKey
			case len(r.entries) > 0 && ix.Target == schema.TargetEntries:
				op = opEntry
			case r.isSlice() && ix.IsSAI() && ix.Target == schema.TargetSimple && saiRangeType(c.Type):
				op = opRange
			}
			if op != 0 && (best == nil || (best.op == opRange && op != opRange)) {
				best = &indexChoice{ix: ix, col: c.Name, op: op}
			}
		}
	}
	return best
}

// indexRead is the lookup of the chosen index with the bound values of
// f, or nil (a null or unset value, no choice): the range read is then a
// plain scan, whose answer is the same.
func (ch *indexChoice) indexRead(f *rowFilter) *schema.IndexRead {
	if ch == nil || f == nil {
		return nil
	}
	for _, p := range f.cols {
		if p.col.Name != ch.col {
			continue
		}
		ir := &schema.IndexRead{Index: ch.ix.ID}
		switch {
		case ch.op == opEq && len(p.vals) == 1:
			ir.Eq = [][]byte{p.vals[0]}
		case ch.op == opContains && len(p.contains) > 0:
			ir.Eq = [][]byte{p.contains[0]}
		case ch.op == opContainsKey && len(p.containsKey) > 0:
			ir.Eq = [][]byte{p.containsKey[0]}
		case ch.op == opEntry && len(p.entries) > 0:
			ir.Eq = [][]byte{p.entries[0][0], p.entries[0][1]}
		case ch.op == opRange:
			if p.lo != nil {
				ir.Lo = &schema.IndexBound{Value: p.lo.v, Inclusive: p.lo.incl}
			}
			if p.hi != nil {
				ir.Hi = &schema.IndexBound{Value: p.hi.v, Inclusive: p.hi.incl}
			}
		default:
			return nil
		}
		for _, v := range ir.Eq {
			if v == nil {
				return nil
			}
		}
		if (ir.Lo != nil && ir.Lo.Value == nil) || (ir.Hi != nil && ir.Hi.Value == nil) {
			return nil
		}
		return ir
	}
	return nil
}
