package exec

// checkRestrictions decides whether the WHERE clause can be answered by
// reading keys and clustering slices, or needs filtering (and so ALLOW
// FILTERING), with Cassandra's rules.
func (st *selectStmt) checkRestrictions() error {
	t, w := st.table, st.where
	if !st.filtering && t.virtual == nil {
		// As Cassandra's StatementRestrictions without ALLOW FILTERING:
		// the clustering relations' order first (checked as they merge),
		// then the partition key, then gaps in the clustering columns.
		if err := w.checkClusteringOrder(t); err != nil {
			return err
		}
		indexed := st.indexAnswers()
		if st.partitionKeyNeedsFilter() && !indexed {
			return filteringError()
		}
		if err := w.checkClusteringGaps(t); err != nil && !indexed {
			return err
		}
	}
	filter := false
	partial := false
	restrictedPK := 0
	for _, c := range t.Partition {
		r := w.col(c.Name)
		switch {
		case r == nil:
			partial = true
		case r.isEqOrIn():
			restrictedPK++
		default:
			filter = true // a slice or CONTAINS on a partition key column
			restrictedPK++
		}
	}
	if restrictedPK > 0 && partial {
		filter = true
	}
	if w.token != nil && restrictedPK > 0 {
		filter = true
	}
	fullKey := hasFullPartitionKey(t, w)
	if st.clusteringNeedsFilter(fullKey) {
		filter = true
	}
	for _, r := range w.cols {
		if !r.col.isKey() || r.contains != nil || r.containsKey != nil {
			filter = true
		}
	}
	st.needsFilter = filter
	if filter && !st.filtering && t.virtual == nil && !st.indexAnswers() {
		return filteringError()
	}
	return nil
}

// clusteringNeedsFilter reports whether the clustering restrictions go
// beyond a prefix of = / IN followed by at most one slice, or apply
// without the whole partition key.
func (st *selectStmt) clusteringNeedsFilter(fullKey bool) bool {
	t, w := st.table, st.where
	if w.multi != nil {
		return !fullKey && !st.scanAllowsClustering()
	}
	any, gap, sliced := false, false, false
	for _, c := range t.Clustering {
		r := w.col(c.Name)
		if r == nil || (!r.isEqOrIn() && !r.isSlice()) {
			gap = true
			continue
		}
		any = true
		if gap || sliced {
			return true
		}
		if r.isSlice() {
			sliced = true
		}
	}
	return any && !fullKey && !st.scanAllowsClustering()
}

// scanAllowsClustering: Cassandra accepts clustering restrictions without
// the partition key only with filtering; virtual tables filter freely.
func (st *selectStmt) scanAllowsClustering() bool { return st.table.virtual != nil }

// partitionKeyNeedsFilter is Cassandra's PartitionKeyRestrictions
// .needFiltering: some but not all partition key columns restricted, or
// one by something other than = or IN (token() aside).
func (st *selectStmt) partitionKeyNeedsFilter() bool {
	restricted, eqIn := 0, 0
	for _, c := range st.table.Partition {
		r := st.where.col(c.Name)
		if r == nil || (!r.isEqOrIn() && !r.isSlice() && r.contains == nil && r.containsKey == nil) {
			continue
		}
		restricted++
		if r.isEqOrIn() {
			eqIn++
		}
	}
	return restricted > 0 && eqIn < len(st.table.Partition)
}
