package bench

import (
	"context"
	"fmt"
)

// sample runs until ctx is done, taking the recorder's histograms every
// sampleEvery into tot, printing a progress line for each period and
// returning the periods. With sampleEvery zero it returns at once.
func (r *runner) sample(ctx context.Context, w window, tot *totals) []Interval {
	if r.sampleEvery <= 0 {
		return nil
	}
	var (
		intervals []Interval
		lastOps   int64
		lastErrs  int64
		lastWarm  int64
		lastTime  = w.start
	)
	for next := w.start.Add(r.sampleEvery); ; next = next.Add(r.sampleEvery) {
		if err := r.clock.SleepUntil(ctx, next); err != nil {
			return intervals
		}
		now := r.clock.Now()
		period := now.Sub(lastTime).Seconds()
		lastTime = now
		h := r.rec.take(tot)
		ops, errs, warm := r.rec.ops.Load(), r.rec.errs.Load(), r.rec.warm.Load()
		if now.Before(w.measure) {
			r.printf("%7.1fs  warmup  %8.0f ops/s\n", now.Sub(w.start).Seconds(), float64(warm-lastWarm)/period)
			lastWarm = warm
			continue
		}
		iv := Interval{
			ElapsedS:  now.Sub(w.measure).Seconds(),
			Ops:       ops - lastOps,
			OpsPerSec: float64(ops-lastOps) / period,
			P99Ms:     float64(h.ValueAtPercentile(99)) / 1000,
			Errors:    errs - lastErrs,
		}
		intervals = append(intervals, iv)
		lastOps, lastErrs, lastWarm = ops, errs, warm
		r.printf("%7.1fs  %8.0f ops/s  p99 %8.3f ms (so far %8.3f)  errors %d\n",
			iv.ElapsedS, iv.OpsPerSec, iv.P99Ms, float64(tot.lat.ValueAtPercentile(99))/1000, errs)
	}
}

func (r *runner) printf(format string, args ...any) {
	if r.cfg.Progress == nil {
		return
	}
	// A progress line that cannot be written is not worth failing a run for.
	_, _ = fmt.Fprintf(r.cfg.Progress, format, args...)
}
