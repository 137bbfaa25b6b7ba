package server

import (
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestRequestWorkers checks that requests in flight run at once, each on
// its own worker, that idle workers are bounded once they finish, that
// later requests reuse them, and that none outlives its connection.
func TestRequestWorkers(t *testing.T) {
	h := newTestHandler()
	// A budget that admits every request of a new connection at once:
	// with the default, a client address runs at most 64 before its first
	// answers show how large they are.
	srv, addr := startServer(t, Config{MaxRequestDataInFlight: 1 << 30, MaxRequestDataInFlightPerIP: 1 << 30}, h)
	c := dial(t, addr)
	c.startup(nil)

	const n = maxIdleWorkers + 72
	for i := range n {
		c.query(int16(i+2), "block")
	}
	for i := range n {
		select {
		case <-h.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d blocking requests started: requests do not run at once", i, n)
		}
	}
	if got := srv.Metrics().RequestWorkers; got != n {
		t.Errorf("%d workers for %d running requests", got, n)
	}
	close(h.release)
	for range n {
		c.recv()
	}
	testutil.WaitFor(t, 5*time.Second, "idle workers to be bounded", func() bool { return srv.Metrics().RequestWorkers <= maxIdleWorkers })

	idle := srv.Metrics().RequestWorkers
	for i := range 50 {
		c.query(int16(i+2), "x")
		c.recv()
	}
	// A worker that has just answered may not be waiting yet when the next
	// request comes; a few new workers are fine, one per request is not.
	if got := srv.Metrics().RequestWorkers; got > idle+5 || got > maxIdleWorkers+1 {
		t.Errorf("%d workers after 50 sequential requests on %d idle ones", got, idle)
	}
	_ = c.nc.Close()
	testutil.WaitFor(t, 5*time.Second, "workers to stop with their connection", func() bool { return srv.Metrics().RequestWorkers == 0 })
}
