package exec_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
)

func bigintVal(v int64) exec.Value {
	return exec.Value{Bytes: binary.BigEndian.AppendUint64(nil, uint64(v))}
}

// The harness's clock reads 2024-01-02T03:04:05Z.
var harnessNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro()

// TestClientTimestampsTooFarAheadAreRefused covers the clock guard: a
// client-supplied write timestamp (USING TIMESTAMP, in a statement or a
// batch, or the default timestamp of QUERY, EXECUTE and BATCH) more than
// Config.MaxTimestampAhead (default one hour) ahead of the node's clock
// is refused with Invalid, and nothing is written. Such a timestamp would
// win over every later write of the same cells until the wall clock
// caught up: years, for a timestamp in nanoseconds or a typo'd year.
func TestClientTimestampsTooFarAheadAreRefused(t *testing.T) {
	hour := time.Hour.Microseconds()
	ns := harnessNow * 1000          // nanoseconds sent as microseconds
	y2100 := int64(4102444800000000) // 2100-01-01, a typo'd year
	tooFar := harnessNow + hour + 1  // one microsecond past the bound
	const clockText = "this node's clock 1704164645000000 (2024-01-02T03:04:05Z)"
	refusal := func(source string, ts int64, date string) string {
		return fmt.Sprintf("%s %d (%s) is more than 1h0m0s ahead of %s; write timestamps are microseconds since the epoch", source, ts, date, clockText)
	}
	cases := []struct {
		name  string
		query string
		o     *exec.QueryOptions // nil: none
		batch *exec.Batch        // instead of query
		want  string             // "" when accepted
	}{
		{name: "USING at the bound", query: fmt.Sprintf("INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP %d", harnessNow+hour)},
		{name: "USING in the past", query: "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP -9223372036854775807"},
		{name: "USING past the bound", query: fmt.Sprintf("INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP %d", tooFar),
			want: refusal("USING TIMESTAMP", tooFar, "2024-01-02T04:04:05.000001Z")},
		{name: "USING in nanoseconds", query: fmt.Sprintf("UPDATE t USING TIMESTAMP %d SET v = 1 WHERE k = 1", ns),
			want: refusal("USING TIMESTAMP", ns, "55972-10-29T20:03:20Z")},
		{name: "USING in 2100 on DELETE", query: fmt.Sprintf("DELETE FROM t USING TIMESTAMP %d WHERE k = 1", y2100),
			want: refusal("USING TIMESTAMP", y2100, "2100-01-01T00:00:00Z")},
		{name: "USING bound", query: "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP ?",
			o: &exec.QueryOptions{Values: []exec.Value{bigintVal(y2100)}}, want: refusal("USING TIMESTAMP", y2100, "2100-01-01T00:00:00Z")},
		{name: "USING unset falls back to the default", query: "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP ?",
			o:    &exec.QueryOptions{Values: []exec.Value{{Unset: true}}, Timestamp: y2100, HasTimestamp: true},
			want: refusal("Default timestamp", y2100, "2100-01-01T00:00:00Z")},
		{name: "batch USING", query: fmt.Sprintf("BEGIN BATCH USING TIMESTAMP %d INSERT INTO t (k, v) VALUES (1, 1) APPLY BATCH", y2100),
			want: refusal("USING TIMESTAMP", y2100, "2100-01-01T00:00:00Z")},
		{name: "statement USING in a batch", query: fmt.Sprintf("BEGIN BATCH INSERT INTO t (k, v) VALUES (2, 2); INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP %d APPLY BATCH", y2100),
			want: refusal("USING TIMESTAMP", y2100, "2100-01-01T00:00:00Z")},
		{name: "default timestamp", query: "INSERT INTO t (k, v) VALUES (1, 1)",
			o: &exec.QueryOptions{Timestamp: ns, HasTimestamp: true}, want: refusal("Default timestamp", ns, "55972-10-29T20:03:20Z")},
		{name: "default timestamp overridden by USING", query: "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP 5",
			o: &exec.QueryOptions{Timestamp: ns, HasTimestamp: true}},
		{name: "default timestamp on a read is not used", query: "SELECT * FROM t",
			o: &exec.QueryOptions{Timestamp: ns, HasTimestamp: true}},
		{name: "default timestamp of a BATCH message", batch: &exec.Batch{Timestamp: y2100, HasTimestamp: true,
			Statements: []exec.BatchStatement{{Query: "INSERT INTO t (k, v) VALUES (1, 1)"}}},
			want: refusal("Default timestamp", y2100, "2100-01-01T00:00:00Z")},
		{name: "USING in a BATCH message", batch: &exec.Batch{
			Statements: []exec.BatchStatement{{Query: fmt.Sprintf("INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP %d", y2100)}}},
			want: refusal("USING TIMESTAMP", y2100, "2100-01-01T00:00:00Z")},
		{name: "BATCH message default overridden", batch: &exec.Batch{Timestamp: y2100, HasTimestamp: true,
			Statements: []exec.BatchStatement{{Query: "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP 5"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			setupKS(h)
			h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
			var err error
			if c.batch != nil {
				_, err = h.ex.Batch(context.Background(), h.sess, c.batch)
			} else {
				_, err = h.ex.Query(context.Background(), h.sess, c.query, c.o)
			}
			refused := int64(0)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else {
				refused = 1
				if ce, ok := err.(*exec.Error); !ok || ce.Code != exec.CodeInvalid || ce.Message != c.want {
					t.Fatalf("got %v\nwant Invalid %s", err, c.want)
				}
				if got := h.run("SELECT k FROM t", nil); got != "k int" {
					t.Errorf("a refused write wrote: %s", got)
				}
			}
			if got := h.ex.Metrics().RefusedTimestamps; got != refused {
				t.Errorf("RefusedTimestamps = %d, want %d", got, refused)
			}
		})
	}
}

// TestClientTimestampOutOfRange covers Long.MIN_VALUE, which Cassandra
// keeps for "no timestamp": as a default timestamp its decoder refuses it
// with a ProtocolError, for any request; in USING TIMESTAMP it is Invalid
// (UpdateParameters).
func TestClientTimestampOutOfRange(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	ctx := context.Background()
	const protocolMsg = "Out of bound timestamp, must be in [-9223372036854775807, 9223372036854775807] (got -9223372036854775808)"
	const usingMsg = "Out of bound timestamp, must be in [-9223372036854775807, 9223372036854775807]"
	sel, err := h.ex.Prepare(ctx, h.sess, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	min := &exec.QueryOptions{Timestamp: math.MinInt64, HasTimestamp: true}
	check := func(what string, err error, code exec.ErrorCode, msg string) {
		t.Helper()
		if ce, ok := err.(*exec.Error); !ok || ce.Code != code || ce.Message != msg {
			t.Errorf("%s: got %v, want %s %q", what, err, code, msg)
		}
	}
	_, err = h.ex.Query(ctx, h.sess, "SELECT * FROM t", min)
	check("QUERY SELECT", err, exec.CodeProtocolError, protocolMsg)
	_, err = h.ex.Query(ctx, h.sess, "INSERT INTO t (k, v) VALUES (1, 1)", min)
	check("QUERY INSERT", err, exec.CodeProtocolError, protocolMsg)
	_, err = h.ex.Execute(ctx, h.sess, sel.ID, min)
	check("EXECUTE", err, exec.CodeProtocolError, protocolMsg)
	_, err = h.ex.Batch(ctx, h.sess, &exec.Batch{Timestamp: math.MinInt64, HasTimestamp: true,
		Statements: []exec.BatchStatement{{Query: "INSERT INTO t (k, v) VALUES (1, 1)"}}})
	check("BATCH", err, exec.CodeProtocolError, protocolMsg)
	_, err = h.ex.Query(ctx, h.sess, "INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP -9223372036854775808", nil)
	check("USING", err, exec.CodeInvalid, usingMsg)
	_, err = h.ex.Query(ctx, h.sess, "BEGIN BATCH USING TIMESTAMP ? INSERT INTO t (k, v) VALUES (1, 1) APPLY BATCH",
		&exec.QueryOptions{Values: []exec.Value{bigintVal(math.MinInt64)}})
	check("batch USING", err, exec.CodeInvalid, usingMsg)
	if got := h.ex.Metrics().RefusedTimestamps; got != 6 {
		t.Errorf("RefusedTimestamps = %d, want 6", got)
	}
	if got := h.run("SELECT k FROM t", nil); got != "k int" {
		t.Errorf("a refused write wrote: %s", got)
	}
}

// TestNullBatchTimestamp: a null USING TIMESTAMP is refused on a batch as
// on a statement (Attributes.getTimestamp), not silently replaced.
func TestNullBatchTimestamp(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	for _, q := range []string{
		"BEGIN BATCH USING TIMESTAMP ? INSERT INTO t (k, v) VALUES (1, 1) APPLY BATCH",
		"INSERT INTO t (k, v) VALUES (1, 1) USING TIMESTAMP ?",
	} {
		if got := h.run(q, &exec.QueryOptions{Values: []exec.Value{{}}}); got != "error 0x2200: Invalid null value of timestamp" {
			t.Errorf("%s with null: %s", q, got)
		}
	}
}

// TestMaxTimestampAheadConfig checks the bound is configurable, and that a
// negative one turns the guard off.
func TestMaxTimestampAheadConfig(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		bound    time.Duration
		ahead    int64 // microseconds ahead of the clock
		accepted bool
	}{
		{0, time.Hour.Microseconds(), true}, // 0: the default, one hour
		{0, time.Hour.Microseconds() + 1, false},
		{time.Second, time.Second.Microseconds(), true},
		{time.Second, time.Second.Microseconds() + 1, false},
		{-1, 100 * 365 * 24 * time.Hour.Microseconds(), true},
		{-1, math.MaxInt64 - harnessNow, true},
		{24 * time.Hour, math.MaxInt64 - harnessNow, false},
	} {
		h := newHarnessWith(t, func(cfg *exec.Config) { cfg.MaxTimestampAhead = c.bound })
		setupKS(h)
		h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
		_, err := h.ex.Query(ctx, h.sess, "INSERT INTO t (k, v) VALUES (1, 1)", &exec.QueryOptions{Timestamp: harnessNow + c.ahead, HasTimestamp: true})
		if (err == nil) != c.accepted {
			t.Errorf("bound %v, %d µs ahead: got %v, want accepted %v", c.bound, c.ahead, err, c.accepted)
		}
	}
}

// TestServerTimestampsSurviveAClockStepBack: the node's own timestamps keep
// increasing when its wall clock steps back, so a later write still wins;
// and the guard measures client timestamps against the node's clock as
// its timestamps show it (never behind the last one it handed out), so a
// step back does not refuse a client whose clock is right.
func TestServerTimestampsSurviveAClockStepBack(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	h.must("INSERT INTO t (k, v) VALUES (1, 1)")
	var first int64
	fmt.Sscanf(h.run("SELECT writetime(v) FROM t WHERE k = 1", nil), "writetime(v) bigint\n%d", &first)
	if first < harnessNow {
		t.Fatalf("first write at %d, before the clock %d", first, harnessNow)
	}
	h.clock.Advance(-2 * time.Hour)
	h.must("INSERT INTO t (k, v) VALUES (1, 2)")
	want := fmt.Sprintf("v int | writetime(v) bigint\n2 | %d", first+1)
	if got := h.run("SELECT v, writetime(v) FROM t WHERE k = 1", nil); got != want {
		t.Errorf("after a step back:\n%s\nwant:\n%s", got, want)
	}
	// 30 minutes ahead of the timestamps this node hands out, 2h30 ahead of
	// its wall clock.
	o := &exec.QueryOptions{Timestamp: harnessNow + 30*time.Minute.Microseconds(), HasTimestamp: true}
	if _, err := h.ex.Query(context.Background(), h.sess, "INSERT INTO t (k, v) VALUES (2, 1)", o); err != nil {
		t.Errorf("a right client clock after the node's clock stepped back: %v", err)
	}
	if !strings.Contains(h.run("SELECT k FROM t WHERE k = 2", nil), "\n2") {
		t.Error("the write was not applied")
	}
}
