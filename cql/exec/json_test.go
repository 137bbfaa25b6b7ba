package exec_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
)

// INSERT JSON ? binds the whole document as one text value named [json]
// (Cassandra's Json.Marker), decoded on each execution; DEFAULT UNSET
// leaves the columns the document omits alone, the default nulls them.
func TestInsertJSONBindMarker(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must(`CREATE TABLE t (k int, c text, v int, "Foo" text, s int static, PRIMARY KEY (k, c))`)
	ctx := context.Background()
	prep := func(q string) *exec.PreparedResult {
		t.Helper()
		p, err := h.ex.Prepare(ctx, h.sess, q)
		if err != nil {
			t.Fatalf("prepare %s: %v", q, err)
		}
		return p
	}
	run := func(p *exec.PreparedResult, vals ...exec.Value) error {
		_, err := h.ex.Execute(ctx, h.sess, p.ID, &exec.QueryOptions{Values: vals})
		return err
	}
	ins := prep("INSERT INTO t JSON ?")
	unset := prep("INSERT INTO t JSON :doc DEFAULT UNSET USING TTL ?")
	for _, c := range []struct {
		p    *exec.PreparedResult
		want string
	}{{ins, "[json] text"}, {unset, "doc text, [ttl] int"}} {
		var got []string
		for _, b := range c.p.Bind {
			got = append(got, b.Name+" "+b.Type.String())
		}
		if s := strings.Join(got, ", "); s != c.want {
			t.Errorf("bind specs = %s, want %s", s, c.want)
		}
		if len(c.p.PKIndexes) != 0 {
			t.Errorf("pk indexes = %v, want none: no marker binds a key column", c.p.PKIndexes)
		}
	}

	if err := run(ins, textVal(`{"k": 1, "c": "a", "v": 1, "\"Foo\"": "x", "s": 5}`)); err != nil {
		t.Fatal(err)
	}
	if err := run(unset, textVal(`{"K": 1, "C": "a", "v": 2}`), intVal(100)); err != nil {
		t.Fatal(err)
	}
	want := `{"k": 1, "c": "a", "s": 5, "\"Foo\"": "x", "v": 2}`
	if got := h.run("SELECT JSON * FROM t", nil); got != "[json] text\n'"+want+"'" {
		t.Errorf("after DEFAULT UNSET: %s", got)
	}
	if err := run(ins, textVal(`{"k": 1, "c": "a"}`)); err != nil {
		t.Fatal(err)
	}
	want = `{"k": 1, "c": "a", "s": null, "\"Foo\"": null, "v": null}`
	if got := h.run("SELECT JSON * FROM t", nil); got != "[json] text\n'"+want+"'" {
		t.Errorf("after DEFAULT NULL: %s", got)
	}

	for _, c := range []struct {
		val  exec.Value
		want string
	}{
		{exec.Value{}, "Got null for INSERT JSON values"},
		{exec.Value{Unset: true}, "Got null for INSERT JSON values"},
		{textVal(`[1]`), "Could not decode JSON string as a map: expected an object, but got a ArrayList. (String was: [1])"},
		{textVal(`{"k": 1}`), "Invalid null value in condition for column c"},
		{textVal(`{"k": 1, "c": "a", "v": "x"}`), "Error decoding JSON value for v: Unable to make int from 'x'"},
		{textVal(`{"k": 1, "c": "a", "foo": "x"}`), "JSON values map contains unrecognized column: foo"},
	} {
		err := run(ins, c.val)
		var ce *exec.Error
		if !errors.As(err, &ce) || ce.Code != exec.CodeInvalid || ce.Message != c.want {
			t.Errorf("INSERT JSON %q: %v, want Invalid %q", c.val.Bytes, err, c.want)
		}
	}
}

// A bound document is decoded once per execution, whatever the number of
// columns, and a batch of two bound documents keeps them apart.
func TestInsertJSONBatch(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v text)")
	ctx := context.Background()
	q := "BEGIN BATCH INSERT INTO t JSON ?; INSERT INTO t JSON ? DEFAULT UNSET; APPLY BATCH"
	p, err := h.ex.Prepare(ctx, h.sess, q)
	if err != nil {
		t.Fatal(err)
	}
	vals := []exec.Value{textVal(`{"k": 1, "v": "one"}`), textVal(`{"k": 2, "v": "two"}`)}
	if _, err := h.ex.Execute(ctx, h.sess, p.ID, &exec.QueryOptions{Values: vals}); err != nil {
		t.Fatal(err)
	}
	got := h.run("SELECT JSON * FROM t WHERE k IN (1, 2)", nil)
	if want := "[json] text\n'{\"k\": 1, \"v\": \"one\"}'\n'{\"k\": 2, \"v\": \"two\"}'"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// SELECT JSON answers one text column named [json], prepared or not.
func TestSelectJSONMetadata(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v text)")
	p, err := h.ex.Prepare(context.Background(), h.sess, "SELECT JSON v AS x, k FROM t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Result) != 1 || p.Result[0].Name != "[json]" || p.Result[0].Type.String() != "text" || p.Result[0].Table != "t" {
		t.Errorf("result metadata = %+v", p.Result)
	}
	if len(p.PKIndexes) != 1 || p.PKIndexes[0] != 0 {
		t.Errorf("pk indexes = %v", p.PKIndexes)
	}
}
