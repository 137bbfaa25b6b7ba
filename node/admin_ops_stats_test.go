package node

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	var vs []int64
	for i := int64(100); i >= 1; i-- {
		vs = append(vs, i)
	}
	// 50, 75, 95, 98, 99, min, max of 1..100.
	if got, want := percentiles(vs), []int64{50, 75, 95, 98, 99, 1, 100}; !slices.Equal(got, want) {
		t.Fatalf("percentiles %v, want %v", got, want)
	}
	if got := percentiles(nil); !slices.Equal(got, make([]int64, len(histogramPercentiles))) {
		t.Fatalf("percentiles of nothing: %v", got)
	}
}

// TestStreamThrottleBooksTime: each grant pushes the time the bytes are
// paid for by bytes/limit; the first grant does not wait. Unlimited books
// nothing.
func TestStreamThrottleBooksTime(t *testing.T) {
	var s streamThrottle
	ctx := context.Background()
	if err := s.wait(ctx, 1<<20); err != nil || !s.next.IsZero() {
		t.Fatalf("unlimited throttle booked time: %v, %v", s.next, err)
	}
	s.bytesPerSec.Store(1 << 20)
	before := time.Now()
	if err := s.wait(ctx, 1<<19); err != nil {
		t.Fatal(err)
	}
	if d := s.next.Sub(before); d < 500*time.Millisecond {
		t.Fatalf("half a MiB at 1 MiB/s booked %v, want at least 500ms", d)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.wait(cancelled, 1<<20); err == nil {
		t.Fatal("a wait past the booked time ignored its cancelled context")
	}
}
