package exec

import (
	"bytes"
	"sort"

	"github.com/sibyldb/sibyl/schema"
)

// sortRows puts rows in ascending clustering order, merging nothing: the
// callers build at most one row per clustering key.
func sortRows(rows []schema.Row) {
	sort.SliceStable(rows, func(i, j int) bool { return bytes.Compare(rows[i].Clustering, rows[j].Clustering) < 0 })
}
