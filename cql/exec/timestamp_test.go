package exec_test

import (
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
)

// TestNullBatchTimestamp: a null USING TIMESTAMP is refused on a batch as
// on a statement (Attributes.getTimestamp), not silently replaced.
func TestNullBatchTimestamp(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	for _, q := range []string{
		"BEGIN BATCH USING TIMESTAMP ? INSERT INTO t (k, v) VALUES (1, 1) APPLY BATCH",
		"INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP ?",
	} {
		if got := h.run(q, &exec.QueryOptions{Values: []exec.Value{{}}}); got != "error 0x2200: Invalid null value of timestamp" {
			t.Errorf("%s with null: %s", q, got)
		}
	}
}
