package bench

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleReport(t *testing.T) Report {
	t.Helper()
	clock := newFakeClock()
	cfg := testConfig(func(c *Config) { c.Rate = 500; c.Ops = 200; c.Mode = ModeMixed })
	r, err := newTestRunner(cfg, clock)
	if err != nil {
		t.Fatal(err)
	}
	tgt := &fakeTarget{clock: clock, service: 300 * time.Microsecond,
		stalls: map[int]time.Duration{10: 20 * time.Millisecond},
		err: func(n int, _ Op) error {
			if n == 5 {
				return ErrMissing
			}
			return nil
		}}
	rep, err := r.run(context.Background(), tgt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestReportJSONRoundTrip(t *testing.T) {
	rep := sampleReport(t)
	rep.Intervals = []Interval{{ElapsedS: 1, Ops: 10, OpsPerSec: 10, P99Ms: 1.5, Errors: 1}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"ops_per_sec"`, `"p50_ms"`, `"p90_ms"`, `"p99_ms"`, `"p999_ms"`, `"max_ms"`,
		`"errors"`, `"ops"`, `"mode"`, `"concurrency"`, `"rate"`, `"duration_s"`, `"start_time"`} {
		if !strings.Contains(buf.String(), field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	got, err := ReadReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rep) {
		t.Fatalf("round trip changed the report:\n got %+v\nwant %+v", got, rep)
	}
	h, err := got.DecodeLatency()
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != got.Ops || float64(h.ValueAtPercentile(99))/1000 != got.P99Ms {
		t.Fatalf("histogram of %d values, p99 %d us; report says %d ops, p99 %.3f ms",
			h.TotalCount(), h.ValueAtPercentile(99), got.Ops, got.P99Ms)
	}
}

func TestReadReportRejectsGarbage(t *testing.T) {
	if _, err := ReadReport(strings.NewReader("{not json")); err == nil {
		t.Fatal("garbage accepted")
	}
	bad := Report{LatencyHDR: "!!!"}
	if _, err := bad.DecodeLatency(); err == nil {
		t.Fatal("garbage histogram accepted")
	}
}

func TestSummaryMentionsErrorsAndPercentiles(t *testing.T) {
	rep := sampleReport(t)
	var buf bytes.Buffer
	if err := rep.WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"throughput", "p99.9", "service ms", "missing", ErrMissing.Error()} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestCompare(t *testing.T) {
	a := Report{Name: "null", Mode: ModeWrite, Concurrency: 128, OpsPerSec: 100_000, Latency: Latency{P99Ms: 2}}
	b := Report{Name: "pebble", Mode: ModeWrite, Concurrency: 128, Rate: 5000, OpsPerSec: 75_000, Latency: Latency{P99Ms: 3}}
	var md bytes.Buffer
	if err := Compare(&md, []Report{a, b}, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "| --- |") {
		t.Fatalf("markdown table malformed:\n%s", md.String())
	}
	for _, want := range []string{"| pebble | write | 128 | 5000 | 75000 | 0.75 |", "| 1.50 | 0 |", "| null | write | 128 | max | 100000 | 1.00 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var txt bytes.Buffer
	if err := Compare(&txt, []Report{a, b}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "0.75") || strings.Contains(txt.String(), "|") {
		t.Fatalf("text table malformed:\n%s", txt.String())
	}
	if err := Compare(&txt, nil, false); err == nil {
		t.Fatal("empty comparison accepted")
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	cfg := Config{Mode: "bogus", Distribution: "gaussian", Concurrency: -1, Keyspace: "bad-name",
		ReadRatio: 2, Consistency: "SOMETIMES", Compression: "zstd"}
	cfg.EnsureDefaults()
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"mode", "distribution", "concurrency", "identifiers", "read ratio", "consistency", "compression"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	good := Config{}
	good.EnsureDefaults()
	if err := good.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	if good.Duration != 30*time.Second || good.Concurrency != 128 || good.Keyspace != "sibyl_bench" {
		t.Fatalf("unexpected defaults %+v", good)
	}
}

type fakeRequestError struct{ code int }

func (e fakeRequestError) Code() int       { return e.code }
func (e fakeRequestError) Message() string { return "m" }
func (e fakeRequestError) Error() string   { return "request error" }

func TestErrorKind(t *testing.T) {
	cases := map[error]string{
		ErrMissing:                               "missing",
		ErrCorrupt:                               "corrupt",
		context.DeadlineExceeded:                 "client_timeout",
		fakeRequestError{0x1000}:                 "unavailable",
		fakeRequestError{0x1001}:                 "overloaded",
		fakeRequestError{0x1100}:                 "write_timeout",
		fakeRequestError{0x1200}:                 "read_timeout",
		fakeRequestError{0x7777}:                 "error_0x7777",
		errors.New("something else"):             "other",
		errors.Join(errors.New("x"), ErrCorrupt): "corrupt",
	}
	for err, want := range cases {
		if got := errorKind(err); got != want {
			t.Errorf("errorKind(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestHostList(t *testing.T) {
	cfg := Config{Hosts: []string{"127.0.0.1", " 127.0.0.2:9999 ", "", "::1"}, Port: 9042}
	got := hostList(&cfg)
	want := []string{"127.0.0.1:9042", "127.0.0.2:9999", "[::1]:9042"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hostList = %v, want %v", got, want)
	}
}

func TestCompareUsageColumns(t *testing.T) {
	busy := 0.5
	a := Report{Name: "a", Mode: ModeWrite, OpsPerSec: 1000, ServerCPUUsPerOp: ptr(10.0), LoadAvg1mStart: ptr(1.5), MachineBusy: &busy}
	b := Report{Name: "b", Mode: ModeWrite, OpsPerSec: 800, ServerCPUUsPerOp: ptr(15.0), LoadAvg1mStart: ptr(2.0)}
	old := Report{Name: "old", Mode: ModeWrite, OpsPerSec: 900}
	var md bytes.Buffer
	if err := Compare(&md, []Report{a, b, old}, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| errors | srv µs/op | x srv | load | busy |",
		"| a | write |", "| 10.0 | 1.00 | 1.50 | 50% |",
		"| 15.0 | 1.50 | 2.00 | n/a |",
		"| old | write |", "| n/a | n/a | n/a | n/a |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	// The first row has no server CPU: no ratio against it.
	md.Reset()
	if err := Compare(&md, []Report{old, b}, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 15.0 | n/a | 2.00 |") || strings.Contains(md.String(), "busy") {
		t.Errorf("a first row without server CPU:\n%s", md.String())
	}
	// Reports of runs that measured none of it keep the old table.
	md.Reset()
	if err := Compare(&md, []Report{old, old}, true); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(md.String(), "\n")
	if !strings.HasSuffix(header, "| errors |") {
		t.Errorf("usage columns without usage figures: %s", header)
	}
}
