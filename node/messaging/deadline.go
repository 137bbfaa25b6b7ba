package messaging

import (
	"context"
	"sync"
	"time"
)

// requestCtx is a handler's context: its worker's context (ended when the
// connection closes) with the request's deadline, armed lazily.
//
// context.WithDeadline starts a timer and links a child into its parent
// for every request; a replica's write never waits on its context (storage
// checks Err once), so both were pure cost, three times per replicated
// write (PERF.md). Here Err compares the clock with the deadline, and only
// a handler that asks for Done, to wait on it, gets the real
// WithDeadline context, whose channel then serves every later call.
// Value, and so context.Cause, are the worker context's: Cause reports
// nil for an expired deadline that was never armed, where Err reports
// context.DeadlineExceeded.
type requestCtx struct {
	context.Context // the worker's
	deadline        time.Time

	mu       sync.Mutex
	armed    context.Context    // guarded by mu; nil until Done is called
	cancel   context.CancelFunc // guarded by mu; armed's
	released bool               // guarded by mu; the handler has returned
}

func newRequestCtx(parent context.Context, deadline time.Time) *requestCtx {
	return &requestCtx{Context: parent, deadline: deadline}
}

func (c *requestCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *requestCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed == nil {
		c.armed, c.cancel = context.WithDeadline(c.Context, c.deadline)
		if c.released {
			c.cancel() // as if armed before the handler returned
		}
	}
	return c.armed.Done()
}

// Err is the worker context's error, else DeadlineExceeded once the
// deadline has passed, else Canceled when Done is closed because the
// handler returned (release).
func (c *requestCtx) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	c.mu.Lock()
	armed := c.armed
	c.mu.Unlock()
	if armed != nil {
		return armed.Err()
	}
	return nil
}

// release ends the request once its handler has returned: the armed
// context, if Done armed one, is cancelled, which stops its timer.
func (c *requestCtx) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = true
	if c.cancel != nil {
		c.cancel()
	}
}
