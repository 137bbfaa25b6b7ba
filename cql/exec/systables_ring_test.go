package exec_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// ringCluster is a ClusterInfo that also places replicas (RingInfo) and
// estimates sizes (SizeEstimator), as node/ does.
type ringCluster struct {
	staticCluster
	asked []string
}

func (c *ringCluster) KeyspaceRanges(ks string) []exec.TokenRange {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	return []exec.TokenRange{{Start: 100, End: -100, Replicas: []netip.Addr{a, b}}, {Start: -100, End: 100, Replicas: []netip.Addr{b, a}}}
}

func (c *ringCluster) SizeEstimates(t *schema.Table) []exec.SizeEstimate {
	c.asked = append(c.asked, t.Keyspace+"."+t.Name)
	return []exec.SizeEstimate{{RangeStart: -100, RangeEnd: 100, PartitionsCount: 42, MeanPartitionSize: 512}}
}

// TestSizeEstimatesFromNode: system.size_estimates shows what the node's
// SizeEstimator says, for every table of keyspaces not of LocalStrategy.
func TestSizeEstimatesFromNode(t *testing.T) {
	rc := &ringCluster{}
	h := newHarnessWith(t, func(c *exec.Config) {
		rc.staticCluster = c.Cluster.(staticCluster)
		c.Cluster = rc
	})
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY)")
	got := h.run("SELECT * FROM system.size_estimates WHERE keyspace_name = 'ks'", nil)
	want := "keyspace_name text | table_name text | range_start text | range_end text | mean_partition_size bigint | partitions_count bigint\n" +
		"'ks' | 't' | '-100' | '100' | 512 | 42"
	if got != want {
		t.Errorf("size_estimates:\n%s\nwant:\n%s", got, want)
	}
	// DESCRIBE CLUSTER takes the placement from RingInfo.
	got = h.run("DESCRIBE CLUSTER", nil)
	want = "cluster text | partitioner text | snitch text | range_ownership map<text, list<text>>\n" +
		"'Test Cluster' | 'Murmur3Partitioner' | 'SimpleSnitch' | {'-100': ['/10.0.0.1:7000', '/10.0.0.2:7000'], '100': ['/10.0.0.2:7000', '/10.0.0.1:7000']}"
	if got != want {
		t.Errorf("DESCRIBE CLUSTER:\n%s\nwant:\n%s", got, want)
	}
}

// TestSizeEstimatesFallback: without a SizeEstimator the local primary
// ranges are listed, unwrapped, with zero estimates.
func TestSizeEstimatesFallback(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY)")
	got := h.run("SELECT range_start, range_end, partitions_count FROM system.size_estimates WHERE keyspace_name = 'ks' AND table_name = 't'", nil)
	want := "range_start text | range_end text | partitions_count bigint\n" +
		"'-100' | '100' | 0\n" +
		"'-9223372036854775808' | '-100' | 0\n" +
		"'100' | '-9223372036854775808' | 0"
	if got != want {
		t.Errorf("size_estimates:\n%s\nwant:\n%s", got, want)
	}
	if got := h.run("SELECT count(*) FROM system.size_estimates WHERE keyspace_name = 'system'", nil); got != "count bigint\n0" {
		t.Errorf("LocalStrategy keyspace listed: %s", got)
	}
}

// TestClientsTable: system_views.clients lists the sessions the server
// described with SetClient, counts their requests, and forgets them on
// Close.
func TestClientsTable(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a := h.ex.NewSession()
	a.SetClient(exec.ClientConn{
		Remote: netip.MustParseAddrPort("127.0.0.1:51000"), ProtocolVersion: 4,
		Options: map[string]string{"CQL_VERSION": "3.0.0", "DRIVER_NAME": "gocql", "DRIVER_VERSION": "v1.7.0"},
	})
	b := h.ex.NewSession()
	b.SetClient(exec.ClientConn{Remote: netip.MustParseAddrPort("[::ffff:127.0.0.2]:52000"), ProtocolVersion: 5, Authenticating: true})
	for range 2 {
		if _, err := h.ex.Query(ctx, a, "SELECT key FROM system.local", nil); err != nil {
			t.Fatal(err)
		}
	}
	q := "SELECT address, port, hostname, username, connection_stage, protocol_version, driver_name, driver_version, request_count, ssl_enabled, client_options FROM system_views.clients"
	res, err := h.ex.Query(ctx, b, q, nil)
	want := "address inet | port int | hostname text | username text | connection_stage text | protocol_version int | driver_name text | driver_version text | request_count bigint | ssl_enabled boolean | client_options map<text, text>\n" +
		"'127.0.0.1' | 51000 | '127.0.0.1' | null | 'ready' | 4 | 'gocql' | 'v1.7.0' | 2 | false | {'CQL_VERSION': '3.0.0', 'DRIVER_NAME': 'gocql', 'DRIVER_VERSION': 'v1.7.0'}\n" +
		"'127.0.0.2' | 52000 | '127.0.0.2' | null | 'authenticating' | 5 | null | null | 1 | false | null"
	if got := formatResult(res, err); got != want {
		t.Errorf("clients:\n%s\nwant:\n%s", got, want)
	}
	b.SetUser("cassandra")
	a.Close()
	res, err = h.ex.Query(ctx, b, "SELECT address, username, connection_stage, request_count FROM system_views.clients", nil)
	want = "address inet | username text | connection_stage text | request_count bigint\n'127.0.0.2' | 'cassandra' | 'ready' | 2"
	if got := formatResult(res, err); got != want {
		t.Errorf("after Close:\n%s\nwant:\n%s", got, want)
	}
}
