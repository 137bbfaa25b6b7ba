package bench

import (
	"strings"
	"testing"
)

// TestGroupSizeCountsTheKeySpace checks groupSize against counting the
// rows of small key spaces one by one.
func TestGroupSizeCountsTheKeySpace(t *testing.T) {
	for _, ks := range []struct{ parts, rows, offset, card int64 }{
		{50, 4, 0, 7}, {1, 1, 0, 100}, {13, 3, 5, 4}, {100, 1, 1_000, 100}, {7, 9, 2, 1},
	} {
		cfg := Config{Partitions: ks.parts, RowsPerPartition: ks.rows, PartitionOffset: ks.offset, IndexCardinality: ks.card}
		want := make([]int64, ks.card)
		for pk := ks.offset; pk < ks.offset+ks.parts; pk++ {
			for ck := range ks.rows {
				want[rowNumber(&cfg, pk, ck)%ks.card]++
			}
		}
		for g := range ks.card {
			if got := groupSize(&cfg, g); got != want[g] {
				t.Errorf("%+v: group %d has %d rows, groupSize says %d", ks, g, want[g], got)
			}
		}
	}
}

// TestIndexModesCreateTheirIndexes checks which indexes a run creates and
// that the index modes imply the index columns.
func TestIndexModesCreateTheirIndexes(t *testing.T) {
	for _, c := range []struct {
		mode    Mode
		indexes int
		want    []string // indexed columns, in order
	}{
		{ModeWrite, 0, nil}, {ModeWrite, 1, []string{"u"}}, {ModeWrite, 3, []string{"u", "g", "v"}},
		{ModeIndexPoint, 0, []string{"u"}}, {ModeIndexGroup, 0, []string{"u", "g"}}, {ModeIndexGroup, 3, []string{"u", "g", "v"}},
	} {
		cfg := Config{Mode: c.mode, Indexes: c.indexes, Table: "t", Keyspace: "ks"}
		cfg.EnsureDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s with %d indexes: %v", c.mode, c.indexes, err)
		}
		stmts := indexStatements(&cfg)
		var cols []string
		for _, s := range stmts {
			cols = append(cols, strings.TrimSuffix(s[strings.LastIndex(s, "(")+1:], ")"))
		}
		if strings.Join(cols, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s with %d indexes creates indexes on %v, want %v", c.mode, c.indexes, cols, c.want)
		}
		if wantCols := c.indexes > 0 || c.mode != ModeWrite; cfg.IndexColumns != wantCols {
			t.Errorf("%s with %d indexes: index columns %v, want %v", c.mode, c.indexes, cfg.IndexColumns, wantCols)
		}
	}
	bad := Config{Indexes: 4, IndexCardinality: -1}
	bad.EnsureDefaults()
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "indexes must be in [0, 3]") || !strings.Contains(err.Error(), "index cardinality") {
		t.Errorf("4 indexes and a negative cardinality: %v", err)
	}
}
