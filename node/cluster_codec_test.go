package node

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

func sampleMeta() nodeMeta {
	return nodeMeta{
		HostID: ring.HostID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Status: ring.StatusJoining,
		Stopping: true, Schema: [16]byte{0xff, 1}, Addr: netip.MustParseAddr("127.0.0.2"),
		MsgPort: 7000, CQLPort: 9042, AdminPort: 7199, NumTokens: 16, DC: "dc1", Rack: "rack7",
	}
}

func TestNodeMetaRoundTrip(t *testing.T) {
	for _, m := range []nodeMeta{sampleMeta(), func() nodeMeta {
		m := sampleMeta()
		m.Addr, m.Stopping, m.Status = netip.MustParseAddr("::1"), false, ring.StatusNormal
		return m
	}()} {
		b := m.append(nil)
		if len(b) > 512 {
			t.Fatalf("metadata of %d bytes exceeds memberlist's limit", len(b))
		}
		got, err := decodeNodeMeta(b)
		if err != nil || got != m {
			t.Fatalf("round trip: got %+v, %v; want %+v", got, err, m)
		}
		for i := range b {
			if _, err := decodeNodeMeta(b[:i]); err == nil {
				t.Fatalf("truncated to %d bytes: no error", i)
			}
		}
	}
	bad := sampleMeta()
	bad.Status = 9
	if _, err := decodeNodeMeta(bad.append(nil)); err == nil {
		t.Fatal("unknown status accepted")
	}
}

func TestPeerTableRoundTrip(t *testing.T) {
	m := sampleMeta()
	peers := map[ring.HostID]*peerState{m.HostID: {meta: m, tokens: []ring.Token{-5, 7, 99}}}
	got, err := decodePeerTable(encodePeerTable(peers))
	if err != nil {
		t.Fatal(err)
	}
	p := got[m.HostID]
	m.Stopping = false // a restored peer is simply down
	if p == nil || p.meta != m || len(p.tokens) != 3 || p.tokens[0] != -5 {
		t.Fatalf("got %+v", p)
	}
}

func TestPartitionListRoundTrip(t *testing.T) {
	parts := []*schema.Partition{
		{Table: 300, Key: []byte("k1"), Token: 42},
		{Table: 301, Key: []byte("k2"), Token: -7, Deletion: schema.Deletion{MarkedAt: 5, LocalDeletionTime: 6}},
	}
	b := appendPartitionList(nil, parts)
	got, err := decodePartitionList(b)
	if err != nil || len(got) != 2 || !bytes.Equal(got[1].Key, []byte("k2")) || got[0].Token != 42 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := decodePartitionList(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestSeedAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1:7001", " 10.0.0.1:9 ": "10.0.0.1:9", "::1": "[::1]:7001", "[::1]:5": "[::1]:5",
	} {
		if got := seedAddr(in, 7001); got != want {
			t.Errorf("seedAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateLetters(t *testing.T) {
	for _, c := range []struct {
		up   bool
		st   ring.Status
		want string
	}{{true, ring.StatusNormal, "UN"}, {false, ring.StatusNormal, "DN"}, {true, ring.StatusJoining, "UJ"}, {false, ring.StatusLeaving, "DL"}} {
		if got := stateLetters(c.up, c.st); got != c.want {
			t.Errorf("stateLetters(%v, %v) = %s, want %s", c.up, c.st, got, c.want)
		}
	}
}

// TestSchemaMergeRule checks that the merge rule is a total order every
// node applies the same way: the later generation wins, and at equal
// generations the larger version, whichever node looks.
func TestSchemaMergeRule(t *testing.T) {
	base := schema.NewCatalog()
	a, err := base.CreateKeyspace("a", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base.CreateKeyspace("b", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := a.CreateKeyspace("c", map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(c *schema.Catalog) []byte {
		d, err := schema.MarshalCatalog(c)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if !wins(enc(a2), a2.Version(), b) || wins(enc(b), b.Version(), a2) {
		t.Fatal("a later generation must win")
	}
	if wins(enc(a), a.Version(), b) == wins(enc(b), b.Version(), a) {
		t.Fatal("equal generations: exactly one of two different catalogs must win")
	}
	if wins(enc(a), a.Version(), a) {
		t.Fatal("a catalog must not win against itself")
	}
}

func TestHintWindow(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	n := &Node{cfg: &Config{Now: func() time.Time { return now }}}
	c := &cluster{n: n}
	id := ring.HostID{9}
	c.view.Store(&clusterView{peers: map[ring.HostID]*peerView{id: {downSince: now.Add(-4 * time.Hour)}}})
	h := &hintManager{c: c, window: 3 * time.Hour}
	if err := h.Store(t.Context(), id, &schema.Partition{}); err != errPastHintWindow {
		t.Fatalf("a replica down for 4 h with a 3 h window: got %v, want errPastHintWindow", err)
	}
}

func FuzzDecodeNodeMeta(f *testing.F) {
	f.Add(sampleMeta().append(nil))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeNodeMeta(b)
		if err != nil {
			return
		}
		if got, err := decodeNodeMeta(m.append(nil)); err != nil || got != m {
			t.Fatalf("re-encoding changed %+v: %+v, %v", m, got, err)
		}
	})
}

func FuzzDecodePeerTable(f *testing.F) {
	m := sampleMeta()
	f.Add(encodePeerTable(map[ring.HostID]*peerState{m.HostID: {meta: m, tokens: []ring.Token{1, 2}}}))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodePeerTable(b)
	})
}

func FuzzDecodePartitionList(f *testing.F) {
	f.Add(appendPartitionList(nil, []*schema.Partition{{Table: 300, Key: []byte("k"), Token: 1}}))
	f.Add([]byte{2, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := decodePartitionList(b)
		if err != nil {
			return
		}
		if _, err := decodePartitionList(appendPartitionList(nil, parts)); err != nil {
			t.Fatalf("re-encoding a decoded list fails: %v", err)
		}
	})
}

func FuzzDecodeTreeRequest(f *testing.F) {
	f.Add(appendTreeRequest(nil, 300, ring.Range{Start: 5, End: -5}, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, r, depth, err := decodeTreeRequest(b)
		if err != nil {
			return
		}
		if t2, r2, d2, err := decodeTreeRequest(appendTreeRequest(nil, table, r, depth)); err != nil || t2 != table || r2 != r || d2 != depth {
			t.Fatalf("re-encoding changed (%d, %v, %d)", table, r, depth)
		}
	})
}
