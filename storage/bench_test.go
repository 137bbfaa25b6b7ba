package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// Benchmarks of the engine beside raw Pebble doing the same bytes, in the
// same run, on the same disk (storage/BENCHMARKS.md has results):
//
//	go test ./storage -run '^$' -bench . -benchtime 1s
//
// Apply (Sync) vs Batch.Commit(pebble.Sync) of the same number of keys and
// value bytes; point read vs Get; a 100-row partition slice and a range
// scan vs an iterator over the same number of keys. The "engine-legacy"
// variants write rows in the old form (a key per cell) instead of packed
// rows, for a before/after in one run:
//
//	go test ./storage -run '^$' -bench 'Apply|PointRead' -benchmem -count 5

// compactBench compacts the engine's data before read benchmarks, so
// reads see keys Pebble has already merged (the steady state of an LSM)
// rather than merge operands fresh from a flush.
var compactBench = os.Getenv("SIBYL_BENCH_COMPACT") != ""

var benchValue = func() []byte {
	v := make([]byte, 100)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}()

// benchEngine opens an engine in a temporary directory; legacy makes it
// write rows in the old form (a key per header, deletion and cell), to
// compare with packed rows in the same run.
func benchEngine(b *testing.B, legacy bool, mod ...func(*Options)) *Engine {
	// SIBYL_BENCH_CACHE_MB shrinks the block cache, so that reads miss it
	// as they do on a data set larger than memory.
	var cache int64
	if mb, err := strconv.Atoi(os.Getenv("SIBYL_BENCH_CACHE_MB")); err == nil && mb > 0 {
		cache = int64(mb) << 20
	}
	opts := Options{Dir: b.TempDir(), PurgeInterval: -1, CacheSize: cache, legacyRows: legacy}
	for _, m := range mod {
		m(&opts)
	}
	e, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	return e
}

func benchRaw(b *testing.B) *pebble.DB {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	db, err := pebble.Open(b.TempDir(), &pebble.Options{Cache: cache, MemTableSize: 32 << 20, FormatMajorVersion: pebble.FormatNewest,
		Logger: pebbleLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

func benchKey(i uint64) []byte { return binary.BigEndian.AppendUint64([]byte("partition-"), i) }

// benchRow builds a one-row mutation with n 100-byte cells.
func benchRow(i uint64, n int) *schema.Partition {
	cells := make([]schema.Cell, n)
	for c := range cells {
		cells[c] = schema.Cell{Column: schema.ColumnID(c), Timestamp: int64(i), LocalDeletionTime: schema.NoExpiry, Value: benchValue}
	}
	return &schema.Partition{Table: 1, Token: int64(i * 0x9E3779B97F4A7C15), Key: benchKey(i), Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{Clustering: []byte{0x40, 1}, Marker: schema.NoLiveness, Deletion: schema.LiveDeletion, Cells: cells}}}
}

func parallelism(writers int) int { return max(1, writers/runtime.GOMAXPROCS(0)) }

// engineForms names the engine's two row forms in benchmark names.
var engineForms = []struct {
	name   string
	legacy bool
}{{"engine", false}, {"engine-legacy", true}}

func BenchmarkApply(b *testing.B) {
	for _, cells := range []int{1, 10} {
		for _, writers := range []int{1, 128} {
			for _, f := range engineForms {
				b.Run(fmt.Sprintf("cells=%d/writers=%d/%s", cells, writers, f.name), func(b *testing.B) {
					e := benchEngine(b, f.legacy)
					var seq atomic.Uint64
					b.SetBytes(int64(cells * len(benchValue)))
					b.SetParallelism(parallelism(writers))
					b.ReportAllocs()
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := e.Apply(context.Background(), benchRow(seq.Add(1), cells)); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
			b.Run(fmt.Sprintf("cells=%d/writers=%d/raw-pebble", cells, writers), func(b *testing.B) {
				db := benchRaw(b)
				var seq atomic.Uint64
				b.SetBytes(int64(cells * len(benchValue)))
				b.SetParallelism(parallelism(writers))
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := seq.Add(1)
						batch := db.NewBatch()
						for c := range cells {
							k := binary.BigEndian.AppendUint16(benchKey(i), uint16(c))
							_ = batch.Set(k, benchValue, nil)
						}
						if err := batch.Commit(pebble.Sync); err != nil {
							b.Error(err)
							return
						}
						_ = batch.Close()
					}
				})
			})
		}
	}
}

// BenchmarkApplyNoSync is Apply of one-row partitions without the WAL
// sync, on one goroutine: the CPU and allocations of the write path
// (encoding, batch, memtable insert), which a synced Apply's fsync hides.
func BenchmarkApplyNoSync(b *testing.B) {
	for _, cells := range []int{1, 10} {
		for _, f := range engineForms {
			b.Run(fmt.Sprintf("cells=%d/%s", cells, f.name), func(b *testing.B) {
				e := benchEngine(b, f.legacy, func(o *Options) { o.UnsafePeriodicSync = time.Hour })
				b.SetBytes(int64(cells * len(benchValue)))
				b.ReportAllocs()
				muts := make([]*schema.Partition, 1024)
				for i := range muts {
					muts[i] = benchRow(uint64(i), cells)
				}
				b.ResetTimer()
				for n := range b.N {
					m := muts[n%len(muts)]
					m.Rows[0].Cells[0].Timestamp = int64(n) // a new version each time, as a workload's writes
					if err := e.Apply(context.Background(), m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

const benchPartitions = 10_000

func BenchmarkPointRead(b *testing.B) {
	for _, cells := range []int{1, 10} {
		for _, f := range engineForms {
			name := f.name
			if cells > 1 {
				name = fmt.Sprintf("cells=%d/%s", cells, f.name)
			}
			b.Run(name, func(b *testing.B) { benchPointRead(b, f.legacy, cells) })
		}
	}
	b.Run("raw-pebble", func(b *testing.B) {
		db := benchRaw(b)
		batch := db.NewBatch()
		for i := range uint64(benchPartitions) {
			_ = batch.Set(benchKey(i), benchValue, nil)
		}
		if err := batch.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
		if err := db.Flush(); err != nil {
			b.Fatal(err)
		}
		keys := make([][]byte, benchPartitions)
		for i := range keys {
			keys[i] = benchKey(uint64(i))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for n := range b.N {
			i := uint64(n*7919) % benchPartitions
			v, closer, err := db.Get(keys[i])
			if err != nil || len(v) != len(benchValue) {
				b.Fatalf("get %d: %v", i, err)
			}
			_ = closer.Close()
		}
	})
}

// benchPointRead reads one-row partitions of the given number of cells
// among benchPartitions, flushed.
func benchPointRead(b *testing.B, legacy bool, cells int) {
	e := benchEngine(b, legacy)
	loadFlushed(b, e, benchPartitions, func(i uint64) *schema.Partition { return benchRow(i, cells) })
	if compactBench {
		if err := e.Compact(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	cmds := benchReadCommands(benchPartitions)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range b.N {
		i := uint64(n*7919) % benchPartitions
		ps, err := e.Read(context.Background(), &cmds[i])
		if err != nil || len(ps) != 1 || len(ps[0].Rows) != 1 || len(ps[0].Rows[0].Cells) != cells {
			b.Fatalf("read %d: %v %d", i, err, len(ps))
		}
	}
}

func BenchmarkPartitionSlice100(b *testing.B) {
	const rows = 100
	b.Run("engine", func(b *testing.B) {
		e := benchEngine(b, false)
		p := &schema.Partition{Table: 1, Token: 5, Key: []byte("wide"), Deletion: schema.LiveDeletion}
		for r := range rows {
			p.Rows = append(p.Rows, schema.Row{Clustering: []byte{0x40, 0, byte(r)}, Marker: schema.NoLiveness, Deletion: schema.LiveDeletion,
				Cells: []schema.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Value: benchValue}}})
		}
		mustApply(b, e, p)
		if err := e.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		cmd := &schema.ReadCommand{Table: 1, Key: p.Key, Token: p.Token}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ps, err := e.Read(context.Background(), cmd)
			if err != nil || len(ps) != 1 || len(ps[0].Rows) != rows {
				b.Fatalf("slice: %v", err)
			}
		}
	})
	b.Run("raw-pebble", func(b *testing.B) {
		db := benchRaw(b)
		batch := db.NewBatch()
		for r := range rows {
			_ = batch.Set(append([]byte("wide/"), 0, byte(r)), benchValue, nil)
		}
		_ = batch.Commit(pebble.Sync)
		_ = db.Flush()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if n := rawScan(b, db, []byte("wide/"), []byte("wide0")); n != rows {
				b.Fatalf("scan found %d", n)
			}
		}
	})
}

func rawScan(b *testing.B, db *pebble.DB, lo, hi []byte) int {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			b.Fatal(err)
		}
		// Copy, as a caller that keeps the results must.
		_ = append([]byte(nil), v...)
		n++
	}
	_ = it.Close()
	return n
}

func BenchmarkRangeScan1000(b *testing.B) {
	const parts = 1000
	b.Run("engine", func(b *testing.B) {
		e := benchEngine(b, false)
		var load []*schema.Partition
		for i := range uint64(parts) {
			load = append(load, benchRow(i, 1))
		}
		mustApply(b, e, load...)
		_ = e.Flush(context.Background())
		if compactBench {
			_ = e.Compact(context.Background(), nil)
		}
		cmd := &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ps, err := e.Read(context.Background(), cmd)
			if err != nil || len(ps) != parts {
				b.Fatalf("scan: %v %d", err, len(ps))
			}
		}
	})
	b.Run("raw-pebble", func(b *testing.B) {
		db := benchRaw(b)
		batch := db.NewBatch()
		for i := range uint64(parts) {
			_ = batch.Set(benchKey(i), benchValue, nil)
		}
		_ = batch.Commit(pebble.Sync)
		_ = db.Flush()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if n := rawScan(b, db, []byte("partition-"), []byte("partition.")); n != parts {
				b.Fatalf("scan found %d", n)
			}
		}
	})
}

// BenchmarkPointReadLayered reads one-row partitions written in eight
// flushed waves, so a partition lives in one sstable among several whose
// key ranges all overlap (the shape of a table written over time, before
// compaction has merged it). Bloom filters were tried for this shape and
// measured no faster (storage/BENCHMARKS.md); neither side has them.
func BenchmarkPointReadLayered(b *testing.B) {
	const waves, perWave = 8, 5000
	const total = waves * perWave
	b.Run("engine", func(b *testing.B) {
		e := benchEngine(b, false)
		for w := range uint64(waves) {
			loadFlushed(b, e, perWave, func(i uint64) *schema.Partition { return benchRow(i*waves+w, 1) })
		}
		cmds := benchReadCommands(total)
		b.ReportAllocs()
		b.ResetTimer()
		for n := range b.N {
			i := uint64(n*7919) % total
			ps, err := e.Read(context.Background(), &cmds[i])
			if err != nil || len(ps) != 1 {
				b.Fatalf("read %d: %v %d", i, err, len(ps))
			}
		}
	})
	b.Run("raw-pebble", func(b *testing.B) {
		cache := pebble.NewCache(64 << 20)
		defer cache.Unref()
		opts := &pebble.Options{Cache: cache, MemTableSize: 32 << 20, FormatMajorVersion: pebble.FormatNewest,
			Logger: pebbleLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}}
		db, err := pebble.Open(b.TempDir(), opts)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for w := range uint64(waves) {
			batch := db.NewBatch()
			for i := range uint64(perWave) {
				_ = batch.Set(benchKey(i*waves+w), benchValue, nil)
			}
			if err := batch.Commit(pebble.Sync); err != nil {
				b.Fatal(err)
			}
			if err := db.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		keys := make([][]byte, total)
		for i := range keys {
			keys[i] = benchKey(uint64(i))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for n := range b.N {
			i := uint64(n*7919) % total
			v, closer, err := db.Get(keys[i])
			if err != nil || len(v) != len(benchValue) {
				b.Fatalf("get %d: %v", i, err)
			}
			_ = closer.Close()
		}
	})
}

// benchReadCommands returns the point reads of the first n partitions
// benchRow writes.
func benchReadCommands(n int) []schema.ReadCommand {
	cmds := make([]schema.ReadCommand, n)
	for i := range cmds {
		p := benchRow(uint64(i), 0)
		cmds[i] = schema.ReadCommand{Table: 1, Key: p.Key, Token: p.Token}
	}
	return cmds
}

// loadFlushed applies row(0..n-1) in batches of 100 partitions and
// flushes them into an sstable.
func loadFlushed(b *testing.B, e *Engine, n uint64, row func(i uint64) *schema.Partition) {
	b.Helper()
	load := make([]*schema.Partition, 0, 100)
	for i := range n {
		load = append(load, row(i))
		if len(load) == cap(load) || i == n-1 {
			mustApply(b, e, load...)
			load = load[:0]
		}
	}
	if err := e.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
