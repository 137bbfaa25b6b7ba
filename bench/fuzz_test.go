package bench

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzReadReport feeds arbitrary bytes to the report decoder (reports are
// files from earlier runs, possibly other tools' or hand-edited): it must
// never panic, a report it accepts must survive a round trip unchanged, and
// its histogram, if any, must decode or fail cleanly.
func FuzzReadReport(f *testing.F) {
	var seed bytes.Buffer
	rep := Report{Name: "seed", Mode: ModeRead, StartTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Ops: 10, OpsPerSec: 5.5, Latency: Latency{P50Ms: 1, P99Ms: 2}, ErrorsByKind: map[string]int64{"missing": 1}}
	h := newHistogram()
	_ = h.RecordValue(1234)
	rep.LatencyHDR, _ = encodeHistogram(h)
	if err := rep.WriteJSON(&seed); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte(`{"ops": 1, "latency_hdr": "HISTFAAAAB14nJNpmSzMwMDAxAABzFCaEUoz2X+AsQA/awKR"}`))
	f.Add([]byte(`{"ops_per_sec": "fast"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"server_pids": [1, 2], "server_cpu_s": 1.5, "server_cpu_us_per_op": 12.5, "load_avg_1m_start": 0.5, "machine_busy": 0.25, "warnings": ["w"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadReport(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = r.DecodeLatency()
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatalf("accepted report does not encode: %v", err)
		}
		again, err := ReadReport(&buf)
		if err != nil {
			t.Fatalf("re-encoded report does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(r), normalize(again)) {
			t.Fatalf("round trip changed the report:\n%+v\n%+v", r, again)
		}
	})
}

// normalize drops what JSON cannot round-trip exactly: a time's location
// name and monotonic reading (the instant is compared), and empty versus
// nil maps and slices.
func normalize(r Report) Report {
	r.StartTime = r.StartTime.UTC()
	if len(r.ErrorsByKind) == 0 {
		r.ErrorsByKind = nil
	}
	if len(r.ErrorSamples) == 0 {
		r.ErrorSamples = nil
	}
	if len(r.Intervals) == 0 {
		r.Intervals = nil
	}
	if len(r.Hosts) == 0 {
		r.Hosts = nil
	}
	if len(r.ServerPIDs) == 0 {
		r.ServerPIDs = nil
	}
	if len(r.Warnings) == 0 {
		r.Warnings = nil
	}
	return r
}

// FuzzProcText feeds arbitrary text to the three /proc parsers (the kernel
// writes it, but a parser must not trust any writer): none may panic, and
// what they accept must be consistent.
func FuzzProcText(f *testing.F) {
	f.Add([]byte(statLine(4242, "sibyl", 'S', 1500, 320, 2023201)))
	f.Add([]byte(statLine(7, "a) b (c", 'R', 3, 4, 5)))
	f.Add([]byte("5.98 2.62 1.39 14/174 25550\n"))
	f.Add([]byte("cpu  1293093 0 392469 2241308 21924 0 37477 1825 0 0\ncpu0 1 2 3 4 5\n"))
	f.Add([]byte("cpu 10 20 30 40"))
	f.Add([]byte("1 ((() S"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := parseProcStat(data); err == nil && !isLetter(c.state) {
			t.Fatalf("accepted %q with state %q", data, c.state)
		}
		if l, err := parseLoadAvg(data); err == nil && !(l >= 0 && l <= 1e9) {
			t.Fatalf("accepted load average %v from %q", l, data)
		}
		if c, err := parseCPUStat(data); err == nil && c.idle > c.total {
			t.Fatalf("idle %d above total %d from %q", c.idle, c.total, data)
		}
	})
}

// FuzzProcStatComm writes a /proc/PID/stat line with an arbitrary command
// name (the kernel allows any bytes but NUL in it, parentheses and spaces
// included) and checks the times come back exactly.
func FuzzProcStatComm(f *testing.F) {
	f.Add("sibyl", uint64(1500), uint64(320), uint64(2023201))
	f.Add("a) b (c) 9 9", uint64(3), uint64(4), uint64(5))
	f.Add(")", uint64(0), uint64(0), uint64(0))
	f.Add("x\ny", uint64(1)<<63, uint64(1)<<62, uint64(1))
	f.Fuzz(func(t *testing.T, comm string, utime, stime, start uint64) {
		if strings.IndexByte(comm, 0) >= 0 || utime > (1<<64-1)-stime {
			t.Skip()
		}
		got, err := parseProcStat([]byte(statLine(77, comm, 'S', utime, stime, start)))
		if err != nil {
			t.Fatalf("comm %q: %v", comm, err)
		}
		if want := (procCPU{state: 'S', ticks: utime + stime, startTime: start}); got != want {
			t.Fatalf("comm %q: got %+v, want %+v", comm, got, want)
		}
	})
}
