package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

func TestApplyReadBasics(t *testing.T) {
	e := openMem(t, nil)
	mustApply(t, e, part(1, 10, "a",
		row(ck(1), marker(5), liveCell(1, 5, "x"), liveCell(2, 5, "y")),
		row(ck(2), marker(5), liveCell(1, 5, "z")),
	))
	// A newer write of one cell, an older one that must lose, a tie that
	// the larger value wins.
	mustApply(t, e, part(1, 10, "a", row(ck(1), schema.NoLiveness, liveCell(1, 7, "new"))))
	mustApply(t, e, part(1, 10, "a", row(ck(1), schema.NoLiveness, liveCell(2, 4, "old"))))
	mustApply(t, e, part(1, 10, "a", row(ck(2), schema.NoLiveness, liveCell(1, 5, "zz"))))
	got := dump(mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("a"), Token: 10}))
	want := `P 1/10/"a" del=-
  R 4001 m=5/0/9223372036854775807 c1@7="new" c2@5="y"
  R 4002 m=5/0/9223372036854775807 c1@5="zz"
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if ps := mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("b"), Token: 10}); len(ps) != 0 {
		t.Fatalf("missing partition read %v", dump(ps))
	}
	if ps := mustRead(t, e, &schema.ReadCommand{Table: 2, Key: []byte("a"), Token: 10}); len(ps) != 0 {
		t.Fatalf("other table read %v", dump(ps))
	}
}

func TestSlicesReversedLimits(t *testing.T) {
	e := openMem(t, nil)
	var rows []schema.Row
	for i := byte(0); i < 10; i++ {
		rows = append(rows, row(ck(i), marker(1), liveCell(1, 1, string('a'+rune(i)))))
	}
	mustApply(t, e, part(1, 0, "p", rows...))
	read := func(cmd schema.ReadCommand) string {
		cmd.Table, cmd.Key = 1, []byte("p")
		var s []byte
		for _, p := range mustRead(t, e, &cmd) {
			for _, r := range p.Rows {
				s = append(s, '0'+r.Clustering[1])
			}
		}
		return string(s)
	}
	b := func(v byte, incl bool) schema.Bound { return schema.Bound{Prefix: ck(v), Inclusive: incl} }
	open := schema.Bound{Inclusive: true}
	tests := []struct {
		name string
		cmd  schema.ReadCommand
		want string
	}{
		{"all", schema.ReadCommand{}, "0123456789"},
		{"reversed", schema.ReadCommand{Reversed: true}, "9876543210"},
		{"incl slice", schema.ReadCommand{Slices: []schema.Slice{{Start: b(2, true), End: b(4, true)}}}, "234"},
		{"excl slice", schema.ReadCommand{Slices: []schema.Slice{{Start: b(2, false), End: b(4, false)}}}, "3"},
		{"two slices", schema.ReadCommand{Slices: []schema.Slice{{Start: open, End: b(1, true)}, {Start: b(7, false), End: open}}}, "0189"},
		{"two slices reversed", schema.ReadCommand{Reversed: true, Slices: []schema.Slice{{Start: open, End: b(1, true)}, {Start: b(7, false), End: open}}}, "9810"},
		{"limit", schema.ReadCommand{Limit: 3}, "012"},
		{"reversed limit", schema.ReadCommand{Limit: 3, Reversed: true}, "987"},
		{"per partition limit", schema.ReadCommand{PerPartitionLimit: 2}, "01"},
		{"after", schema.ReadCommand{AfterClustering: ck(6)}, "789"},
		{"after reversed", schema.ReadCommand{AfterClustering: ck(6), Reversed: true}, "543210"},
		{"after within slice", schema.ReadCommand{AfterClustering: ck(3), Slices: []schema.Slice{{Start: b(2, true), End: b(5, true)}}}, "45"},
		{"reversed excl end", schema.ReadCommand{Reversed: true, Slices: []schema.Slice{{Start: b(2, true), End: b(4, false)}}}, "32"},
	}
	for _, tt := range tests {
		if got := read(tt.cmd); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestTombstonesInReads(t *testing.T) {
	clock := testutil.NewClockAt(time.Unix(150, 0))
	e := openMem(t, func(o *Options) { o.Now = clock.Now })
	mustApply(t, e, part(1, 0, "p",
		row(ck(1), marker(10), liveCell(1, 10, "a")),
		row(ck(2), marker(10), liveCell(1, 10, "b")),
		row(ck(3), marker(30), liveCell(1, 30, "c")),
	))
	rt := &schema.Partition{Table: 1, Token: 0, Key: []byte("p"), Deletion: schema.LiveDeletion,
		RangeTombstones: []schema.RangeTombstone{{Start: schema.Bound{Prefix: ck(1), Inclusive: true}, End: schema.Bound{Prefix: ck(3), Inclusive: true}, Deletion: schema.Deletion{MarkedAt: 20, LocalDeletionTime: 100}}}}
	mustApply(t, e, rt)
	cellDel := part(1, 0, "p", row(ck(3), schema.NoLiveness, schema.Cell{Column: 2, Timestamp: 31, Tombstone: true, LocalDeletionTime: 101}))
	mustApply(t, e, cellDel)
	got := dump(mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("p")}))
	want := `P 1/0/"p" del=-
  RT 4001]..4003] 20@100
  R 4003 m=30/0/9223372036854775807 c1@30="c" c2@31X101
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// A partition deletion shadows the range tombstone and older rows.
	pd := &schema.Partition{Table: 1, Token: 0, Key: []byte("p"), Deletion: schema.Deletion{MarkedAt: 30, LocalDeletionTime: 200}}
	mustApply(t, e, pd)
	got = dump(mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("p")}))
	want = `P 1/0/"p" del=30@200
  R 4003 c2@31X101
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRangeReads(t *testing.T) {
	e := openMem(t, nil)
	tokens := []int64{math.MinInt64 + 1, -100, 0, 0, 50, math.MaxInt64}
	for i, tok := range tokens {
		mustApply(t, e, part(3, tok, string(rune('a'+i)), row(ck(1), marker(1))))
	}
	mustApply(t, e, part(4, 0, "other", row(ck(1), marker(1))))
	keys := func(cmd schema.ReadCommand) string {
		cmd.Table = 3
		var s string
		for _, p := range mustRead(t, e, &cmd) {
			s += string(p.Key)
		}
		return s
	}
	tests := []struct {
		name string
		cmd  schema.ReadCommand
		want string
	}{
		{"whole ring", schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MinInt64}, "abcdef"},
		{"(-100, 50]", schema.ReadCommand{StartToken: -100, EndToken: 50}, "cde"},
		{"wrap (0, -100]", schema.ReadCommand{StartToken: 0, EndToken: -100}, "efab"},
		{"after key", schema.ReadCommand{StartToken: 0, EndToken: math.MinInt64, AfterKey: []byte("c")}, "def"},
		{"partition limit", schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MinInt64, PartitionLimit: 2}, "ab"},
		{"limit", schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MinInt64, Limit: 3}, "abc"},
		{"(min, max]", schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MaxInt64}, "abcdef"},
	}
	for _, tt := range tests {
		if got := keys(tt.cmd); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	var n int
	if err := e.ScanRange(context.Background(), 3, -100, 0, func(p *schema.Partition) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("ScanRange: n=%d err=%v", n, err)
	}
	var got string
	err := e.ScanRangeAfter(context.Background(), 3, 0, []byte("c"), 50, func(p *schema.Partition) error {
		got += string(p.Key)
		return nil
	})
	if err != nil || got != "de" {
		t.Fatalf("ScanRangeAfter = %q, %v; want de", got, err)
	}
}

func TestStaticAndColumns(t *testing.T) {
	e := openMem(t, nil)
	p := part(1, 0, "p", row(ck(1), schema.NoLiveness, liveCell(2, 1, "only-col-2")), row(ck(2), schema.NoLiveness, liveCell(1, 1, "c1"), liveCell(2, 1, "c2")))
	p.Static = &schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: []schema.Cell{liveCell(9, 1, "s")}}
	mustApply(t, e, p)
	got := dump(mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("p"), Static: true, Columns: []schema.ColumnID{1, 9}}))
	want := `P 1/0/"p" del=-
  S  c9@1="s"
  R 4001 c2@1="only-col-2"
  R 4002 c1@1="c1"
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTruncateDropCleanup(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	for i, tok := range []int64{-10, 0, 10, 20} {
		mustApply(t, e, part(1, tok, string(rune('a'+i)), row(ck(1), marker(1))))
		mustApply(t, e, part(2, tok, string(rune('a'+i)), row(ck(1), marker(1))))
	}
	all := schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MinInt64}
	count := func(tbl schema.TableID) int {
		c := all
		c.Table = tbl
		return len(mustRead(t, e, &c))
	}
	if err := e.Cleanup(ctx, 1, []TokenRange{{Start: -10, End: 10}}); err != nil {
		t.Fatal(err)
	}
	c := all
	c.Table = 1
	if got := dump(mustRead(t, e, &c)); got != "P 1/0/\"b\" del=-\n  R 4001 m=1/0/9223372036854775807\nP 1/10/\"c\" del=-\n  R 4001 m=1/0/9223372036854775807\n" {
		t.Fatalf("after cleanup:\n%s", got)
	}
	if err := e.Truncate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := count(1); n != 0 {
		t.Fatalf("after truncate: %d partitions", n)
	}
	if n := count(2); n != 4 {
		t.Fatalf("truncate touched another table: %d partitions", n)
	}
	if err := e.DropTable(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n := count(2); n != 0 {
		t.Fatalf("after drop: %d partitions", n)
	}
}

func TestCatalogAndLocal(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	if _, ok, err := e.LoadCatalog(); ok || err != nil {
		t.Fatalf("empty catalog: ok=%v err=%v", ok, err)
	}
	if err := e.SaveCatalog(ctx, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := e.LoadCatalog(); !ok || err != nil || string(b) != "v1" {
		t.Fatalf("catalog = %q %v %v", b, ok, err)
	}
	if err := e.SetLocal(ctx, "host_id", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := e.GetLocal("host_id"); !ok || err != nil || len(b) != 2 {
		t.Fatalf("local = %v %v %v", b, ok, err)
	}
	if _, ok, _ := e.GetLocal("tokens"); ok {
		t.Fatal("unset local value found")
	}
	// Table data never sees the reserved spaces.
	if ps := mustRead(t, e, &schema.ReadCommand{StartToken: math.MinInt64, EndToken: math.MinInt64}); len(ps) != 0 {
		t.Fatalf("table 0 scan found %d partitions", len(ps))
	}
}

func TestHints(t *testing.T) {
	clock := newTestClock()
	e := openMem(t, func(o *Options) { o.MaxHintBytesPerTarget = 400; o.Now = clock.Now })
	ctx := context.Background()
	a, b := HostID{1}, HostID{2}
	m := part(1, 5, "k", row(ck(1), marker(1), liveCell(1, 1, "v")))
	var ids []uint64
	for {
		id, err := e.StoreHint(ctx, a, m)
		if errors.Is(err, ErrHintsFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) < 2 {
		t.Fatalf("only %d hints fit in 400 bytes", len(ids))
	}
	if _, err := e.StoreHint(ctx, b, m); err != nil {
		t.Fatalf("other target rejected: %v", err)
	}
	if st := e.HintStatsFor(a); st.Count != int64(len(ids)) || st.Bytes > 400 {
		t.Fatalf("stats = %+v", st)
	}
	var seen []uint64
	err := e.Hints(ctx, a, func(h Hint) error {
		seen = append(seen, h.ID)
		if string(h.Mutation.Key) != "k" {
			t.Fatalf("hint mutation = %+v", h.Mutation)
		}
		return e.DeleteHint(ctx, a, h.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i] != ids[i] {
			t.Fatalf("replay order %v, want %v", seen, ids)
		}
	}
	if st := e.HintStatsFor(a); st.Count != 0 || st.Bytes != 0 {
		t.Fatalf("after replay stats = %+v", st)
	}
	if err := e.DropHints(ctx, b); err != nil {
		t.Fatal(err)
	}
	if all := e.AllHintStats(); len(all) != 0 {
		t.Fatalf("after drop: %+v", all)
	}
}

func TestHintStatsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir, PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.StoreHint(ctx, HostID{9}, part(1, 1, "k")); err != nil {
		t.Fatal(err)
	}
	want := e.HintStatsFor(HostID{9})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = Open(Options{Dir: dir, PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := e.HintStatsFor(HostID{9}); got != want {
		t.Fatalf("stats after reopen %+v, want %+v", got, want)
	}
	if err := e.Apply(ctx, part(1, 1, "")); !errors.Is(err, ErrInvalidMutation) {
		t.Fatalf("empty key: err = %v", err)
	}
}

func TestClosed(t *testing.T) {
	e := openMem(t, nil)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(context.Background(), part(1, 1, "k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close: %v", err)
	}
	if _, err := e.Read(context.Background(), &schema.ReadCommand{Key: []byte("k")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
}

func TestHintsReplayInBatches(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	target := HostID{7}
	const n = 3*hintReplayBatch + 5
	for i := range n {
		if _, err := e.StoreHint(ctx, target, part(1, int64(i), "k")); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	seen := 0
	err := e.Hints(ctx, target, func(h Hint) error {
		if h.ID <= last || h.Mutation.Token != int64(seen) {
			t.Fatalf("hint %d out of order: id %d after %d, token %d", seen, h.ID, last, h.Mutation.Token)
		}
		last = h.ID
		seen++
		return e.DeleteHint(ctx, target, h.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Fatalf("replayed %d hints, want %d", seen, n)
	}
	if st := e.HintStatsFor(target); st.Count != 0 || st.Bytes != 0 {
		t.Fatalf("stats after replay: %+v", st)
	}
}

func TestUnsafePeriodicSync(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir, PurgeInterval: -1, UnsafePeriodicSync: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, part(1, 1, "k", row(ck(1), marker(1))))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = Open(Options{Dir: dir, PurgeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if ps := mustRead(t, e, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: 1}); len(ps) != 1 {
		t.Fatalf("write lost across a clean close in periodic-sync mode: %s", dump(ps))
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{}, {Dir: "d", CacheSize: -1}, {Dir: "d", UnsafePeriodicSync: -1}, {Dir: "d", MaxHintBytesPerTarget: -1}} {
		o.EnsureDefaults()
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", o)
		}
	}
	if _, err := Open(Options{}); err == nil {
		t.Fatal("Open without Dir accepted")
	}
}

func TestDropReclaimsSpace(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	big := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	for i := range 500 {
		mustApply(t, e, part(3, int64(i), "k"+string(rune('a'+i%26))+string(rune(i)), row(ck(1), marker(1), schema.Cell{Column: 1, Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Value: big})))
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := e.TableSize(3)
	if err != nil || before < 1<<20 {
		t.Fatalf("table size before drop = %d, %v", before, err)
	}
	if err := e.DropTable(ctx, 3); err != nil {
		t.Fatal(err)
	}
	after, err := e.TableSize(3)
	if err != nil || after > before/10 {
		t.Fatalf("table size after drop = %d (before %d), %v", after, before, err)
	}
}

func TestCloseStopsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	e, err := Open(Options{Dir: "db", FS: vfs.NewMem(), PurgeInterval: time.Millisecond, UnsafePeriodicSync: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, e, part(1, 1, "k", row(ck(1), marker(1))))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

// A cleanup with nothing outside the kept ranges (a single node, which
// owns every token) writes nothing and so forces no memtable flush: it
// runs whenever the ring settles, under whatever load the node carries.
func TestCleanupOfNothingFlushesNothing(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	for i, tok := range []int64{-10, 0, 10, 20} {
		mustApply(t, e, part(1, tok, string(rune('a'+i)), row(ck(1), marker(1))))
	}
	before := e.Metrics().Flushes
	// The whole ring, as one node owning four tokens sees it.
	whole := []TokenRange{{Start: math.MinInt64, End: -5}, {Start: -5, End: 5}, {Start: 5, End: 15}, {Start: 15, End: math.MinInt64}}
	if err := e.Cleanup(ctx, 1, whole); err != nil {
		t.Fatal(err)
	}
	if got := e.Metrics().Flushes; got != before {
		t.Fatalf("a cleanup that drops nothing flushed the memtable (%d flushes, was %d)", got, before)
	}
	all := schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64}
	if n := len(mustRead(t, e, &all)); n != 4 {
		t.Fatalf("after a cleanup keeping everything: %d partitions, want 4", n)
	}
	// With a range given up, its data goes.
	if err := e.Cleanup(ctx, 1, whole[1:]); err != nil {
		t.Fatal(err)
	}
	if n := len(mustRead(t, e, &all)); n != 3 {
		t.Fatalf("after giving up (min, -5]: %d partitions, want 3", n)
	}
}

// TestBlockCacheOutlivesMemtables: Pebble charges its memtables to the
// block cache, so a cache of CacheSize alone held no blocks once the
// memtables had grown to full size and one was kept for recycling. The
// engine sizes the cache so that CacheSize is left for blocks: a block
// read twice is a hit the second time.
func TestBlockCacheOutlivesMemtables(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, func(o *Options) { o.CacheSize, o.MemTableSize = 1<<20, 1<<20 })
	value := strings.Repeat("v", 1000)
	// Enough writes for Pebble's memtables to ramp up to full size and to
	// rotate with one kept for recycling.
	for i := range 8000 {
		mustApply(t, e, part(1, int64(i), fmt.Sprint("k", i), row(ck(1), marker(1), liveCell(1, 1, value))))
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := part(1, 7, "k7")
	cmd := schema.ReadCommand{Table: 1, Key: p.Key, Token: p.Token}
	mustRead(t, e, &cmd)
	before := e.Metrics().BlockCacheHits
	mustRead(t, e, &cmd)
	if after := e.Metrics().BlockCacheHits; after == before {
		t.Fatalf("a block read a second time missed the cache (hits %d -> %d, misses %d)", before, after, e.Metrics().BlockCacheMisses)
	}
}
