package storage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/schema"
)

// TestPurge applies random histories full of tombstones and TTLs, then:
// before gc_grace has passed, Purge and compaction must change nothing a
// read returns; after it has passed, they must remove every tombstone and
// expired value while the live view stays exactly the model's — nothing
// shadowed comes back.
func TestPurge(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	ctx := context.Background()
	const grace = 100
	for round := range 10 {
		clock := testutil.NewClockAt(time.Unix(modelNow, 0))
		e := openMem(t, func(o *Options) {
			o.Now = clock.Now
			o.GCGrace = func(schema.TableID) (int64, bool) { return grace, true }
		})
		g := newHistoryGen(r)
		model := modelState{}
		history := make([]*schema.Partition, 30+r.IntN(60))
		for i := range history {
			history[i] = g.mutation()
			model.apply(history[i])
		}
		form := rowForm(round % int(numRowForms))
		applyShuffled(t, ctx, r, e, history, form)
		all := &schema.ReadCommand{Table: 5, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true, NowSeconds: modelNow}

		// Not yet past gc_grace: nothing may change.
		if err := e.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.Compact(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := dump(mustRead(t, e, all)), dump(model.read(all)); got != want {
			t.Fatalf("seed %d round %d (%s rows): purge before gc_grace changed reads\ngot\n%s\nwant\n%s", seed, round, form, got, want)
		}

		// Past gc_grace for every deletion and expiry of the history.
		clock.Advance((20 + grace + 5) * time.Second)
		now := clock.Now().Unix()
		if err := e.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.Compact(ctx, nil); err != nil {
			t.Fatal(err)
		}
		all.NowSeconds = now
		got := liveView(mustRead(t, e, all), now)
		want := liveView(model.sorted(), now)
		if got != want {
			t.Fatalf("seed %d round %d (%s rows): live view after purge\ngot\n%s\nwant\n%s", seed, round, form, got, want)
		}
		if left := deadEntries(t, e, now); left != "" {
			t.Fatalf("seed %d round %d (%s rows): entries past gc_grace survived purge and compaction:\n%s", seed, round, form, left)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// liveView renders what a client would see.
func liveView(ps []*schema.Partition, now int64) string {
	var b strings.Builder
	for _, p := range ps {
		static, rows := schema.LiveRows(p, now)
		if static == nil && len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "P %q\n", p.Key)
		if static != nil {
			dumpRow(&b, "S", static)
		}
		for i := range rows {
			rows[i].Marker.TTL, rows[i].Marker.ExpiresAt = 0, 0 // only liveness matters here
			dumpRow(&b, "R", &rows[i])
		}
	}
	return b.String()
}

// deadEntries lists raw entries that hold only data that is deleted or
// expired before now.
func deadEntries(t *testing.T, e *Engine, now int64) string {
	t.Helper()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceTable}, UpperBound: []byte{spaceEnd}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var b strings.Builder
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		dead := false
		switch v[0] {
		case tagDeletion:
			dead = true
		case tagRowHeader:
			h, err := decodeRowHeaderValue(v)
			if err != nil {
				t.Fatal(err)
			}
			dead = !h.deletion.Live() || !h.marker.LiveAt(now)
		case tagCell:
			var c schema.Cell
			if err := decodeCellValue(v, &c); err != nil {
				t.Fatal(err)
			}
			dead = !c.LiveAt(now)
		case tagPacked:
			// Dead when it still holds any deletion or dead cell or marker.
			p, err := decodePacked(v)
			if err != nil {
				t.Fatal(err)
			}
			h := p.header
			dead = !h.deletion.Live() || h.marker.Timestamp != schema.NoTimestamp && !h.marker.LiveAt(now) || len(p.cds) > 0
			for _, c := range packedCellsOf(t, p.cells) {
				dead = dead || !c.LiveAt(now)
			}
		default:
			t.Fatalf("unknown value tag %#x", v[0])
		}
		if dead {
			fmt.Fprintf(&b, "%x = %x\n", it.Key(), v)
		}
	}
	return b.String()
}

// TestPurgeKeepsConcurrentWrites checks that the purger never deletes a
// write that lands while it works: newer cells of a purged partition
// survive.
func TestPurgeKeepsConcurrentWrites(t *testing.T) {
	clock := newTestClock()
	e := openMem(t, func(o *Options) {
		o.Now = clock.Now
		o.GCGrace = func(schema.TableID) (int64, bool) { return 0, true }
	})
	ctx := context.Background()
	now := clock.Now().Unix()
	for i := range 50 {
		key := fmt.Sprintf("p%d", i)
		mustApply(t, e, part(1, int64(i), key, row(ck(1), marker(10), liveCell(1, 10, "old"))))
		mustApply(t, e, &schema.Partition{Table: 1, Token: int64(i), Key: []byte(key), Deletion: schema.Deletion{MarkedAt: 20, LocalDeletionTime: now - 1}})
	}
	done := make(chan error, 1)
	go func() {
		for i := range 50 {
			key := fmt.Sprintf("p%d", i)
			if err := e.Apply(ctx, part(1, int64(i), key, row(ck(2), marker(30), liveCell(1, 30, "new")))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ps := mustRead(t, e, &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64})
	if len(ps) != 50 {
		t.Fatalf("%d partitions survive, want 50", len(ps))
	}
	for _, p := range ps {
		if len(p.Rows) != 1 || string(p.Rows[0].Cells[0].Value) != "new" {
			t.Fatalf("partition %q after purge: %s", p.Key, dump([]*schema.Partition{p}))
		}
	}
	if e.Metrics().PurgedKeys == 0 {
		t.Fatal("purge removed nothing")
	}
}

// TestCompactionPurgeOverASetBase is the regression test for a panic in
// Pebble's compaction iterator ("compaction iterator has skip=true, but
// iterator is at iterPosNext"). A compaction that reaches a key's oldest
// operand rewrites it as a SET; a later merge operand over that SET, once
// past gc_grace, made DeletableFinish return delete=true with includesBase,
// which Pebble v2.1.7 cannot honour: it re-emits the consumed SET (the
// shadowed value comes back) and panics at the next key. Each case writes
// an old value, compacts it into a SET, merges a newer operand whose
// purge is due, and compacts past gc_grace; the old value must stay shadowed, and
// the purger must then remove what the merger kept.
func TestCompactionPurgeOverASetBase(t *testing.T) {
	cases := []struct {
		name       string
		base, over func(now int64) *schema.Partition
	}{{
		name: "cell tombstone",
		base: func(int64) *schema.Partition {
			return part(1, 1, "p", row(ck(1), schema.NoLiveness, liveCell(1, 10, "old")))
		},
		over: func(now int64) *schema.Partition {
			return part(1, 1, "p", row(ck(1), schema.NoLiveness,
				schema.Cell{Column: 1, Timestamp: 20, Tombstone: true, LocalDeletionTime: now + 5}))
		},
	}, {
		name: "expired row markers",
		base: func(now int64) *schema.Partition {
			return part(1, 1, "p", row(ck(1), schema.Liveness{Timestamp: 10, TTL: 10, ExpiresAt: now + 10}))
		},
		over: func(now int64) *schema.Partition {
			return part(1, 1, "p", row(ck(1), schema.Liveness{Timestamp: 20, TTL: 10, ExpiresAt: now + 15}))
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := newTestClock()
			e := openMem(t, func(o *Options) {
				o.Now = clock.Now
				o.GCGrace = func(schema.TableID) (int64, bool) { return 0, true }
			})
			now := clock.Now().Unix()
			// Two flushed copies of the base, so that the compaction
			// rewrites them (a lone file would just move down) and, at the
			// bottom of the LSM, turns their merge into a SET.
			mustApply(t, e, tc.base(now))
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			mustApply(t, e, tc.base(now))
			if err := e.Compact(ctx, nil); err != nil {
				t.Fatal(err)
			}
			mustApply(t, e, tc.over(now))
			// Past gc_grace for everything written.
			clock.Advance(30 * time.Second)
			now = clock.Now().Unix()
			if err := e.Compact(ctx, nil); err != nil {
				t.Fatal(err)
			}
			all := &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64, NowSeconds: now}
			if got := liveView(mustRead(t, e, all), now); got != "" {
				t.Fatalf("shadowed data came back after compaction:\n%s", got)
			}
			if err := e.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			if err := e.Compact(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if left := deadEntries(t, e, now); left != "" {
				t.Fatalf("entries past gc_grace survived purge and compaction:\n%s", left)
			}
		})
	}
}
