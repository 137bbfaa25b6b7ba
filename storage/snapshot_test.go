package storage

import (
	"context"
	"math"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/schema"
)

// TestCheckpointRestoreAfterTruncate: a checkpoint taken before TRUNCATE
// still holds the rows, and Applying them (timestamps kept) brings them back,
// because truncation deletes by sequence number and leaves no marker that
// would shadow older timestamps.
func TestCheckpointRestoreAfterTruncate(t *testing.T) {
	ctx := context.Background()
	var opts Options
	e := openMem(t, func(o *Options) { opts = *o })
	mustApply(t, e,
		part(1, 10, "a", row(ck(1), marker(100), liveCell(1, 100, "x"), liveCell(2, 100, "y"))),
		part(1, 20, "b", row(ck(2), marker(100), liveCell(1, 100, "z"))),
		part(2, 10, "other", row(ck(1), marker(100), liveCell(1, 100, "o"))))
	if err := e.Checkpoint(ctx, "snap", []schema.TableID{1}); err != nil {
		t.Fatal(err)
	}
	before := dump(mustRead(t, e, &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true}))
	if err := e.Truncate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, e, &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64}); len(got) != 0 {
		t.Fatalf("rows after truncate: %s", dump(got))
	}
	cp, err := OpenCheckpoint("snap", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cp.Close() }()
	var parts []*schema.Partition
	if err := cp.ScanTable(ctx, 1, func(p *schema.Partition) error { parts = append(parts, p); return nil }); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, parts...)
	if after := dump(mustRead(t, e, &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true})); after != before {
		t.Fatalf("restored:\n%s\nwant:\n%s", after, before)
	}
}

// TestRekeyPartition: a partition read from an old table id with old
// column ids lands in the new table with the new ids, in (column, path)
// order, and cells of columns the new table lacks are dropped and counted.
func TestRekeyPartition(t *testing.T) {
	p := part(1, 10, "a", row(ck(1), marker(100), liveCell(1, 100, "x"), liveCell(2, 100, "y"), liveCell(3, 100, "gone")))
	dropped := RekeyPartition(p, 7, map[schema.ColumnID]schema.ColumnID{1: 5, 2: 4})
	if dropped != 1 || p.Table != 7 {
		t.Fatalf("dropped %d, table %d", dropped, p.Table)
	}
	cells := p.Rows[0].Cells
	if len(cells) != 2 || cells[0].Column != 4 || string(cells[0].Value) != "y" || cells[1].Column != 5 || string(cells[1].Value) != "x" {
		t.Fatalf("cells %+v", cells)
	}
}

// TestStoreWithSnapshotsDirReopens: the node keeps its snapshots inside
// the store's directory; Pebble must open the store with them there, and
// the checkpoint must survive the store's compactions.
func TestStoreWithSnapshotsDirReopens(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	opts := Options{Dir: "db", FS: fs, PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 4 << 20}
	e, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, part(1, 10, "a", row(ck(1), marker(100), liveCell(1, 100, "x"))))
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Checkpoint(ctx, "db/snapshots/t1/data", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.DropTable(ctx, 1); err != nil { // compacts the table's sstables away
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = Open(opts)
	if err != nil {
		t.Fatalf("reopen with a snapshot inside: %v", err)
	}
	defer func() { _ = e.Close() }()
	cp, err := OpenCheckpoint("db/snapshots/t1/data", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cp.Close() }()
	n := 0
	if err := cp.ScanTable(ctx, 1, func(*schema.Partition) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("checkpoint after the table was dropped: %d partitions, %v", n, err)
	}
}
