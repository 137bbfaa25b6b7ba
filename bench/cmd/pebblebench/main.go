// Command pebblebench is the raw-storage baseline of the benchmark suite:
// it writes and reads rows shaped as Sibyl stores them (the key layout of
// storage/FORMAT.md, a row header and one cell per INSERT, synced before
// the write counts) directly in Pebble, with the same schedule, key choice,
// histograms and JSON report as `sibyl bench`. The distance between its
// figures and a node's is what the protocol, the coordinator and Sibyl's
// storage layer cost.
//
// Its JSON report carries its own process's CPU time per operation as the
// server CPU (server_cpu_us_per_op), as `sibyl bench --server-pid` does
// for a node; here that includes the load loop itself.
//
// It re-creates the layout instead of importing storage, so that it stays a
// baseline: what Pebble alone does with records of that shape.
//
//	go run ./bench/cmd/pebblebench --dir /tmp/pb --mode write --ops 1000000 --json pebble-write.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pebblebench:", err)
		os.Exit(1)
	}
}

type flags struct {
	cfg          bench.Config
	dir          string
	mode, dist   string
	jsonFile     string
	name         string
	quiet        bool
	noSync       bool
	cacheSize    int64
	memtableSize uint64
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("pebblebench", flag.ContinueOnError)
	c := &f.cfg
	fs.StringVar(&f.dir, "dir", "", "Pebble directory (created if missing; required)")
	fs.StringVar(&f.mode, "mode", "write", "workload: write, read, mixed or scan")
	fs.DurationVar(&c.Duration, "duration", 0, "measured run time (default 30s unless --ops is given)")
	fs.Int64Var(&c.Ops, "ops", 0, "number of operations, warmup included")
	fs.IntVar(&c.Concurrency, "concurrency", 128, "operations in flight at most")
	fs.Float64Var(&c.Rate, "rate", 0, "target ops/s on a fixed open-loop schedule (0: closed loop)")
	fs.DurationVar(&c.Warmup, "warmup", 0, "time to run before measuring")
	fs.Int64Var(&c.Partitions, "partitions", 1_000_000, "number of partitions")
	fs.Int64Var(&c.RowsPerPartition, "rows-per-partition", 1, "rows in each partition")
	fs.Int64Var(&c.PartitionOffset, "partition-offset", 0, "first partition key")
	fs.IntVar(&c.ValueSize, "value-size", 100, "bytes in each row's value")
	fs.StringVar(&f.dist, "distribution", "uniform", "key distribution: uniform, sequential or zipf")
	fs.Float64Var(&c.ReadRatio, "mixed-ratio", 0.5, "fraction of reads in mixed mode")
	fs.BoolVar(&c.ValidateData, "validate", false, "check every value read")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the key choices (0: time-based)")
	fs.Int64Var(&f.cacheSize, "cache-size", 64<<20, "block cache bytes (Sibyl's default)")
	fs.Uint64Var(&f.memtableSize, "memtable-size", 32<<20, "memtable bytes (Sibyl's default)")
	fs.BoolVar(&f.noSync, "no-sync", false, "do not sync the WAL before a write counts (not what Sibyl does)")
	fs.StringVar(&f.jsonFile, "json", "", "write the report as JSON to this file")
	fs.StringVar(&f.name, "name", "", "label of the run in the report")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if f.dir == "" {
		return nil, errors.New("--dir is required")
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Mode = bench.Mode(strings.ToLower(f.mode))
	c.Distribution = bench.Distribution(strings.ToLower(f.dist))
	c.Hosts = []string{"pebble:" + f.dir}
	c.Consistency = "ONE"
	// This process is the server here: its CPU per operation is what
	// Pebble costs, plus the load loop's own share, which a node's figure
	// does not include (its client is another process). Without a /proc
	// (not Linux) the report simply has no such figure.
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		c.ServerPIDs = []int{os.Getpid()}
	}
	return f, nil
}

func run(ctx context.Context, args []string, out io.Writer) (err error) {
	f, err := parseFlags(args)
	if err != nil {
		return err
	}
	if !f.quiet {
		f.cfg.Progress = out
	}
	db, err := pebble.Open(f.dir, &pebble.Options{
		Cache:        pebble.NewCache(f.cacheSize),
		MemTableSize: f.memtableSize,
		Logger:       quietLogger{},
	})
	if err != nil {
		return fmt.Errorf("cannot open pebble: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	wo := pebble.Sync
	if f.noSync {
		wo = pebble.NoSync
	}
	fmt.Fprintf(out, "pebblebench: %s on %s, concurrency %d\n", f.cfg.Mode, f.dir, f.cfg.Concurrency)
	rep, err := bench.RunTarget(ctx, f.cfg, &target{db: db, wo: wo, cfg: &f.cfg}, nil)
	if err != nil {
		return err
	}
	rep.Name = f.name
	if err := rep.WriteSummary(out); err != nil {
		return err
	}
	if f.jsonFile == "" {
		return nil
	}
	return rep.WriteJSONFile(f.jsonFile)
}

// quietLogger drops Pebble's informational lines and keeps its errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: fatal: "+format+"\n", args...)
	os.Exit(1)
}
