package exec

import (
	"sync"
	"testing"
	"time"
)

func TestClockStrictlyIncreasingAcrossGoroutines(t *testing.T) {
	wall := time.UnixMicro(1000)
	c := newClock(func() time.Time { return wall }) // a clock that never moves
	const workers, each = 8, 500
	out := make(chan []int64, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := make([]int64, each)
			for i := range ts {
				ts[i] = c.timestamp()
			}
			out <- ts
		}()
	}
	wg.Wait()
	close(out)
	seen := map[int64]bool{}
	for ts := range out {
		for i, v := range ts {
			if seen[v] {
				t.Fatalf("timestamp %d handed out twice", v)
			}
			seen[v] = true
			if i > 0 && v <= ts[i-1] {
				t.Fatalf("not increasing within a goroutine: %d after %d", v, ts[i-1])
			}
		}
	}
}

func TestClockFollowsWallClockAndSurvivesStepBack(t *testing.T) {
	now := time.UnixMicro(5000)
	c := newClock(func() time.Time { return now })
	if got := c.timestamp(); got != 5000 {
		t.Fatalf("first timestamp = %d, want the wall clock 5000", got)
	}
	now = time.UnixMicro(100) // the wall clock steps back
	if got := c.timestamp(); got != 5001 {
		t.Fatalf("after a step back = %d, want 5001", got)
	}
	now = time.UnixMicro(9000)
	if got := c.timestamp(); got != 9000 {
		t.Fatalf("after the wall clock passes = %d, want 9000", got)
	}
}

func TestPreparedCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newPreparedCache(2)
	a := &preparedEntry{id: preparedID("", "a")}
	b := &preparedEntry{id: preparedID("", "b")}
	d := &preparedEntry{id: preparedID("", "d")}
	c.put(a)
	c.put(b)
	if c.get(a.id) != a { // a becomes the most recent
		t.Fatal("a missing")
	}
	c.put(d) // evicts b
	if c.get(b.id) != nil || c.get(a.id) != a || c.get(d.id) != d {
		t.Fatal("wrong entry evicted")
	}
	c.remove(a.id)
	if c.get(a.id) != nil {
		t.Fatal("remove did not forget a")
	}
}

func TestPreparedIDIsCassandras(t *testing.T) {
	// MD5("ks" + "SELECT 1") and MD5("SELECT 1") differ, and are stable.
	if string(preparedID("ks", "SELECT 1")) == string(preparedID("", "SELECT 1")) {
		t.Fatal("keyspace not part of the id")
	}
	if string(preparedID("", "ksSELECT 1")) != string(preparedID("ks", "SELECT 1")) {
		t.Fatal("id is not MD5(keyspace + query)")
	}
}
