package exec_test

import (
	"context"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// Counter writes through the protocol's own paths: prepared increments
// (bound as counter), unset amounts, BATCH messages of each type, and the
// consistency levels a counter write refuses.
func TestCounterProtocolPaths(t *testing.T) {
	h := newHarness(t)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
	h.must("CREATE TABLE c (k int PRIMARY KEY, n counter)")
	h.must("CREATE TABLE plain (k int PRIMARY KEY, v int)")
	ctx := context.Background()
	prep, err := h.ex.Prepare(ctx, h.sess, "UPDATE c SET n = n + ? WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Bind) != 2 || prep.Bind[0].Type.Kind != schema.KindCounter {
		t.Fatalf("the increment binds as %+v, want a counter", prep.Bind)
	}
	run := func(cl exec.Consistency, vals ...exec.Value) string {
		res, err := h.ex.Execute(ctx, h.sess, prep.ID, &exec.QueryOptions{Consistency: cl, Values: vals})
		return formatResult(res, err)
	}
	for _, c := range []struct {
		cl   exec.Consistency
		vals []exec.Value
		want string
	}{
		{exec.One, []exec.Value{bigintVal(3), intVal(1)}, "ok"},
		{exec.Quorum, []exec.Value{{Unset: true}, intVal(1)}, "ok"},
		{exec.All, []exec.Value{bigintVal(-1), intVal(1)}, "ok"},
		{exec.Any, []exec.Value{bigintVal(1), intVal(1)}, "error 0x2200: Consistency level ANY is not yet supported for counter table c"},
		{exec.Serial, []exec.Value{bigintVal(1), intVal(1)}, "error 0x2200: Counter operations are inherently non-serializable"},
	} {
		if got := run(c.cl, c.vals...); got != c.want {
			t.Errorf("at %d with %v: %s, want %s", c.cl, c.vals, got, c.want)
		}
	}
	batch := func(typ exec.BatchType, cl exec.Consistency, stmts ...exec.BatchStatement) string {
		res, err := h.ex.Batch(ctx, h.sess, &exec.Batch{Type: typ, Consistency: cl, Statements: stmts})
		return formatResult(res, err)
	}
	inc := exec.BatchStatement{PreparedID: prep.ID, Values: []exec.Value{bigintVal(10), intVal(1)}}
	set := exec.BatchStatement{Query: "UPDATE plain SET v = 1 WHERE k = 1"}
	for _, c := range []struct {
		typ   exec.BatchType
		cl    exec.Consistency
		stmts []exec.BatchStatement
		want  string
	}{
		{exec.CounterBatch, exec.One, []exec.BatchStatement{inc, inc}, "ok"},
		{exec.UnloggedBatch, exec.One, []exec.BatchStatement{inc}, "ok"},
		{exec.LoggedBatch, exec.One, []exec.BatchStatement{inc}, "error 0x2200: Cannot include a counter statement in a logged batch"},
		{exec.CounterBatch, exec.One, []exec.BatchStatement{inc, set}, "error 0x2200: Cannot include non-counter statement in a counter batch"},
		{exec.UnloggedBatch, exec.One, []exec.BatchStatement{set, inc}, "error 0x2200: Counter and non-counter mutations cannot exist in the same batch"},
		{exec.CounterBatch, exec.Any, []exec.BatchStatement{inc}, "error 0x2200: Consistency level ANY is not yet supported for counter table c"},
	} {
		if got := batch(c.typ, c.cl, c.stmts...); got != c.want {
			t.Errorf("batch type %d at %d: %s, want %s", c.typ, c.cl, got, c.want)
		}
	}
	if got := h.run("SELECT n FROM c WHERE k = 1", nil); got != "n counter\n32" {
		t.Fatalf("after the increments: %s, want 32 (3 - 1 + 10 + 10 + 10)", got)
	}
}
