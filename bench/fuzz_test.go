package bench

import (
	"bytes"
	"reflect"
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
	return r
}
