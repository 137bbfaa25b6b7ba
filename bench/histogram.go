package bench

import (
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry: microseconds from 1 us to one hour at 3 significant
// digits. An hour is far beyond any request timeout, but an open-loop run
// against a stalled server charges operations for their whole backlog, and
// those latencies must be recorded, not clamped.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// micros converts d to whole microseconds within the histogram's range.
func micros(d time.Duration) int64 {
	return min(max(int64(d/time.Microsecond), histLowest), histHighest)
}

// recorder collects latencies and errors from many workers. Workers record
// into one of a few shards (hdrhistogram is not safe for concurrent use, and
// a single lock would serialize 128 workers); the sampler periodically takes
// everything recorded so far, leaving the shards empty, as HdrHistogram's
// Recorder does with its interval histograms.
type recorder struct {
	shards []recordShard
	ops    atomic.Int64 // successful operations recorded
	errs   atomic.Int64 // failed operations recorded
	warm   atomic.Int64 // operations completed during warmup (not recorded)
	rows   atomic.Int64 // rows validated
}

type recordShard struct {
	mu struct {
		sync.Mutex
		lat      *hdrhistogram.Histogram // response time: from intended start; guarded by mu
		svc      *hdrhistogram.Histogram // service time: from actual send; guarded by mu
		errKinds map[string]int64        // guarded by mu
		samples  map[string]string       // first message per error kind; guarded by mu
	}
	_ [64]byte // keep shards on separate cache lines
}

func newRecorder(shards int) *recorder {
	r := &recorder{shards: make([]recordShard, max(shards, 1))}
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.lat, s.mu.svc = newHistogram(), newHistogram()
		s.mu.errKinds, s.mu.samples = map[string]int64{}, map[string]string{}
	}
	return r
}

// recordOK records a successful operation of worker w.
func (r *recorder) recordOK(w int, response, service time.Duration) {
	s := &r.shards[w%len(r.shards)]
	s.mu.Lock()
	_ = s.mu.lat.RecordValue(micros(response)) // in range by construction
	_ = s.mu.svc.RecordValue(micros(service))
	s.mu.Unlock()
	r.ops.Add(1)
}

// recordErr records a failed operation of worker w.
func (r *recorder) recordErr(w int, kind, msg string) {
	s := &r.shards[w%len(r.shards)]
	s.mu.Lock()
	s.mu.errKinds[kind]++
	if _, ok := s.mu.samples[kind]; !ok {
		s.mu.samples[kind] = msg
	}
	s.mu.Unlock()
	r.errs.Add(1)
}

// totals accumulates what a recorder has taken.
type totals struct {
	lat, svc *hdrhistogram.Histogram
	errKinds map[string]int64
	samples  map[string]string
}

func newTotals() *totals {
	return &totals{lat: newHistogram(), svc: newHistogram(), errKinds: map[string]int64{}, samples: map[string]string{}}
}

// take moves everything recorded since the last take into t, and returns
// the response-time histogram of just that interval.
func (r *recorder) take(t *totals) *hdrhistogram.Histogram {
	interval := newHistogram()
	for i := range r.shards {
		r.shards[i].takeInto(t, interval)
	}
	t.lat.Merge(interval)
	return interval
}

func (s *recordShard) takeInto(t *totals, interval *hdrhistogram.Histogram) {
	s.mu.Lock()
	defer s.mu.Unlock()
	interval.Merge(s.mu.lat)
	t.svc.Merge(s.mu.svc)
	s.mu.lat.Reset()
	s.mu.svc.Reset()
	for k, n := range s.mu.errKinds {
		t.errKinds[k] += n
		delete(s.mu.errKinds, k)
	}
	for k, m := range s.mu.samples {
		if _, ok := t.samples[k]; !ok {
			t.samples[k] = m
		}
		delete(s.mu.samples, k)
	}
}
