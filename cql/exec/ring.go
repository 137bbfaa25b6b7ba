package exec

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/sibyldb/sibyl/schema"
)

// What exec needs to know of the ring beyond ClusterInfo: where a
// keyspace's replicas are (DESCRIBE CLUSTER's range_ownership) and how
// much data this node holds per token range (system.size_estimates). Both
// are optional interfaces of the Config.Cluster value; node/ implements
// them with its ring and storage engine.

// TokenRange is one range (Start, End] of the ring with the listen
// addresses of its replicas for some keyspace, in placement order.
type TokenRange struct {
	Start, End int64
	Replicas   []netip.Addr
}

// RingInfo is implemented by a ClusterInfo that places replicas as the
// cluster really does (racks included).
type RingInfo interface {
	// KeyspaceRanges returns every token range of the ring, in token
	// order, each with the replicas of keyspace ks, as Cassandra's
	// StorageService.getRangeToAddressMap. A keyspace it does not know
	// yields nil.
	KeyspaceRanges(ks string) []TokenRange
}

// SizeEstimate is this node's estimate of one table's data in one of its
// local primary ranges, (RangeStart, RangeEnd], as Cassandra's
// SizeEstimatesRecorder computes it: ranges never wrap (a wrapping range
// is given as two, the second starting at the minimum token).
type SizeEstimate struct {
	RangeStart, RangeEnd int64
	PartitionsCount      int64 // estimated partitions in the range
	MeanPartitionSize    int64 // bytes
}

// SizeEstimator is implemented by a ClusterInfo whose node can estimate
// the data it holds. system.size_estimates, which the Spark connector
// reads to split token ranges, shows its answer; without it the table
// shows the local primary ranges with zero estimates.
type SizeEstimator interface {
	// SizeEstimates returns the estimates of table t for every local
	// primary range, in token order.
	SizeEstimates(t *schema.Table) []SizeEstimate
}

// ringNode is one node's tokens and place, for the fallback placement.
type ringNode struct {
	addr   netip.Addr
	dc     string
	tokens []int64
}

func (e *Executor) ringNodes() []ringNode {
	local := e.cfg.Cluster.Local()
	nodes := []ringNode{{addr: local.Address, dc: local.DataCenter, tokens: local.Tokens}}
	for _, p := range e.cfg.Cluster.Peers() {
		nodes = append(nodes, ringNode{addr: p.Address, dc: p.DataCenter, tokens: p.Tokens})
	}
	return nodes
}

// keyspaceRanges returns the ranges of k with their replicas: from
// RingInfo when the cluster provides it, else placed here from the
// nodes' tokens — SimpleStrategy takes the next distinct nodes clockwise,
// NetworkTopologyStrategy the next distinct nodes of each data center
// until its factor is met (racks ignored); LocalStrategy is the local
// node alone.
func (e *Executor) keyspaceRanges(k *schema.Keyspace) []TokenRange {
	if r, ok := e.cfg.Cluster.(RingInfo); ok {
		return r.KeyspaceRanges(k.Name)
	}
	nodes := e.ringNodes()
	type owned struct {
		token int64
		node  int
	}
	var ring []owned
	for i, n := range nodes {
		for _, t := range n.tokens {
			ring = append(ring, owned{t, i})
		}
	}
	if len(ring) == 0 {
		return nil
	}
	slices.SortFunc(ring, func(a, b owned) int {
		switch {
		case a.token < b.token:
			return -1
		case a.token > b.token:
			return 1
		}
		return a.node - b.node
	})
	want := map[string]int{} // per data center; "" for SimpleStrategy
	switch k.ReplicationClass() {
	case "NetworkTopologyStrategy":
		for dc, v := range k.Replication {
			if dc != "class" {
				n, _ := strconv.Atoi(v)
				want[dc] = n
			}
		}
	case "SimpleStrategy":
		want[""] = k.ReplicationFactor()
	}
	out := make([]TokenRange, len(ring))
	for i, o := range ring {
		prev := ring[(i+len(ring)-1)%len(ring)].token
		tr := TokenRange{Start: prev, End: o.token}
		if len(want) == 0 {
			tr.Replicas = []netip.Addr{nodes[0].addr}
			out[i] = tr
			continue
		}
		got := map[string]int{}
		taken := map[int]bool{}
		for j := 0; j < len(ring); j++ {
			n := ring[(i+j)%len(ring)].node
			if taken[n] {
				continue
			}
			dc := nodes[n].dc
			if _, simple := want[""]; simple {
				dc = ""
			}
			if got[dc] >= want[dc] {
				continue
			}
			taken[n] = true
			got[dc]++
			tr.Replicas = append(tr.Replicas, nodes[n].addr)
		}
		out[i] = tr
	}
	return out
}

// localPrimaryRanges returns the ranges whose end is one of this node's
// tokens, unwrapped as size_estimates records them.
func (e *Executor) localPrimaryRanges() []SizeEstimate {
	nodes := e.ringNodes()
	var all []int64
	for _, n := range nodes {
		all = append(all, n.tokens...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var out []SizeEstimate
	for _, t := range nodes[0].tokens {
		i, _ := slices.BinarySearch(all, t)
		prev := all[(i+len(all)-1)%len(all)]
		if prev >= t { // wraps (or a single token: the whole ring)
			out = append(out, SizeEstimate{RangeStart: prev, RangeEnd: minToken}, SizeEstimate{RangeStart: minToken, RangeEnd: t})
			continue
		}
		out = append(out, SizeEstimate{RangeStart: prev, RangeEnd: t})
	}
	slices.SortFunc(out, func(a, b SizeEstimate) int {
		switch {
		case a.RangeStart < b.RangeStart:
			return -1
		case a.RangeStart > b.RangeStart:
			return 1
		}
		return 0
	})
	return out
}

// minToken is Murmur3Partitioner's minimum token, which no key has.
const minToken = -1 << 63

// sizeEstimatesRows is system.size_estimates: for every table of every
// keyspace not of LocalStrategy (as Cassandra's SizeEstimatesRecorder
// covers), one row per local primary range with the node's estimates
// (SizeEstimator), or zero estimates when the node gives none.
func sizeEstimatesRows(v *virtualCtx) []map[string]any {
	est, _ := v.e.cfg.Cluster.(SizeEstimator)
	var ranges []SizeEstimate
	if est == nil {
		ranges = v.e.localPrimaryRanges()
	}
	var out []map[string]any
	for _, k := range v.cat.Keyspaces() {
		if k.Virtual || k.ReplicationClass() == "LocalStrategy" {
			continue
		}
		for _, t := range k.SortedTables() {
			rs := ranges
			if est != nil {
				rs = est.SizeEstimates(t)
			}
			for _, r := range rs {
				out = append(out, map[string]any{
					"keyspace_name":       k.Name,
					"table_name":          t.Name,
					"range_start":         strconv.FormatInt(r.RangeStart, 10),
					"range_end":           strconv.FormatInt(r.RangeEnd, 10),
					"mean_partition_size": r.MeanPartitionSize,
					"partitions_count":    r.PartitionsCount,
				})
			}
		}
	}
	return out
}
