package messaging

import (
	"context"
	"sync/atomic"
	"time"
)

// workerIdle is how long an idle worker waits for the next request before
// it ends. Long enough to outlast the gaps of a steady load, short enough
// that a burst's workers do not linger.
const workerIdle = 2 * time.Second

// inRequest is an inbound request (or one-way message) waiting for a
// worker.
type inRequest struct {
	h       header
	payload []byte
}

// workers run one inbound connection's handlers: up to
// Config.HandlerConcurrency goroutines, started as requests find none
// idle and ended after workerIdle without work or when the connection
// closes.
//
// A goroutine per request used to do this. Keeping workers alive saves
// more than the goroutine's start: a handler that reaches storage grows
// its stack to tens of kilobytes, and a fresh goroutine paid for that
// growth (runtime.copystack) on every request, about a tenth of a
// replica write's CPU (PERF.md). Each worker also derives its requests'
// deadlines from a context of its own rather than from the connection's,
// so concurrent requests do not meet on the connection context's lock.
type workers struct {
	m       *Messenger
	c       *conn
	work    chan inRequest // unbuffered: a send succeeds only into an idle worker
	running atomic.Int32   // workers started and not yet ended
}

func newWorkers(m *Messenger, c *conn) *workers {
	return &workers{m: m, c: c, work: make(chan inRequest)}
}

// hand gives r to an idle worker, or to a new one while fewer than
// HandlerConcurrency run, or else waits for one to be free, which stops
// the connection's reader and lets TCP push back on the sender. It
// returns false once the connection or the Messenger is closing.
func (w *workers) hand(r inRequest) bool {
	select {
	case w.work <- r:
		return true
	default:
	}
	if int(w.running.Load()) < w.m.cfg.HandlerConcurrency {
		w.running.Add(1)
		if w.m.goTask(func() { w.run(r) }) {
			return true
		}
		w.running.Add(-1)
		return false
	}
	select {
	case w.work <- r:
		return true
	case <-w.c.ctx.Done():
		return false
	}
}

// run serves r, then every request handed to it, until it has been idle
// for workerIdle or the connection closes.
func (w *workers) run(r inRequest) {
	defer w.running.Add(-1)
	base, cancel := context.WithCancel(w.c.ctx)
	defer cancel()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		w.m.dispatch(base, w.c, r.h, r.payload)
		r = inRequest{} // the payload belongs to the handler, not to an idle worker
		idle.Reset(workerIdle)
		select {
		case r = <-w.work:
		case <-idle.C:
			return
		case <-w.c.ctx.Done():
			return
		}
	}
}
