package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func booked(t *compactionThrottle) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.next.IsZero()
}

// TestThrottledFSBooksCompactionOutputOnly: writes to a table Pebble
// announced as a compaction's output are booked against the limit; a
// flush's table and other files are not.
func TestThrottledFSBooksCompactionOutputOnly(t *testing.T) {
	th := newCompactionThrottle()
	defer th.close()
	th.operator.Store(1 << 40) // high: nothing waits
	fs := throttledFS{FS: vfs.NewMem(), t: th}
	l := th.listener()
	write := func(name, reason string) {
		f, err := fs.Create(name, vfs.WriteCategoryUnspecified)
		if err != nil {
			t.Fatal(err)
		}
		if reason != "" {
			l.TableCreated(pebble.TableCreateInfo{Path: "db/" + name, Reason: reason})
		}
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("000001.sst", "flushing")
	write("MANIFEST-000002", "")
	if booked(th) {
		t.Fatal("a flush or a manifest was throttled")
	}
	write("000003.sst", "compacting")
	if !booked(th) {
		t.Fatal("a compaction's output was not booked")
	}
	if _, still := th.compacting.Load("000003.sst"); still {
		t.Fatal("a closed table stays marked")
	}
}

// TestCompactionThroughputInTheEngine: with a limit set, an engine's
// major compaction books its writes (Pebble's announcement reaches the
// throttled file system).
func TestCompactionThroughputInTheEngine(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, nil)
	e.SetCompactionThroughput(1 << 40)
	if limit, paced := e.CompactionThroughput(); limit != 1<<40 || paced {
		t.Fatalf("limit %d, paced %v after setcompactionthroughput", limit, paced)
	}
	// Two overlapping flushed tables, so the compaction rewrites them
	// (a lone table would only be moved down, writing nothing).
	for ts := int64(100); ts <= 200; ts += 100 {
		for i := range 200 {
			mustApply(t, e, part(1, int64(i), fmt.Sprint("k", i), row(ck(1), marker(ts), liveCell(1, ts, "value"))))
		}
		if err := e.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Compact(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !booked(e.throttle) {
		t.Fatal("a compaction's writes were not booked against the limit")
	}
}

// TestPacerLimitsOnlyWhileCompactionsKeepUp: with no operator limit the
// pacer's limit applies while L0 is shallow and the debt small, and is
// lifted when either grows; an operator's limit, 0 (unlimited) included,
// overrides it.
func TestPacerLimitsOnlyWhileCompactionsKeepUp(t *testing.T) {
	e := openMem(t, nil)
	pace := e.opts.CompactionPacing
	if pace <= 0 {
		t.Fatalf("pacing is off by default (%d)", pace)
	}
	catchUp := uint64(pace) * uint64(pacingCatchUp/time.Second)
	for _, c := range []struct {
		sublevels int32
		debt      uint64
		behind    bool
	}{
		{0, 0, false},
		{pebbleL0CompactionThreshold, catchUp, false},
		{pebbleL0CompactionThreshold + 1, 0, true},
		{0, catchUp + 1, true},
	} {
		if got := e.behind(c.sublevels, c.debt); got != c.behind {
			t.Errorf("behind(%d sublevels, %d debt) = %v, want %v", c.sublevels, c.debt, got, c.behind)
		}
	}

	e.throttle.paced.Store(pace)
	if limit, paced := e.CompactionThroughput(); limit != pace || !paced {
		t.Fatalf("no operator limit: %d, paced %v; want the pacer's %d", limit, paced, pace)
	}
	e.SetCompactionThroughput(0)
	if limit, paced := e.CompactionThroughput(); limit != 0 || paced {
		t.Fatalf("setcompactionthroughput 0: %d, paced %v; want unlimited, not paced", limit, paced)
	}
}

// TestPacerFollowsTheStore: the engine's pacer sets its limit from the
// store it watches (an idle store keeps up).
func TestPacerFollowsTheStore(t *testing.T) {
	e := openMem(t, nil)
	for range 200 {
		if e.throttle.paced.Load() == e.opts.CompactionPacing {
			return
		}
		<-time.After(10 * time.Millisecond)
	}
	t.Fatalf("an idle store is not paced after 2s (limit %d)", e.throttle.paced.Load())
}
