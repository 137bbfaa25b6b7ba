package storage

import (
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Compaction throughput (nodetool setcompactionthroughput). Pebble has no
// rate limit of its own, so the engine gives Pebble a file system whose
// sstable files are throttled while they are a compaction's output:
// Pebble announces each new table (EventListener.TableCreated, with the
// reason "compacting" or "flushing") after creating the file and before
// writing it, and the file's writes then pay for their bytes under the
// limit. Flushes are never throttled: a slow flush would stall writes,
// which Cassandra's limit does not do either.

// compactionThrottle is the limit and its bookkeeping.
type compactionThrottle struct {
	operator   atomic.Int64 // setcompactionthroughput's limit; 0: none set
	paced      atomic.Int64 // the pacer's limit (pacer.go); 0: compactions are behind, none
	compacting sync.Map     // base name of a compaction's output table -> true
	done       chan struct{}
	closeOnce  sync.Once

	mu   sync.Mutex
	next time.Time // when the bytes granted so far have been paid for
}

func newCompactionThrottle() *compactionThrottle {
	t := &compactionThrottle{done: make(chan struct{})}
	t.operator.Store(-1)
	return t
}

// close releases every waiting write (the engine is closing).
func (t *compactionThrottle) close() { t.closeOnce.Do(func() { close(t.done) }) }

// limit is the bytes per second compactions may write now (0: no
// limit): the operator's when one was set (it wins both ways: an
// operator who lifted the limit wants compactions to catch up), else the
// pacer's.
func (t *compactionThrottle) limit() int64 {
	if op := t.operator.Load(); op >= 0 {
		return op
	}
	return t.paced.Load()
}

// wait blocks until n more bytes fit under the limit.
func (t *compactionThrottle) wait(n int) {
	bps := t.limit()
	if bps <= 0 || n <= 0 {
		return
	}
	t.mu.Lock()
	now := time.Now()
	if t.next.Before(now) {
		t.next = now
	}
	at := t.next
	t.next = t.next.Add(time.Duration(float64(n) / float64(bps) * float64(time.Second)))
	t.mu.Unlock()
	if d := time.Until(at); d > 0 {
		select {
		case <-t.done:
		case <-time.After(d):
		}
	}
}

// listener marks compaction output tables as they are created.
func (t *compactionThrottle) listener() pebble.EventListener {
	return pebble.EventListener{TableCreated: func(info pebble.TableCreateInfo) {
		if info.Reason == "compacting" {
			t.compacting.Store(filepath.Base(info.Path), true)
		}
	}}
}

// throttledFS wraps the store's file system.
type throttledFS struct {
	vfs.FS
	t *compactionThrottle
}

func (fs throttledFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil || !strings.HasSuffix(name, ".sst") {
		return f, err
	}
	return &throttledFile{File: f, name: filepath.Base(name), t: fs.t}, nil
}

// throttledFile is an sstable that may turn out to be a compaction's
// output (known only after Create returns).
type throttledFile struct {
	vfs.File
	name string
	t    *compactionThrottle
}

func (f *throttledFile) Write(p []byte) (int, error) {
	if _, ok := f.t.compacting.Load(f.name); ok {
		f.t.wait(len(p))
	}
	return f.File.Write(p)
}

func (f *throttledFile) Close() error {
	f.t.compacting.Delete(f.name)
	return f.File.Close()
}

// SetCompactionThroughput limits the bytes per second compactions write;
// zero or less removes every limit, the pacer's too (as Cassandra's
// setcompactionthroughput 0 turns throttling off).
func (e *Engine) SetCompactionThroughput(bytesPerSec int64) {
	e.throttle.operator.Store(max(bytesPerSec, 0))
}

// CompactionThroughput is the limit in force now (0: unlimited) and
// whether it is the pacer's (no operator limit was set).
func (e *Engine) CompactionThroughput() (bytesPerSec int64, paced bool) {
	return e.throttle.limit(), e.throttle.operator.Load() < 0
}
