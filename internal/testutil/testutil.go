package testutil

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Eventually calls check every interval until it returns nil or timeout
// passes, then fails the test with check's last error.
func Eventually(t testing.TB, timeout, interval time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		<-tick.C
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

// Clock is the real clock shifted by an offset that tests advance, safe
// for concurrent use: it never stands still (servers need increasing
// timestamps) and starts at the real time (so client-side timestamps stay
// comparable), yet a test can jump past a TTL without waiting for it.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration // guarded by mu
}

// NewClock returns a clock at the real time.
func NewClock() *Clock { return &Clock{} }

// Now returns the real time plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
