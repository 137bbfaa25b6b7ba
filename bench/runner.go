package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// OpKind is what one operation does.
type OpKind uint8

// The operation kinds.
const (
	// OpWrite writes row (PK, CK) with the value Value derives from it.
	OpWrite OpKind = iota
	// OpRead reads row (PK, CK).
	OpRead
	// OpScan reads all of partition PK.
	OpScan
	// OpIncrement adds 1 to the counter of row (PK, CK) (ModeCounter).
	OpIncrement
	// OpCAS inserts row (PK, CK) only if it does not exist: a lightweight
	// transaction (a Paxos round at SERIAL) whether or not it applies.
	OpCAS
	// OpIndexPoint reads row (PK, CK) through the index on its unique
	// number u.
	OpIndexPoint
	// OpIndexGroup reads a page of the rows sharing row (PK, CK)'s
	// low-cardinality value g, through its index.
	OpIndexGroup
)

// Op is one operation: a kind and the key it addresses (CK is unused by
// scans).
type Op struct {
	Kind   OpKind
	PK, CK int64
}

// Target executes operations. It is the seam between the load loop (pacing,
// key choice, recording) and the client: Run's target is gocql, and
// RunTarget measures any other (the raw-storage baseline of the suite) with
// the same schedule and histograms.
type Target interface {
	// Worker returns the executor of worker id. It is called once per
	// worker, from that worker's goroutine, so calls may be concurrent.
	Worker(id int) Worker
}

// Worker executes one worker's operations; it is used by one goroutine only.
type Worker interface {
	// Do executes o and returns the number of rows it validated. It must
	// return promptly once ctx is done.
	Do(ctx context.Context, o Op) (rows int, err error)
}

// errorClassifier names the kind of a failed operation's error.
type errorClassifier func(error) string

// runner is the load loop of a run, independent of the client.
type runner struct {
	cfg         Config // defaults applied and validated
	clock       Clock
	keys        KeyGen
	classify    errorClassifier
	sampleEvery time.Duration // 0 disables the sampler (progress and intervals)
	rec         *recorder
	usage       *usageMeter
}

func newRunner(cfg Config, clock Clock, classify errorClassifier) (*runner, error) {
	keys, err := NewKeyGen(cfg.Distribution, cfg.keyCount(), cfg.ZipfTheta)
	if err != nil {
		return nil, err
	}
	return &runner{
		cfg:         cfg,
		clock:       clock,
		keys:        keys,
		classify:    classify,
		sampleEvery: cfg.ProgressInterval,
		// A few shards per core keep lock contention negligible while the
		// sampler merges only a handful of histograms per period.
		rec:   newRecorder(min(cfg.Concurrency, 4*runtime.GOMAXPROCS(0))),
		usage: newUsageMeter(cfg.procRoot, cfg.ServerPIDs),
	}, nil
}

// window is the time frame of a run.
type window struct {
	start   time.Time // first intended start
	measure time.Time // end of warmup: operations intended before it are not recorded
	end     time.Time // no operation is intended at or after it; zero if unbounded
}

// run drives the load and returns the report. Every goroutine it starts has
// returned when it returns.
func (r *runner) run(ctx context.Context, tgt Target) (Report, error) {
	var w window
	w.start = r.clock.Now()
	w.measure = w.start.Add(r.cfg.Warmup)
	if r.cfg.Duration > 0 {
		w.end = w.measure.Add(r.cfg.Duration)
	}
	pacer := NewPacer(r.clock, w.start, r.cfg.Rate, r.cfg.Ops)
	tot := newTotals()
	var intervals []Interval

	samplerCtx, stopSampler := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		intervals = r.sample(samplerCtx, w, tot)
	}()

	var wg sync.WaitGroup
	for id := range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, id, tgt.Worker(id), pacer, w)
		}()
	}
	wg.Wait()
	finish := r.clock.Now()
	r.usage.markEnd()
	stopSampler()
	<-samplerDone
	r.rec.take(tot)
	if err := ctx.Err(); err != nil && r.rec.ops.Load() == 0 {
		return Report{}, fmt.Errorf("bench: run cancelled: %w", err)
	}
	rep, err := r.report(w, finish, tot, intervals)
	rep.Unsent = pacer.Unsent(w.end)
	return rep, err
}

// work is the loop of one worker: claim a slot, wait for it, execute, record.
func (r *runner) work(ctx context.Context, id int, ex Worker, pacer *Pacer, w window) {
	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(id)))
	for {
		_, intended, ok := pacer.Next(ctx, w.end)
		if !ok {
			return
		}
		if !intended.Before(w.measure) {
			r.usage.markStart()
		}
		o := r.nextOp(rng)
		sent := r.clock.Now()
		rows, err := ex.Do(ctx, o)
		done := r.clock.Now()
		if ctx.Err() != nil {
			return // the run was cancelled: this operation's fate says nothing
		}
		if intended.Before(w.measure) {
			r.rec.warm.Add(1)
			continue
		}
		if err != nil {
			r.rec.recordErr(id, r.classify(err), err.Error())
			continue
		}
		r.rec.rows.Add(int64(rows))
		r.rec.recordOK(id, done.Sub(intended), done.Sub(sent))
	}
}

// nextOp chooses the next operation's kind and key.
func (r *runner) nextOp(rng *rand.Rand) Op {
	idx := r.keys.Next(rng)
	switch r.cfg.Mode {
	case ModeScan:
		return Op{Kind: OpScan, PK: r.cfg.PartitionOffset + idx}
	case ModeCounter:
		return r.pointOp(OpIncrement, idx)
	case ModeRead:
		return r.pointOp(OpRead, idx)
	case ModeCAS:
		return r.pointOp(OpCAS, idx)
	case ModeIndexPoint:
		return r.pointOp(OpIndexPoint, idx)
	case ModeIndexGroup:
		return r.pointOp(OpIndexGroup, idx)
	case ModeMixed:
		if rng.Float64() < r.cfg.ReadRatio {
			return r.pointOp(OpRead, idx)
		}
		return r.pointOp(OpWrite, idx)
	default:
		return r.pointOp(OpWrite, idx)
	}
}

func (r *runner) pointOp(kind OpKind, idx int64) Op {
	rows := r.cfg.RowsPerPartition
	return Op{Kind: kind, PK: r.cfg.PartitionOffset + idx/rows, CK: idx % rows}
}

// report assembles the Report of a finished run.
func (r *runner) report(w window, finish time.Time, tot *totals, intervals []Interval) (Report, error) {
	elapsed := finish.Sub(w.measure)
	if elapsed <= 0 {
		elapsed = time.Nanosecond // every operation fell within the warmup
	}
	rep := r.reportHeader(w)
	rep.DurationS = elapsed.Seconds()
	rep.Ops = r.rec.ops.Load()
	rep.Errors = r.rec.errs.Load()
	rep.RowsChecked = r.rec.rows.Load()
	rep.OpsPerSec = float64(rep.Ops) / elapsed.Seconds()
	rep.Latency = latencyOf(tot.lat)
	rep.Service = latencyOf(tot.svc)
	rep.Intervals = intervals
	if len(tot.errKinds) > 0 {
		rep.ErrorsByKind, rep.ErrorSamples = tot.errKinds, tot.samples
	}
	enc, err := encodeHistogram(tot.lat)
	if err != nil {
		return Report{}, err
	}
	rep.LatencyHDR = enc
	r.usage.fill(&rep)
	return rep, nil
}

func (r *runner) reportHeader(w window) Report {
	c := &r.cfg
	rep := Report{
		Mode: c.Mode, StartTime: w.start.UTC(), Hosts: c.Hosts,
		Concurrency: c.Concurrency, Rate: c.Rate, WarmupS: c.Warmup.Seconds(),
		Consistency: c.Consistency, Distribution: string(c.Distribution),
		Partitions: c.Partitions, RowsPerPart: c.RowsPerPartition, PartOffset: c.PartitionOffset,
		ValueSize: c.ValueSize, Validate: c.ValidateData,
	}
	if c.Mode == ModeMixed {
		rep.ReadRatio = c.ReadRatio
	}
	return rep
}
