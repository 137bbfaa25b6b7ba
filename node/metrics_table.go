package node

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// Per-table and per-consistency-level request metrics, as Cassandra's
// TableMetrics and ClientRequestMetrics give them: an operator asks which
// table is slow or hot, and whether QUORUM or ONE requests are the ones
// timing out. They are observed by the coordinator for every request it
// runs, so the hot path never hashes label values: each table's series
// are resolved once and kept in a sync.Map by table id, each level's in
// an array indexed by its code.

// tableSeries are one table's resolved series.
type tableSeries struct {
	keyspace, table           string
	reads, writes, tombstones prometheus.Counter
	readSeconds, writeSeconds prometheus.Observer
}

// requestMetrics holds the labelled vectors and their resolved children.
type requestMetrics struct {
	reads, writes, tombstones *prometheus.CounterVec
	readSeconds, writeSeconds *prometheus.HistogramVec
	byCL                      *prometheus.CounterVec
	// clReads and clWrites are byCL's children for each level code.
	clReads, clWrites [exec.LocalOne + 1]prometheus.Counter

	// names finds a table's keyspace and name; nil leaves per-table
	// metrics out (tests without a catalog).
	names  func(schema.TableID) (ks, table string, ok bool)
	tables sync.Map // schema.TableID -> *tableSeries
}

func newRequestMetrics(buckets []float64) *requestMetrics {
	labels := []string{"keyspace", "table"}
	m := &requestMetrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_table_reads_total", Help: "Coordinated reads of a table."}, labels),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_table_writes_total", Help: "Partition writes coordinated for a table (a batch counts each partition)."}, labels),
		tombstones: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_table_tombstones_read_total", Help: "Tombstones (partition, range, row and cell deletions, expired cells) in reconciled read results of a table."}, labels),
		readSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sibyl_table_read_seconds", Help: "Latency of coordinated reads of a table.", Buckets: buckets}, labels),
		writeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sibyl_table_write_seconds", Help: "Latency of coordinated writes of a table.", Buckets: buckets}, labels),
		byCL: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sibyl_coordinator_requests_total", Help: "Coordinated requests, by operation and consistency level."},
			[]string{"op", "consistency"}),
	}
	for cl := exec.Any; cl <= exec.LocalOne; cl++ {
		name := clName(cl)
		m.clReads[cl] = m.byCL.WithLabelValues("read", name)
		m.clWrites[cl] = m.byCL.WithLabelValues("write", name)
	}
	return m
}

func (m *requestMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.reads, m.writes, m.tombstones, m.readSeconds, m.writeSeconds, m.byCL}
}

// series returns table id's series, resolving them on first use; nil when
// the table has no name (dropped, or no catalog).
func (m *requestMetrics) series(id schema.TableID) *tableSeries {
	if s, ok := m.tables.Load(id); ok {
		return s.(*tableSeries)
	}
	if m.names == nil {
		return nil
	}
	ks, table, ok := m.names(id)
	if !ok {
		return nil
	}
	s := &tableSeries{keyspace: ks, table: table,
		reads: m.reads.WithLabelValues(ks, table), writes: m.writes.WithLabelValues(ks, table),
		tombstones:  m.tombstones.WithLabelValues(ks, table),
		readSeconds: m.readSeconds.WithLabelValues(ks, table), writeSeconds: m.writeSeconds.WithLabelValues(ks, table),
	}
	actual, _ := m.tables.LoadOrStore(id, s)
	return actual.(*tableSeries)
}

// forget drops the series of tables the catalog no longer has, so a
// dropped table's series leave /metrics.
func (m *requestMetrics) forget(cat *schema.Catalog) {
	m.tables.Range(func(k, v any) bool {
		id, s := k.(schema.TableID), v.(*tableSeries)
		if cat.TableByID(id) != nil {
			return true
		}
		m.tables.Delete(id)
		for _, vec := range []*prometheus.MetricVec{m.reads.MetricVec, m.writes.MetricVec, m.tombstones.MetricVec,
			m.readSeconds.MetricVec, m.writeSeconds.MetricVec} {
			vec.DeleteLabelValues(s.keyspace, s.table)
		}
		return true
	})
}

func (m *requestMetrics) observeWrite(elapsed time.Duration, cl exec.Consistency, muts []*schema.Partition) {
	if int(cl) < len(m.clWrites) {
		m.clWrites[cl].Inc()
	}
	var last *tableSeries
	var lastID schema.TableID
	for i, p := range muts {
		// A batch is mostly one table: resolve only when it changes.
		if i == 0 || p.Table != lastID {
			last, lastID = m.series(p.Table), p.Table
			if last != nil {
				last.writeSeconds.Observe(elapsed.Seconds())
			}
		}
		if last != nil {
			last.writes.Inc()
		}
	}
}

func (m *requestMetrics) observeRead(elapsed time.Duration, cl exec.Consistency, table schema.TableID, parts []*schema.Partition) {
	if int(cl) < len(m.clReads) {
		m.clReads[cl].Inc()
	}
	s := m.series(table)
	if s == nil {
		return
	}
	s.reads.Inc()
	s.readSeconds.Observe(elapsed.Seconds())
	if n := countTombstones(parts); n > 0 {
		s.tombstones.Add(float64(n))
	}
}

// countTombstones counts the deletions a read result carries: partition,
// range and row deletions, collection deletions, and cell tombstones
// (expired cells read as tombstones only at the executor, which this
// count does not see).
func countTombstones(parts []*schema.Partition) int {
	n := 0
	row := func(r *schema.Row) {
		if !r.Deletion.Live() {
			n++
		}
		n += len(r.ColumnDeletions)
		for i := range r.Cells {
			if r.Cells[i].Tombstone {
				n++
			}
		}
	}
	for _, p := range parts {
		if !p.Deletion.Live() {
			n++
		}
		n += len(p.RangeTombstones)
		if p.Static != nil {
			row(p.Static)
		}
		for i := range p.Rows {
			row(&p.Rows[i])
		}
	}
	return n
}

// tableName finds a table's keyspace and name in the current catalog.
func (n *Node) tableName(id schema.TableID) (ks, table string, ok bool) {
	cat := n.schema.Catalog()
	if cat == nil {
		return "", "", false
	}
	t := cat.TableByID(id)
	if t == nil {
		return "", "", false
	}
	return t.Keyspace, t.Name, true
}
