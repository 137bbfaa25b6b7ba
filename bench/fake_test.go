package bench

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// newFakeClock returns a virtual clock: SleepUntil jumps time forward
// instead of waiting, and operations advance it by their simulated
// duration. With one worker a run on it is fully deterministic.
func newFakeClock() *testutil.Clock {
	return testutil.NewClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// fakeTarget simulates a server on a fake clock: every operation takes
// service, except those listed in stalls, which take the given time; err,
// if set, decides an operation's error. It records each operation's actual
// start.
type fakeTarget struct {
	clock   *testutil.Clock
	service time.Duration
	stalls  map[int]time.Duration // by operation number, in execution order
	err     func(n int, o Op) error

	mu struct {
		sync.Mutex
		n      int         // guarded by mu
		starts []time.Time // guarded by mu
		ops    []Op        // guarded by mu
	}
}

func (t *fakeTarget) Worker(int) Worker { return t }

func (t *fakeTarget) Do(_ context.Context, o Op) (int, error) {
	t.mu.Lock()
	n := t.mu.n
	t.mu.n++
	t.mu.starts = append(t.mu.starts, t.clock.Now())
	t.mu.ops = append(t.mu.ops, o)
	t.mu.Unlock()
	d := t.service
	if s, ok := t.stalls[n]; ok {
		d = s
	}
	t.clock.Advance(d)
	if t.err != nil {
		if err := t.err(n, o); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

// testConfig returns a validated config for runs on the fake target.
func testConfig(mut func(*Config)) Config {
	cfg := Config{Concurrency: 1, Ops: 100, Partitions: 1000, Seed: 1}
	if mut != nil {
		mut(&cfg)
	}
	cfg.EnsureDefaults()
	if cfg.Ops > 0 && cfg.Duration == 30*time.Second {
		cfg.Duration = 0 // the test bounds the run by Ops alone
	}
	return cfg
}

func newTestRunner(cfg Config, clock Clock) (*runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r, err := newRunner(cfg, clock, errorKind)
	if err != nil {
		return nil, err
	}
	r.sampleEvery = 0 // the sampler would move a virtual clock
	return r, nil
}

// checkNoLeak fails t if, within a few seconds of the test's end, more
// goroutines run than when it called checkNoLeak: every goroutine a run
// starts must have returned when it returns.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines before the test, %d after", before, runtime.NumGoroutine())
				return
			}
			<-time.After(10 * time.Millisecond)
		}
	})
}
