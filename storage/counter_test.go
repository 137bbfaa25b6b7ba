package storage

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

func shard(id byte, clock, count, ts int64) schema.CounterShard {
	return schema.CounterShard{ID: schema.CounterID{id}, Clock: clock, Count: count, Timestamp: ts}
}

func counterShardsCell(shards ...schema.CounterShard) schema.Cell {
	ts := int64(0)
	for _, s := range shards {
		ts = max(ts, s.Timestamp)
	}
	return schema.Cell{Column: 1, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Counter: schema.CounterShards,
		Value: schema.AppendCounterContext(nil, shards)}
}

func counterMutation(key string, c schema.Cell) *schema.Partition {
	return &schema.Partition{Table: 1, Token: 5, Key: []byte(key), Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{Clustering: ck(1), Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: []schema.Cell{c}}}}
}

func TestCounterCellValues(t *testing.T) {
	for _, c := range []schema.Cell{
		counterShardsCell(shard(1, 2, 3, 4)),
		counterShardsCell(shard(1, 2, 3, 4), shard(7, 1, -9, 8)),
		{Timestamp: 9, Tombstone: true, LocalDeletionTime: 99, Counter: schema.CounterShards},
	} {
		c.Column = 0
		v := appendCellValue(nil, &c)
		var got schema.Cell
		if err := decodeCellValue(v, &got); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("counter cell %+v round trip = %+v, %v", c, got, err)
		}
	}
	good := appendCellValue(nil, &schema.Cell{Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Counter: schema.CounterShards,
		Value: schema.AppendCounterContext(nil, []schema.CounterShard{shard(1, 1, 1, 1)})})
	for name, v := range map[string][]byte{
		"short context":     good[:len(good)-3],
		"counter with ttl":  append([]byte{tagCell, cellCounter | cellHasValue | cellTTL}, good[2:]...),
		"counter, no value": {tagCell, cellCounter, 0, 0, 0, 0, 0, 0, 0, 1},
	} {
		var c schema.Cell
		if err := decodeCellValue(v, &c); err == nil {
			t.Errorf("%s: accepted %x", name, v)
		}
	}
}

// TestCounterMerger: the Pebble merger merges counter shards as the
// coordinator does, in memtables and after compaction, and the engine
// refuses deltas.
func TestCounterMerger(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	parts := []schema.Cell{
		counterShardsCell(shard(1, 1, 5, 10)),
		counterShardsCell(shard(2, 3, 7, 12)),
		counterShardsCell(shard(1, 2, 6, 20)),
		counterShardsCell(shard(1, 1, 5, 10)), // a replay
		counterShardsCell(shard(2, 2, 4, 11)), // an older shard, late
	}
	want := counterShardsCell(shard(1, 2, 6, 20), shard(2, 3, 7, 12))
	read := func() schema.Cell {
		t.Helper()
		got, err := e.Read(ctx, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: 5})
		if err != nil || len(got) != 1 || len(got[0].Rows) != 1 || len(got[0].Rows[0].Cells) != 1 {
			t.Fatalf("read: %+v, %v", got, err)
		}
		return got[0].Rows[0].Cells[0]
	}
	for i, c := range parts {
		if err := e.Apply(ctx, counterMutation("k", c)); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := read(); !reflect.DeepEqual(got, want) {
		t.Fatalf("merged in the memtable: %+v, want %+v", got, want)
	}
	if err := e.Compact(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(); !reflect.DeepEqual(got, want) {
		t.Fatalf("merged by compaction: %+v, want %+v", got, want)
	}
	delta := schema.Cell{Column: 1, Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Counter: schema.CounterDelta, Value: schema.CounterDeltaValue(1)}
	if err := e.Apply(ctx, counterMutation("k", delta)); err == nil {
		t.Fatal("a counter delta was stored")
	}
}

// TestLeadCounterWriteConcurrent: concurrent increments led by one engine
// never lose one to another (the leader's lock), and each writes only
// the leader's shard.
func TestLeadCounterWriteConcurrent(t *testing.T) {
	e := openMem(t, nil)
	ctx := context.Background()
	self := schema.CounterID{9}
	// Another leader's shard is already there and must stay untouched.
	if err := e.Apply(ctx, counterMutation("k", counterShardsCell(shard(1, 4, 100, 3)))); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				d := schema.Cell{Column: 1, Timestamp: int64(1000 + w*each + i), LocalDeletionTime: schema.NoExpiry,
					Counter: schema.CounterDelta, Value: schema.CounterDeltaValue(2)}
				out, err := e.LeadCounterWrite(ctx, counterMutation("k", d), self, 0)
				if err != nil {
					errs <- err
					return
				}
				if shards, _ := schema.DecodeCounterContext(out.Rows[0].Cells[0].Value); len(shards) != 1 || shards[0].ID != self {
					errs <- fmt.Errorf("leader replicates %+v, want only its own shard", shards)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := e.Read(ctx, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: 5})
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v", err)
	}
	v, err := schema.CounterValue(got[0].Rows[0].Cells[0].Value)
	if err != nil || v != 100+2*workers*each {
		t.Fatalf("counter = %d (%v), want %d", v, err, 100+2*workers*each)
	}
}

// TestCounterPurgeKeepsShardsShadowed: a row deletion shadows a counter's
// shards one by one; when the deletion is purged after gc_grace, the
// shards it shadowed are purged with it instead of counting again. A
// counter's tombstone under a newer row deletion is returned by reads
// (it outlives the deletion) until it is purged itself.
// It runs in every row form: counters purge alike packed, in the old
// form and in a row holding both.
func TestCounterPurgeKeepsShardsShadowed(t *testing.T) {
	for form := range numRowForms {
		t.Run(form.String(), func(t *testing.T) { testCounterPurgeKeepsShardsShadowed(t, form) })
	}
}

func testCounterPurgeKeepsShardsShadowed(t *testing.T, form rowForm) {
	clock := newTestClock()
	e := openMem(t, func(o *Options) {
		o.Now = clock.Now
		o.GCGrace = func(schema.TableID) (int64, bool) { return 100, true }
	})
	ctx := context.Background()
	now := clock.Now().Unix()
	applied := 0
	apply := func(m *schema.Partition) {
		t.Helper()
		e.opts.legacyRows = form == formLegacy || form == formMixed && applied%2 == 0
		applied++
		if err := e.Apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	apply(counterMutation("k", counterShardsCell(shard(1, 1, 5, 10))))
	apply(counterMutation("k", counterShardsCell(shard(2, 1, 7, 30))))
	tomb := counterMutation("k", schema.Cell{Column: 2, Timestamp: 15, Tombstone: true, LocalDeletionTime: now, Counter: schema.CounterShards})
	apply(tomb)
	del := counterMutation("k", counterShardsCell(shard(3, 1, 1, 1)))
	del.Rows[0].Cells = nil
	del.Rows[0].Deletion = schema.Deletion{MarkedAt: 20, LocalDeletionTime: now}
	apply(del)

	read := func() (*schema.Row, []schema.Row) {
		t.Helper()
		got, err := e.Read(ctx, &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: 5, NowSeconds: clock.Now().Unix()})
		if err != nil || len(got) != 1 || len(got[0].Rows) != 1 {
			t.Fatalf("read: %+v, %v", got, err)
		}
		_, live := schema.LiveRows(got[0], clock.Now().Unix())
		return &got[0].Rows[0], live
	}
	value := func(rows []schema.Row) int64 {
		t.Helper()
		if len(rows) != 1 || len(rows[0].Cells) != 1 {
			t.Fatalf("live rows %+v, want one counter", rows)
		}
		v, err := schema.CounterValue(rows[0].Cells[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	raw, live := read()
	if len(raw.Cells) != 2 || !raw.Cells[1].Tombstone {
		t.Fatalf("before purge the row holds %+v, want the counter and the counter's tombstone", raw.Cells)
	}
	if v := value(live); v != 7 {
		t.Fatalf("before purge the counter reads %d, want 7 (the shard older than the deletion is shadowed)", v)
	}
	clock.Advance(200 * time.Second)
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Compact(ctx, nil); err != nil {
		t.Fatal(err)
	}
	raw, live = read()
	if !raw.Deletion.Live() || len(raw.Cells) != 1 {
		t.Fatalf("after purge the row holds %+v, want the counter alone", raw)
	}
	if v := value(live); v != 7 {
		t.Fatalf("after purge the counter reads %d, want 7: a shadowed shard came back", v)
	}
}
