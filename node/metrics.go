package node

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/server"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// coordinatorMetrics are the coordinator's Prometheus metrics.
type coordinatorMetrics struct {
	writeSeconds prometheus.Histogram
	readSeconds  prometheus.Histogram
	errors       *prometheus.CounterVec // by operation and CQL error kind
	readRepairs  prometheus.Counter
	// hintsDropped counts hints not stored, by reason (past_window,
	// store_failed): each is a replica write only repair restores.
	hintsDropped *prometheus.CounterVec
	// requests are the per-table and per-consistency-level series.
	requests *requestMetrics
	// cas are the lightweight transactions' metrics (paxos_metrics.go).
	cas *casMetrics
}

// newCoordinatorMetrics creates the metrics and registers them with reg
// (nil: unregistered, for tests).
func newCoordinatorMetrics(reg prometheus.Registerer) *coordinatorMetrics {
	buckets := prometheus.ExponentialBuckets(50e-6, 2, 16) // 50 µs .. ~1.6 s
	m := &coordinatorMetrics{
		writeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sibyl_coordinator_write_seconds", Help: "Latency of coordinated writes.", Buckets: buckets}),
		readSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sibyl_coordinator_read_seconds", Help: "Latency of coordinated reads.", Buckets: buckets}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_coordinator_errors_total", Help: "Coordinated operations that failed, by kind."},
			[]string{"op", "kind"}),
		readRepairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sibyl_coordinator_read_repairs_total", Help: "Replicas repaired by blocking read repair."}),
		hintsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_hints_dropped_total", Help: "Hints not stored, by reason: past the hint window, or the store failed. Each needs repair."},
			[]string{"reason"}),
		requests: newRequestMetrics(buckets),
	}
	// Series exist from the start at zero, so rate() and alerts see the
	// first event rather than a series appearing out of nowhere.
	for _, op := range []string{"read", "write"} {
		for _, code := range []exec.ErrorCode{exec.CodeUnavailable, exec.CodeWriteTimeout, exec.CodeReadTimeout, exec.CodeOverloaded} {
			m.errors.WithLabelValues(op, code.String())
		}
	}
	for _, reason := range []string{"past_window", "store_failed"} {
		m.hintsDropped.WithLabelValues(reason)
	}
	if reg != nil {
		reg.MustRegister(m.writeSeconds, m.readSeconds, m.errors, m.readRepairs, m.hintsDropped)
		reg.MustRegister(m.requests.collectors()...)
	}
	m.cas = newCASMetrics(reg, buckets)
	return m
}

func (m *coordinatorMetrics) observeWrite(start time.Time, cl exec.Consistency, muts []*schema.Partition, err error) {
	elapsed := time.Since(start)
	m.writeSeconds.Observe(elapsed.Seconds())
	m.requests.observeWrite(elapsed, cl, muts)
	m.countError("write", err)
}

func (m *coordinatorMetrics) observeRead(start time.Time, cl exec.Consistency, cmd *schema.ReadCommand, parts []*schema.Partition, err error) {
	elapsed := time.Since(start)
	m.readSeconds.Observe(elapsed.Seconds())
	m.requests.observeRead(elapsed, cl, cmd.Table, parts)
	m.countError("read", err)
}

func (m *coordinatorMetrics) countError(op string, err error) {
	if err == nil {
		return
	}
	kind := "other"
	var e *exec.Error
	if errors.As(err, &e) {
		kind = e.Code.String()
	}
	m.errors.WithLabelValues(op, kind).Inc()
}

// registerMetrics exports the server's and storage's counters, read at
// scrape time.
func (n *Node) registerMetrics() {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	cql := func(f func(m server.Metrics) int64) func() float64 {
		return func() float64 { return float64(f(n.cql.Metrics())) }
	}
	n.metrics.MustRegister(newOperationsCollector(&n.ops),
		gauge("sibyl_cql_open_connections", "Open client connections.", cql(func(m server.Metrics) int64 { return m.OpenConnections })),
		counter("sibyl_cql_requests_total", "CQL requests started.", cql(func(m server.Metrics) int64 { return m.Requests })),
		counter("sibyl_cql_overloaded_total", "Requests answered Overloaded (only clients that asked with THROW_ON_OVERLOAD).", cql(func(m server.Metrics) int64 { return m.Overloaded })),
		counter("sibyl_cql_paused_total", "Times a connection stopped reading for backpressure (in-flight or memory bound).", cql(func(m server.Metrics) int64 { return m.Paused })),
		gauge("sibyl_cql_bytes_in_flight", "Bytes of client requests and answers in flight.", cql(func(m server.Metrics) int64 { return m.BytesInFlight })),
		counter("sibyl_cql_protocol_errors_total", "Protocol errors sent.", cql(func(m server.Metrics) int64 { return m.ProtocolErrors })),
		counter("sibyl_auth_failed_logins_total", "Logins refused: unknown role, wrong password, or a role that may not log in.",
			func() float64 { return float64(n.exec.Metrics().FailedLogins) }),
		counter("sibyl_cql_refused_timestamps_total", "Client write timestamps refused: too far ahead of this node's clock, or out of range.",
			func() float64 { return float64(n.exec.Metrics().RefusedTimestamps) }),
		gauge("sibyl_uptime_seconds", "Seconds since the node started.", func() float64 { return n.cfg.Now().Sub(n.started).Seconds() }),
	)
	if n.engine == nil {
		return
	}
	st := func(f func(m storage.Metrics) float64) func() float64 {
		return func() float64 { return f(n.engine.Metrics()) }
	}
	n.metrics.MustRegister(newTableStorageCollector(n),
		gauge("sibyl_storage_disk_bytes", "Bytes of sstables, WAL and manifest.", st(func(m storage.Metrics) float64 { return float64(m.DiskSpaceUsage) })),
		gauge("sibyl_storage_memtable_bytes", "Bytes in memtables.", st(func(m storage.Metrics) float64 { return float64(m.MemTableSize) })),
		gauge("sibyl_storage_l0_files", "Files in L0.", st(func(m storage.Metrics) float64 { return float64(m.L0Files) })),
		counter("sibyl_storage_applies_total", "Write batches applied.", st(func(m storage.Metrics) float64 { return float64(m.Applies) })),
		counter("sibyl_storage_reads_total", "Reads served.", st(func(m storage.Metrics) float64 { return float64(m.Reads) })),
		counter("sibyl_storage_compactions_total", "Compactions run.", st(func(m storage.Metrics) float64 { return float64(m.Compactions) })),
		counter("sibyl_storage_flushes_total", "Memtable flushes.", st(func(m storage.Metrics) float64 { return float64(m.Flushes) })),
		gauge("sibyl_storage_compaction_pending_bytes", "Estimated bytes compaction must rewrite to bring the LSM to its shape (Pebble's compaction debt).",
			st(func(m storage.Metrics) float64 { return float64(m.CompactionDebt) })),
		gauge("sibyl_storage_compactions_in_progress", "Compactions running now.", st(func(m storage.Metrics) float64 { return float64(m.CompactionsInProgress) })),
		counter("sibyl_storage_compacted_bytes_total", "Bytes written by compactions (rate = compaction throughput).",
			st(func(m storage.Metrics) float64 { return float64(m.CompactedBytes) })),
		counter("sibyl_storage_flushed_bytes_total", "Bytes written by memtable flushes.", st(func(m storage.Metrics) float64 { return float64(m.FlushedBytes) })),
		gauge("sibyl_storage_read_amplification", "Sublevels a point read may consult (Pebble's read amplification).", st(func(m storage.Metrics) float64 { return float64(m.ReadAmp) })),
		counter("sibyl_storage_block_cache_hits_total", "Block cache hits.", st(func(m storage.Metrics) float64 { return float64(m.BlockCacheHits) })),
		counter("sibyl_storage_block_cache_misses_total", "Block cache misses.", st(func(m storage.Metrics) float64 { return float64(m.BlockCacheMisses) })),
	)
}
