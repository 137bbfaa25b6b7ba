package bench

import (
	"context"
	"testing"
)

// testIndexWorkloads runs the secondary index workloads end to end at a
// tiny scale on the node of base (TestEndToEnd's): writes to tables with
// 0, 1 and 3 indexes, then, on the 3-index table, the primary-key read,
// the indexed point read and the indexed low-cardinality read, every
// value validated, and validation catching rows that were never written.
func testIndexWorkloads(ctx context.Context, t *testing.T, base Config) {
	base = base.Clone()
	base.Partitions, base.RowsPerPartition, base.IndexCardinality, base.PageSize = 50, 4, 7, 10
	const rows = 200
	run := func(name string, mut func(*Config)) Report {
		t.Helper()
		cfg := base.Clone()
		mut(&cfg)
		rep, err := Run(ctx, cfg)
		if err != nil {
			t.Fatalf("%s run: %v", name, err)
		}
		t.Logf("%s: %d ops, %.0f ops/s, p99 %.2f ms, errors %v", name, rep.Ops, rep.OpsPerSec, rep.P99Ms, rep.ErrorsByKind)
		return rep
	}
	for _, n := range []struct {
		table   string
		indexes int
	}{{"kv_ix0", 0}, {"kv_ix1", 1}, {"kv_ix3", 3}} {
		w := run("write "+n.table, func(c *Config) {
			c.Mode, c.Distribution, c.Ops, c.Table, c.Indexes, c.IndexColumns = ModeWrite, DistSequential, rows, n.table, n.indexes, true
		})
		if w.Ops != rows || w.Errors != 0 {
			t.Fatalf("write %s: %d ops, errors %v", n.table, w.Ops, w.ErrorSamples)
		}
		if got := countIndexes(t, &base, n.table); got != n.indexes {
			t.Fatalf("table %s has %d indexes after a write run with --indexes %d", n.table, got, n.indexes)
		}
	}
	pk := run("primary-key read", func(c *Config) { c.Mode, c.Ops, c.Table, c.ValidateData = ModeRead, rows, "kv_ix3", true })
	if pk.Errors != 0 || pk.RowsChecked != rows {
		t.Fatalf("primary-key read: %d rows checked of %d, errors %v", pk.RowsChecked, rows, pk.ErrorSamples)
	}
	ip := run("index-point", func(c *Config) {
		c.Mode, c.Distribution, c.Ops, c.Table, c.ValidateData = ModeIndexPoint, DistSequential, rows, "kv_ix3", true
	})
	if ip.Errors != 0 || ip.RowsChecked != rows {
		t.Fatalf("index-point: %d rows checked of %d, errors %v", ip.RowsChecked, rows, ip.ErrorSamples)
	}
	// 200 rows over 7 values of g: every group has more than a page (10).
	ig := run("index-group", func(c *Config) { c.Mode, c.Ops, c.Table, c.ValidateData = ModeIndexGroup, 30, "kv_ix3", true })
	if ig.Errors != 0 || ig.RowsChecked != 30*10 {
		t.Fatalf("index-group: %d rows checked, want 300; errors %v", ig.RowsChecked, ig.ErrorSamples)
	}
	miss := run("index-point unwritten", func(c *Config) {
		c.Mode, c.Ops, c.Table, c.ValidateData, c.PartitionOffset = ModeIndexPoint, 20, "kv_ix3", true, 1_000_000
	})
	if miss.ErrorsByKind["missing"] != 20 {
		t.Fatalf("reading 20 unwritten rows through the index found %d missing", miss.ErrorsByKind["missing"])
	}
}

// countIndexes returns the number of secondary indexes on table.
func countIndexes(t *testing.T, cfg *Config, table string) int {
	t.Helper()
	c := cfg.Clone()
	c.EnsureDefaults()
	cc, err := clusterConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatalf("cannot connect: %v", err)
	}
	defer s.Close()
	var name string
	n := 0
	iter := s.Query("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?", c.Keyspace, table).Iter()
	for iter.Scan(&name) {
		n++
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("cannot list the indexes of %s: %v", table, err)
	}
	return n
}
