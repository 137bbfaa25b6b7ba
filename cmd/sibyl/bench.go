package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sibyldb/sibyl/bench"
)

// benchFlags are `sibyl bench`'s flags; zero values mean bench's defaults.
type benchFlags struct {
	cfg        bench.Config
	hosts      string
	mode       string
	dist       string
	jsonFile   string
	name       string
	cpuProfile string
	quiet      bool
	compare    bool
	markdown   bool
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [--compare a.json b.json ...]",
		Short: "Drive load at a cluster through gocql and report throughput and latency",
		Long: `Drive load at a Sibyl (or Cassandra) cluster through gocql, with prepared
statements and token-aware routing, and report throughput and HDR latency
percentiles. --rate runs an open loop on a fixed schedule whose latencies
are measured from each operation's intended start, so stalls are counted.

A read, mixed or scan run reads the rows a write run with the same key-space
flags (--partitions, --rows-per-partition, --partition-offset, --value-size)
wrote; --validate checks every value read. index-point and index-group read
them through secondary indexes (by a unique value, and a page of rows sharing
one of --index-cardinality values) after a write run with --index-columns or
--indexes N.

--server-pid names the server processes (when they run on this machine)
whose CPU time over the measured window the report divides by the
operations: server CPU per operation, the figure least disturbed by other
load on a shared machine. The machine's load average and busy share over
the window are recorded too (Linux).

With --compare (or the compare subcommand) it prints a table of earlier
--json reports instead, with ratios against the first.`,
		Example: `  sibyl bench --mode write --distribution sequential --ops 1000000 --json write.json
  sibyl bench --mode read --duration 30s --validate --json read.json
  sibyl bench --mode write --duration 30s --server-pid "$(pgrep -d, -x sibyl)" --json write.json
  sibyl bench --mode write --rate 20000 --duration 30s --json half.json
  sibyl bench --mode write --distribution sequential --ops 1000000 --table kv_ix3 --indexes 3
  sibyl bench --mode index-group --duration 30s --table kv_ix3 --validate
  sibyl bench compare write.json read.json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.compare {
				return runCompare(cmd.OutOrStdout(), args, f.markdown)
			}
			if len(args) > 0 {
				return fmt.Errorf("unexpected arguments %q (did you mean --compare?)", args)
			}
			return f.run(cmd)
		},
	}
	f.register(cmd.Flags())
	cmd.AddCommand(newBenchCompareCmd())
	return cmd
}

func newBenchCompareCmd() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "compare a.json b.json ...",
		Short: "Print bench reports side by side, with ratios against the first",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.OutOrStdout(), args, markdown)
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print a Markdown table")
	return cmd
}

func (f *benchFlags) register(fs *pflag.FlagSet) {
	c := &f.cfg
	fs.StringVar(&f.hosts, "hosts", "127.0.0.1", "comma-separated contact points (host or host:port)")
	fs.IntVar(&c.Port, "port", 9042, "CQL port of hosts that name none")
	fs.StringVar(&f.mode, "mode", "write", "workload: write, read, mixed, scan, counter (increments of a counter table beside the written one), cas (INSERT ... IF NOT EXISTS), index-point or index-group")
	fs.DurationVar(&c.Duration, "duration", 0, "measured run time after --warmup (default 30s unless --ops is given)")
	fs.Int64Var(&c.Ops, "ops", 0, "number of operations, warmup included (0: bounded by --duration)")
	fs.IntVar(&c.Concurrency, "concurrency", 128, "requests in flight at most")
	fs.Float64Var(&c.Rate, "rate", 0, "target ops/s on a fixed open-loop schedule (0: closed loop at the maximum)")
	fs.DurationVar(&c.Warmup, "warmup", 0, "time to run before measuring")
	fs.Int64Var(&c.Partitions, "partitions", 1_000_000, "number of partitions in the key space")
	fs.Int64Var(&c.RowsPerPartition, "rows-per-partition", 1, "rows in each partition")
	fs.Int64Var(&c.PartitionOffset, "partition-offset", 0, "first partition key of the key space")
	fs.IntVar(&c.ValueSize, "value-size", 100, "bytes in each row's value")
	fs.StringVar(&f.dist, "distribution", "uniform", "key distribution: uniform, sequential or zipf")
	fs.Float64Var(&c.ZipfTheta, "zipf-theta", 0.99, "skew of the zipf distribution, in (0, 1)")
	fs.Float64Var(&c.ReadRatio, "mixed-ratio", 0.5, "fraction of reads in mixed mode")
	fs.IntVar(&c.PageSize, "page-size", 100, "rows per page in scans")
	fs.BoolVar(&c.ValidateData, "validate", false, "check every value read against the one a write run wrote")
	fs.BoolVar(&c.IndexColumns, "index-columns", false, "table has columns u (row number) and g (row number mod --index-cardinality), filled by writes (implied by --indexes > 0 and the index modes)")
	fs.IntVar(&c.Indexes, "indexes", 0, "secondary indexes to create on the table, 0-3: on u, then g, then v")
	fs.Int64Var(&c.IndexCardinality, "index-cardinality", 100, "distinct values of the indexed column g (index-group mode)")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the key choices (0: time-based)")
	fs.StringVar(&c.Consistency, "consistency", "ONE", "consistency level")
	fs.StringVar(&c.Keyspace, "keyspace", "sibyl_bench", "keyspace (created when missing)")
	fs.StringVar(&c.Table, "table", "kv", "table (created when missing)")
	fs.IntVar(&c.ReplicationFactor, "replication-factor", 1, "replication factor of a keyspace bench creates")
	fs.IntVar(&c.Connections, "connections", 2, "connections per host")
	fs.DurationVar(&c.Timeout, "timeout", 0, "per-request client timeout (default 10s)")
	fs.StringVar(&c.Compression, "compression", "", "frame compression: none or snappy")
	fs.StringVarP(&c.Username, "username", "u", "", "user name for PasswordAuthenticator")
	fs.StringVarP(&c.Password, "password", "p", "", "password for PasswordAuthenticator")
	fs.BoolVar(&c.SSL, "ssl", false, "connect over TLS")
	fs.StringVar(&c.TLSCA, "tls-ca", "", "PEM CA bundle the nodes' certificates are verified against (implies --ssl)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM client certificate, for nodes that require one (implies --ssl)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&c.TLSNoVerify, "tls-no-verify", false, "do not verify the nodes' certificates (implies --ssl)")
	fs.IntSliceVar(&c.ServerPIDs, "server-pid", nil, "server process on this machine whose CPU time to report per operation (repeatable or comma-separated; Linux /proc)")
	fs.StringVar(&f.jsonFile, "json", "", "write the report as JSON to this file")
	fs.StringVar(&f.name, "name", "", "label of the run in the JSON report and comparisons")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a client-side CPU profile to this file")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&f.compare, "compare", false, "compare the JSON reports given as arguments instead of running")
	fs.BoolVar(&f.markdown, "markdown", false, "with --compare: print a Markdown table")
}

// config returns the bench configuration the flags describe.
func (f *benchFlags) config(out io.Writer) bench.Config {
	cfg := f.cfg.Clone()
	cfg.Hosts = strings.Split(f.hosts, ",")
	cfg.Mode = bench.Mode(strings.ToLower(f.mode))
	cfg.Distribution = bench.Distribution(strings.ToLower(f.dist))
	if !f.quiet {
		cfg.Progress = out
	}
	cfg.EnsureDefaults() // so the header line shows what will run
	return cfg
}

func (f *benchFlags) run(cmd *cobra.Command) (err error) {
	out := cmd.OutOrStdout()
	cfg := f.config(out)
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stop()) }()
	}
	fmt.Fprintf(out, "sibyl bench: %s against %s, concurrency %d, rate %s\n",
		cfg.Mode, f.hosts, cfg.Concurrency, rateString(cfg.Rate))
	rep, err := bench.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	rep.Name = f.name
	if err := rep.WriteSummary(out); err != nil {
		return err
	}
	if f.jsonFile != "" {
		if err := rep.WriteJSONFile(f.jsonFile); err != nil {
			return err
		}
	}
	return validationFailure(&rep)
}

func rateString(rate float64) string {
	if rate <= 0 {
		return "max (closed loop)"
	}
	return fmt.Sprintf("%.0f ops/s (open loop)", rate)
}

// validationFailure fails the command when a validating run found rows
// missing or corrupt; other errors (timeouts, overload) are measurements
// and only reported.
func validationFailure(rep *bench.Report) error {
	bad := rep.ErrorsByKind["missing"] + rep.ErrorsByKind["corrupt"]
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("validation failed: %d rows missing, %d corrupt",
		rep.ErrorsByKind["missing"], rep.ErrorsByKind["corrupt"])
}

func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cannot create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot start CPU profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cannot write CPU profile: %w", err)
		}
		return nil
	}, nil
}

func runCompare(out io.Writer, paths []string, markdown bool) error {
	if len(paths) == 0 {
		return fmt.Errorf("compare needs at least one JSON report")
	}
	reports := make([]bench.Report, 0, len(paths))
	for _, p := range paths {
		r, err := bench.ReadReportFile(p)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	return bench.Compare(out, reports, markdown)
}
