package exec

import (
	"sync/atomic"
	"time"
)

// clock hands out server-side write timestamps: microseconds since the
// epoch, strictly increasing across every call on this node, whatever the
// wall clock does (a step backwards only slows the timestamps down to one
// microsecond per call until the wall clock catches up).
type clock struct {
	now  func() time.Time
	last atomic.Int64 // the last timestamp handed out
}

func newClock(now func() time.Time) *clock {
	return &clock{now: now}
}

// timestamp returns a write timestamp greater than every earlier one.
func (c *clock) timestamp() int64 {
	wall := c.now().UnixMicro()
	for {
		last := c.last.Load()
		next := wall
		if next <= last {
			next = last + 1
		}
		if c.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

// current returns the node's time in microseconds as its timestamps show
// it: the wall clock, or the last timestamp handed out if the wall clock
// stepped back behind it. It hands out nothing.
func (c *clock) current() int64 {
	return max(c.now().UnixMicro(), c.last.Load())
}

// nowSeconds is the server time used for TTL expiry and tombstone times.
func (c *clock) nowSeconds() int64 {
	return c.now().Unix()
}
