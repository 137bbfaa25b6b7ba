package storage

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// ErrClosed is returned by every Engine method called after Close.
var ErrClosed = errors.New("storage: closed")

// numLatches is the number of partition latch stripes shared by writers
// (read side) and the purger (write side).
const numLatches = 64

// Engine is one node's local store: every table's partitions, the schema
// catalog, node-local metadata and hints, in one Pebble instance. All
// methods are safe for concurrent use.
type Engine struct {
	opts      Options
	db        *pebble.DB
	log       *slog.Logger
	writeOpts *pebble.WriteOptions

	// closeMu is held for reading by every operation and for writing by
	// Close, so Close waits for operations in flight.
	closeMu sync.RWMutex
	closed  bool

	// latches serialize the purger's read-then-delete of a partition with
	// writes to it (a Pebble Delete would also remove a newer merge
	// operand written in between).
	latches   [numLatches]sync.RWMutex
	latchSeed maphash.Seed
	// counterLocks serialize a counter leader's read of its shards with
	// its write of the next ones, per partition (counter.go).
	counterLocks [numLatches]sync.Mutex

	hints hintState
	paxos paxosLocks

	// indexes is the catalog whose secondary indexes Apply maintains
	// (index.go).
	indexes indexState
	built   builtMarks

	throttle *compactionThrottle // setcompactionthroughput (throttle.go)
	pacingL0 int                 // L0 sublevels past which the pacer stops pacing (pacer.go)

	cancel context.CancelFunc
	tasks  sync.WaitGroup

	m counters
}

type counters struct {
	applies, applyPartitions, applyBytes atomic.Int64
	reads, readPartitions, readRows      atomic.Int64
	purgeRuns, purgedKeys                atomic.Int64
	hintsStored, hintsRejected           atomic.Int64
	staleIndexEntries, indexReads        atomic.Int64
}

// Open opens (creating if needed) the store in opts.Dir.
func Open(opts Options) (*Engine, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, log: opts.Logger, latchSeed: maphash.MakeSeed(), throttle: newCompactionThrottle()}
	e.pacingL0 = pebbleL0CompactionThreshold
	e.paxos.seed = maphash.MakeSeed()
	e.writeOpts = pebble.Sync
	if opts.UnsafePeriodicSync > 0 {
		e.writeOpts = pebble.NoSync
	}
	cache := pebble.NewCache(opts.CacheSize + memTableReservation(opts.MemTableSize))
	defer cache.Unref()
	listener := e.throttle.listener()
	popts := &pebble.Options{
		FS:                    throttledFS{FS: opts.FS, t: e.throttle},
		EventListener:         &listener,
		Cache:                 cache,
		MemTableSize:          opts.MemTableSize,
		L0CompactionThreshold: pebbleL0CompactionThreshold,
		Merger:                newMerger(),
		Logger:                pebbleLogger{opts.Logger},
		FormatMajorVersion:    pebble.FormatNewest,
	}
	if d := opts.WALMinSyncInterval; d > 0 {
		popts.WALMinSyncInterval = func() time.Duration { return d }
	}
	db, err := pebble.Open(opts.Dir, popts)
	if err != nil {
		return nil, fmt.Errorf("cannot open pebble store in %s: %w", opts.Dir, err)
	}
	e.db = db
	if err := checkFormatVersion(db, true); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot open store in %s: %w", opts.Dir, err)
	}
	if err := e.loadHintStats(); err != nil {
		_ = db.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if opts.UnsafePeriodicSync > 0 {
		e.goTask(ctx, func(ctx context.Context) { e.periodicSync(ctx, opts.UnsafePeriodicSync) })
	}
	if opts.CompactionPacing > 0 {
		e.goTask(ctx, e.pace)
	}
	if opts.PurgeInterval > 0 {
		e.goTask(ctx, func(ctx context.Context) { e.purgeLoop(ctx, opts.PurgeInterval) })
	}
	return e, nil
}

func (e *Engine) goTask(ctx context.Context, f func(context.Context)) {
	e.tasks.Add(1)
	go func() {
		defer e.tasks.Done()
		f(ctx)
	}()
}

// enter marks the start of an operation, which exit ends.
func (e *Engine) enter() error {
	e.closeMu.RLock()
	if e.closed {
		e.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (e *Engine) exit() { e.closeMu.RUnlock() }

// Close stops the background tasks, waits for operations in flight, syncs
// and closes the store. It is safe to call more than once.
func (e *Engine) Close() error {
	e.cancel()
	e.throttle.close() // compactions waiting on the limit finish at once
	e.tasks.Wait()
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	if e.opts.UnsafePeriodicSync > 0 {
		if err := e.db.LogData(nil, pebble.Sync); err != nil {
			errs = append(errs, fmt.Errorf("cannot sync wal: %w", err))
		}
	}
	if err := e.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("cannot close pebble store: %w", err))
	}
	return errors.Join(errs...)
}

// horizon returns the second before which deletions of table t may be
// purged: now - gc_grace_seconds.
func (e *Engine) horizon(t schema.TableID) int64 {
	return e.opts.Now().Unix() - e.opts.gcGraceSeconds(t)
}

func (e *Engine) nowSeconds() int64 { return e.opts.Now().Unix() }

func (e *Engine) periodicSync(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.db.LogData(nil, pebble.Sync); err != nil {
				e.log.Error("periodic wal sync failed", "err", err)
			}
		}
	}
}

// Flush writes the memtables to sstables.
func (e *Engine) Flush(ctx context.Context) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.db.Flush(); err != nil {
		return fmt.Errorf("cannot flush: %w", err)
	}
	return nil
}

// Compact compacts every key of table t (all keys when t is nil),
// reclaiming the space of what Purge deleted.
func (e *Engine) Compact(ctx context.Context, t *schema.TableID) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	start, end := []byte{0x00}, []byte{0xFF}
	if t != nil {
		start, end = tableSpan(*t)
	}
	if err := e.db.Compact(ctx, start, end, true); err != nil {
		return fmt.Errorf("cannot compact: %w", err)
	}
	return nil
}

// TableSize estimates the bytes on disk used by table t.
func (e *Engine) TableSize(t schema.TableID) (uint64, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	start, end := tableSpan(t)
	n, err := e.db.EstimateDiskUsage(start, end)
	if err != nil {
		return 0, fmt.Errorf("cannot estimate table size: %w", err)
	}
	return n, nil
}

// Metrics is a snapshot of the engine's counters and Pebble's state.
type Metrics struct {
	Applies, ApplyPartitions, ApplyBytes int64
	Reads, ReadPartitions, ReadRows      int64
	PurgeRuns, PurgedKeys                int64
	HintsStored, HintsRejected           int64
	// StaleIndexEntries counts index entries reads found superseded and
	// marked (index_read.go).
	StaleIndexEntries int64
	// IndexReads counts range reads answered through an index's entries.
	IndexReads int64

	DiskSpaceUsage   uint64 // bytes of sstables, WAL and manifest
	MemTableSize     uint64
	L0Files          int64
	ReadAmp          int
	Compactions      int64
	Flushes          int64
	BlockCacheHits   int64
	BlockCacheMisses int64
	WALBytesWritten  uint64

	CompactionDebt        uint64 // bytes compaction must rewrite (Pebble's estimate)
	CompactionsInProgress int64
	CompactedBytes        uint64 // bytes written by compactions, all levels
	FlushedBytes          uint64 // bytes written by flushes
}

// Metrics returns a snapshot of the engine's metrics.
func (e *Engine) Metrics() Metrics {
	m := Metrics{
		Applies: e.m.applies.Load(), ApplyPartitions: e.m.applyPartitions.Load(), ApplyBytes: e.m.applyBytes.Load(),
		Reads: e.m.reads.Load(), ReadPartitions: e.m.readPartitions.Load(), ReadRows: e.m.readRows.Load(),
		PurgeRuns: e.m.purgeRuns.Load(), PurgedKeys: e.m.purgedKeys.Load(),
		HintsStored: e.m.hintsStored.Load(), HintsRejected: e.m.hintsRejected.Load(),
		StaleIndexEntries: e.m.staleIndexEntries.Load(), IndexReads: e.m.indexReads.Load(),
	}
	if err := e.enter(); err != nil {
		return m
	}
	defer e.exit()
	pm := e.db.Metrics()
	m.DiskSpaceUsage = pm.DiskSpaceUsage()
	m.MemTableSize = pm.MemTable.Size
	m.L0Files = pm.Levels[0].TablesCount
	m.ReadAmp = pm.ReadAmp()
	m.Compactions = pm.Compact.Count
	m.Flushes = pm.Flush.Count
	m.BlockCacheHits = pm.BlockCache.Hits
	m.BlockCacheMisses = pm.BlockCache.Misses
	m.WALBytesWritten = pm.WAL.BytesWritten
	m.CompactionDebt = pm.Compact.EstimatedDebt
	m.CompactionsInProgress = pm.Compact.NumInProgress
	for i := range pm.Levels {
		m.CompactedBytes += pm.Levels[i].TableBytesCompacted
		m.FlushedBytes += pm.Levels[i].TableBytesFlushed
	}
	return m
}

// pebbleLogger adapts slog to Pebble's logger.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Info(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble on an unrecoverable invariant violation,
// after which it must not return (Pebble's own logger exits the process).
// We log and panic so the owner of the process decides.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble", "fatal", true)
	panic("storage: pebble fatal error: " + msg)
}
