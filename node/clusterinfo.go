package node

import (
	"net/netip"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// SoftwareVersion is Sibyl's own version, as /status reports it; `sibyl`
// sets it from its build version (main.version).
var SoftwareVersion = "dev"

// ReleaseVersion is the Cassandra version Sibyl reports in system.local.
// It must start with 4 or more so that drivers read system_schema and
// cqlsh uses server-side DESCRIBE, and be
// strictly N.N.N so every driver parses it.
const ReleaseVersion = "4.1.5"

// clusterInfo implements exec.ClusterInfo for system.local and
// system.peers.
type clusterInfo struct {
	name    string
	local   exec.NodeInfo // immutable but for SchemaVersion, filled per call
	schemaV func() [16]byte
	peers   func() []exec.NodeInfo // every other node; nil on a single node
	// ranges and sizes answer exec.RingInfo and exec.SizeEstimator
	// (ringinfo.go); nil answers nothing.
	ranges func(ks string) []exec.TokenRange
	sizes  func(t *schema.Table) []exec.SizeEstimate
}

var _ exec.ClusterInfo = (*clusterInfo)(nil)

func (c *clusterInfo) ClusterName() string { return c.name }

// Local describes this node, with the current schema version.
func (c *clusterInfo) Local() exec.NodeInfo {
	n := c.local
	n.SchemaVersion = c.schemaV()
	return n
}

// Peers describes every other node known from gossip.
func (c *clusterInfo) Peers() []exec.NodeInfo {
	if c.peers == nil {
		return nil
	}
	return c.peers()
}

// localNodeInfo builds this node's description from its identity and
// addresses.
func localNodeInfo(id ring.HostID, tokens []ring.Token, addr netip.Addr, cqlPort int, dc, rack string) exec.NodeInfo {
	toks := make([]int64, len(tokens))
	for i, t := range tokens {
		toks[i] = int64(t)
	}
	return exec.NodeInfo{
		HostID:         id,
		Address:        addr,
		RPCAddress:     addr,
		RPCPort:        cqlPort,
		DataCenter:     dc,
		Rack:           rack,
		Tokens:         toks,
		ReleaseVersion: ReleaseVersion,
		Up:             true,
	}
}
