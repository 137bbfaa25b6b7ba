package node

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// tablehistograms, tpstats and setstreamthroughput.

func (n *Node) registerStatsAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /ops/tablehistograms", n.handleTableHistograms)
	mux.HandleFunc("GET /ops/tpstats", n.handleTPStats)
	mux.HandleFunc("POST /ops/streamthroughput", n.handleStreamThroughput)
	mux.HandleFunc("POST /ops/compactionthroughput", n.handleCompactionThroughput)
}

// handleCompactionThroughput sets ?mbps= as the limit of the bytes per
// second compactions write (0: unlimited), as nodetool
// setcompactionthroughput.
func (n *Node) handleCompactionThroughput(w http.ResponseWriter, r *http.Request) {
	mbps, err := strconv.ParseFloat(r.URL.Query().Get("mbps"), 64)
	if err != nil || mbps < 0 {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("compaction throughput %q: want megabytes per second, 0 for unlimited", r.URL.Query().Get("mbps")))
		return
	}
	if n.engine == nil {
		writeErr(w, http.StatusConflict, fmt.Errorf("this node keeps no data (backend %s)", n.cfg.Backend))
		return
	}
	n.engine.SetCompactionThroughput(int64(mbps * (1 << 20)))
	n.log.Info("compaction throughput set", "component", "storage", "mb_per_sec", mbps)
	writeJSON(w, http.StatusOK, map[string]float64{"mb_per_sec": mbps})
}

// Histogram is tablehistograms' answer: percentiles of the table's
// partitions on this node, from a scan of its local data.
type Histogram struct {
	Keyspace    string    `json:"keyspace"`
	Table       string    `json:"table"`
	Partitions  int64     `json:"partitions"`
	Percentiles []float64 `json:"percentiles"` // 50, 75, 95, 98, 99, then min (0) and max (100)
	Bytes       []int64   `json:"partition_bytes"`
	Cells       []int64   `json:"cell_count"`
	Rows        []int64   `json:"row_count"`
}

var histogramPercentiles = []float64{50, 75, 95, 98, 99, 0, 100}

func (n *Node) handleTableHistograms(w http.ResponseWriter, r *http.Request) {
	h, err := n.TableHistograms(r.Context(), r.URL.Query().Get("keyspace"), r.URL.Query().Get("table"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// TableHistograms scans this node's partitions of keyspace.table: it
// reads every partition once (a table's whole local data), so it costs
// what a repair's tree build of the table costs.
func (n *Node) TableHistograms(ctx context.Context, keyspace, table string) (Histogram, error) {
	t := n.schema.Catalog().Table(keyspace, table)
	if t == nil {
		return Histogram{}, fmt.Errorf("table %s.%s does not exist", keyspace, table)
	}
	h := Histogram{Keyspace: keyspace, Table: table, Percentiles: histogramPercentiles}
	if n.engine == nil {
		return h, nil
	}
	var bytes, cells, rows []int64
	err := n.engine.ScanRange(ctx, t.TableID, math.MinInt64, math.MinInt64, func(p *schema.Partition) error {
		bytes = append(bytes, int64(len(schema.AppendPartition(nil, p))))
		c := 0
		if p.Static != nil {
			c += len(p.Static.Cells)
		}
		for _, r := range p.Rows {
			c += len(r.Cells)
		}
		cells = append(cells, int64(c))
		rows = append(rows, int64(len(p.Rows)))
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("cannot scan %s.%s: %w", keyspace, table, err)
	}
	h.Partitions = int64(len(bytes))
	h.Bytes, h.Cells, h.Rows = percentiles(bytes), percentiles(cells), percentiles(rows)
	return h, nil
}

// percentiles returns the values at histogramPercentiles of vs (nearest
// rank); zeros when vs is empty.
func percentiles(vs []int64) []int64 {
	out := make([]int64, len(histogramPercentiles))
	if len(vs) == 0 {
		return out
	}
	slices.Sort(vs)
	for i, p := range histogramPercentiles {
		rank := int(math.Ceil(p / 100 * float64(len(vs))))
		out[i] = vs[min(max(rank-1, 0), len(vs)-1)]
	}
	return out
}

// Stage is one line of tpstats. Sibyl has no thread pools: a stage is the
// part of the node doing one kind of work, with Cassandra's pool name.
type Stage struct {
	Name      string `json:"name"`
	Active    int64  `json:"active"`
	Pending   int64  `json:"pending"`
	Completed int64  `json:"completed"`
	Blocked   int64  `json:"blocked"`
	AllBlock  int64  `json:"all_time_blocked"`
}

// TPStats is tpstats' answer.
type TPStats struct {
	Stages  []Stage          `json:"stages"`
	Dropped map[string]int64 `json:"dropped"`
}

func (n *Node) handleTPStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.TPStats())
}

// TPStats gathers the node's counters as nodetool tpstats shows pools.
func (n *Node) TPStats() TPStats {
	st := TPStats{Dropped: map[string]int64{}}
	if n.cql != nil {
		m := n.cql.Metrics()
		st.Stages = append(st.Stages, Stage{Name: "Native-Transport-Requests", Completed: m.Requests, AllBlock: m.Paused})
		st.Dropped["NATIVE_TRANSPORT_OVERLOADED"] = m.Overloaded
	}
	if n.engine != nil {
		m := n.engine.Metrics()
		cs := n.engine.CompactionStats()
		st.Stages = append(st.Stages,
			Stage{Name: "MutationStage", Completed: m.Applies},
			Stage{Name: "ReadStage", Completed: m.Reads},
			Stage{Name: "CompactionExecutor", Active: cs.Running, Completed: cs.Completed},
			Stage{Name: "MemtableFlushWriter", Completed: cs.Flushes},
			Stage{Name: "HintsDispatcher", Completed: m.HintsStored, Blocked: 0, AllBlock: m.HintsRejected})
		st.Dropped["HINT"] = m.HintsRejected
	}
	kinds := map[string]string{"repair": "Repair-Task", "repair-tree": "ValidationExecutor", "stream-out": "StreamingOut", "stream-in": "StreamingIn",
		"bootstrap": "StreamingIn", "decommission": "StreamingOut", "cleanup": "CompactionExecutor(cleanup)", "restore": "Restore"}
	byName := map[string]*Stage{}
	var names []string
	for _, o := range n.ops.list() {
		name := kinds[o.Kind]
		s := byName[name]
		if s == nil {
			s = &Stage{Name: name}
			byName[name] = s
			names = append(names, name)
		}
		if o.State == "running" {
			s.Active++
		} else {
			s.Completed++
		}
	}
	slices.Sort(names)
	for _, name := range names {
		st.Stages = append(st.Stages, *byName[name])
	}
	return st
}

// streamThrottle limits the bytes per second this node moves through
// streams (the pages it pulls from peers and pushes to them): nodetool
// setstreamthroughput. Zero is unlimited.
type streamThrottle struct {
	bytesPerSec atomic.Int64
	mu          sync.Mutex
	next        time.Time // when the bytes granted so far have been paid for
}

// wait blocks until n more bytes fit under the limit, or ctx ends.
func (s *streamThrottle) wait(ctx context.Context, n int) error {
	bps := s.bytesPerSec.Load()
	if bps <= 0 || n <= 0 {
		return nil
	}
	s.mu.Lock()
	now := time.Now()
	if s.next.Before(now) {
		s.next = now
	}
	at := s.next
	s.next = s.next.Add(time.Duration(float64(n) / float64(bps) * float64(time.Second)))
	s.mu.Unlock()
	if d := time.Until(at); d > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return nil
}

func (n *Node) handleStreamThroughput(w http.ResponseWriter, r *http.Request) {
	mbps, err := strconv.ParseFloat(r.URL.Query().Get("mbps"), 64)
	if err != nil || mbps < 0 {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("stream throughput %q: want megabytes per second, 0 for unlimited", r.URL.Query().Get("mbps")))
		return
	}
	n.ops.stream.bytesPerSec.Store(int64(mbps * (1 << 20)))
	n.log.Info("stream throughput set", "component", "streaming", "mb_per_sec", mbps)
	writeJSON(w, http.StatusOK, map[string]float64{"mb_per_sec": mbps})
}
