package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// Interval is one progress period of a run.
type Interval struct {
	ElapsedS  float64 `json:"elapsed_s"` // end of the period, from the start of measurement
	Ops       int64   `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P99Ms     float64 `json:"p99_ms"` // of the period's response times
	Errors    int64   `json:"errors"`
}

// Report is the result of a run; it round-trips through JSON (WriteJSON,
// ReadReport). The embedded Latency is the response time, measured from each
// operation's intended start; Service is measured from its actual send.
type Report struct {
	Name         string    `json:"name,omitempty"`
	Mode         Mode      `json:"mode"`
	StartTime    time.Time `json:"start_time"`
	Hosts        []string  `json:"hosts"`
	Concurrency  int       `json:"concurrency"`
	Rate         float64   `json:"rate"` // target ops/s; 0 = closed loop
	DurationS    float64   `json:"duration_s"`
	WarmupS      float64   `json:"warmup_s"`
	Consistency  string    `json:"consistency"`
	Distribution string    `json:"distribution"`
	Partitions   int64     `json:"partitions"`
	RowsPerPart  int64     `json:"rows_per_partition"`
	PartOffset   int64     `json:"partition_offset"`
	ValueSize    int       `json:"value_size"`
	ReadRatio    float64   `json:"read_ratio,omitempty"`
	Validate     bool      `json:"validate"`

	Ops          int64             `json:"ops"`
	Errors       int64             `json:"errors"`
	Unsent       int64             `json:"unsent,omitempty"` // open loop: operations due before the end but never sent (backlog)
	ErrorsByKind map[string]int64  `json:"errors_by_kind,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	RowsChecked  int64             `json:"rows_checked,omitempty"`
	OpsPerSec    float64           `json:"ops_per_sec"`
	Latency

	// What the measured window cost the machine (usage.go), each absent
	// where /proc could not tell. ServerCPUS is the CPU time (user and
	// system) of the processes ServerPIDs summed, ServerCPUUsPerOp that
	// over Ops in microseconds; MachineBusy is the share of all CPUs' time
	// that was not idle, in [0, 1]; the load averages are /proc/loadavg's
	// first figure at the window's start and end.
	ServerPIDs       []int    `json:"server_pids,omitempty"`
	ServerCPUS       *float64 `json:"server_cpu_s,omitempty"`
	ServerCPUUsPerOp *float64 `json:"server_cpu_us_per_op,omitempty"`
	LoadAvg1mStart   *float64 `json:"load_avg_1m_start,omitempty"`
	LoadAvg1mEnd     *float64 `json:"load_avg_1m_end,omitempty"`
	MachineBusy      *float64 `json:"machine_busy,omitempty"`
	Warnings         []string `json:"warnings,omitempty"`

	Service    Latency    `json:"service"`
	Intervals  []Interval `json:"intervals,omitempty"`
	LatencyHDR string     `json:"latency_hdr,omitempty"` // base64 of the HdrHistogram V2 compressed encoding, in microseconds
}

// latencyOf summarizes a microsecond histogram in milliseconds.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		P50Ms:  ms(h.ValueAtPercentile(50)),
		P90Ms:  ms(h.ValueAtPercentile(90)),
		P99Ms:  ms(h.ValueAtPercentile(99)),
		P999Ms: ms(h.ValueAtPercentile(99.9)),
		MaxMs:  ms(h.Max()),
		MeanMs: h.Mean() / 1000,
	}
}

// encodeHistogram returns h in HdrHistogram's portable V2 compressed form
// (base64 text, as HdrHistogram's log format carries it), so runs can be re-analysed or merged later (DecodeLatency).
func encodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("cannot encode latency histogram: %w", err)
	}
	return string(b), nil
}

// DecodeLatency returns the response-time histogram (microseconds) stored in
// the report, or nil if it has none.
func (r *Report) DecodeLatency() (*hdrhistogram.Histogram, error) {
	if r.LatencyHDR == "" {
		return nil, nil
	}
	h, err := hdrhistogram.Decode([]byte(r.LatencyHDR))
	if err != nil {
		return nil, fmt.Errorf("cannot decode latency histogram: %w", err)
	}
	return h, nil
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("cannot encode report: %w", err)
	}
	return nil
}

// WriteJSONFile writes r as WriteJSON does to a new file at path.
func (r *Report) WriteJSONFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot create report file: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write report file: %w", err)
	}
	return nil
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(rd io.Reader) (Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return Report{}, fmt.Errorf("cannot decode report: %w", err)
	}
	return r, nil
}

// ReadReportFile reads a report from a JSON file; its Name defaults to the
// file's name without directory and extension.
func ReadReportFile(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("cannot open report: %w", err)
	}
	defer f.Close()
	r, err := ReadReport(f)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	if r.Name == "" {
		base := path[strings.LastIndexByte(path, '/')+1:]
		r.Name = strings.TrimSuffix(base, ".json")
	}
	return r, nil
}

// WriteSummary prints the human summary of a run.
func (r *Report) WriteSummary(w io.Writer) error {
	loop := "closed loop"
	if r.Rate > 0 {
		loop = fmt.Sprintf("open loop at %.0f ops/s", r.Rate)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mode %s, %s, concurrency %d, consistency %s, %s keys\n",
		r.Mode, loop, r.Concurrency, r.Consistency, r.Distribution)
	fmt.Fprintf(&b, "ops          %d in %.2fs (after %.1fs warmup)\n", r.Ops, r.DurationS, r.WarmupS)
	fmt.Fprintf(&b, "throughput   %.0f ops/s\n", r.OpsPerSec)
	writeLatencyLine(&b, "latency ms  ", r.Latency)
	if r.Rate > 0 {
		writeLatencyLine(&b, "service ms  ", r.Service)
	}
	if r.RowsChecked > 0 {
		fmt.Fprintf(&b, "validated    %d rows\n", r.RowsChecked)
	}
	if r.Unsent > 0 {
		fmt.Fprintf(&b, "unsent       %d operations were due but still queued at the end: the target rate was not sustained\n", r.Unsent)
	}
	writeUsage(&b, r)
	fmt.Fprintf(&b, "errors       %d\n", r.Errors)
	for _, k := range sortedKeys(r.ErrorsByKind) {
		fmt.Fprintf(&b, "  %-16s %d  (%s)\n", k, r.ErrorsByKind[k], r.ErrorSamples[k])
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("cannot write summary: %w", err)
	}
	return nil
}

// writeUsage prints the server CPU and machine load lines, where the
// report has them.
func writeUsage(b *strings.Builder, r *Report) {
	if r.ServerCPUS != nil {
		fmt.Fprintf(b, "server CPU   %.2fs over pids %v", *r.ServerCPUS, r.ServerPIDs)
		if r.ServerCPUUsPerOp != nil {
			fmt.Fprintf(b, ", %.1f µs/op", *r.ServerCPUUsPerOp)
		}
		b.WriteString("\n")
	}
	if r.LoadAvg1mStart != nil || r.MachineBusy != nil {
		b.WriteString("machine     ")
		if r.LoadAvg1mStart != nil && r.LoadAvg1mEnd != nil {
			fmt.Fprintf(b, " load %.2f -> %.2f", *r.LoadAvg1mStart, *r.LoadAvg1mEnd)
		}
		if r.MachineBusy != nil {
			fmt.Fprintf(b, " busy %.0f%%", *r.MachineBusy*100)
		}
		b.WriteString("\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "warning      %s\n", w)
	}
}

func writeLatencyLine(b *strings.Builder, label string, l Latency) {
	fmt.Fprintf(b, "%s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n",
		label, l.P50Ms, l.P90Ms, l.P99Ms, l.P999Ms, l.MaxMs, l.MeanMs)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
