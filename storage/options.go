package storage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/schema"
)

// DefaultGCGraceSeconds is Cassandra's default gc_grace_seconds (10 days),
// used for a table GCGrace does not know.
const DefaultGCGraceSeconds int64 = 10 * 24 * 3600

// Options configures an Engine. The zero value of every field means its
// default; callers do Clone (a plain copy) → EnsureDefaults → Validate, as
// Open does.
type Options struct {
	// Dir is the directory of the Pebble store. Required.
	Dir string
	// FS is the file system; nil means the operating system's. Tests use
	// vfs.NewMem().
	FS vfs.FS
	// Logger receives the engine's and Pebble's logs; nil discards them.
	Logger *slog.Logger

	// GCGrace returns a table's gc_grace_seconds; ok false (or a nil
	// function) means DefaultGCGraceSeconds. It is called by the purger
	// (table data, index entries, Paxos state), so it must be fast and
	// safe for concurrent use.
	GCGrace func(schema.TableID) (seconds int64, ok bool)

	// CacheSize is the block cache size in bytes. Default 64 MiB: enough
	// for the index blocks and the hottest data blocks of a few GiB of
	// data on a laptop; raise it on a dedicated server. The memtables come
	// on top (memTableReservation).
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes. Default 32 MiB:
	// Pebble's 4 MiB default flushes too often under a write load of small
	// cells.
	MemTableSize uint64

	// UnsafePeriodicSync, when positive, makes Apply return before its
	// batch is synced to the WAL; a background task syncs every period. A
	// crash can lose the acknowledged writes of the last period, like
	// Cassandra's default commitlog_sync: periodic. Zero (the default)
	// syncs every Apply, sharing each fsync among concurrent writers.
	UnsafePeriodicSync time.Duration
	// WALMinSyncInterval delays a WAL sync by up to this long so more
	// concurrent commits share it. Default 0: Pebble's pipeline already
	// shares a sync among the commits that arrive while one is running.
	WALMinSyncInterval time.Duration

	// CompactionPacing limits the bytes per second compactions write
	// while they keep up (pacer.go), so they do not take a core in bursts.
	// Default 32 MiB/s; negative disables pacing.
	CompactionPacing int64

	// PurgeInterval is how often the background purger removes data
	// shadowed by tombstones past gc_grace. Default 1 hour; negative
	// disables the background purger (Purge can still be called).
	PurgeInterval time.Duration

	// MaxHintBytesPerTarget bounds the stored hints of one target node.
	// Default 256 MiB. StoreHint fails with ErrHintsFull past it.
	MaxHintBytesPerTarget int64

	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time

	// legacyRows makes Apply write rows as stores did before packed rows
	// (a header key, a key per collection deletion and per cell), so that
	// tests can build old and mixed stores and benchmarks can compare the
	// two forms. Unexported: no caller outside the package writes the old
	// form.
	legacyRows bool
}

// EnsureDefaults fills in the defaults of unset fields.
func (o *Options) EnsureDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.CacheSize == 0 {
		o.CacheSize = 64 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 32 << 20
	}
	if o.CompactionPacing == 0 {
		o.CompactionPacing = 32 << 20
	}
	if o.PurgeInterval == 0 {
		o.PurgeInterval = time.Hour
	}
	if o.MaxHintBytesPerTarget == 0 {
		o.MaxHintBytesPerTarget = 256 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("storage: Options.Dir is required"))
	}
	if o.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("storage: Options.CacheSize %d is negative", o.CacheSize))
	}
	if o.MemTableSize >= 4<<30 {
		errs = append(errs, fmt.Errorf("storage: Options.MemTableSize %d must be below 4 GiB", o.MemTableSize))
	}
	if o.UnsafePeriodicSync < 0 || o.WALMinSyncInterval < 0 {
		errs = append(errs, errors.New("storage: sync intervals must not be negative"))
	}
	if o.MaxHintBytesPerTarget < 0 {
		errs = append(errs, fmt.Errorf("storage: Options.MaxHintBytesPerTarget %d is negative", o.MaxHintBytesPerTarget))
	}
	return errors.Join(errs...)
}

// memTableReservation is what Pebble's memtables take from its cache.
// Pebble charges every memtable it allocates to the block cache (so one
// figure bounds its memory), and keeps a flushed memtable's buffer, with
// its charge, for the next one: the mutable memtable, one being flushed
// and the recycled one are three memtables. With a 32 MiB memtable and a
// cache of CacheSize alone, those charges took the whole 64 MiB default
// and the block cache held nothing (every block read missed it, index
// blocks included); the engine therefore sizes Pebble's cache as
// CacheSize plus this.
func memTableReservation(memTableSize uint64) int64 {
	return 3 * int64(memTableSize)
}

// gcGraceSeconds returns the gc_grace_seconds of table t.
func (o *Options) gcGraceSeconds(t schema.TableID) int64 {
	if o.GCGrace != nil {
		if s, ok := o.GCGrace(t); ok {
			return max(s, 0)
		}
	}
	return DefaultGCGraceSeconds
}
