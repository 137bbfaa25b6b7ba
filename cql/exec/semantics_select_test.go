package exec_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// Bind markers in the select list take their type from a hint or from
// the function parameter they are passed to, and are all named
// [selection], as Cassandra's Selectable.WithTerm names them.
func TestSelectionBindMarkers(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, ts timestamp)")
	h.must("INSERT INTO t (k, ts) VALUES (1, '2015-07-15 12:34:56.789+0000')")
	ctx := context.Background()
	q := "SELECT (int)?, intAsBlob(?), toDate((timestamp)?) FROM t WHERE k = ?"
	p, err := h.ex.Prepare(ctx, h.sess, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range p.Bind {
		got = append(got, b.Name+" "+b.Type.String())
	}
	if s := strings.Join(got, ", "); s != "[selection] int, [selection] int, [selection] timestamp, k int" {
		t.Errorf("bind specs = %s", s)
	}
	got = nil
	for _, r := range p.Result {
		got = append(got, r.Name+" "+r.Type.String())
	}
	if s := strings.Join(got, ", "); s != "(int)? int, system.intasblob(?) blob, system.todate((timestamp)?) date" {
		t.Errorf("result specs = %s", s)
	}
	ms := binary.BigEndian.AppendUint64(nil, uint64(1436963696789))
	res, err := h.ex.Execute(ctx, h.sess, p.ID, &exec.QueryOptions{Values: []exec.Value{intVal(7), intVal(8), {Bytes: ms}, intVal(1)}})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.(*exec.RowsResult).Rows
	if len(rows) != 1 {
		t.Fatalf("rows = %d", len(rows))
	}
	var vals []string
	for i, v := range rows[0] {
		vals = append(vals, schema.FormatValue(p.Result[i].Type, v))
	}
	if s := strings.Join(vals, ", "); s != "7, 0x00000008, '2015-07-15'" {
		t.Errorf("row = %s", s)
	}
}

// A user type literal that leaves fields out stores and returns them as
// null components, frozen or not; a tuple literal keeps the null elements
// it lists.
func TestUDTLiteralMissingFieldsAreNull(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TYPE u (a int, b int, c text)")
	h.must("CREATE TABLE t (k int PRIMARY KEY, f frozen<u>, n u, tp tuple<int, int>)")
	h.must("INSERT INTO t (k, f, n, tp) VALUES (1, {a: 1}, {b: 2}, (1, null))")
	res := h.must("SELECT f, n, tp FROM t WHERE k = 1").(*exec.RowsResult)
	null := []byte{0xff, 0xff, 0xff, 0xff}
	one := []byte{0, 0, 0, 4, 0, 0, 0, 1}
	two := []byte{0, 0, 0, 4, 0, 0, 0, 2}
	want := [][]byte{
		append(append(append([]byte{}, one...), null...), null...),
		append(append(append([]byte{}, null...), two...), null...),
		append(append([]byte{}, one...), null...),
	}
	for i, w := range want {
		if got := res.Rows[0][i]; string(got) != string(w) {
			t.Errorf("%s = %x, want %x", res.Columns[i].Name, got, w)
		}
	}
}
