package node

import (
	"context"
	"math"
	"net"
	"net/netip"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// What the executor shows of the ring and of this node's data: DESCRIBE
// CLUSTER's range ownership (exec.RingInfo) and system.size_estimates
// (exec.SizeEstimator), which the Spark connector reads to split a table
// into token ranges.

var (
	_ exec.RingInfo      = (*clusterInfo)(nil)
	_ exec.SizeEstimator = (*clusterInfo)(nil)
)

// KeyspaceRanges is every range of the ring with the replicas of ks.
func (c *clusterInfo) KeyspaceRanges(ks string) []exec.TokenRange {
	if c.ranges == nil {
		return nil
	}
	return c.ranges(ks)
}

// SizeEstimates is this node's estimate of t per local primary range.
func (c *clusterInfo) SizeEstimates(t *schema.Table) []exec.SizeEstimate {
	if c.sizes == nil {
		return nil
	}
	return c.sizes(t)
}

// keyspaceRanges places ks's replicas on the current ring.
func (n *Node) keyspaceRanges(ks string) []exec.TokenRange {
	pl, err := n.schema.keyspacePlacement(n.schema.Catalog(), ks)
	if err != nil {
		return nil // a keyspace exec does not know yields nil
	}
	st := pl.strategy // nil: local to this node
	snap := n.ring.Load()
	addrs := make(map[ring.HostID]netip.Addr)
	for _, nd := range snap.Nodes() {
		addrs[nd.ID] = hostAddr(nd.Addr)
	}
	var out []exec.TokenRange
	tokens := snap.Tokens()
	for i, end := range tokens {
		start := tokens[(i+len(tokens)-1)%len(tokens)]
		tr := exec.TokenRange{Start: int64(start), End: int64(end)}
		var ids []ring.HostID
		if st == nil {
			ids = []ring.HostID{n.id.hostID}
		} else {
			ids = snap.Replicas(end, st)
		}
		for _, id := range ids {
			tr.Replicas = append(tr.Replicas, addrs[id])
		}
		out = append(out, tr)
	}
	return out
}

// hostAddr is the address of a ring node's host:port.
func hostAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, _ := netip.ParseAddr(host)
	return a
}

// sizeSample bounds the partitions read per range for an estimate.
const sizeSample = 256

// sizeEstimates estimates t on every local primary range, splitting a
// wrapping range at the minimum token as Cassandra does.
func (n *Node) sizeEstimates(t *schema.Table) []exec.SizeEstimate {
	snap := n.ring.Load()
	var out []exec.SizeEstimate
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range snap.PrimaryRanges(n.id.hostID) {
		for _, part := range unwrap(int64(r.Start), int64(r.End)) {
			e := exec.SizeEstimate{RangeStart: part[0], RangeEnd: part[1]}
			if n.engine != nil {
				est, err := n.engine.EstimateRange(ctx, t.TableID, storage.TokenRange{Start: part[0], End: part[1]}, sizeSample)
				if err != nil {
					n.log.Warn("cannot estimate a table's size", "table", t.Name, "err", err)
				}
				e.PartitionsCount, e.MeanPartitionSize = est.Partitions, est.MeanSize
			}
			out = append(out, e)
		}
	}
	return out
}

// unwrap splits (start, end] at the minimum token when it wraps.
func unwrap(start, end int64) [][2]int64 {
	if start < end || end == math.MinInt64 {
		return [][2]int64{{start, end}}
	}
	return [][2]int64{{start, math.MinInt64}, {math.MinInt64, end}}
}
