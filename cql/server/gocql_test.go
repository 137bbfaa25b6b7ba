package server

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// fakeCluster is the smallest Handler a real gocql v1.7.0 session can
// connect to: system.local with the columns gocql reads at connect
// (its ring discovery), Invalid for system.peers_v2 so gocql falls
// back to an empty system.peers, and one table, ks.kv (k text primary
// key, v int), kept in a map. Statements are recognised by their text.
type fakeCluster struct {
	port int
	mu   struct {
		sync.Mutex
		kv map[string][]byte // guarded by mu
	}
}

func newFakeCluster(port int) *fakeCluster {
	f := &fakeCluster{port: port}
	f.mu.kv = map[string][]byte{}
	return f
}

var (
	setOfText = &schema.Type{Kind: schema.KindSet, Elems: []*schema.Type{schema.TextType}}
	kvKey     = exec.ColumnSpec{Keyspace: "ks", Table: "kv", Name: "k", Type: schema.TextType}
	kvValue   = exec.ColumnSpec{Keyspace: "ks", Table: "kv", Name: "v", Type: schema.IntType}
)

const (
	selectKV = "SELECT v FROM ks.kv WHERE k = ?"
	insertKV = "INSERT INTO ks.kv (k, v) VALUES (?, ?)"
)

func localCol(name string, t *schema.Type) exec.ColumnSpec {
	return exec.ColumnSpec{Keyspace: "system", Table: "local", Name: name, Type: t}
}

func peersCol(name string, t *schema.Type) exec.ColumnSpec {
	return exec.ColumnSpec{Keyspace: "system", Table: "peers", Name: name, Type: t}
}

func (f *fakeCluster) local() *exec.RowsResult {
	uuid := make([]byte, 16)
	uuid[0], uuid[6], uuid[8] = 1, 0x40, 0x80
	cols := []exec.ColumnSpec{
		localCol("key", schema.TextType), localCol("broadcast_address", schema.InetType),
		localCol("cluster_name", schema.TextType), localCol("cql_version", schema.TextType),
		localCol("data_center", schema.TextType), localCol("host_id", schema.UUIDType),
		localCol("listen_address", schema.InetType), localCol("partitioner", schema.TextType),
		localCol("rack", schema.TextType), localCol("release_version", schema.TextType),
		localCol("rpc_address", schema.InetType), localCol("schema_version", schema.UUIDType),
		localCol("tokens", setOfText), localCol("native_port", schema.IntType),
	}
	lo := []byte{127, 0, 0, 1}
	port := binary.BigEndian.AppendUint32(nil, uint32(f.port))
	row := [][]byte{[]byte("local"), lo, []byte("Test Cluster"), []byte("3.4.5"), []byte("datacenter1"), uuid,
		lo, []byte("org.apache.cassandra.dht.Murmur3Partitioner"), []byte("rack1"), []byte("4.1.5"),
		lo, uuid, textSet("-9223372036854775808"), port}
	return &exec.RowsResult{Columns: cols, Rows: [][][]byte{row}}
}

func textSet(elems ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(elems)))
	for _, e := range elems {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

func (f *fakeCluster) NewSession() *exec.Session { return &exec.Session{} }

func (f *fakeCluster) Query(ctx context.Context, s *exec.Session, q string, o *exec.QueryOptions) (exec.Result, error) {
	switch {
	case strings.HasPrefix(q, "SELECT * FROM system.local"):
		return f.local(), nil
	case strings.HasPrefix(q, "SELECT schema_version FROM system.local"):
		r := f.local()
		return &exec.RowsResult{Columns: r.Columns[11:12], Rows: [][][]byte{r.Rows[0][11:12]}}, nil
	case q == "SELECT * FROM system.peers_v2":
		return nil, exec.Errorf(exec.CodeInvalid, "table system.peers_v2 does not exist")
	case q == "SELECT * FROM system.peers":
		return &exec.RowsResult{Columns: []exec.ColumnSpec{peersCol("peer", schema.InetType), peersCol("data_center", schema.TextType),
			peersCol("host_id", schema.UUIDType), peersCol("rack", schema.TextType), peersCol("rpc_address", schema.InetType),
			peersCol("schema_version", schema.UUIDType), peersCol("tokens", setOfText)}, Rows: [][][]byte{}}, nil
	case q == "CREATE TABLE ks.kv (k text PRIMARY KEY, v int)":
		return nil, &exec.Error{Code: exec.CodeAlreadyExists, Message: "Table ks.kv already exists", Keyspace: "ks", Table: "kv"}
	case q == "TRUNCATE ks.missing":
		return nil, &exec.Error{Code: exec.CodeUnavailable, Message: "Cannot achieve consistency level QUORUM",
			Consistency: exec.Quorum, Required: 2, Alive: 1}
	}
	return nil, exec.Errorf(exec.CodeSyntaxError, "line 1:0 no viable alternative at input %q", q)
}

func (f *fakeCluster) Prepare(ctx context.Context, s *exec.Session, q string) (*exec.PreparedResult, error) {
	switch q {
	case selectKV:
		return &exec.PreparedResult{ID: []byte("select"), Bind: []exec.ColumnSpec{kvKey}, PKIndexes: []uint16{0},
			Result: []exec.ColumnSpec{kvValue}}, nil
	case insertKV:
		return &exec.PreparedResult{ID: []byte("insert"), Bind: []exec.ColumnSpec{kvKey, kvValue}, PKIndexes: []uint16{0}}, nil
	}
	return nil, exec.Errorf(exec.CodeInvalid, "cannot prepare %q", q)
}

func (f *fakeCluster) Execute(ctx context.Context, s *exec.Session, id []byte, o *exec.QueryOptions) (exec.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch string(id) {
	case "insert":
		f.mu.kv[string(o.Values[0].Bytes)] = o.Values[1].Bytes
		return exec.VoidResult{}, nil
	case "select":
		rows := [][][]byte{}
		if v, ok := f.mu.kv[string(o.Values[0].Bytes)]; ok {
			rows = append(rows, [][]byte{v})
		}
		return &exec.RowsResult{Columns: []exec.ColumnSpec{kvValue}, Rows: rows, NoMetadata: o.SkipMetadata}, nil
	}
	return nil, &exec.Error{Code: exec.CodeUnprepared, Message: "unknown prepared statement", UnpreparedID: id}
}

func (f *fakeCluster) Batch(ctx context.Context, s *exec.Session, b *exec.Batch) (exec.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, st := range b.Statements {
		if string(st.PreparedID) != "insert" || len(st.Values) != 2 {
			return nil, exec.Errorf(exec.CodeInvalid, "unexpected batch statement")
		}
		f.mu.kv[string(st.Values[0].Bytes)] = st.Values[1].Bytes
	}
	return exec.VoidResult{}, nil
}

// TestGocql connects an unmodified gocql v1.7.0 session to the server,
// with and without compression and in both protocol versions, and runs
// prepared writes, reads, a batch and errors through it.
func TestGocql(t *testing.T) {
	if testing.Short() {
		t.Skip("gocql end-to-end test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	f := newFakeCluster(port)
	srv, err := New(Config{}, f)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	for _, tc := range []struct {
		name    string
		version int
		comp    gocql.Compressor
	}{
		{"v4", 4, nil},
		{"v3", 3, nil},
		{"v4-snappy", 4, gocql.SnappyCompressor{}},
	} {
		t.Run(tc.name, func(t *testing.T) { runGocql(t, port, tc.version, tc.comp, srv) })
	}
}

// TestGocqlAuth connects gocql with its PasswordAuthenticator.
func TestGocqlAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("gocql end-to-end test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	creds := func(ctx context.Context, user, password string) error {
		if user != "cassandra" || password != "cassandra" {
			return errors.New("bad password")
		}
		return nil
	}
	srv, err := New(Config{Credentials: creds}, newFakeCluster(port))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
	}()
	cluster := newGocqlCluster(port, 4, nil)
	cluster.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "wrong"}
	if s, err := cluster.CreateSession(); err == nil {
		s.Close()
		t.Fatal("connected with a wrong password")
	}
	cluster.Authenticator = gocql.PasswordAuthenticator{Username: "cassandra", Password: "cassandra"}
	s, err := cluster.CreateSession()
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	defer s.Close()
	if err := s.Query(insertKV, "k", 1).Exec(); err != nil {
		t.Fatal(err)
	}
}

func newGocqlCluster(port, version int, comp gocql.Compressor) *gocql.ClusterConfig {
	cluster := gocql.NewCluster("127.0.0.1")
	cluster.Port = port
	cluster.ProtoVersion = version
	cluster.Compressor = comp
	cluster.Timeout = 5 * time.Second
	cluster.ConnectTimeout = 5 * time.Second
	cluster.NumConns = 1
	cluster.Consistency = gocql.One
	return cluster
}

func runGocql(t *testing.T, port, version int, comp gocql.Compressor, srv *Server) {
	cluster := newGocqlCluster(port, version, comp)
	sess, err := cluster.CreateSession()
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	defer sess.Close()

	key := "key-" + strconv.Itoa(version)
	if err := sess.Query(insertKV, key, 42).Exec(); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var v int
	if err := sess.Query(selectKV, key).Scan(&v); err != nil || v != 42 {
		t.Fatalf("select: %d %v", v, err)
	}
	b := sess.NewBatch(gocql.LoggedBatch)
	b.Query(insertKV, key, 7)
	b.Query(insertKV, key+"b", 8)
	if err := sess.ExecuteBatch(b); err != nil {
		t.Fatalf("batch: %v", err)
	}
	if err := sess.Query(selectKV, key+"b").Scan(&v); err != nil || v != 8 {
		t.Fatalf("select after batch: %d %v", v, err)
	}
	if err := sess.Query(selectKV, "absent").Scan(&v); !errors.Is(err, gocql.ErrNotFound) {
		t.Fatalf("select absent: %v", err)
	}

	err = sess.Query("CREATE TABLE ks.kv (k text PRIMARY KEY, v int)").Exec()
	var exists *gocql.RequestErrAlreadyExists
	if !errors.As(err, &exists) || exists.Keyspace != "ks" || exists.Table != "kv" {
		t.Fatalf("create existing table: %#v", err)
	}
	err = sess.Query("TRUNCATE ks.missing").Exec()
	var unavailable *gocql.RequestErrUnavailable
	if !errors.As(err, &unavailable) || unavailable.Required != 2 || unavailable.Alive != 1 || unavailable.Consistency != gocql.Quorum {
		t.Fatalf("unavailable: %#v", err)
	}
	err = sess.Query("SELEC nonsense").Exec()
	var reqErr gocql.RequestError
	if !errors.As(err, &reqErr) || reqErr.Code() != gocql.ErrCodeSyntax {
		t.Fatalf("syntax error: %#v", err)
	}
	if srv.Metrics().ProtocolErrors != 0 {
		t.Fatalf("%d protocol errors during a gocql session", srv.Metrics().ProtocolErrors)
	}
}
