package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

// newTestClock returns a stopped clock at a fixed instant, which moves
// only when a test advances it.
func newTestClock() *testutil.Clock { return testutil.NewClockAt(time.Unix(1_700_000_000, 0)) }

func openMem(t testing.TB, mod func(*Options)) *Engine {
	t.Helper()
	opts := Options{Dir: "db", FS: vfs.NewMem(), PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 4 << 20}
	if mod != nil {
		mod(&opts)
	}
	e, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func ck(vals ...byte) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, 0x40, v)
	}
	return b
}

func liveCell(col schema.ColumnID, ts int64, v string) schema.Cell {
	return schema.Cell{Column: col, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Value: []byte(v)}
}

func marker(ts int64) schema.Liveness {
	return schema.Liveness{Timestamp: ts, ExpiresAt: schema.NoExpiry}
}

func row(c []byte, m schema.Liveness, cells ...schema.Cell) schema.Row {
	return schema.Row{Clustering: c, Marker: m, Deletion: schema.LiveDeletion, Cells: cells}
}

func part(table schema.TableID, token int64, key string, rows ...schema.Row) *schema.Partition {
	return &schema.Partition{Table: table, Token: token, Key: []byte(key), Deletion: schema.LiveDeletion, Rows: rows}
}

func mustApply(t testing.TB, e *Engine, muts ...*schema.Partition) {
	t.Helper()
	if err := e.Apply(context.Background(), muts...); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func mustRead(t testing.TB, e *Engine, cmd *schema.ReadCommand) []*schema.Partition {
	t.Helper()
	ps, err := e.Read(context.Background(), cmd)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return ps
}

// dump renders partitions compactly for comparisons in tests.
func dump(ps []*schema.Partition) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "P %d/%d/%q del=%s\n", p.Table, p.Token, p.Key, delStr(p.Deletion))
		for _, rt := range p.RangeTombstones {
			fmt.Fprintf(&b, "  RT %x%s..%x%s %s\n", rt.Start.Prefix, incl(rt.Start.Inclusive), rt.End.Prefix, incl(rt.End.Inclusive), delStr(rt.Deletion))
		}
		if p.Static != nil {
			dumpRow(&b, "S", p.Static)
		}
		for i := range p.Rows {
			dumpRow(&b, "R", &p.Rows[i])
		}
	}
	return b.String()
}

func incl(b bool) string {
	if b {
		return "]"
	}
	return ")"
}

func delStr(d schema.Deletion) string {
	if d.Live() {
		return "-"
	}
	return fmt.Sprintf("%d@%d", d.MarkedAt, d.LocalDeletionTime)
}

func dumpRow(b *strings.Builder, kind string, r *schema.Row) {
	fmt.Fprintf(b, "  %s %x", kind, r.Clustering)
	if r.Marker.Timestamp != schema.NoTimestamp {
		fmt.Fprintf(b, " m=%d/%d/%d", r.Marker.Timestamp, r.Marker.TTL, r.Marker.ExpiresAt)
	}
	if !r.Deletion.Live() {
		fmt.Fprintf(b, " del=%s", delStr(r.Deletion))
	}
	for _, cd := range r.ColumnDeletions {
		fmt.Fprintf(b, " cd%d=%s", cd.Column, delStr(cd.Deletion))
	}
	for _, c := range r.Cells {
		fmt.Fprintf(b, " c%d%x@%d", c.Column, c.Path, c.Timestamp)
		if c.Tombstone {
			fmt.Fprintf(b, "X%d", c.LocalDeletionTime)
		} else {
			if c.TTL > 0 {
				fmt.Fprintf(b, "ttl%d/%d", c.TTL, c.LocalDeletionTime)
			}
			fmt.Fprintf(b, "=%q", c.Value)
		}
	}
	b.WriteByte('\n')
}
