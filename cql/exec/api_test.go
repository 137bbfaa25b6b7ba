package exec_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

func setupKS(h *harness) {
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
}

func intVal(v int32) exec.Value {
	return exec.Value{Bytes: binary.BigEndian.AppendUint32(nil, uint32(v))}
}
func textVal(s string) exec.Value { return exec.Value{Bytes: []byte(s)} }

func codeOf(err error) exec.ErrorCode {
	var ce *exec.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

func TestPrepareMetadata(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (a int, b text, c int, v list<int>, PRIMARY KEY ((a, b), c))")
	ctx := context.Background()
	q := "SELECT c, v FROM t WHERE b = ? AND a = ? AND c IN ? LIMIT ?"
	p, err := h.ex.Prepare(ctx, h.sess, q)
	if err != nil {
		t.Fatal(err)
	}
	want := md5.Sum([]byte("ks" + q))
	if !bytes.Equal(p.ID, want[:]) {
		t.Errorf("id = %x, want MD5(keyspace+query) %x", p.ID, want)
	}
	var got []string
	for _, b := range p.Bind {
		got = append(got, b.Name+" "+b.Type.String())
	}
	if s := strings.Join(got, ", "); s != "b text, a int, in(c) list<int>, [limit] int" {
		t.Errorf("bind specs = %s", s)
	}
	if len(p.PKIndexes) != 2 || p.PKIndexes[0] != 1 || p.PKIndexes[1] != 0 {
		t.Errorf("pk indexes = %v, want [1 0]", p.PKIndexes)
	}
	if len(p.Result) != 2 || p.Result[0].Name != "c" || p.Result[1].Type.String() != "list<int>" || p.Result[0].Keyspace != "ks" || p.Result[0].Table != "t" {
		t.Errorf("result specs = %+v", p.Result)
	}
	again, err := h.ex.Prepare(ctx, h.sess, q)
	if err != nil || !bytes.Equal(again.ID, p.ID) {
		t.Errorf("re-prepare gave a different id: %x vs %x (%v)", again.ID, p.ID, err)
	}
}

func TestPrepareUsingAndToken(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v text)")
	ctx := context.Background()
	p, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, v) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, b := range p.Bind {
		names = append(names, b.Name+" "+b.Type.String())
	}
	if s := strings.Join(names, ", "); s != "k int, v text, [ttl] int, [timestamp] bigint" {
		t.Errorf("insert bind specs = %s", s)
	}
	if len(p.PKIndexes) != 1 || p.PKIndexes[0] != 0 || p.Result != nil {
		t.Errorf("pk = %v, result = %v", p.PKIndexes, p.Result)
	}
	p, err = h.ex.Prepare(ctx, h.sess, "SELECT k FROM t WHERE token(k) > ? AND token(k) <= ?")
	if err != nil {
		t.Fatal(err)
	}
	if p.Bind[0].Name != "partition key token" || p.Bind[0].Type.Kind != schema.KindBigint {
		t.Errorf("token bind spec = %+v", p.Bind[0])
	}
}

// TestPreparedNamedMarkers: a :name marker is reported in PREPARED under
// its own name (Cassandra's VariableSpecifications), not the column's, and
// values sent under that name bind every marker of that name.
func TestPreparedNamedMarkers(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
	ctx := context.Background()
	p, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, c, v) VALUES (:myk, :\"MyC\", :foo) USING TTL :ttl")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Bind {
		names = append(names, c.Name+" "+c.Type.String())
	}
	if s := strings.Join(names, ", "); s != "myk int, MyC int, foo text, ttl int" {
		t.Errorf("named bind specs = %s", s)
	}
	if len(p.PKIndexes) != 1 || p.PKIndexes[0] != 0 {
		t.Errorf("pk indexes = %v", p.PKIndexes)
	}
	o := &exec.QueryOptions{Names: []string{"foo", "MyC", "myk", "ttl"}, Values: []exec.Value{textVal("V"), intVal(2), intVal(1), intVal(0)}}
	if _, err := h.ex.Execute(ctx, h.sess, p.ID, o); err != nil {
		t.Fatal(err)
	}
	sel, err := h.ex.Prepare(ctx, h.sess, "SELECT v FROM t WHERE k = :key AND c IN (:key, :other)")
	if err != nil {
		t.Fatal(err)
	}
	if n := sel.Bind[0].Name + "," + sel.Bind[1].Name + "," + sel.Bind[2].Name; n != "key,key,other" {
		t.Errorf("select bind names = %s", n)
	}
	res, err := h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Names: []string{"other", "key"}, Values: []exec.Value{intVal(2), intVal(1)}})
	if got := formatResult(res, err); got != "v text\n'V'" {
		t.Errorf("select by name: %s", got)
	}
	// The column's name no longer binds a named marker.
	_, err = h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Names: []string{"k", "c"}, Values: []exec.Value{intVal(1), intVal(2)}})
	if codeOf(err) != exec.CodeInvalid {
		t.Errorf("bind by column name of a named marker: %v", err)
	}
}

func TestExecuteNamedAndUnset(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, a text, b text)")
	ctx := context.Background()
	ins, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, a, b) VALUES (:k, :a, :b)")
	if err != nil {
		t.Fatal(err)
	}
	o := &exec.QueryOptions{Names: []string{"b", "k", "a"}, Values: []exec.Value{textVal("B"), intVal(1), textVal("A")}}
	if _, err := h.ex.Execute(ctx, h.sess, ins.ID, o); err != nil {
		t.Fatal(err)
	}
	// Unset leaves b untouched.
	o = &exec.QueryOptions{Values: []exec.Value{intVal(1), textVal("A2"), {Unset: true}}}
	if _, err := h.ex.Execute(ctx, h.sess, ins.ID, o); err != nil {
		t.Fatal(err)
	}
	if got := h.run("SELECT a, b FROM t WHERE k = 1", nil); got != "a text | b text\n'A2' | 'B'" {
		t.Errorf("after unset: %s", got)
	}
	_, err = h.ex.Execute(ctx, h.sess, []byte("nope"), &exec.QueryOptions{})
	var ce *exec.Error
	if !errors.As(err, &ce) || ce.Code != exec.CodeUnprepared || string(ce.UnpreparedID) != "nope" {
		t.Errorf("unknown id: %v", err)
	}
	_, err = h.ex.Execute(ctx, h.sess, ins.ID, &exec.QueryOptions{Values: []exec.Value{intVal(1)}})
	if codeOf(err) != exec.CodeInvalid {
		t.Errorf("wrong value count: %v", err)
	}
	_, err = h.ex.Execute(ctx, h.sess, ins.ID, &exec.QueryOptions{Values: []exec.Value{{Bytes: []byte{1}}, textVal("x"), textVal("y")}})
	if codeOf(err) != exec.CodeInvalid {
		t.Errorf("wrong value length: %v", err)
	}
}

func TestPreparedAfterSchemaChange(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, a text)")
	ctx := context.Background()
	sel, err := h.ex.Prepare(ctx, h.sess, "SELECT * FROM t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, a) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	h.must("ALTER TABLE t ADD b int")
	// INSERT's bind metadata is unchanged: it runs against the new table.
	if _, err := h.ex.Execute(ctx, h.sess, ins.ID, &exec.QueryOptions{Values: []exec.Value{intVal(1), textVal("x")}}); err != nil {
		t.Fatalf("insert after ALTER: %v", err)
	}
	// SELECT * has new result columns: the driver must re-prepare.
	_, err = h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Values: []exec.Value{intVal(1)}})
	if codeOf(err) != exec.CodeUnprepared {
		t.Fatalf("select * after ALTER: %v, want Unprepared", err)
	}
	sel2, err := h.ex.Prepare(ctx, h.sess, "SELECT * FROM t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sel2.ID, sel.ID) || len(sel2.Result) != 3 {
		t.Fatalf("re-prepare: id %x result %d columns", sel2.ID, len(sel2.Result))
	}
	res, err := h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Values: []exec.Value{intVal(1)}})
	if err != nil || len(res.(*exec.RowsResult).Rows) != 1 {
		t.Fatalf("execute after re-prepare: %v", err)
	}
}

func TestBatchMessage(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
	ctx := context.Background()
	ins, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	b := &exec.Batch{Type: exec.LoggedBatch, Timestamp: 5000, HasTimestamp: true, Statements: []exec.BatchStatement{
		{PreparedID: ins.ID, Values: []exec.Value{intVal(1), intVal(1), textVal("a")}},
		{PreparedID: ins.ID, Values: []exec.Value{intVal(1), intVal(2), textVal("b")}},
		{Query: "UPDATE t SET v = 'z' WHERE k = 2 AND c = 1"},
		{Query: "DELETE FROM t USING TIMESTAMP 1 WHERE k = 1 AND c = 1"},
	}}
	if _, err := h.ex.Batch(ctx, h.sess, b); err != nil {
		t.Fatal(err)
	}
	got := h.run("SELECT k, c, v, writetime(v) FROM t", nil)
	want := "k int | c int | v text | writetime(v) bigint"
	if !strings.HasPrefix(got, want) || strings.Count(got, "| 5000") != 3 {
		t.Errorf("batch result:\n%s", got)
	}
	b = &exec.Batch{Statements: []exec.BatchStatement{{Query: "SELECT * FROM t"}}}
	if _, err := h.ex.Batch(ctx, h.sess, b); codeOf(err) != exec.CodeInvalid {
		t.Errorf("select in batch: %v", err)
	}
}

func TestBatchStatementText(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
	got := h.run("BEGIN UNLOGGED BATCH USING TIMESTAMP 77 INSERT INTO t (k, c, v) VALUES (?, 1, 'a'); UPDATE t SET v = ? WHERE k = 1 AND c = 2; APPLY BATCH",
		&exec.QueryOptions{Values: []exec.Value{intVal(1), textVal("b")}})
	if got != "ok" {
		t.Fatalf("batch: %s", got)
	}
	if got := h.run("SELECT c, v, writetime(v) FROM t WHERE k = 1", nil); got != "c int | v text | writetime(v) bigint\n1 | 'a' | 77\n2 | 'b' | 77" {
		t.Errorf("batch rows:\n%s", got)
	}
}

func TestServerTimestampsMonotonic(t *testing.T) {
	h := newHarness(t) // the fake clock never moves
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	for i := range 5 {
		h.must("INSERT INTO t (k, v) VALUES (1, " + string(rune('0'+i)) + ")")
	}
	if got := h.run("SELECT v FROM t WHERE k = 1", nil); got != "v int\n4" {
		t.Errorf("last write must win under a frozen clock: %s", got)
	}
	res, _ := h.ex.Query(context.Background(), h.sess, "INSERT INTO t (k, v) VALUES (2, 1)", &exec.QueryOptions{Timestamp: 42, HasTimestamp: true})
	if res == nil {
		t.Fatal("client timestamp insert failed")
	}
	if got := h.run("SELECT writetime(v) FROM t WHERE k = 2", nil); got != "writetime(v) bigint\n42" {
		t.Errorf("client timestamp: %s", got)
	}
}

func TestSchemaChangeEvents(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY)")
	h.must("DROP TABLE t")
	if len(h.events) != 3 {
		t.Fatalf("events = %d, want 3", len(h.events))
	}
	ev := h.events[2]
	if ev.Type != exec.EventSchemaChange || ev.Schema.Change != exec.ChangeDropped || ev.Schema.Target != exec.TargetTable || ev.Schema.Name != "t" {
		t.Errorf("drop event = %+v %+v", ev, ev.Schema)
	}
}

func TestPagingStateGarbage(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY)")
	_, err := h.ex.Query(context.Background(), h.sess, "SELECT * FROM t", &exec.QueryOptions{PageSize: 1, PagingState: []byte("garbage")})
	if codeOf(err) != exec.CodeProtocolError {
		t.Errorf("garbage paging state: %v", err)
	}
}

func TestPagingManyPartitionsExactlyOnce(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, PRIMARY KEY (k, c))")
	ctx := context.Background()
	ins, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, c) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	const parts, rows = 40, 7
	for k := range parts {
		for c := range rows {
			if _, err := h.ex.Execute(ctx, h.sess, ins.ID, &exec.QueryOptions{Values: []exec.Value{intVal(int32(k)), intVal(int32(c))}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, size := range []int32{1, 3, 7, 10, 1000} {
		seen := map[[2]int32]bool{}
		var state []byte
		for range 1000 {
			res, err := h.ex.Query(ctx, h.sess, "SELECT k, c FROM t", &exec.QueryOptions{PageSize: size, PagingState: state})
			if err != nil {
				t.Fatal(err)
			}
			rr := res.(*exec.RowsResult)
			if len(rr.Rows) > int(size) {
				t.Fatalf("page of %d rows for size %d", len(rr.Rows), size)
			}
			for _, r := range rr.Rows {
				key := [2]int32{int32(binary.BigEndian.Uint32(r[0])), int32(binary.BigEndian.Uint32(r[1]))}
				if seen[key] {
					t.Fatalf("size %d: row %v twice", size, key)
				}
				seen[key] = true
			}
			if state = rr.PagingState; state == nil {
				break
			}
		}
		if len(seen) != parts*rows {
			t.Errorf("size %d: saw %d rows, want %d", size, len(seen), parts*rows)
		}
	}
}

func TestPagingWithoutClustering(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int PRIMARY KEY, v int)")
	for k := range 9 {
		h.must("INSERT INTO t (k, v) VALUES (" + string(rune('0'+k)) + ", 1)")
	}
	for _, q := range []string{"SELECT k FROM t", "SELECT k FROM t WHERE k IN (0, 1, 2, 3, 4, 5, 6, 7, 8)", "SELECT k FROM t WHERE v = 1 ALLOW FILTERING"} {
		for _, size := range []int32{1, 2, 4} {
			seen := map[string]bool{}
			var state []byte
			for range 100 {
				res, err := h.ex.Query(context.Background(), h.sess, q, &exec.QueryOptions{PageSize: size, PagingState: state})
				if err != nil {
					t.Fatal(err)
				}
				rr := res.(*exec.RowsResult)
				for _, r := range rr.Rows {
					if seen[string(r[0])] {
						t.Fatalf("%s size %d: row %x twice", q, size, r[0])
					}
					seen[string(r[0])] = true
				}
				if state = rr.PagingState; state == nil {
					break
				}
			}
			if len(seen) != 9 {
				t.Errorf("%s size %d: %d rows, want 9", q, size, len(seen))
			}
		}
	}
}

func TestPeersAndLocalAddress(t *testing.T) {
	h := newHarness(t)
	peer := exec.NodeInfo{
		HostID: [16]byte{9}, Address: netip.MustParseAddr("127.0.0.2"), RPCAddress: netip.MustParseAddr("127.0.0.2"),
		RPCPort: 9042, DataCenter: "datacenter1", Rack: "rack1", Tokens: []int64{5}, SchemaVersion: [16]byte{7},
	}
	local := exec.NodeInfo{HostID: [16]byte{1}, Address: netip.MustParseAddr("0.0.0.0"), RPCAddress: netip.MustParseAddr("0.0.0.0"),
		RPCPort: 9042, DataCenter: "datacenter1", Rack: "rack1", Tokens: []int64{1}}
	ex, err := exec.New(exec.Config{Coordinator: localCoordinator{}, Schema: h.schema, Cluster: staticCluster{local: local, peers: []exec.NodeInfo{peer}}, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	s := ex.NewSession()
	s.SetLocalAddr(netip.MustParseAddr("127.0.0.9"))
	res, err := ex.Query(context.Background(), s, "SELECT rpc_address FROM system.local", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRows(res.(*exec.RowsResult)); got != "rpc_address inet\n'127.0.0.9'" {
		t.Errorf("local rpc_address: %s", got)
	}
	res, err = ex.Query(context.Background(), s, "SELECT peer, peer_port, native_address, native_port, tokens, schema_version FROM system.peers_v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "peer inet | peer_port int | native_address inet | native_port int | tokens set<text> | schema_version uuid\n'127.0.0.2' | 7000 | '127.0.0.2' | 9042 | {'5'} | 07000000-0000-0000-0000-000000000000"
	if got := formatRows(res.(*exec.RowsResult)); got != want {
		t.Errorf("peers_v2:\n%s\nwant:\n%s", got, want)
	}
}

func TestConcurrentSessions(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE t (k int, c int, v list<int>, PRIMARY KEY (k, c))")
	ctx := context.Background()
	ins, err := h.ex.Prepare(ctx, h.sess, "UPDATE t SET v = v + [1] WHERE k = ? AND c = ?")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			s := h.ex.NewSession()
			s.SetKeyspace("ks")
			for i := range 25 {
				o := &exec.QueryOptions{Values: []exec.Value{intVal(int32(g)), intVal(int32(i))}}
				if _, err := h.ex.Execute(ctx, s, ins.ID, o); err != nil {
					errs <- err
					return
				}
				if _, err := h.ex.Query(ctx, s, "SELECT * FROM t WHERE k = ?", &exec.QueryOptions{Values: []exec.Value{intVal(int32(g))}, PageSize: 5}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := h.run("SELECT count(*) FROM t", nil); got != "count bigint\n200" {
		t.Errorf("count after concurrent writes: %s", got)
	}
}

// A frozen set bound out of order must be stored in Cassandra's order, so
// that it compares equal to the same set sent sorted, as a key and as a
// value.
func TestBoundSetsAreNormalized(t *testing.T) {
	h := newHarness(t)
	setupKS(h)
	h.must("CREATE TABLE fs (k frozen<set<int>> PRIMARY KEY, v set<int>)")
	ctx := context.Background()
	setType := schema.SetOf(schema.IntType, true)
	// Built by hand: schema.Marshal would sort it. [n] then [len][int] each.
	unsorted := binary.BigEndian.AppendUint32(nil, 4)
	for _, e := range []uint32{3, 1, 2, 1} {
		unsorted = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(unsorted, 4), e)
	}
	sorted, err := schema.Marshal(setType, []any{int32(1), int32(2), int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO fs (k, v) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ex.Execute(ctx, h.sess, ins.ID, &exec.QueryOptions{Consistency: exec.One,
		Values: []exec.Value{{Bytes: unsorted}, {Bytes: unsorted}}}); err != nil {
		t.Fatal(err)
	}
	sel, err := h.ex.Prepare(ctx, h.sess, "SELECT k FROM fs WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ex.Execute(ctx, h.sess, sel.ID, &exec.QueryOptions{Consistency: exec.One,
		Values: []exec.Value{{Bytes: sorted}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.(*exec.RowsResult).Rows
	if len(rows) != 1 || !bytes.Equal(rows[0][0], sorted) {
		t.Fatalf("SELECT by the sorted set = %x, want one row holding %x", rows, sorted)
	}
}
