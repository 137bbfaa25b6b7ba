package node

import (
	"time"

	"github.com/sibyldb/sibyl/ring"
)

// Status is what the admin API's /status reports about this node, and what
// `sibyl status` prints one line of per node.
type Status struct {
	ClusterName   string   `json:"cluster_name"`
	HostID        string   `json:"host_id,omitempty"`
	Address       string   `json:"address"`
	CQLAddress    string   `json:"cql_address,omitempty"`
	DataCenter    string   `json:"dc"`
	Rack          string   `json:"rack"`
	State         string   `json:"state"` // nodetool's two letters: UN, UJ, UL, DN
	Backend       string   `json:"backend"`
	Tokens        []string `json:"tokens,omitempty"`
	SchemaVersion string   `json:"schema_version,omitempty"`
	LoadBytes     int64    `json:"load_bytes"`
	UptimeSeconds int64    `json:"uptime_seconds"`
	// Version is Sibyl's own version (SoftwareVersion); CassandraVersion
	// is the Cassandra release it emulates (release_version in
	// system.local), which drivers use to pick features.
	Version          string `json:"version,omitempty"`
	CassandraVersion string `json:"cassandra_version,omitempty"`
}

// Status returns the node's current status.
func (n *Node) Status() Status {
	s := Status{
		ClusterName:   n.cfg.ClusterName,
		Address:       n.cfg.ListenAddress,
		DataCenter:    n.cfg.DataCenter,
		Rack:          n.cfg.Rack,
		State:         "UN",
		Backend:       string(n.cfg.Backend),
		UptimeSeconds: int64(n.cfg.Now().Sub(n.started) / time.Second),
	}
	n.fillStatus(&s)
	return s
}

// fillStatus adds what the node's parts know to s.
func (n *Node) fillStatus(s *Status) {
	s.HostID = n.id.hostID.String()
	s.CQLAddress = n.CQLAddr().String()
	s.Tokens = make([]string, len(n.id.tokens))
	for i, t := range n.id.tokens {
		s.Tokens[i] = t.String()
	}
	s.SchemaVersion = uuidString(n.schema.Catalog().Version())
	s.Version, s.CassandraVersion = SoftwareVersion, ReleaseVersion
	if n.engine != nil {
		s.LoadBytes = int64(n.engine.Metrics().DiskSpaceUsage)
	}
}

// uuidString formats 16 bytes as a UUID.
func uuidString(u [16]byte) string {
	return ring.HostID(u).String()
}
