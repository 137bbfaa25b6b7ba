package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// The admin API behind the nodetool-like verbs of cmd/sibyl (flush,
// compact, cleanup, snapshots, tablestats, info, describecluster,
// gossipinfo, getendpoints, truncatehints, netstats, compactionstats,
// setlogginglevel) and GET /operations, the progress of long operations.
// Each handler is a thin shell over a Node method, so tests and the
// command line see the same thing.

func (n *Node) registerOpsAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /operations", n.handleOperations)
	mux.HandleFunc("POST /ops/flush", n.opsTables(n.Flush))
	mux.HandleFunc("POST /ops/compact", n.opsTables(n.CompactTables))
	mux.HandleFunc("POST /ops/cleanup", n.handleCleanup)
	mux.HandleFunc("POST /ops/snapshot", n.handleSnapshot)
	mux.HandleFunc("GET /ops/snapshots", n.handleListSnapshots)
	mux.HandleFunc("POST /ops/clearsnapshot", n.handleClearSnapshot)
	mux.HandleFunc("POST /ops/restore", n.handleRestore)
	mux.HandleFunc("GET /ops/tablestats", n.handleTableStats)
	mux.HandleFunc("GET /ops/info", n.handleInfo)
	mux.HandleFunc("GET /ops/describecluster", n.handleDescribeCluster)
	mux.HandleFunc("GET /ops/gossipinfo", n.handleGossipInfo)
	mux.HandleFunc("GET /ops/endpoints", n.handleEndpoints)
	mux.HandleFunc("POST /ops/truncatehints", n.handleTruncateHints)
	mux.HandleFunc("GET /ops/compactionstats", n.handleCompactionStats)
	mux.HandleFunc("POST /ops/logginglevel", n.handleLoggingLevel)
	n.registerStatsAdmin(mux) // admin_ops_stats.go
}

func writeErr(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (n *Node) handleOperations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.Operations())
}

// Operations lists the node's long operations: running, then the last
// finished ones.
func (n *Node) Operations() []Operation { return n.ops.list() }

// tableArgs reads ?keyspace= and ?table= (repeated or comma-separated).
func tableArgs(r *http.Request) (string, []string) {
	var tables []string
	for _, v := range r.URL.Query()["table"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tables = append(tables, t)
			}
		}
	}
	return r.URL.Query().Get("keyspace"), tables
}

// opsTables serves an operation over a table selection.
func (n *Node) opsTables(f func(ctx context.Context, keyspace string, tables []string) ([]string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ks, tables := tableArgs(r)
		done, err := f(r.Context(), ks, tables)
		if err != nil {
			writeErr(w, http.StatusConflict, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"tables": done})
	}
}

func tableNames(ts []*schema.Table) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Keyspace+"."+t.Name)
	}
	return out
}

// Flush writes the memtables to sstables. Pebble keeps one memtable for
// every table, so a flush of some tables flushes them all; the selection
// is still checked, so a misspelt name is an error as in nodetool.
func (n *Node) Flush(ctx context.Context, keyspace string, tables []string) ([]string, error) {
	if n.engine == nil {
		return nil, fmt.Errorf("cannot flush: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	sel, err := selectTables(n.schema.Catalog(), keyspace, tables)
	if err != nil {
		return nil, fmt.Errorf("cannot flush: %w", err)
	}
	if err := n.engine.Flush(ctx); err != nil {
		return nil, err
	}
	return tableNames(sel), nil
}

// CompactTables runs a major compaction of the selected tables.
func (n *Node) CompactTables(ctx context.Context, keyspace string, tables []string) ([]string, error) {
	if n.engine == nil {
		return nil, fmt.Errorf("cannot compact: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	sel, err := selectTables(n.schema.Catalog(), keyspace, tables)
	if err != nil {
		return nil, fmt.Errorf("cannot compact: %w", err)
	}
	// A major compaction is where Cassandra drops tombstones past
	// gc_grace. Pebble's compactions cannot (storage/merger.go: a merge
	// that includes a key's base may not be deleted), so the purger
	// removes them first and the compaction then reclaims their space.
	if err := n.engine.Purge(ctx); err != nil {
		return nil, fmt.Errorf("cannot compact: purging data past gc_grace first: %w", err)
	}
	for _, t := range sel {
		id := t.TableID
		if err := n.engine.Compact(ctx, &id); err != nil {
			return nil, fmt.Errorf("cannot compact %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	return tableNames(sel), nil
}

func (n *Node) handleCleanup(w http.ResponseWriter, r *http.Request) {
	done, err := n.Cleanup(r.Context(), r.URL.Query().Get("keyspace"))
	if err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": done})
}

// Cleanup drops the data of the ranges this node no longer replicates
// from the replicated tables of keyspace ("" = every keyspace), as
// nodetool cleanup after a node joined. It refuses while the ring is not
// settled (a node joining, leaving or down), when the data may still be
// needed.
func (n *Node) Cleanup(ctx context.Context, keyspace string) (done []string, err error) {
	if n.engine == nil {
		return nil, fmt.Errorf("cannot clean up: this node keeps no data (backend %s)", n.cfg.Backend)
	}
	sel, err := selectTables(n.schema.Catalog(), keyspace, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot clean up: %w", err)
	}
	snap := n.ring.Load()
	if !n.cluster.ringSettled(snap) {
		return nil, errors.New("cannot clean up while a node is joining, leaving or down: its data may still be needed")
	}
	op := n.ops.start("cleanup", keyspaceDetail(keyspace), "tables", int64(len(sel)))
	defer func() { op.finish(err) }()
	for _, t := range sel {
		pl, perr := n.schema.placementOf(t.TableID)
		if perr != nil || pl.strategy == nil {
			op.add(1, 0)
			continue // local tables are never moved
		}
		var keep []storage.TokenRange
		for _, r := range snap.Ranges(n.id.hostID, pl.strategy) {
			keep = append(keep, storage.TokenRange{Start: int64(r.Start), End: int64(r.End)})
		}
		if err := n.engine.Cleanup(ctx, t.TableID, keep); err != nil {
			return done, fmt.Errorf("cannot clean up %s.%s: %w", t.Keyspace, t.Name, err)
		}
		done = append(done, t.Keyspace+"."+t.Name)
		op.add(1, 0)
	}
	return done, nil
}

func keyspaceDetail(ks string) string {
	if ks == "" {
		return "all keyspaces"
	}
	return ks
}

func (n *Node) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	_, tables := tableArgs(r)
	var keyspaces []string
	for _, v := range r.URL.Query()["keyspace"] {
		for _, ks := range strings.Split(v, ",") {
			if ks = strings.TrimSpace(ks); ks != "" {
				keyspaces = append(keyspaces, ks)
			}
		}
	}
	m, err := n.Snapshot(r.Context(), r.URL.Query().Get("tag"), keyspaces, tables)
	if err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (n *Node) handleListSnapshots(w http.ResponseWriter, _ *http.Request) {
	list, err := n.ListSnapshots()
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (n *Node) handleClearSnapshot(w http.ResponseWriter, r *http.Request) {
	tags, err := n.ClearSnapshot(r.URL.Query().Get("tag"), r.URL.Query().Get("all") == "true")
	if err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cleared": tags})
}

func (n *Node) handleRestore(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := n.Restore(r.Context(), q.Get("tag"), q.Get("keyspace"), q.Get("table"))
	if err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// TableStats is one table of tablestats: what this node holds of it.
type TableStats struct {
	Keyspace            string  `json:"keyspace"`
	Table               string  `json:"table"`
	SpaceUsedBytes      uint64  `json:"space_used_bytes"`
	EstimatedPartitions int64   `json:"estimated_partitions"`
	MeanPartitionBytes  int64   `json:"mean_partition_bytes"`
	LocalRanges         int     `json:"local_ranges"`
	GCGraceSeconds      int64   `json:"gc_grace_seconds"`
	DroppedColumns      int     `json:"dropped_columns"`
	Owns                float64 `json:"owns"` // share of the ring this node replicates for the table's keyspace, 0..1
}

func (n *Node) handleTableStats(w http.ResponseWriter, r *http.Request) {
	ks, tables := tableArgs(r)
	st, err := n.TableStats(ks, tables)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// TableStats describes the selected tables as this node holds them.
func (n *Node) TableStats(keyspace string, tables []string) ([]TableStats, error) {
	sel, err := selectTables(n.schema.Catalog(), keyspace, tables)
	if err != nil {
		return nil, err
	}
	out := make([]TableStats, 0, len(sel))
	for _, t := range sel {
		ts := TableStats{Keyspace: t.Keyspace, Table: t.Name, GCGraceSeconds: int64(t.Options.GCGraceSeconds), DroppedColumns: len(t.DroppedColumns)}
		if n.engine != nil {
			ts.SpaceUsedBytes, _ = n.engine.TableSize(t.TableID)
		}
		var bytes int64
		for _, e := range n.sizeEstimates(t) {
			ts.EstimatedPartitions += e.PartitionsCount
			bytes += e.MeanPartitionSize * e.PartitionsCount
			ts.LocalRanges++
		}
		if ts.EstimatedPartitions > 0 {
			ts.MeanPartitionBytes = bytes / ts.EstimatedPartitions
		}
		ts.Owns = n.replicatedShare(t.TableID)
		out = append(out, ts)
	}
	return out, nil
}

// replicatedShare is the share of the ring whose data of table this node
// replicates.
func (n *Node) replicatedShare(table schema.TableID) float64 {
	pl, err := n.schema.placementOf(table)
	if err != nil || pl.strategy == nil {
		return 1
	}
	var share float64
	for _, r := range n.ring.Load().Ranges(n.id.hostID, pl.strategy) {
		share += rangeShare(r)
	}
	return min(share, 1)
}

// rangeShare is the share of the ring (start, end] covers.
func rangeShare(r ring.Range) float64 {
	if r.IsFull() {
		return 1
	}
	w := uint64(r.End) - uint64(r.Start) // wraps correctly for a wrapping range
	return float64(w) / 18446744073709551616.0
}

// Info is what nodetool info shows.
type Info struct {
	Status
	GossipActive     bool    `json:"gossip_active"`
	NativeTransport  bool    `json:"native_transport_active"`
	HeapUsedBytes    uint64  `json:"heap_used_bytes"`
	HeapSysBytes     uint64  `json:"heap_sys_bytes"`
	Goroutines       int     `json:"goroutines"`
	BlockCacheHits   int64   `json:"block_cache_hits"`
	BlockCacheMisses int64   `json:"block_cache_misses"`
	BlockCacheRatio  float64 `json:"block_cache_hit_ratio"`
	PendingHints     int64   `json:"pending_hints"`
	Snapshots        int     `json:"snapshots"`
}

func (n *Node) handleInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.Info())
}

// Info describes this node.
func (n *Node) Info() Info {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	in := Info{Status: n.Status(), GossipActive: n.cluster != nil && n.cluster.gossip != nil, NativeTransport: n.cql != nil,
		HeapUsedBytes: ms.HeapAlloc, HeapSysBytes: ms.HeapSys, Goroutines: runtime.NumGoroutine()}
	if n.engine != nil {
		m := n.engine.Metrics()
		in.BlockCacheHits, in.BlockCacheMisses = m.BlockCacheHits, m.BlockCacheMisses
		if m.BlockCacheHits+m.BlockCacheMisses > 0 {
			in.BlockCacheRatio = float64(m.BlockCacheHits) / float64(m.BlockCacheHits+m.BlockCacheMisses)
		}
		for _, h := range n.engine.AllHintStats() {
			in.PendingHints += h.Count
		}
	}
	if list, err := n.ListSnapshots(); err == nil {
		in.Snapshots = len(list)
	}
	return in
}

// ClusterDescription is what nodetool describecluster shows.
type ClusterDescription struct {
	Name           string              `json:"name"`
	Partitioner    string              `json:"partitioner"`
	Snitch         string              `json:"snitch"`
	SchemaVersions map[string][]string `json:"schema_versions"` // version -> addresses; "UNREACHABLE" for nodes down
}

func (n *Node) handleDescribeCluster(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.DescribeCluster(r.Context()))
}

// DescribeCluster groups the nodes by the schema version they report.
func (n *Node) DescribeCluster(ctx context.Context) ClusterDescription {
	d := ClusterDescription{Name: n.cfg.ClusterName, Partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
		Snitch: "org.apache.cassandra.locator.GossipingPropertyFileSnitch", SchemaVersions: map[string][]string{}}
	for _, cn := range n.ClusterStatus(ctx) {
		v := cn.Schema
		if cn.State[0] == 'D' {
			v = "UNREACHABLE"
		}
		d.SchemaVersions[v] = append(d.SchemaVersions[v], cn.Address)
	}
	return d
}

// GossipEntry is one node of gossipinfo: the state its gossip metadata
// carries.
type GossipEntry struct {
	Address     string `json:"address"`
	HostID      string `json:"host_id"`
	Up          bool   `json:"up"`
	Status      string `json:"status"`
	DC          string `json:"dc"`
	Rack        string `json:"rack"`
	Schema      string `json:"schema"`
	Tokens      int    `json:"tokens"`
	NativePort  int    `json:"native_port"`
	StoragePort int    `json:"storage_port"`
	AdminPort   int    `json:"admin_port"`
	GossipPort  int    `json:"gossip_port"`
	Stopping    bool   `json:"stopping,omitempty"`
	Left        bool   `json:"left,omitempty"`
	DownSince   string `json:"down_since,omitempty"`
}

func (n *Node) handleGossipInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.GossipInfo())
}

// GossipInfo lists this node and every peer as gossip describes them.
func (n *Node) GossipInfo() []GossipEntry {
	self := n.Status()
	out := []GossipEntry{{Address: self.Address, HostID: self.HostID, Up: true, Status: ring.Status(n.cluster.status.Load()).String(),
		DC: self.DataCenter, Rack: self.Rack, Schema: self.SchemaVersion, Tokens: len(n.id.tokens),
		NativePort: n.cfg.CQLPort, StoragePort: n.cfg.StoragePort, AdminPort: n.adminPort(), GossipPort: n.cfg.GossipPort}}
	for id, p := range n.cluster.view.Load().peers {
		e := GossipEntry{Address: p.meta.Addr.String(), HostID: id.String(), Up: p.up, Status: p.meta.Status.String(),
			DC: p.meta.DC, Rack: p.meta.Rack, Schema: uuidString(p.meta.Schema), Tokens: len(p.tokens),
			NativePort: int(p.meta.CQLPort), StoragePort: int(p.meta.MsgPort), AdminPort: int(p.meta.AdminPort),
			GossipPort: int(p.meta.GossipPort), Stopping: p.meta.Stopping, Left: p.meta.Left || p.retired}
		if !p.up && !p.downSince.IsZero() {
			e.DownSince = p.downSince.UTC().Format(time.RFC3339)
		}
		out = append(out, e)
	}
	slices.SortFunc(out[1:], func(a, b GossipEntry) int { return compareAddr(a.Address, b.Address) })
	return out
}

// Endpoints is getendpoints' answer.
type Endpoints struct {
	Token     string   `json:"token"`
	Addresses []string `json:"addresses"`
}

func (n *Node) handleEndpoints(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ep, err := n.GetEndpoints(q.Get("keyspace"), q.Get("table"), q.Get("key"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, ep)
}

// GetEndpoints names the replicas of the partition key (in nodetool's
// text form: the components of a composite key separated by ':').
func (n *Node) GetEndpoints(keyspace, table, key string) (Endpoints, error) {
	t := n.schema.Catalog().Table(keyspace, table)
	if t == nil {
		return Endpoints{}, fmt.Errorf("table %s.%s does not exist", keyspace, table)
	}
	parts := []string{key}
	if len(t.PartitionKey) > 1 {
		parts = strings.Split(key, ":")
	}
	if len(parts) != len(t.PartitionKey) {
		return Endpoints{}, fmt.Errorf("the partition key of %s.%s has %d components, got %d", keyspace, table, len(t.PartitionKey), len(parts))
	}
	values := make([][]byte, len(parts))
	for i, s := range parts {
		v, err := keyComponent(t.PartitionKey[i].Type, s)
		if err != nil {
			return Endpoints{}, fmt.Errorf("key component %s: %w", t.PartitionKey[i].Name, err)
		}
		values[i] = v
	}
	tok := ring.Murmur3Token(t.RoutingKey(values))
	ep := Endpoints{Token: tok.String(), Addresses: []string{}}
	pl, err := n.schema.placementOf(t.TableID)
	if err != nil || pl.strategy == nil {
		ep.Addresses = append(ep.Addresses, n.addr.String())
		return ep, nil
	}
	snap := n.ring.Load()
	for _, id := range snap.Replicas(tok, pl.strategy) {
		if nd, ok := snap.Node(id); ok {
			ep.Addresses = append(ep.Addresses, hostAddr(nd.Addr).String())
		}
	}
	return ep, nil
}

// keyComponent serializes one partition key component from its text
// form, for the types a partition key commonly has.
func keyComponent(t *schema.Type, s string) ([]byte, error) {
	switch t.Kind {
	case schema.KindVarchar, schema.KindASCII:
		return []byte(s), nil
	case schema.KindInt, schema.KindBigint, schema.KindSmallint, schema.KindTinyint:
		size := map[schema.Kind]int{schema.KindInt: 32, schema.KindBigint: 64, schema.KindSmallint: 16, schema.KindTinyint: 8}[t.Kind]
		v, err := strconv.ParseInt(s, 10, size)
		if err != nil {
			return nil, fmt.Errorf("not a %s: %q", t, s)
		}
		b := binary.BigEndian.AppendUint64(nil, uint64(v))
		return b[8-size/8:], nil
	case schema.KindUUID, schema.KindTimeUUID:
		u, err := schema.ParseUUID(s)
		if err != nil {
			return nil, err
		}
		return u[:], nil
	case schema.KindBlob:
		b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
		if err != nil {
			return nil, fmt.Errorf("not hex: %q", s)
		}
		return b, nil
	}
	return nil, fmt.Errorf("getendpoints does not parse keys of type %s", t)
}

func (n *Node) handleTruncateHints(w http.ResponseWriter, r *http.Request) {
	dropped, err := n.TruncateHints(r.Context(), r.URL.Query().Get("host"))
	if err != nil {
		writeErr(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dropped": dropped})
}

// TruncateHints drops the hints this node keeps for host (an address or a
// host id), or for every node when host is empty; it returns how many.
func (n *Node) TruncateHints(ctx context.Context, host string) (int64, error) {
	if n.engine == nil {
		return 0, nil
	}
	var target *storage.HostID
	if host != "" {
		id, err := n.resolveHost(host)
		if err != nil {
			return 0, err
		}
		sid := storage.HostID(id)
		target = &sid
	}
	var dropped int64
	for _, st := range n.engine.AllHintStats() {
		if target != nil && st.Target != *target {
			continue
		}
		if err := n.engine.DropHints(ctx, st.Target); err != nil {
			return dropped, fmt.Errorf("cannot drop the hints for %s: %w", ring.HostID(st.Target), err)
		}
		dropped += st.Count
	}
	return dropped, nil
}

// resolveHost finds a node by host id or address.
func (n *Node) resolveHost(host string) (ring.HostID, error) {
	if id, err := ring.ParseHostID(host); err == nil {
		return id, nil
	}
	for id, p := range n.cluster.view.Load().peers {
		if p.meta.Addr.String() == host {
			return id, nil
		}
	}
	if host == n.addr.String() {
		return n.id.hostID, nil
	}
	return ring.HostID{}, fmt.Errorf("no node %s is known", host)
}

// CompactionStats is what compactionstats shows of the store.
type CompactionStats struct {
	storage.CompactionStats
	Operations []Operation `json:"operations"` // cleanups running
}

func (n *Node) handleCompactionStats(w http.ResponseWriter, _ *http.Request) {
	var cs CompactionStats
	if n.engine != nil {
		cs.CompactionStats = n.engine.CompactionStats()
	}
	cs.Operations = []Operation{}
	for _, o := range n.ops.list() {
		if o.Kind == "cleanup" && o.State == "running" {
			cs.Operations = append(cs.Operations, o)
		}
	}
	writeJSON(w, http.StatusOK, cs)
}

// LoggingLevels is setlogginglevel's answer: the levels in force.
type LoggingLevels struct {
	Default    string            `json:"default"`
	Components map[string]string `json:"components"`
}

// handleLoggingLevel sets ?level= for ?component= (every component when
// empty), as nodetool setlogginglevel.
func (n *Node) handleLoggingLevel(w http.ResponseWriter, r *http.Request) {
	h, ok := logHandlerOf(n.log)
	if !ok {
		writeErr(w, http.StatusConflict, errors.New("this node's logger was not built by sibyl serve; its levels cannot change"))
		return
	}
	if lv := r.URL.Query().Get("level"); lv != "" {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(lv)); err != nil {
			writeErr(w, http.StatusBadRequest, fmt.Errorf("invalid log level %q: want debug, info, warn or error", lv))
			return
		}
		h.SetLevel(r.URL.Query().Get("component"), lvl)
	}
	def, byCmp := h.Levels()
	out := LoggingLevels{Default: def.String(), Components: map[string]string{}}
	for c, l := range byCmp {
		out.Components[c] = l.String()
	}
	writeJSON(w, http.StatusOK, out)
}
