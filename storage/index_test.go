package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

// indexFixture is a table ks.t (k text, c, v int, n int, s int static)
// with a legacy index on v, an SAI index on n and one on static s.
type indexFixture struct {
	e                *Engine
	clock            *testutil.Clock
	tbl              *schema.Table
	v, n, s          schema.ColumnID
	vIdx, nIdx, sIdx uint32
}

func i32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func newIndexFixture(t *testing.T, withIndexes bool) *indexFixture {
	t.Helper()
	clock := newTestClock()
	f := &indexFixture{e: openMem(t, func(o *Options) { o.Now = clock.Now }), clock: clock}
	cat := f.catalog(t, withIndexes)
	f.e.SetCatalog(cat)
	return f
}

func (f *indexFixture) catalog(t *testing.T, withIndexes bool) *schema.Catalog {
	t.Helper()
	cat := schema.NewCatalog()
	step := func(c *schema.Catalog, err error) *schema.Catalog {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cat = step(cat.CreateKeyspace("ks", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true))
	cat = step(cat.CreateTable(schema.TableDef{Keyspace: "ks", Name: "t", ID: schema.NameUUID([]byte("t")),
		PartitionKey: []schema.ColumnDef{{Name: "k", Type: schema.TextType}},
		Clustering:   []schema.ColumnDef{{Name: "c", Type: schema.IntType}},
		Columns:      []schema.ColumnDef{{Name: "v", Type: schema.IntType}, {Name: "n", Type: schema.IntType}, {Name: "s", Type: schema.IntType, Static: true}}}))
	if withIndexes {
		cat = step(cat.CreateIndex(schema.IndexDef{Keyspace: "ks", Table: "t", Column: "v"}))
		cat = step(cat.CreateIndex(schema.IndexDef{Keyspace: "ks", Table: "t", Column: "n", Custom: schema.SAIClass}))
		cat = step(cat.CreateIndex(schema.IndexDef{Keyspace: "ks", Table: "t", Column: "s"}))
	}
	f.tbl = cat.Table("ks", "t")
	f.v, f.n, f.s = f.tbl.Column("v").ID, f.tbl.Column("n").ID, f.tbl.Column("s").ID
	if withIndexes {
		_, vi := cat.IndexOf("ks", "t_v_idx")
		_, ni := cat.IndexOf("ks", "t_n_idx")
		_, si := cat.IndexOf("ks", "t_s_idx")
		f.vIdx, f.nIdx, f.sIdx = vi.ID, ni.ID, si.ID
	}
	return cat
}

func (f *indexFixture) build(t *testing.T) {
	t.Helper()
	for _, id := range []uint32{f.vIdx, f.nIdx, f.sIdx} {
		if err := f.e.BuildIndex(context.Background(), f.tbl.TableID, id, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// put writes row (key, c) with v and n at ts.
func (f *indexFixture) put(t *testing.T, key string, token int64, c byte, v, n int32, ts int64) {
	t.Helper()
	mustApply(t, f.e, part(f.tbl.TableID, token, key, row(ck(c), marker(ts),
		schema.Cell{Column: f.v, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Value: i32(v)},
		schema.Cell{Column: f.n, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Value: i32(n)})))
}

// lookup reads through index id and returns "key/c" of every live row
// returned (the candidates; the caller's re-check is not applied).
func (f *indexFixture) lookup(t *testing.T, cmd *schema.ReadCommand) string {
	t.Helper()
	cmd.Table = f.tbl.TableID
	if cmd.StartToken == 0 && cmd.EndToken == 0 {
		cmd.StartToken, cmd.EndToken = math.MinInt64, math.MinInt64
	}
	var out []string
	now := f.clock.Now().Unix()
	for _, p := range mustRead(t, f.e, cmd) {
		for i := range p.Rows {
			if rowLive(&p.Rows[i], now) {
				out = append(out, fmt.Sprintf("%s/%x", p.Key, p.Rows[i].Clustering))
			}
		}
	}
	return strings.Join(out, " ")
}

func eq(id uint32, v int32) *schema.IndexRead {
	return &schema.IndexRead{Index: id, Eq: [][]byte{i32(v)}}
}

func TestIndexEntriesFollowWritesDeletesAndTTL(t *testing.T) {
	f := newIndexFixture(t, true)
	f.build(t)
	f.put(t, "a", 10, 1, 1, 100, 10)
	f.put(t, "a", 10, 2, 2, 200, 10)
	f.put(t, "b", 20, 1, 1, 300, 10)
	f.put(t, "c", -5, 1, 1, 400, 10)
	if got, want := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}), "c/4001 a/4001 b/4001"; got != want {
		t.Fatalf("v = 1: got %q, want %q (token order)", got, want)
	}

	// An update leaves a stale entry: the lookup still returns the row
	// (the caller re-checks), marks the entry, and the next lookup skips it.
	f.put(t, "a", 10, 1, 2, 100, 20)
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 2)}); got != "a/4001 a/4002" {
		t.Fatalf("v = 2 after update: %q", got)
	}
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "c/4001 a/4001 b/4001" {
		t.Fatalf("v = 1 with a stale entry: %q", got)
	}
	if got := f.e.Metrics(); got.StaleIndexEntries != 1 {
		t.Fatalf("stale entries marked: %d, want 1", got.StaleIndexEntries)
	}
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "c/4001 b/4001" {
		t.Fatalf("v = 1 after the stale entry was marked: %q", got)
	}
	// Writing the old value again (newer timestamp) revives the entry.
	f.put(t, "a", 10, 1, 1, 100, 30)
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "c/4001 a/4001 b/4001" {
		t.Fatalf("v = 1 after writing 1 again: %q", got)
	}

	// A row deletion: the row reads as deleted, its entry is marked.
	mustApply(t, f.e, &schema.Partition{Table: f.tbl.TableID, Token: 20, Key: []byte("b"), Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{Clustering: ck(1), Marker: schema.NoLiveness, Deletion: schema.Deletion{MarkedAt: 40, LocalDeletionTime: 1}}}})
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "c/4001 a/4001" {
		t.Fatalf("v = 1 after a row deletion: %q", got)
	}

	// TTL: the entry expires with its cell.
	mustApply(t, f.e, part(f.tbl.TableID, 30, "d", row(ck(1), schema.NoLiveness,
		schema.Cell{Column: f.v, Timestamp: 50, TTL: 10, LocalDeletionTime: f.clock.Now().Unix() + 10, Value: i32(7)})))
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 7)}); got != "d/4001" {
		t.Fatalf("v = 7 before expiry: %q", got)
	}
	f.clock.Advance(11 * time.Second)
	if ps := mustRead(t, f.e, &schema.ReadCommand{Table: f.tbl.TableID, StartToken: math.MinInt64, EndToken: math.MinInt64, Index: eq(f.vIdx, 7)}); len(ps) != 0 {
		t.Fatalf("v = 7 after expiry read %d partitions, want none (the entry expired)", len(ps))
	}

	// Truncate removes the entries with the data.
	if err := f.e.Truncate(context.Background(), f.tbl.TableID); err != nil {
		t.Fatal(err)
	}
	if n := countIndexKeys(t, f.e, f.tbl.TableID); n != 0 {
		t.Fatalf("%d index keys after truncate", n)
	}
}

func countIndexKeys(t *testing.T, e *Engine, tbl schema.TableID) int {
	t.Helper()
	lo, hi := indexTableSpan(tbl)
	it, err := e.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.SeekGE(lo); it.Valid() && string(it.Key()) < string(hi); it.Next() {
		n++
	}
	return n
}

func TestIndexRangesStaticTokensAndPaging(t *testing.T) {
	f := newIndexFixture(t, true)
	f.build(t)
	for i := int32(0); i < 10; i++ {
		f.put(t, fmt.Sprintf("p%d", i%3), int64(i%3)*100, byte(i), 0, i-5, 10)
	}
	// SAI range -2 <= n < 3: rows i = 3..7, in token then clustering order.
	rng := &schema.IndexRead{Index: f.nIdx, Lo: &schema.IndexBound{Value: i32(-2), Inclusive: true}, Hi: &schema.IndexBound{Value: i32(3)}}
	if got, want := f.lookup(t, &schema.ReadCommand{Index: rng}), "p0/4003 p0/4006 p1/4004 p1/4007 p2/4005"; got != want {
		t.Fatalf("range: got %q, want %q", got, want)
	}
	// The command's token range bounds the candidates.
	if got := f.lookup(t, &schema.ReadCommand{Index: rng, StartToken: 0, EndToken: 100}); got != "p1/4004 p1/4007" {
		t.Fatalf("range in (0, 100]: %q", got)
	}
	// Pages of 2 resume exactly after the last row.
	if got := f.lookup(t, &schema.ReadCommand{Index: rng, Limit: 2}); got != "p0/4003 p0/4006" {
		t.Fatalf("first page: %q", got)
	}
	next := &schema.ReadCommand{Index: rng, Limit: 2, StartToken: 100, EndToken: math.MinInt64, AfterKey: []byte("p1"), AfterClustering: ck(4)}
	if got := f.lookup(t, next); got != "p1/4007 p2/4005" {
		t.Fatalf("second page: %q", got)
	}
	// A static column's entry selects its whole partition.
	mustApply(t, f.e, &schema.Partition{Table: f.tbl.TableID, Token: 100, Key: []byte("p1"), Deletion: schema.LiveDeletion,
		Static: &schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: []schema.Cell{{Column: f.s, Timestamp: 10, LocalDeletionTime: schema.NoExpiry, Value: i32(9)}}}})
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.sIdx, 9), Static: true}); got != "p1/4001 p1/4004 p1/4007" {
		t.Fatalf("static s = 9: %q", got)
	}
}

func TestIndexBuildCoversExistingRows(t *testing.T) {
	f := newIndexFixture(t, false)
	for i := int32(0); i < 6; i++ {
		f.put(t, fmt.Sprintf("p%d", i), int64(i), 1, i%2, i, 10)
	}
	// The index appears in the schema: until it is built here, a lookup is
	// the plain range read (every row), so answers never miss a row.
	cat := f.catalog(t, true)
	f.e.SetCatalog(cat)
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "p0/4001 p1/4001 p2/4001 p3/4001 p4/4001 p5/4001" {
		t.Fatalf("before the build: %q", got)
	}
	f.build(t)
	if !f.e.IndexBuilt(f.tbl.TableID, f.vIdx) {
		t.Fatal("not built")
	}
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "p1/4001 p3/4001 p5/4001" {
		t.Fatalf("after the build: %q", got)
	}
	// DROP INDEX removes the entries and the mark.
	if err := f.e.ForgetIndex(context.Background(), f.tbl.TableID, f.vIdx); err != nil {
		t.Fatal(err)
	}
	if f.e.IndexBuilt(f.tbl.TableID, f.vIdx) {
		t.Fatal("still built after ForgetIndex")
	}
}

// TestIndexBuildWithConcurrentWrites: rows written while an index is
// being built are found through it, whether the build's scan saw them or
// their own Apply wrote their entry.
func TestIndexBuildWithConcurrentWrites(t *testing.T) {
	f := newIndexFixture(t, false)
	want := map[string]bool{}
	put := func(i int) {
		key := fmt.Sprintf("p%03d", i)
		f.put(t, key, int64(i*7919%1000), 1, int32(i%3), int32(i), 10)
		if i%3 == 1 {
			want[fmt.Sprintf("%s/4001", key)] = true
		}
	}
	for i := 0; i < 200; i++ {
		put(i)
	}
	f.e.SetCatalog(f.catalog(t, true))
	done := make(chan map[string]bool)
	go func() {
		more := map[string]bool{}
		for i := 200; i < 400; i++ {
			key := fmt.Sprintf("p%03d", i)
			if err := f.e.Apply(context.Background(), part(f.tbl.TableID, int64(i*7919%1000), key, row(ck(1), marker(10),
				schema.Cell{Column: f.v, Timestamp: 10, LocalDeletionTime: schema.NoExpiry, Value: i32(int32(i % 3))}))); err != nil {
				t.Error(err)
				break
			}
			if i%3 == 1 {
				more[key+"/4001"] = true
			}
		}
		done <- more
	}()
	f.build(t)
	for k := range <-done {
		want[k] = true
	}
	got := strings.Fields(f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}))
	if len(got) != len(want) {
		t.Fatalf("found %d rows through the index, want %d", len(got), len(want))
	}
	for _, k := range got {
		if !want[k] {
			t.Fatalf("unexpected row %s", k)
		}
	}
}

// TestPurgeRemovesDeadIndexEntries checks that the purger deletes index
// entries that are stale-marked or expired past gc_grace, whatever shape
// compactions left them in (the merger purges nothing), and keeps the
// live ones.
func TestPurgeRemovesDeadIndexEntries(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	f := &indexFixture{clock: clock, e: openMem(t, func(o *Options) {
		o.Now = clock.Now
		o.GCGrace = func(schema.TableID) (int64, bool) { return 0, true }
	})}
	f.e.SetCatalog(f.catalog(t, true))
	f.build(t)
	f.put(t, "a", 10, 1, 1, 100, 10)
	f.put(t, "b", 20, 1, 1, 300, 10)
	mustApply(t, f.e, part(f.tbl.TableID, 30, "d", row(ck(1), schema.NoLiveness,
		schema.Cell{Column: f.v, Timestamp: 50, TTL: 10, LocalDeletionTime: clock.Now().Unix() + 10, Value: i32(7)})))
	// Compacted to the bottom, every entry becomes a SET.
	if err := f.e.Compact(ctx, nil); err != nil {
		t.Fatal(err)
	}
	f.put(t, "a", 10, 1, 2, 100, 20)
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "a/4001 b/4001" {
		t.Fatalf("v = 1 with a stale entry: %q", got)
	}
	if got := f.e.Metrics(); got.StaleIndexEntries != 1 {
		t.Fatalf("stale entries marked: %d, want 1", got.StaleIndexEntries)
	}
	if err := f.e.Compact(ctx, nil); err != nil {
		t.Fatal(err)
	}
	before := countIndexKeys(t, f.e, f.tbl.TableID)
	clock.Advance(20 * time.Second)
	now := clock.Now().Unix()
	if dead := deadIndexKeys(t, f.e, now); dead != 2 {
		t.Fatalf("%d dead index entries before the purge, want 2 (a's stale v = 1, d's expired v = 7)", dead)
	}
	if err := f.e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if dead := deadIndexKeys(t, f.e, now); dead != 0 {
		t.Fatalf("%d dead index entries survived the purge", dead)
	}
	if after := countIndexKeys(t, f.e, f.tbl.TableID); after != before-2 {
		t.Fatalf("%d index keys after the purge, want %d", after, before-2)
	}
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 2)}); got != "a/4001" {
		t.Fatalf("v = 2 after the purge: %q", got)
	}
	if got := f.lookup(t, &schema.ReadCommand{Index: eq(f.vIdx, 1)}); got != "b/4001" {
		t.Fatalf("v = 1 after the purge: %q", got)
	}
}

// deadIndexKeys counts index entries that are tombstones or expired at
// now.
func deadIndexKeys(t *testing.T, e *Engine, now int64) int {
	t.Helper()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceIndex}, UpperBound: []byte{spaceIndex + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		var c schema.Cell
		if err := decodeCellValue(it.Value(), &c); err != nil {
			t.Fatal(err)
		}
		if !c.LiveAt(now) {
			n++
		}
	}
	return n
}
