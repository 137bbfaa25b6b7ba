package storage

import (
	"context"
	"fmt"
	"testing"

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
	th.bytesPerSec.Store(1 << 40) // high: nothing waits
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
	if e.CompactionThroughput() != 1<<40 {
		t.Fatalf("limit %d", e.CompactionThroughput())
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
