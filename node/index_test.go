package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

// indexRow is the test's model of one row of ks.ix.
type indexRow struct {
	k, c, v, n int
	l          []int
	m          map[string]int // map<text, int>: keys(), entries() and values() indexes
	st         []int          // set<int>
	f          [2]int         // frozen<list<int>>: full()
	tx         string         // text, SAI
}

// pagedKeys runs stmt on n page by page (pageSize rows) at ONE and returns
// every row's "k/c", sorted, checking that no page is larger than asked.
func pagedKeys(t *testing.T, n *clusterNode, stmt string, pageSize int32) []string {
	t.Helper()
	var out []string
	var state []byte
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("%s: more than 1000 pages", stmt)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := n.exec.Query(ctx, &exec.Session{}, stmt, &exec.QueryOptions{Consistency: exec.One, PageSize: pageSize, PagingState: state})
		cancel()
		if err != nil {
			t.Fatalf("%s on %s: %v", stmt, n.addr, err)
		}
		rr := res.(*exec.RowsResult)
		if len(rr.Rows) > int(pageSize) {
			t.Fatalf("%s: page of %d rows, asked %d", stmt, len(rr.Rows), pageSize)
		}
		for _, row := range rr.Rows {
			out = append(out, schema.FormatValue(schema.IntType, row[0])+"/"+schema.FormatValue(schema.IntType, row[1]))
		}
		if rr.PagingState == nil {
			break
		}
		state = rr.PagingState
	}
	slices.Sort(out)
	return out
}

func mapValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// wantKeys returns the "k/c" of the model rows for which match holds.
func wantKeys(rows map[[2]int]indexRow, match func(indexRow) bool) []string {
	var out []string
	for _, r := range rows {
		if match(r) {
			out = append(out, fmt.Sprintf("%d/%d", r.k, r.c))
		}
	}
	slices.Sort(out)
	return out
}

func insertIndexRow(t *testing.T, n *clusterNode, rows map[[2]int]indexRow, r indexRow) {
	t.Helper()
	l := ""
	for i, x := range r.l {
		if i > 0 {
			l += ", "
		}
		l += fmt.Sprint(x)
	}
	var m []string
	for k, v := range r.m {
		m = append(m, fmt.Sprintf("'%s': %d", k, v))
	}
	var st []string
	for _, x := range r.st {
		st = append(st, fmt.Sprint(x))
	}
	n.mustQuery(t, exec.One, fmt.Sprintf("INSERT INTO ks.ix (k, c, v, n, l, m, st, f, tx) VALUES (%d, %d, %d, %d, [%s], {%s}, {%s}, [%d, %d], '%s')",
		r.k, r.c, r.v, r.n, l, strings.Join(m, ", "), strings.Join(st, ", "), r.f[0], r.f[1], r.tx))
	rows[[2]int{r.k, r.c}] = r
}

// TestClusterIndexQueries runs index queries on a 3-node cluster with
// RF=1, so every answer needs every node: a legacy index, a collection
// index and SAI indexes, on rows written before and after CREATE INDEX,
// read through every node in pages of 3, then after updates and deletes.
func TestClusterIndexQueries(t *testing.T) {
	nodes := startThreeNodes(t)
	a := nodes[0]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.ix (k int, c int, v int, n int, l list<int>, m map<text, int>, st set<int>, f frozen<list<int>>, tx text, PRIMARY KEY (k, c))")
	rows := map[[2]int]indexRow{}
	row := func(i int) indexRow {
		return indexRow{k: i % 17, c: i, v: i % 4, n: i, l: []int{i % 5, 100 + i%3},
			m: map[string]int{fmt.Sprintf("a%d", i%3): i % 2, "z": i % 5}, st: []int{i % 4, 10 + i%2},
			f: [2]int{i % 2, 7}, tx: fmt.Sprintf("t%d", i%6)}
	}
	for i := 0; i < 30; i++ {
		insertIndexRow(t, nodes[i%3], rows, row(i))
	}
	if _, err := a.query(t, exec.One, "SELECT k, c FROM ks.ix WHERE v = 1"); err == nil {
		t.Fatal("a query on an unindexed column ran without ALLOW FILTERING")
	}
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.ix (v)")
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.ix (l)")
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.ix (keys(m))")
	a.mustQuery(t, exec.One, "CREATE INDEX ix_m_entries ON ks.ix (entries(m))")
	a.mustQuery(t, exec.One, "CREATE CUSTOM INDEX ix_m_values ON ks.ix (values(m)) USING 'sai'")
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.ix (st)")
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.ix (full(f))")
	a.mustQuery(t, exec.One, "CREATE CUSTOM INDEX ON ks.ix (tx) USING 'sai'")
	a.mustQuery(t, exec.One, "CREATE CUSTOM INDEX ON ks.ix (n) USING 'sai'")
	a.mustQuery(t, exec.One, "CREATE CUSTOM INDEX ix_c_sai ON ks.ix (c) USING 'StorageAttachedIndex'")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	for i := 30; i < 60; i++ {
		insertIndexRow(t, nodes[i%3], rows, row(i))
	}
	// Each node builds the index entries of its existing rows in the
	// background; until then its reads scan, with the same answers.
	testutil.WaitFor(t, 10*time.Second, "index builds", func() bool {
		for _, n := range nodes {
			for _, tbl := range n.schema.Catalog().Tables() {
				for _, ix := range tbl.Indexes {
					if c := tbl.Column(ix.Column); c != nil && !c.IsPrimaryKey() && !n.engine.IndexBuilt(tbl.TableID, ix.ID) {
						return false
					}
				}
			}
		}
		return true
	})
	// Every build is an operation with its progress (GET /operations).
	for _, n := range nodes {
		builds := 0
		for _, op := range n.ops.list() {
			if op.Kind == "index-build" && op.State == "done" && strings.HasPrefix(op.Detail, "ks.ix.") {
				builds++
			}
		}
		if builds == 0 {
			t.Errorf("%s: no finished index-build in its operations: %+v", n.addr, n.ops.list())
		}
	}
	for _, n := range nodes {
		res := n.mustQuery(t, exec.One, `SELECT index_name FROM system."IndexInfo" WHERE table_name = 'ks'`).(*exec.RowsResult)
		var names []string
		for _, r := range res.Rows {
			names = append(names, string(r[0]))
		}
		if want := []string{"ix_c_sai", "ix_f_idx", "ix_l_idx", "ix_m_entries", "ix_m_idx", "ix_m_values", "ix_n_idx", "ix_st_idx", "ix_tx_idx", "ix_v_idx"}; !slices.Equal(names, want) {
			t.Errorf("%s: IndexInfo lists %v, want %v", n.addr, names, want)
		}
	}
	indexReads := func() (sum int64) {
		for _, n := range nodes {
			sum += n.engine.Metrics().IndexReads
		}
		return sum
	}
	before := indexReads()

	queries := []struct {
		stmt  string
		match func(indexRow) bool
	}{
		{"SELECT k, c FROM ks.ix WHERE v = 1", func(r indexRow) bool { return r.v == 1 }},
		{"SELECT k, c FROM ks.ix WHERE l CONTAINS 101", func(r indexRow) bool { return slices.Contains(r.l, 101) }},
		{"SELECT k, c FROM ks.ix WHERE n >= 10 AND n < 45", func(r indexRow) bool { return r.n >= 10 && r.n < 45 }},
		{"SELECT k, c FROM ks.ix WHERE n > 20 AND c < 50", func(r indexRow) bool { return r.n > 20 && r.c < 50 }},
		{"SELECT k, c FROM ks.ix WHERE v = 2 AND k = 3", func(r indexRow) bool { return r.v == 2 && r.k == 3 }},
		{"SELECT k, c FROM ks.ix WHERE m CONTAINS KEY 'a1'", func(r indexRow) bool { _, ok := r.m["a1"]; return ok }},
		{"SELECT k, c FROM ks.ix WHERE m['a2'] = 1", func(r indexRow) bool { v, ok := r.m["a2"]; return ok && v == 1 }},
		{"SELECT k, c FROM ks.ix WHERE m CONTAINS 3", func(r indexRow) bool { return slices.Contains(mapValues(r.m), 3) }},
		{"SELECT k, c FROM ks.ix WHERE st CONTAINS 11", func(r indexRow) bool { return slices.Contains(r.st, 11) }},
		{"SELECT k, c FROM ks.ix WHERE f = [1, 7]", func(r indexRow) bool { return r.f == [2]int{1, 7} }},
		{"SELECT k, c FROM ks.ix WHERE tx = 't4' AND n < 40", func(r indexRow) bool { return r.tx == "t4" && r.n < 40 }},
	}
	check := func(when string) {
		t.Helper()
		for _, q := range queries {
			want := wantKeys(rows, q.match)
			for _, n := range nodes {
				if got := pagedKeys(t, n, q.stmt, 3); !slices.Equal(got, want) {
					t.Errorf("%s: %s via %s:\n got %v\nwant %v", when, q.stmt, n.addr, got, want)
				}
			}
		}
	}
	check("after inserts")
	if indexReads() == before {
		t.Fatal("no read went through an index's entries")
	}

	// Updates move rows in and out of the answers; deletes remove them.
	for i := 0; i < 60; i += 7 {
		r := rows[[2]int{i % 17, i}]
		r.v, r.n, r.l = (r.v+1)%4, r.n+100, []int{101}
		r.m, r.st, r.f, r.tx = map[string]int{"a1": 3}, []int{11}, [2]int{1, 7}, "t4"
		insertIndexRow(t, nodes[(i+1)%3], rows, r)
	}
	for i := 3; i < 60; i += 11 {
		nodes[i%3].mustQuery(t, exec.One, fmt.Sprintf("DELETE FROM ks.ix WHERE k = %d AND c = %d", i%17, i))
		delete(rows, [2]int{i % 17, i})
	}
	nodes[1].mustQuery(t, exec.One, "DELETE FROM ks.ix WHERE k = 5")
	for key := range rows {
		if key[0] == 5 {
			delete(rows, key)
		}
	}
	check("after updates and deletes")

	// LIMIT stops the answer early, across pages.
	res := a.mustQuery(t, exec.One, "SELECT k, c FROM ks.ix WHERE v = 1 LIMIT 2").(*exec.RowsResult)
	if len(res.Rows) != 2 {
		t.Errorf("LIMIT 2: %d rows", len(res.Rows))
	}

	// DROP INDEX: every node forgets the entries; the query needs ALLOW
	// FILTERING again.
	tbl, ix := a.schema.Catalog().IndexOf("ks", "ix_v_idx")
	nodes[2].mustQuery(t, exec.One, "DROP INDEX ks.ix_v_idx")
	testutil.WaitFor(t, 10*time.Second, "the dropped index forgotten on every node", func() bool {
		for _, n := range nodes {
			if n.engine.IndexBuilt(tbl.TableID, ix.ID) {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if _, err := n.query(t, exec.One, "SELECT k, c FROM ks.ix WHERE v = 1"); err == nil {
			t.Errorf("%s: query on a dropped index ran without ALLOW FILTERING", n.addr)
		}
	}
}
