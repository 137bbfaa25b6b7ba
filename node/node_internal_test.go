package node

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/schema"
)

// testConfig is a node on loopback listeners with data in a fresh or given
// directory.
func testConfig(t *testing.T, dir string) Config {
	t.Helper()
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	return Config{DataDir: dir, CQLListener: listen(), AdminListener: listen(), NumTokens: 8}
}

func createTable(t testing.TB, s *schemaStore, ks, name string) *schema.Table {
	t.Helper()
	_, err := s.Update(context.Background(), func(c *schema.Catalog) (*schema.Catalog, error) {
		if c.Keyspace(ks) == nil {
			var err error
			if c, err = c.CreateKeyspace(ks, map[string]string{"class": "SimpleStrategy", "replication_factor": "1"}, true); err != nil {
				return nil, err
			}
		}
		return c.CreateTable(schema.TableDef{
			Keyspace: ks, Name: name,
			PartitionKey: []schema.ColumnDef{{Name: "k", Type: schema.Native(schema.KindInt)}},
			Clustering:   []schema.ColumnDef{{Name: "c", Type: schema.Native(schema.KindVarchar), Desc: true}},
			Columns: []schema.ColumnDef{
				{Name: "v", Type: schema.Native(schema.KindBlob)},
				{Name: "d", Type: schema.Native(schema.KindDecimal)},
				{Name: "s", Type: schema.Native(schema.KindTimeUUID), Static: true},
			},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.Catalog().Table(ks, name)
}

func TestIdentityAndSchemaSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	n, err := New(testConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	id, tokens := n.HostID(), n.id.tokens
	if id.IsZero() || len(tokens) != 8 {
		t.Fatalf("new node has host id %s and %d tokens", id, len(tokens))
	}
	createTable(t, n.schema, "ks", "t")
	version := n.schema.Catalog().Version()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := testConfig(t, dir)
	cfg.NumTokens = 16 // ignored: tokens never move by configuration
	n, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.HostID() != id || !slices.Equal(n.id.tokens, tokens) {
		t.Fatalf("identity changed across a restart: %s %v, was %s %v", n.HostID(), n.id.tokens, id, tokens)
	}
	if n.schema.Catalog().Table("ks", "t") == nil || n.schema.Catalog().Version() != version {
		t.Fatal("the schema did not survive a restart")
	}
	if got := n.cqlInfo.Local(); got.RPCPort == 0 || got.HostID != id || len(got.Tokens) != 8 {
		t.Fatalf("system.local view: %+v", got)
	}
}

// serveTestNode starts a node of testConfig (CQL and admin on loopback)
// and stops it when the test ends.
func serveTestNode(t *testing.T) *Node {
	t.Helper()
	n, err := New(testConfig(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- n.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

func TestAdminStatusAndMetrics(t *testing.T) {
	n := serveTestNode(t)
	base := "http://" + n.AdminAddr().String()
	var st Status
	if err := json.Unmarshal([]byte(get(t, base+"/status", 200)), &st); err != nil {
		t.Fatal(err)
	}
	if st.HostID != n.HostID().String() || st.State != "UN" || len(st.Tokens) != 8 || st.CQLAddress != n.CQLAddr().String() {
		t.Fatalf("status = %+v", st)
	}
	metrics := get(t, base+"/metrics", 200)
	for _, want := range []string{"sibyl_coordinator_write_seconds", "sibyl_cql_open_connections", "sibyl_storage_disk_bytes", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	get(t, base+"/debug/pprof/", 404) // opt-in only
}

func get(t *testing.T, url string, wantCode int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, wantCode, body)
	}
	return string(body)
}

func TestNullBackendAnswersWithSyntheticRows(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Backend = BackendNull
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	tbl := createTable(t, n.schema, "ks", "t")
	ctx := context.Background()
	key := []byte{0, 0, 0, 7}
	if err := n.coord.Mutate(ctx, 1, "SIMPLE", []*schema.Partition{{Table: tbl.TableID, Key: key}}); err != nil {
		t.Fatal(err)
	}
	ck, err := tbl.EncodeClustering([][]byte{[]byte("asked")})
	if err != nil {
		t.Fatal(err)
	}
	cmd := &schema.ReadCommand{Table: tbl.TableID, Key: key, Static: true,
		Slices: []schema.Slice{{Start: schema.Bound{Prefix: ck, Inclusive: true}, End: schema.Bound{Prefix: ck, Inclusive: true}}}}
	parts, err := n.coord.Read(ctx, 1, cmd)
	if err != nil || len(parts) != 1 || len(parts[0].Rows) != 1 {
		t.Fatalf("read = %v, %v; want one partition with one row", parts, err)
	}
	p := parts[0]
	if string(p.Rows[0].Clustering) != string(ck) {
		t.Fatal("a point read did not get its own clustering key back")
	}
	if p.Static == nil || len(p.Static.Cells) != 1 || len(p.Rows[0].Cells) != 2 {
		t.Fatalf("synthetic row shape: static %v, cells %v", p.Static, p.Rows[0].Cells)
	}
	for _, c := range append(p.Rows[0].Cells, p.Static.Cells...) {
		col := tbl.ColumnByID(c.Column)
		if err := schema.Validate(col.Type, c.Value); err != nil {
			t.Errorf("synthetic %s value is invalid: %v", col.Name, err)
		}
	}
	vals, err := tbl.DecodeClustering(n.local.(*nullStore).shapes[tbl].clustering)
	if err != nil || len(vals) != 1 {
		t.Fatalf("synthetic clustering key does not decode: %v", err)
	}
}
