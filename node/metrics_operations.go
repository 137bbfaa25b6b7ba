package node

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Prometheus counters of the long operations (admin_ops_progress.go):
// how many repairs, streams and cleanups ran and how they ended, and the
// units and bytes they moved, so a dashboard shows repair and streaming
// throughput and an alert sees a failed repair. A running operation's
// progress is counted as it goes; when it finishes, the same amounts move
// into the totals, so every counter only grows.

// operationKinds are the kinds the registry runs; each is exported from
// the start, at zero, so alerts and dashboards find the series.
var operationKinds = []string{"repair", "repair-tree", "bootstrap", "decommission", "stream-out", "stream-in", "cleanup", "restore", "index-build"}

// kindTotals are the finished operations of one kind.
type kindTotals struct {
	done, failed int64
	units, bytes int64
}

// addTotals adds a finished operation to the totals; r.mu is held.
func (r *operations) addTotals(o Operation) {
	if r.totals == nil {
		r.totals = make(map[string]*kindTotals)
	}
	t := r.totals[o.Kind]
	if t == nil {
		t = &kindTotals{}
		r.totals[o.Kind] = t
	}
	if o.State == "failed" {
		t.failed++
	} else {
		t.done++
	}
	t.units += o.Done
	t.bytes += o.Bytes
}

// operationsCollector exports the registry's counts at scrape time.
type operationsCollector struct {
	r                           *operations
	finished, units, bytes, run *prometheus.Desc
}

func newOperationsCollector(r *operations) *operationsCollector {
	return &operationsCollector{r: r,
		finished: prometheus.NewDesc("sibyl_operations_total", "Long operations (repair, streams, cleanup, restore) finished, by kind and result.", []string{"kind", "result"}, nil),
		units:    prometheus.NewDesc("sibyl_operation_units_total", "Units of work done by long operations (ranges, tables, partitions, requests: see GET /operations), by kind.", []string{"kind"}, nil),
		bytes:    prometheus.NewDesc("sibyl_operation_bytes_total", "Bytes moved by long operations (streams, repair pages), by kind.", []string{"kind"}, nil),
		run:      prometheus.NewDesc("sibyl_operations_running", "Long operations running now, by kind.", []string{"kind"}, nil),
	}
}

func (c *operationsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.finished
	ch <- c.units
	ch <- c.bytes
	ch <- c.run
}

func (c *operationsCollector) Collect(ch chan<- prometheus.Metric) {
	type live struct{ running, units, bytes int64 }
	c.r.mu.Lock()
	totals := make(map[string]kindTotals, len(c.r.totals))
	for k, t := range c.r.totals {
		totals[k] = *t
	}
	running := make(map[string]live)
	for _, p := range c.r.running {
		l := running[p.op.Kind]
		l.running++
		l.units += p.done.Load()
		l.bytes += p.bytes.Load()
		running[p.op.Kind] = l
	}
	c.r.mu.Unlock()
	kinds := append([]string(nil), operationKinds...)
	for k := range totals {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		t, l := totals[k], running[k]
		ch <- prometheus.MustNewConstMetric(c.finished, prometheus.CounterValue, float64(t.done), k, "done")
		ch <- prometheus.MustNewConstMetric(c.finished, prometheus.CounterValue, float64(t.failed), k, "failed")
		ch <- prometheus.MustNewConstMetric(c.units, prometheus.CounterValue, float64(t.units+l.units), k)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.bytes+l.bytes), k)
		ch <- prometheus.MustNewConstMetric(c.run, prometheus.GaugeValue, float64(l.running), k)
	}
}
