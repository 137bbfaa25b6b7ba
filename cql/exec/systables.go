package exec

import (
	"net/netip"
	"strconv"

	"github.com/sibyldb/sibyl/schema"
)

// Virtual tables: system.local, system.peers, system.peers_v2, the
// system_schema tables and system_virtual_schema are computed on every
// read from the catalog and ClusterInfo, so they always tell the truth.
// Their columns are the catalog's definitions (schema.SystemKeyspaces).

// virtualTable produces the rows of one virtual table.
type virtualTable interface {
	rows(v *virtualCtx) []map[string]any
}

// virtualCtx is what a virtual table reads.
type virtualCtx struct {
	e       *Executor
	cat     *schema.Catalog
	session *Session
}

type virtualFunc func(v *virtualCtx) []map[string]any

func (f virtualFunc) rows(v *virtualCtx) []map[string]any { return f(v) }

// ReleaseVersion is what system.local reports when ClusterInfo gives
// none: a Cassandra 4.1 release, so drivers use system_schema and
// peers_v2 and cqlsh uses server-side DESCRIBE.
const ReleaseVersion = "4.1.5"

// CQLVersion is the CQL language version of Cassandra 4.1.
const CQLVersion = "3.4.6"

const partitionerName = "org.apache.cassandra.dht.Murmur3Partitioner"

// storagePort is what Cassandra reports as the internode port.
const storagePort = 7000

var virtualTables = map[string]map[string]virtualTable{
	schema.SystemKeyspace: {
		"local":    virtualFunc(localRows),
		"peers":    virtualFunc(peersRows),
		"peers_v2": virtualFunc(peersV2Rows),
		// IndexInfo lists the indexes built on this node (index_describe.go).
		"IndexInfo": virtualFunc(indexInfoRows),
		// size_estimates is a real table in Cassandra, written by its
		// SizeEstimatesRecorder; here it is computed when read.
		"size_estimates": virtualFunc(sizeEstimatesRows),
	},
	schema.SystemViewsKeyspace: {
		"clients": virtualFunc(clientsRows),
	},
	schema.SystemSchemaKeyspace: {
		"keyspaces":       virtualFunc(schemaKeyspacesRows),
		"tables":          virtualFunc(schemaTablesRows),
		"columns":         virtualFunc(schemaColumnsRows),
		"dropped_columns": virtualFunc(schemaDroppedRows),
		"types":           virtualFunc(schemaTypesRows),
		"triggers":        virtualFunc(noRows),
		"views":           virtualFunc(noRows),
		"functions":       virtualFunc(noRows),
		"aggregates":      virtualFunc(noRows),
		"indexes":         virtualFunc(schemaIndexesRows),
	},
	schema.SystemVirtualSchemaKeyspace: {
		"keyspaces": virtualFunc(virtualKeyspacesRows),
		"tables":    virtualFunc(virtualTablesRows),
		"columns":   virtualFunc(virtualColumnsRows),
	},
}

// virtualTableFor returns the producer of a virtual table, or nil.
func virtualTableFor(ks, table string) virtualTable {
	return virtualTables[ks][table]
}

func noRows(*virtualCtx) []map[string]any { return nil }

func tokenStrings(tokens []int64) []any {
	out := make([]any, len(tokens))
	for i, t := range tokens {
		out[i] = strconv.FormatInt(t, 10)
	}
	return out
}

func addrOrNil(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return a
}

func releaseOf(n NodeInfo) string {
	if n.ReleaseVersion != "" {
		return n.ReleaseVersion
	}
	return ReleaseVersion
}

func localRows(v *virtualCtx) []map[string]any {
	ci := v.e.cfg.Cluster
	n := ci.Local()
	rpc := n.RPCAddress
	if la := v.session.localAddr(); (!rpc.IsValid() || rpc.IsUnspecified()) && la.IsValid() {
		rpc = la
	}
	return []map[string]any{{
		"key":                     "local",
		"bootstrapped":            "COMPLETED",
		"broadcast_address":       addrOrNil(n.Address),
		"broadcast_port":          int32(storagePort),
		"cluster_name":            ci.ClusterName(),
		"cql_version":             CQLVersion,
		"data_center":             n.DataCenter,
		"host_id":                 schema.UUID(n.HostID),
		"listen_address":          addrOrNil(n.Address),
		"listen_port":             int32(storagePort),
		"native_protocol_version": "4",
		"partitioner":             partitionerName,
		"rack":                    n.Rack,
		"release_version":         releaseOf(n),
		"rpc_address":             addrOrNil(rpc),
		"rpc_port":                int32(n.RPCPort),
		"schema_version":          v.cat.Version(),
		"tokens":                  tokenStrings(n.Tokens),
	}}
}

func peerSchemaVersion(n NodeInfo) any {
	if n.SchemaVersion == ([16]byte{}) {
		return nil
	}
	return schema.UUID(n.SchemaVersion)
}

func peersRows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, n := range v.e.cfg.Cluster.Peers() {
		out = append(out, map[string]any{
			"peer":            addrOrNil(n.Address),
			"data_center":     n.DataCenter,
			"host_id":         schema.UUID(n.HostID),
			"rack":            n.Rack,
			"release_version": releaseOf(n),
			"rpc_address":     addrOrNil(n.RPCAddress),
			"schema_version":  peerSchemaVersion(n),
			"tokens":          tokenStrings(n.Tokens),
		})
	}
	return out
}

func peersV2Rows(v *virtualCtx) []map[string]any {
	var out []map[string]any
	for _, n := range v.e.cfg.Cluster.Peers() {
		out = append(out, map[string]any{
			"peer":            addrOrNil(n.Address),
			"peer_port":       int32(storagePort),
			"data_center":     n.DataCenter,
			"host_id":         schema.UUID(n.HostID),
			"native_address":  addrOrNil(n.RPCAddress),
			"native_port":     int32(n.RPCPort),
			"rack":            n.Rack,
			"release_version": releaseOf(n),
			"schema_version":  peerSchemaVersion(n),
			"tokens":          tokenStrings(n.Tokens),
		})
	}
	return out
}
