package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestOpenLoopCountsStalls simulates a 100 ms server stall in an open-loop
// run at 1000 ops/s with one worker. The operations scheduled during the
// stall must be charged for the time they waited (coordinated-omission
// correction), while their service times stay small; and the schedule must
// never start an operation before its intended time to catch up.
func TestOpenLoopCountsStalls(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Rate = 1000; c.Ops = 300 })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: 100 * time.Microsecond,
		stalls: map[int]time.Duration{50: 100 * time.Millisecond}}
	start := clock.Now()
	rep, err := r.run(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops != 300 || rep.Errors != 0 {
		t.Fatalf("ops %d errors %d, want 300 and 0", rep.Ops, rep.Errors)
	}
	h, err := rep.DecodeLatency()
	if err != nil {
		t.Fatal(err)
	}
	// Operation 50+j (j >= 1) is intended at 50+j ms and starts at
	// 150.1+0.1(j-1) ms, so its latency is 100.1-0.9j ms: about 111
	// operations over 1 ms, the worst 100.1 ms.
	slow := countAbove(h, 1000)
	if slow < 105 || slow > 115 {
		t.Errorf("%d operations recorded over 1 ms, want about 111 (latency from intended start)", slow)
	}
	if rep.MaxMs < 100 || rep.MaxMs > 101 {
		t.Errorf("max latency %.3f ms, want 100.1", rep.MaxMs)
	}
	if rep.P90Ms < 50 {
		t.Errorf("p90 %.3f ms hides the stall's backlog (want about 74)", rep.P90Ms)
	}
	if rep.Service.P90Ms > 0.2 {
		t.Errorf("service p90 %.3f ms, want 0.1: only one operation was slow to serve", rep.Service.P90Ms)
	}
	for i, s := range tgt.mu.starts {
		if intended := start.Add(time.Duration(i) * time.Millisecond); s.Before(intended) {
			t.Fatalf("operation %d started at %v, before its intended %v: the schedule caught up", i, s.Sub(start), intended.Sub(start))
		}
	}
}

// TestClosedLoopHidesStalls is the contrast: the same stall in a closed
// loop is a single slow operation.
func TestClosedLoopHidesStalls(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Ops = 300 })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: 100 * time.Microsecond,
		stalls: map[int]time.Duration{50: 100 * time.Millisecond}}
	rep, err := r.run(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	h, err := rep.DecodeLatency()
	if err != nil {
		t.Fatal(err)
	}
	if slow := countAbove(h, 1000); slow != 1 {
		t.Errorf("%d slow operations in a closed loop, want 1", slow)
	}
}

func TestPacerSchedule(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	p := NewPacer(clock, start, 4000, 10)
	for i := range 10 {
		seq, intended, ok := p.Next(context.Background(), time.Time{})
		if !ok || seq != int64(i) {
			t.Fatalf("slot %d: got seq %d ok %v", i, seq, ok)
		}
		if want := start.Add(time.Duration(i) * 250 * time.Microsecond); !intended.Equal(want) {
			t.Fatalf("slot %d intended at %v, want %v", i, intended.Sub(start), want.Sub(start))
		}
		if !clock.Now().Equal(intended) {
			t.Fatalf("slot %d returned at %v, before or after its time %v", i, clock.Now().Sub(start), intended.Sub(start))
		}
	}
	if _, _, ok := p.Next(context.Background(), time.Time{}); ok {
		t.Fatal("pacer gave an 11th slot with a limit of 10")
	}
}

func TestPacerEndAndCancel(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	p := NewPacer(clock, start, 1000, 0)
	end := start.Add(5 * time.Millisecond)
	n := 0
	for {
		if _, _, ok := p.Next(context.Background(), end); !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Fatalf("%d slots before the end, want 5", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, ok := NewPacer(clock, start, 0, 0).Next(ctx, time.Time{}); ok {
		t.Fatal("pacer gave a slot after cancellation")
	}
}

// TestPacerConcurrentSlotsUnique checks that concurrent workers never share
// or skip a slot.
func TestPacerConcurrentSlotsUnique(t *testing.T) {
	clock := newFakeClock()
	p := NewPacer(clock, clock.Now(), 1e6, 5000)
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq, _, ok := p.Next(context.Background(), time.Time{})
				if !ok {
					return
				}
				mu.Lock()
				seen[seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 5000 {
		t.Fatalf("%d distinct slots, want 5000", len(seen))
	}
}

func TestRealClockSleepUntil(t *testing.T) {
	c := realClock{}
	target := c.Now().Add(20 * time.Millisecond)
	if err := c.SleepUntil(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if c.Now().Before(target) {
		t.Fatal("SleepUntil returned early")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SleepUntil(ctx, c.Now().Add(time.Hour)); err == nil {
		t.Fatal("SleepUntil ignored a cancelled context")
	}
}

// countAbove counts the recorded values above us microseconds.
func countAbove(h *hdrhistogram.Histogram, us int64) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.From > us {
			n += b.Count
		}
	}
	return n
}

// TestOpenLoopStopsAtEnd runs a schedule five times faster than the
// simulated server: the run must end on time, with the backlog it could not
// send counted as unsent rather than drained for minutes or forgotten.
func TestOpenLoopStopsAtEnd(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Rate = 1000; c.Ops = 0; c.Duration = 100 * time.Millisecond })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	rep, err := r.run(context.Background(), &fakeTarget{clock: clock, service: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops != 20 || rep.Unsent != 80 {
		t.Fatalf("ops %d unsent %d, want 20 sent and 80 left in the backlog", rep.Ops, rep.Unsent)
	}
	if took := clock.Now().Sub(start); took > 100*time.Millisecond {
		t.Fatalf("run took %v of simulated time, want it to end at 100ms", took)
	}
	if rep.MaxMs < 80 {
		t.Fatalf("max %.1f ms: the last sent operation waited about 81 ms", rep.MaxMs)
	}
}
