package bench

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// Clock is the time source of a run; tests inject a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// SleepUntil returns when t has come or ctx is done, with ctx's error
	// in the latter case.
	SleepUntil(ctx context.Context, t time.Time) error
}

// realClock is the wall clock (with Go's monotonic reading).
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pacer hands out operation slots to workers. Next returns the slot's
// sequence number and its intended start time: the time from which the
// operation's latency is measured.
//
// In a closed loop (rate 0) the intended start is simply the time the slot
// was claimed. In an open loop slot i is intended to start at start + i/rate,
// a schedule fixed in advance: Next sleeps until that time if it lies ahead,
// and returns at once if it has passed (the operation is late, and its
// latency will include the lateness). Slots are claimed in order by an
// atomic counter, so however late the workers are the schedule never issues
// more operations by any time t than start + i/rate <= t allows — there is
// no catching up to a mean rate, only a backlog that is charged for waiting.
// When the run has an end, no slot is handed out once the clock has passed
// it, even if its intended start lay before: a server far slower than the
// schedule would otherwise keep the run going long after its duration.
// Unsent counts the slots so left out, and the report carries it.
//
// Next may be called by many goroutines at once.
type Pacer struct {
	clock    Clock
	start    time.Time
	interval float64 // nanoseconds between slots; 0 in a closed loop
	limit    int64   // number of slots; math.MaxInt64 for no limit
	next     atomic.Int64
	issued   atomic.Int64 // slots handed out
}

// NewPacer returns a pacer whose first slot is at start. rate is in
// operations per second (0 for a closed loop); limit bounds the number of
// slots (0 for no bound).
func NewPacer(clock Clock, start time.Time, rate float64, limit int64) *Pacer {
	p := &Pacer{clock: clock, start: start, limit: limit}
	if rate > 0 {
		p.interval = float64(time.Second) / rate
	}
	if limit <= 0 {
		p.limit = math.MaxInt64
	}
	return p
}

// Next claims the next slot. ok is false when the slots are exhausted, the
// slot's intended start or the current time is at or after end (if end is
// not zero), or ctx is done.
func (p *Pacer) Next(ctx context.Context, end time.Time) (seq int64, intended time.Time, ok bool) {
	if ctx.Err() != nil || !end.IsZero() && !p.clock.Now().Before(end) {
		return 0, time.Time{}, false
	}
	seq = p.next.Add(1) - 1
	if seq >= p.limit {
		return 0, time.Time{}, false
	}
	if p.interval == 0 {
		intended = p.clock.Now()
	} else {
		intended = p.Intended(seq)
	}
	if !end.IsZero() && !intended.Before(end) {
		return 0, time.Time{}, false
	}
	if p.interval > 0 {
		if err := p.clock.SleepUntil(ctx, intended); err != nil {
			return 0, time.Time{}, false
		}
	}
	p.issued.Add(1)
	return seq, intended, true
}

// Unsent returns how many slots of an open-loop schedule were intended to
// start before end but were never handed out, because the run reached end
// (or its context was cancelled) with them still in the backlog. It is zero
// for closed loops and runs without an end.
func (p *Pacer) Unsent(end time.Time) int64 {
	if p.interval == 0 || end.IsZero() {
		return 0
	}
	due := int64(math.Ceil(float64(end.Sub(p.start)) / p.interval))
	return max(min(due, p.limit)-p.issued.Load(), 0)
}

// Intended returns the intended start of slot seq of an open-loop pacer.
func (p *Pacer) Intended(seq int64) time.Time {
	return p.start.Add(time.Duration(float64(seq) * p.interval))
}
