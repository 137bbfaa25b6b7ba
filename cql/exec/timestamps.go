package exec

import (
	"math"
	"time"
)

// DefaultMaxTimestampAhead is the default Config.MaxTimestampAhead: how far
// ahead of this node's clock a client-supplied write timestamp may be.
//
// One hour is far past any clock skew a working cluster sees (NTP keeps
// clocks within milliseconds; a VM resuming or a leap smear, seconds), so
// no honest client is refused. Yet it catches the mistakes that do
// damage: a timestamp in nanoseconds where microseconds are meant (a
// thousand times too large: the year 55000), a typo'd year (2100), a
// client with a clock set days ahead. A write timestamp is compared, not
// trusted: one in the future wins over every later write and delete of
// the same cells until the wall clock passes it, which for these mistakes
// is forever, and nothing tells the client its later writes were lost.
// Cassandra accepts them all.
const DefaultMaxTimestampAhead = time.Hour

// Metrics are the executor's counters, for the node to export.
type Metrics struct {
	// RefusedTimestamps counts client-supplied timestamps refused: more
	// than Config.MaxTimestampAhead ahead of the node's clock, or
	// Long.MIN_VALUE, which Cassandra reserves for "no timestamp".
	RefusedTimestamps int64
	// FailedLogins counts failed password checks (Authenticate).
	FailedLogins int64
}

// Metrics returns the current counters.
func (e *Executor) Metrics() Metrics {
	return Metrics{RefusedTimestamps: e.refusedTimestamps.Load(), FailedLogins: e.auth.failedLogins.load()}
}

// Where a client timestamp came from, as checkClientTimestamp names it.
const (
	tsUsing   = "USING TIMESTAMP"
	tsDefault = "Default timestamp" // of QUERY, EXECUTE or BATCH (protocol)
)

// checkDefaultTimestamp refuses the default timestamp of a request as
// Cassandra's decoder does (QueryOptions.Codec), for any request: Long.
// MIN_VALUE means "none" there. Whether it is too far ahead is checked
// only if a write uses it (checkClientTimestamp).
func (e *Executor) checkDefaultTimestamp(has bool, ts int64) error {
	if has && ts == math.MinInt64 {
		e.refusedTimestamps.Add(1)
		return Errorf(CodeProtocolError, "Out of bound timestamp, must be in [%d, %d] (got %d)", int64(math.MinInt64+1), int64(math.MaxInt64), ts)
	}
	return nil
}

// checkClientTimestamp refuses a client-supplied write timestamp that is
// Long.MIN_VALUE (Invalid, as Cassandra's UpdateParameters) or more than
// MaxTimestampAhead ahead of the node's clock (the clock guard). source
// is tsUsing or tsDefault.
func (e *Executor) checkClientTimestamp(ts int64, source string) error {
	if ts == math.MinInt64 {
		e.refusedTimestamps.Add(1)
		return invalidf("Out of bound timestamp, must be in [%d, %d]", int64(math.MinInt64+1), int64(math.MaxInt64))
	}
	bound := e.cfg.MaxTimestampAhead
	if bound < 0 {
		return nil
	}
	now := e.clock.current()
	// ts > now, so their difference is in (0, 2^64): exact in uint64.
	if ts <= now || uint64(ts)-uint64(now) <= uint64(bound.Microseconds()) {
		return nil
	}
	e.refusedTimestamps.Add(1)
	return invalidf("%s %d (%s) is more than %s ahead of this node's clock %d (%s); write timestamps are microseconds since the epoch",
		source, ts, microsText(ts), bound, now, microsText(now))
}

// microsText prints microseconds since the epoch as a UTC date.
func microsText(us int64) string {
	return time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
}
