package testutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// Eventually calls check every interval until it returns nil or timeout
// passes, then fails the test with check's last error.
func Eventually(t testing.TB, timeout, interval time.Duration, check func() error) {
	t.Helper()
	if err := Poll(timeout, interval, check); err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls cond every 10 ms until it holds, and fails the test,
// naming what it waited for, if timeout passes first. It is the one
// bounded wait of the tests: they never sleep blindly, and a slow machine
// only makes them slower, never wrong.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	err := Poll(timeout, 10*time.Millisecond, func() error {
		if cond() {
			return nil
		}
		return errors.New("not yet")
	})
	if err != nil {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Poll calls check every interval until it returns nil, or returns
// check's last error once timeout has passed. It waits with
// <-time.After, never time.Sleep (internal/lint forbids that in tests),
// and is for callers without a testing.TB, such as a checker that
// reports its errors.
func Poll(timeout, interval time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v: %w", timeout, err)
		}
		<-time.After(interval)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for child processes that must be told their port. In-process servers
// should take a listener on 127.0.0.1:0 instead, which cannot collide.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Clock is a controllable clock, safe for concurrent use, in one of two
// modes:
//
//   - NewClock: the real clock shifted by an offset that tests advance. It
//     never stands still (servers need increasing timestamps) and starts
//     at the real time (so client-side timestamps stay comparable), yet a
//     test can jump past a TTL without waiting for it.
//   - NewClockAt: a clock stopped at a fixed instant that moves only when
//     the test advances it, for golden outputs that print times and for
//     simulations that must be deterministic.
type Clock struct {
	mu      sync.Mutex
	stopped bool          // NewClockAt: time runs from start, not the real clock
	start   time.Time     // the stopped clock's origin
	offset  time.Duration // guarded by mu
}

// NewClock returns a clock at the real time.
func NewClock() *Clock { return &Clock{} }

// NewClockAt returns a clock stopped at start.
func NewClockAt(start time.Time) *Clock { return &Clock{stopped: true, start: start} }

// Now returns the clock's time: the real time, or the start, plus the
// offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.offset)
}

// Advance moves the clock by d (back, if d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// AdvanceTo moves the clock forward to t if t is later than now, and
// reports whether it moved: what a simulated sleep until t does.
func (c *Clock) AdvanceTo(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.base().Add(c.offset)
	if !t.After(now) {
		return false
	}
	c.offset += t.Sub(now)
	return true
}

// SleepUntil is a simulated sleep: it moves the clock forward to t
// instead of waiting, and returns ctx's error, as bench.Clock asks.
func (c *Clock) SleepUntil(ctx context.Context, t time.Time) error {
	c.AdvanceTo(t)
	return ctx.Err()
}

// base is the time the offset is added to; c.mu is held.
func (c *Clock) base() time.Time {
	if !c.stopped {
		return time.Now()
	}
	return c.start
}
