package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWarmupNotRecorded(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Rate = 1000; c.Ops = 100; c.Warmup = 10 * time.Millisecond })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.run(context.Background(), &fakeTarget{clock: clock, service: 50 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops != 90 || r.rec.warm.Load() != 10 {
		t.Fatalf("recorded %d ops and %d warmup ops, want 90 and 10", rep.Ops, r.rec.warm.Load())
	}
	// 90 operations from 10 ms to 99.05 ms: about 1000 ops/s.
	if rep.OpsPerSec < 990 || rep.OpsPerSec > 1020 {
		t.Fatalf("throughput %.1f ops/s, want about 1000", rep.OpsPerSec)
	}
}

func TestDurationBoundsTheSchedule(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Rate = 2000; c.Ops = 0; c.Duration = 50 * time.Millisecond })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.run(context.Background(), &fakeTarget{clock: clock, service: 10 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops != 100 {
		t.Fatalf("%d ops in 50 ms at 2000 ops/s, want 100", rep.Ops)
	}
}

func TestErrorsCountedByKind(t *testing.T) {
	checkNoLeak(t)
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Ops = 100 })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: time.Millisecond, err: func(n int, _ Op) error {
		switch n % 10 {
		case 3:
			return fmt.Errorf("row (1, 2): %w", ErrMissing)
		case 7:
			return ErrCorrupt
		}
		return nil
	}}
	rep, err := r.run(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"missing": 10, "corrupt": 10}
	if rep.Ops != 80 || rep.Errors != 20 || !reflect.DeepEqual(rep.ErrorsByKind, want) {
		t.Fatalf("ops %d errors %d by kind %v, want 80, 20, %v", rep.Ops, rep.Errors, rep.ErrorsByKind, want)
	}
	if !strings.Contains(rep.ErrorSamples["missing"], "row (1, 2)") {
		t.Fatalf("error sample %q lacks the message", rep.ErrorSamples["missing"])
	}
}

// TestKeysOfReadMatchWrite checks that a read run addresses exactly the
// rows a sequential write run with the same key-space flags wrote.
func TestKeysOfReadMatchWrite(t *testing.T) {
	keys := func(mode Mode, dist Distribution, ops int64) map[[2]int64]bool {
		clock := newFakeClock()
		cfg := testConfig(func(c *Config) {
			c.Mode, c.Distribution, c.Ops = mode, dist, ops
			c.Partitions, c.RowsPerPartition, c.PartitionOffset = 20, 5, 1000
		})
		r, err := newTestRunner(cfg, clock)
		if err != nil {
			t.Fatal(err)
		}
		tgt := &fakeTarget{clock: clock, service: time.Microsecond}
		if _, err := r.run(context.Background(), tgt); err != nil {
			t.Fatal(err)
		}
		out := map[[2]int64]bool{}
		for _, o := range tgt.mu.ops {
			wantKind := map[Mode]OpKind{ModeWrite: OpWrite, ModeRead: OpRead, ModeCAS: OpCAS}[mode]
			if o.Kind != wantKind {
				t.Fatalf("%s run issued op kind %d", mode, o.Kind)
			}
			out[[2]int64{o.PK, o.CK}] = true
		}
		return out
	}
	written := keys(ModeWrite, DistSequential, 100)
	if len(written) != 100 {
		t.Fatalf("sequential write of 100 rows touched %d", len(written))
	}
	for k := range keys(ModeRead, DistZipf, 2000) {
		if !written[k] {
			t.Fatalf("read addressed row %v, which the write run did not write", k)
		}
	}
	for k := range keys(ModeCAS, DistSequential, 100) {
		if !written[k] {
			t.Fatalf("cas addressed row %v, which the write run did not write", k)
		}
	}
}

func TestMixedRatio(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Mode = ModeMixed; c.ReadRatio = 0.8; c.Ops = 10_000 })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: time.Microsecond}
	if _, err := r.run(context.Background(), tgt); err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, o := range tgt.mu.ops {
		if o.Kind == OpRead {
			reads++
		}
	}
	if reads < 7700 || reads > 8300 {
		t.Fatalf("%d reads of 10000 at ratio 0.8", reads)
	}
}

func TestScanAddressesPartitions(t *testing.T) {
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) {
		c.Mode, c.Distribution, c.Ops = ModeScan, DistSequential, 10
		c.Partitions, c.RowsPerPartition, c.PartitionOffset = 10, 100, 5
	})
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: time.Microsecond}
	if _, err := r.run(context.Background(), tgt); err != nil {
		t.Fatal(err)
	}
	for i, o := range tgt.mu.ops {
		if o.Kind != OpScan || o.PK != int64(5+i) {
			t.Fatalf("scan %d: %+v, want partition %d", i, o, 5+i)
		}
	}
}

// TestProgressAndIntervals runs on the real clock with an instant target:
// the sampler must print progress lines and fill the report's intervals,
// and stop when the run ends.
func TestProgressAndIntervals(t *testing.T) {
	checkNoLeak(t)
	var out bytes.Buffer
	cfg := testConfig(func(c *Config) {
		c.Ops, c.Duration, c.Rate, c.Concurrency = 0, 300*time.Millisecond, 2000, 4
		c.Progress, c.ProgressInterval = &out, 50*time.Millisecond
	})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := newRunner(cfg, realClock{}, errorKind)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.run(context.Background(), instantTarget{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Intervals) < 3 || strings.Count(out.String(), "ops/s") < 3 {
		t.Fatalf("%d intervals, progress:\n%s", len(rep.Intervals), out.String())
	}
	var sum int64
	for _, iv := range rep.Intervals {
		sum += iv.Ops
	}
	if sum > rep.Ops || rep.Ops < 500 || rep.Ops > 601 {
		t.Fatalf("intervals sum to %d of %d ops (want about 600)", sum, rep.Ops)
	}
}

type instantTarget struct{}

func (instantTarget) Worker(int) Worker                   { return instantTarget{} }
func (instantTarget) Do(context.Context, Op) (int, error) { return 0, nil }

func TestCancelStopsRun(t *testing.T) {
	checkNoLeak(t)
	cfg := testConfig(func(c *Config) { c.Ops, c.Duration, c.Concurrency = 0, time.Hour, 4 })
	r, err := newRunner(cfg, realClock{}, errorKind)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.run(ctx, blockingTarget{})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run with no ops returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop on cancellation")
	}
}

// blockingTarget's operations wait for cancellation, like requests to a
// server that never answers.
type blockingTarget struct{}

func (blockingTarget) Worker(int) Worker { return blockingTarget{} }
func (blockingTarget) Do(ctx context.Context, _ Op) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
