package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Mode is the kind of operation a run issues.
type Mode string

// The modes of a run.
const (
	// ModeWrite inserts rows (INSERT of one row per operation).
	ModeWrite Mode = "write"
	// ModeRead reads single rows by full primary key.
	ModeRead Mode = "read"
	// ModeMixed issues reads with probability Config.ReadRatio, writes otherwise.
	ModeMixed Mode = "mixed"
	// ModeScan reads whole partitions, page by page.
	ModeScan Mode = "scan"
	// ModeCounter increments one counter per operation (UPDATE ... SET n =
	// n + 1 on the counter table beside the workload's table, same keys):
	// the counter write path, a leader's read and write then replication,
	// to compare with ModeWrite.
	ModeCounter Mode = "counter"
	// ModeCAS inserts rows with IF NOT EXISTS: one lightweight transaction
	// per operation (applied on a fresh key space, a full Paxos round
	// that writes nothing on rows that exist).
	ModeCAS Mode = "cas"
	// ModeIndexPoint reads single rows through a secondary index on a
	// unique value (u = the row's number): WHERE u = ?.
	ModeIndexPoint Mode = "index-point"
	// ModeIndexGroup reads PageSize rows through a secondary index on a
	// low-cardinality value (g = the row's number mod IndexCardinality):
	// WHERE g = ? LIMIT PageSize.
	ModeIndexGroup Mode = "index-group"
)

// Distribution is how keys are chosen.
type Distribution string

// The key distributions.
const (
	// DistUniform picks every key with equal probability.
	DistUniform Distribution = "uniform"
	// DistSequential walks the key space in order, shared by all workers, and
	// wraps around; N operations over N keys touch every key exactly once.
	DistSequential Distribution = "sequential"
	// DistZipf picks keys with YCSB's scrambled zipfian distribution: a few
	// keys are hot, and the hot keys are spread over the key space.
	DistZipf Distribution = "zipf"
)

// Config describes one run. The zero value of every field means "default";
// Run clones it, applies EnsureDefaults and rejects it if Validate fails.
type Config struct {
	// Hosts are the contact points (host or host:port).
	Hosts []string
	// Port is the CQL port for hosts that do not name one.
	Port int
	// Mode is the operation kind.
	Mode Mode
	// Duration bounds the measured part of the run (after Warmup). If both
	// Duration and Ops are zero, Duration defaults to 30s.
	Duration time.Duration
	// Ops bounds the number of operations (warmup operations included).
	Ops int64
	// Concurrency is the number of requests in flight at most.
	Concurrency int
	// Rate is the open-loop schedule in operations per second; 0 means a
	// closed loop at the maximum rate.
	Rate float64
	// Warmup is run before measurement starts; its operations are executed
	// but not recorded.
	Warmup time.Duration

	// Partitions, RowsPerPartition and PartitionOffset define the key space:
	// partition keys PartitionOffset .. PartitionOffset+Partitions-1 and
	// clustering keys 0 .. RowsPerPartition-1.
	Partitions       int64
	RowsPerPartition int64
	PartitionOffset  int64
	// ValueSize is the size in bytes of each row's blob.
	ValueSize int
	// Distribution chooses keys.
	Distribution Distribution
	// ZipfTheta is the skew of DistZipf (YCSB's zipfian constant).
	ZipfTheta float64
	// ReadRatio is the fraction of reads in ModeMixed, in [0, 1].
	ReadRatio float64
	// PageSize is the page size of scans.
	PageSize int
	// ValidateData makes reads check the values they read against Value.
	ValidateData bool

	// IndexColumns gives the table two more bigint columns that writes
	// fill from the row's number n = pk*RowsPerPartition + ck: u = n
	// (unique) and g = n mod IndexCardinality. Implied by Indexes > 0 and
	// by the index modes; the table must be created with them.
	IndexColumns bool
	// Indexes is the number of secondary indexes created (when missing)
	// on the table, 0 to 3: on u, then g, then v. An index mode creates
	// the index it queries whatever Indexes says (index-point: u,
	// index-group: u and g).
	Indexes int
	// IndexCardinality is the number of distinct values of g.
	IndexCardinality int64
	// Seed seeds the per-worker random sources (0 picks a time-based seed).
	Seed int64

	// Consistency is the CQL consistency level name (ONE, QUORUM, ...).
	Consistency string
	// Keyspace and Table name the schema; it is created when missing.
	Keyspace string
	Table    string
	// ReplicationFactor is used when the keyspace is created.
	ReplicationFactor int
	// Connections is the number of connections per host.
	Connections int
	// Timeout is the per-request timeout of the driver.
	Timeout time.Duration
	// ConnectTimeout bounds connecting and schema setup.
	ConnectTimeout time.Duration
	// Compression is "" (none) or "snappy".
	Compression string
	// Username and Password log in with SASL PLAIN (PasswordAuthenticator)
	// when Username is set.
	Username, Password string
	// SSL connects over TLS, verifying nodes' certificates and addresses
	// against TLSCA (the system's roots when empty) unless TLSNoVerify;
	// TLSCert and TLSKey are a client certificate. Any TLS* field implies
	// SSL.
	SSL                    bool
	TLSCA, TLSCert, TLSKey string
	TLSNoVerify            bool

	// ServerPIDs are the server processes whose CPU time the run measures
	// over its measured window (Report.ServerCPUS): the nodes, when they
	// run on this machine. Linux only; a pid that does not exist fails the
	// run before it starts.
	ServerPIDs []int
	// procRoot is where procfs is read (tests point it elsewhere); empty
	// means /proc.
	procRoot string

	// Progress receives a line per ProgressInterval; nil means silence.
	Progress io.Writer
	// ProgressInterval is the period of the progress line and of the
	// Report's time series.
	ProgressInterval time.Duration
}

// Clone returns a copy that shares nothing mutable with c.
func (c Config) Clone() Config {
	c.Hosts = append([]string(nil), c.Hosts...)
	c.ServerPIDs = append([]int(nil), c.ServerPIDs...)
	return c
}

// EnsureDefaults fills every zero field with its default.
func (c *Config) EnsureDefaults() {
	if len(c.Hosts) == 0 {
		c.Hosts = []string{"127.0.0.1"}
	}
	if c.Port == 0 {
		c.Port = 9042
	}
	if c.Mode == "" {
		c.Mode = ModeWrite
	}
	if c.Duration == 0 && c.Ops == 0 {
		// Long enough to get past the first flushes of a fresh node, short
		// enough to run a suite of them.
		c.Duration = 30 * time.Second
	}
	if c.Concurrency == 0 {
		// 128 requests in flight is the figure the targets of issue #5 are
		// stated at, and enough to saturate a small node over loopback.
		c.Concurrency = 128
	}
	c.ensureKeySpaceDefaults()
	c.ensureClientDefaults()
}

func (c *Config) ensureKeySpaceDefaults() {
	if c.Partitions == 0 {
		// One million rows: more than any cache of a small node holds in its
		// memtable, less than a minute to write on one.
		c.Partitions = 1_000_000
	}
	if c.RowsPerPartition == 0 {
		c.RowsPerPartition = 1
	}
	if c.ValueSize == 0 {
		// cassandra-stress writes 5 columns of 34 bytes; 100 bytes is one
		// YCSB field. Small values measure the per-request cost.
		c.ValueSize = 100
	}
	if c.Distribution == "" {
		c.Distribution = DistUniform
	}
	if c.ZipfTheta == 0 {
		c.ZipfTheta = 0.99 // YCSB's ZIPFIAN_CONSTANT
	}
	if c.ReadRatio == 0 {
		c.ReadRatio = 0.5 // YCSB workload A
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.IndexCardinality == 0 {
		// 100 distinct values: 10 000 rows per value in a million rows, so
		// a LIMIT 100 query is one page of a low-cardinality index.
		c.IndexCardinality = 100
	}
	if c.Indexes > 0 || c.Mode == ModeIndexPoint || c.Mode == ModeIndexGroup {
		c.IndexColumns = true
	}
}

func (c *Config) ensureClientDefaults() {
	if c.Consistency == "" {
		c.Consistency = "ONE"
	}
	if c.Keyspace == "" {
		c.Keyspace = "sibyl_bench"
	}
	if c.Table == "" {
		c.Table = "kv"
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = 1
	}
	if c.Connections == 0 {
		// Two connections per host keep 128 streams per connection at the
		// default concurrency, well under the protocol's 32768.
		c.Connections = 2
	}
	if c.Timeout == 0 {
		// Cassandra's write_request_timeout is 2s and read 5s; a longer
		// client timeout lets the server's timeouts be the ones reported.
		c.Timeout = 10 * time.Second
	}
	if c.ConnectTimeout == 0 {
		// Schema agreement after CREATE on a fresh cluster can take seconds.
		c.ConnectTimeout = 30 * time.Second
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = time.Second
	}
	if c.procRoot == "" {
		c.procRoot = defaultProcRoot
	}
}

// Validate reports every problem of c at once. It expects EnsureDefaults to
// have been applied.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	switch c.Mode {
	case ModeWrite, ModeRead, ModeMixed, ModeScan, ModeCounter, ModeCAS, ModeIndexPoint, ModeIndexGroup:
	default:
		add("unknown mode %q (want write, read, mixed, scan, counter, cas, index-point or index-group)", c.Mode)
	}
	if c.Indexes < 0 || c.Indexes > len(indexedColumns) {
		add("indexes must be in [0, %d], not %d", len(indexedColumns), c.Indexes)
	}
	if c.IndexCardinality < 1 {
		add("index cardinality must be positive, not %d", c.IndexCardinality)
	}
	switch c.Distribution {
	case DistUniform, DistSequential, DistZipf:
	default:
		add("unknown distribution %q (want uniform, sequential or zipf)", c.Distribution)
	}
	if c.Duration < 0 || c.Ops < 0 || c.Warmup < 0 {
		add("duration, ops and warmup must not be negative")
	}
	if c.Concurrency < 1 {
		add("concurrency must be at least 1, not %d", c.Concurrency)
	}
	if c.Rate < 0 {
		add("rate must not be negative, not %g", c.Rate)
	}
	if c.Partitions < 1 || c.RowsPerPartition < 1 || c.PartitionOffset < 0 {
		add("partitions and rows per partition must be positive and the partition offset non-negative")
	} else if c.Partitions > (1<<62)/c.RowsPerPartition {
		add("key space of %d partitions x %d rows is too large", c.Partitions, c.RowsPerPartition)
	}
	if c.ValueSize < 0 || c.ValueSize > 16<<20 {
		add("value size must be in [0, 16 MiB], not %d", c.ValueSize)
	}
	if c.ZipfTheta <= 0 || c.ZipfTheta >= 1 {
		add("zipf theta must be in (0, 1), not %g", c.ZipfTheta)
	}
	if c.ReadRatio < 0 || c.ReadRatio > 1 {
		add("mixed read ratio must be in [0, 1], not %g", c.ReadRatio)
	}
	c.validateClient(add)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("bench: invalid config: %w", errors.Join(errs...))
}

func (c *Config) validateClient(add func(string, ...any)) {
	if c.Port < 1 || c.Port > 65535 {
		add("port must be in [1, 65535], not %d", c.Port)
	}
	if c.PageSize < 1 {
		add("page size must be positive, not %d", c.PageSize)
	}
	if !isIdentifier(c.Keyspace) || !isIdentifier(c.Table) {
		add("keyspace %q and table %q must be unquoted CQL identifiers", c.Keyspace, c.Table)
	}
	if c.ReplicationFactor < 1 {
		add("replication factor must be at least 1, not %d", c.ReplicationFactor)
	}
	if c.Connections < 1 {
		add("connections must be at least 1, not %d", c.Connections)
	}
	for _, pid := range c.ServerPIDs {
		if pid < 1 {
			add("server pids must be positive, not %d", pid)
		}
	}
	if c.Timeout < 0 || c.ConnectTimeout < 0 || c.ProgressInterval < 0 {
		add("timeouts and the progress interval must not be negative")
	}
	if _, err := parseConsistency(c.Consistency); err != nil {
		add("%w", err)
	}
	switch strings.ToLower(c.Compression) {
	case "", "none", "snappy":
	default:
		add("unknown compression %q (want none or snappy)", c.Compression)
	}
}

// isIdentifier reports whether s is a valid unquoted CQL identifier.
func isIdentifier(s string) bool {
	if s == "" || len(s) > 48 {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// keyCount is the number of keys an operation of the run chooses among: rows
// for point operations, partitions for scans.
func (c *Config) keyCount() int64 {
	if c.Mode == ModeScan {
		return c.Partitions
	}
	return c.Partitions * c.RowsPerPartition
}
