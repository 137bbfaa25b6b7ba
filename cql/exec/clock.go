package exec

import (
	"sync"
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

	// List element names (version 1 UUID times, 100 ns units since
	// 1582-10-15), as Cassandra's Lists.Appender and Prepender take them
	// from the node's clock rather than from the write timestamp: every
	// append gets names after every earlier append's, every prepend names
	// before every earlier prepend's, so appends to one list within one
	// batch (one timestamp) all stay.
	listMu      sync.Mutex
	lastAppend  uint64
	lastPrepend uint64
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

// observe makes every later timestamp greater than ts: a lightweight
// transaction writes at its ballot's timestamp, and a write this node
// makes after it must not fall behind it (Cassandra's coordinator takes
// ballots and write timestamps from one sequence, ClientState's).
func (c *clock) observe(ts int64) {
	for {
		last := c.last.Load()
		if ts <= last || c.last.CompareAndSwap(last, ts) {
			return
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

// uuidEpochOffset is the number of 100 ns intervals between 1582-10-15
// and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// appendTimes reserves n consecutive list element times after every
// earlier append's and returns the first.
func (c *clock) appendTimes(n int) uint64 {
	c.listMu.Lock()
	defer c.listMu.Unlock()
	base := uint64(uuidEpochOffset) + uint64(max(c.current(), 0))*10
	if base <= c.lastAppend {
		base = c.lastAppend + 1
	}
	c.lastAppend = base + uint64(n) - 1
	return base
}

// prependTimes reserves n consecutive list element times before every
// earlier prepend's and every append's, and returns the first: the wall
// clock mirrored below the Unix epoch, so later prepends sort first.
func (c *clock) prependTimes(n int) uint64 {
	c.listMu.Lock()
	defer c.listMu.Unlock()
	base := uint64(uuidEpochOffset) - uint64(max(c.current(), 0))*10 - uint64(n)
	if c.lastPrepend != 0 && base+uint64(n) > c.lastPrepend {
		base = c.lastPrepend - uint64(n)
	}
	c.lastPrepend = base
	return base
}
