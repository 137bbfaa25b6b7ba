package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

// pagedKeysAt runs stmt on n at cl in pages of pageSize and returns every
// row's "k/c", sorted.
func pagedKeysAt(t *testing.T, n *clusterNode, cl exec.Consistency, stmt string, pageSize int32) ([]string, error) {
	t.Helper()
	var out []string
	var state []byte
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("%s: more than 1000 pages", stmt)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := n.exec.Query(ctx, &exec.Session{}, stmt, &exec.QueryOptions{Consistency: cl, PageSize: pageSize, PagingState: state})
		cancel()
		if err != nil {
			return nil, err
		}
		rr := res.(*exec.RowsResult)
		for _, row := range rr.Rows {
			out = append(out, schema.FormatValue(schema.IntType, row[0])+"/"+schema.FormatValue(schema.IntType, row[1]))
		}
		if rr.PagingState == nil {
			break
		}
		state = rr.PagingState
	}
	slices.Sort(out)
	return out, nil
}

// TestClusterIndexReplicaFilteringProtection: with RF=3, rows are updated
// or deleted at QUORUM while 127.0.0.3 is down, and its hints are
// lost, so it keeps the old indexed values. An index query at QUORUM or
// ALL by the old value must not return the updated rows (127.0.0.3 alone
// matches them; the others, silent, hold newer values), and by the new
// value must return them (127.0.0.3 is silent).
func TestClusterIndexReplicaFilteringProtection(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes and a restart; skipped with -short")
	}
	nodes := startThreeNodes(t)
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustQuery(t, exec.One, "CREATE TABLE ks.rf (k int, c int, v text, w int, PRIMARY KEY (k, c))")
	a.mustQuery(t, exec.One, "CREATE INDEX ON ks.rf (v)")
	testutil.WaitFor(t, 5*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	tbl, ix := a.schema.Catalog().IndexOf("ks", "rf_v_idx")
	testutil.WaitFor(t, 10*time.Second, "index built everywhere", func() bool {
		for _, n := range nodes {
			if !n.engine.IndexBuilt(tbl.TableID, ix.ID) {
				return false
			}
		}
		return true
	})
	const rows = 330
	for i := range rows {
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.rf (k, c, v, w) VALUES (%d, %d, 'old', %d)", i%2, i, i))
	}

	c.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	want := map[string][]string{}
	for i := range rows {
		key := fmt.Sprintf("%d/%d", i%2, i)
		switch {
		case i%3 == 0:
			a.mustQuery(t, exec.Quorum, fmt.Sprintf("UPDATE ks.rf SET v = 'new' WHERE k = %d AND c = %d", i%2, i))
			want["new"] = append(want["new"], key)
		case i%3 == 1:
			a.mustQuery(t, exec.Quorum, fmt.Sprintf("DELETE FROM ks.rf WHERE k = %d AND c = %d", i%2, i))
		default:
			want["old"] = append(want["old"], key)
		}
	}
	for _, n := range []*clusterNode{a, b} {
		if err := n.engine.DropHints(context.Background(), storageID(c.HostID())); err != nil {
			t.Fatal(err)
		}
	}
	c = startClusterNode(t, "127.0.0.3", c.dir, a.seed())
	nodes[2] = c
	testutil.WaitFor(t, 20*time.Second, "127.0.0.3 up everywhere", func() bool {
		return a.upPeers() == 2 && b.upPeers() == 2 && c.upPeers() == 2
	})
	// At ONE through 127.0.0.3 its stale copies answer: the setup worked.
	stale, err := pagedKeysAt(t, c, exec.One, "SELECT k, c FROM ks.rf WHERE v = 'old'", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) != rows {
		t.Fatalf("127.0.0.3 alone returns %d rows for the old value, want all %d (it missed the updates)", len(stale), rows)
	}

	for _, v := range []string{"old", "new"} {
		slices.Sort(want[v])
		stmt := fmt.Sprintf("SELECT k, c FROM ks.rf WHERE v = '%s'", v)
		for _, q := range []struct {
			n  *clusterNode
			cl exec.Consistency
		}{{c, exec.Quorum}, {c, exec.All}, {a, exec.All}, {b, exec.Quorum}} {
			for _, page := range []int32{7, 1000} {
				got, err := pagedKeysAt(t, q.n, q.cl, stmt, page)
				if err != nil {
					t.Fatalf("%s at %v via %s: %v", stmt, q.cl, q.n.addr, err)
				}
				if !slices.Equal(got, want[v]) {
					t.Errorf("%s at %v via %s, pages of %d:\n got %v\nwant %v", stmt, q.cl, q.n.addr, page, got, want[v])
				}
			}
		}
	}

	// A wide partition of which 127.0.0.2 missed every other row: its
	// chunk of candidates reaches further into the partition than the
	// others' (each stops at the chunk's limit of 100 or 1000 rows), and
	// the others, silent past their limit, are asked for those rows.
	const wide = 300
	var late []string
	for i := 0; i < wide; i += 2 {
		a.mustQuery(t, exec.All, fmt.Sprintf("INSERT INTO ks.rf (k, c, v) VALUES (100, %d, 'late')", i))
	}
	b.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.2 down", func() bool { return a.upPeers() == 1 && c.upPeers() == 1 })
	for i := 1; i < wide; i += 2 {
		a.mustQuery(t, exec.Quorum, fmt.Sprintf("INSERT INTO ks.rf (k, c, v) VALUES (100, %d, 'late')", i))
	}
	for i := range wide {
		late = append(late, fmt.Sprintf("100/%d", i))
	}
	slices.Sort(late)
	for _, n := range []*clusterNode{a, c} {
		if err := n.engine.DropHints(context.Background(), storageID(b.HostID())); err != nil {
			t.Fatal(err)
		}
	}
	b = startClusterNode(t, "127.0.0.2", b.dir, a.seed())
	testutil.WaitFor(t, 20*time.Second, "127.0.0.2 up everywhere", func() bool {
		return a.upPeers() == 2 && b.upPeers() == 2 && c.upPeers() == 2
	})
	for _, page := range []int32{7, 1000} {
		got, err := pagedKeysAt(t, a, exec.All, "SELECT k, c FROM ks.rf WHERE v = 'late'", page)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, late) {
			t.Errorf("a wide partition one replica half missed, pages of %d: %d rows, want %d", page, len(got), len(late))
		}
	}

	// The protection is bounded: past the fail threshold the read fails.
	c.coord.cfg.FilteringFailRows = 3
	_, err = pagedKeysAt(t, c, exec.All, "SELECT k, c FROM ks.rf WHERE v = 'old'", 1000)
	c.coord.cfg.FilteringFailRows = 0
	var ee *exec.Error
	if !errors.As(err, &ee) || ee.Code != exec.CodeOverloaded {
		t.Fatalf("index read re-reading more rows than the fail threshold: got %v, want Overloaded", err)
	}
}
