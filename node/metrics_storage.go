package node

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// tableStorageCollector exports each table's size on this node at scrape
// time, as nodetool tablestats reports it: bytes on disk, and the
// partition count and mean partition size that system.size_estimates
// uses. The partition figures cost a sampled scan (storage.EstimateRange),
// so they are cached for estimateTTL; disk bytes come from sstable
// metadata and are read on every scrape.
type tableStorageCollector struct {
	n                     *Node
	disk, parts, meanSize *prometheus.Desc

	mu    sync.Mutex
	cache map[schema.TableID]cachedEstimate
}

type cachedEstimate struct {
	at  time.Time
	est storage.RangeEstimate
}

// estimateTTL is how long a table's partition estimate is reused.
const estimateTTL = time.Minute

// estimateSample bounds the partitions one estimate reads.
const estimateSample = 256

func newTableStorageCollector(n *Node) *tableStorageCollector {
	labels := []string{"keyspace", "table"}
	return &tableStorageCollector{
		n:        n,
		disk:     prometheus.NewDesc("sibyl_table_disk_bytes", "Estimated bytes on disk of a table's data on this node.", labels, nil),
		parts:    prometheus.NewDesc("sibyl_table_partitions", "Estimated partitions of a table on this node.", labels, nil),
		meanSize: prometheus.NewDesc("sibyl_table_mean_partition_bytes", "Estimated mean partition size of a table on this node (encoded, uncompressed).", labels, nil),
		cache:    make(map[schema.TableID]cachedEstimate),
	}
}

func (c *tableStorageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.disk
	ch <- c.parts
	ch <- c.meanSize
}

func (c *tableStorageCollector) Collect(ch chan<- prometheus.Metric) {
	cat := c.n.schema.Catalog()
	if cat == nil {
		return
	}
	// A scrape is also when a dropped table's request series are removed.
	if c.n.coord != nil {
		c.n.coord.cfg.Metrics.requests.forget(cat)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	live := make(map[schema.TableID]bool)
	for _, t := range cat.Tables() {
		if strings.HasPrefix(t.Keyspace, "system") {
			continue
		}
		live[t.TableID] = true
		if size, err := c.n.engine.TableSize(t.TableID); err == nil {
			ch <- prometheus.MustNewConstMetric(c.disk, prometheus.GaugeValue, float64(size), t.Keyspace, t.Name)
		}
		est, ok := c.estimate(t.TableID)
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.parts, prometheus.GaugeValue, float64(est.Partitions), t.Keyspace, t.Name)
		ch <- prometheus.MustNewConstMetric(c.meanSize, prometheus.GaugeValue, float64(est.MeanSize), t.Keyspace, t.Name)
	}
	for id := range c.cache {
		if !live[id] {
			delete(c.cache, id)
		}
	}
}

// estimate returns table id's cached estimate, refreshing it when stale.
func (c *tableStorageCollector) estimate(id schema.TableID) (storage.RangeEstimate, bool) {
	now := time.Now()
	if e, ok := c.cache[id]; ok && now.Sub(e.at) < estimateTTL {
		return e.est, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	whole := storage.TokenRange{Start: math.MinInt64, End: math.MinInt64}
	est, err := c.n.engine.EstimateRange(ctx, id, whole, estimateSample)
	if err != nil {
		return storage.RangeEstimate{}, false
	}
	c.cache[id] = cachedEstimate{at: now, est: est}
	return est, true
}
