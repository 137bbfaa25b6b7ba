package node_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"
	"gopkg.in/inf.v0"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
)

// These tests drive a real node (Pebble storage, executor, CQL server)
// with the stock gocql v1.7.0 driver, through the checklist of issue 3
// item 9.

func TestGocqlProtocolNegotiation(t *testing.T) {
	tn := startNode(t)
	for _, proto := range []int{0, 3, 4} {
		s := session(t, tn.port, proto, "")
		var release, partitioner string
		var tokens []string
		if err := s.Query("SELECT release_version, partitioner, tokens FROM system.local WHERE key = 'local'").
			Scan(&release, &partitioner, &tokens); err != nil {
			t.Fatalf("protocol %d: %v", proto, err)
		}
		if release != "4.1.5" || partitioner != "org.apache.cassandra.dht.Murmur3Partitioner" || len(tokens) != 4 {
			t.Fatalf("protocol %d: system.local = %q, %q, %d tokens", proto, release, partitioner, len(tokens))
		}
	}
}

func TestGocqlMetadata(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "meta")
	mustExec(t, s, `CREATE TABLE t (p1 int, p2 text, c1 timestamp, c2 int, s text static, v map<text, int>,
		PRIMARY KEY ((p1, p2), c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)`)
	// gocql refreshes its schema cache on the SCHEMA_CHANGE event, which
	// it debounces for a second: poll, as an application would.
	var tbl *gocql.TableMetadata
	testutil.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		ks, err := s.KeyspaceMetadata("meta")
		if err != nil {
			return err
		}
		if tbl = ks.Tables["t"]; tbl == nil {
			return fmt.Errorf("table t missing from gocql's metadata: %v", ks.Tables)
		}
		return nil
	})
	names := func(cs []*gocql.ColumnMetadata) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if got := names(tbl.PartitionKey); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Errorf("partition key %v", got)
	}
	if got := names(tbl.ClusteringColumns); !slices.Equal(got, []string{"c1", "c2"}) {
		t.Errorf("clustering %v", got)
	}
	if tbl.ClusteringColumns[0].Order != gocql.DESC || tbl.ClusteringColumns[1].Order != gocql.ASC {
		t.Errorf("clustering order %v %v", tbl.ClusteringColumns[0].Order, tbl.ClusteringColumns[1].Order)
	}
	kinds := map[string]gocql.ColumnKind{"p1": gocql.ColumnPartitionKey, "c1": gocql.ColumnClusteringKey,
		"s": gocql.ColumnStatic, "v": gocql.ColumnRegular}
	for name, kind := range kinds {
		if c := tbl.Columns[name]; c == nil || c.Kind != kind {
			t.Errorf("column %s: %+v, want kind %v", name, c, kind)
		}
	}
	if c := tbl.Columns["v"]; c == nil || c.Type.Type() != gocql.TypeMap {
		t.Errorf("column v has type %v", c)
	}
}

func TestGocqlEveryType(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "types")
	mustExec(t, s, "CREATE TYPE addr (street text, zip int)")
	mustExec(t, s, `CREATE TABLE t (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, d date,
		de decimal, do double, f float, i inet, n int, sm smallint, tx text, ti time, ts timestamp, tu timeuuid,
		tn tinyint, u uuid, vi varint, du duration, l list<int>, st set<text>, m map<text, int>,
		fl frozen<list<int>>, tp tuple<int, text>, ad addr, fad frozen<addr>)`)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	tu := gocql.TimeUUID()
	u, _ := gocql.ParseUUID("123e4567-e89b-12d3-a456-426614174000")
	// The tuple is a literal: gocql 1.7 counts a tuple bind marker as
	// one value per element but marshals it as one value, so it cannot
	// bind one in the middle of a statement.
	vi, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	de := inf.NewDec(-1234500, 4)
	du := gocql.Duration{Months: 1, Days: 2, Nanoseconds: 3000}
	ad := map[string]any{"street": "Main", "zip": 12345}
	mustExec(t, s, `INSERT INTO t (k, a, b, bl, bo, d, de, do, f, i, n, sm, tx, ti, ts, tu, tn, u, vi, du, l, st, m, fl, tp, ad, fad)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (5, 'five'), ?, ?)`,
		1, "ascii", int64(math.MinInt64), []byte{0, 0x80, 0xff}, true, day, de, 3.25, float32(1.5),
		net.ParseIP("::1"), -42, int16(32767), "héllo ✓", 13*time.Hour+14*time.Minute+15*time.Second+123456789, ts, tu,
		int8(-128), u, vi, du, []int{3, 1, 2}, []string{"b", "a"}, map[string]int{"x": 1, "y": 2}, []int{7, 8},
		ad, map[string]any{"street": "Side", "zip": nil})

	var (
		a, tx         string
		b             int64
		bl            []byte
		bo            bool
		d, gotTS      time.Time
		gotDe         *inf.Dec
		do            float64
		f             float32
		i             net.IP
		n             int
		sm            int16
		ti            time.Duration
		gotTU, gotU   gocql.UUID
		tinyv         int8
		gotVi         *big.Int
		gotDu         gocql.Duration
		l, fl         []int
		st            []string
		m             map[string]int
		tp1           int
		tp2           string
		gotAd, gotFad map[string]any
	)
	err := s.Query(`SELECT a, b, bl, bo, d, de, do, f, i, n, sm, tx, ti, ts, tu, tn, u, vi, du, l, st, m, fl, tp, ad, fad
		FROM t WHERE k = 1`).Scan(&a, &b, &bl, &bo, &d, &gotDe, &do, &f, &i, &n, &sm, &tx, &ti, &gotTS, &gotTU, &tinyv,
		&gotU, &gotVi, &gotDu, &l, &st, &m, &fl, &tp1, &tp2, &gotAd, &gotFad)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, ok bool, got any) {
		if !ok {
			t.Errorf("%s read back as %v", name, got)
		}
	}
	check("ascii", a == "ascii", a)
	check("bigint", b == math.MinInt64, b)
	check("blob", bytes.Equal(bl, []byte{0, 0x80, 0xff}), bl)
	check("boolean", bo, bo)
	check("date", d.Equal(day), d)
	check("decimal", gotDe != nil && gotDe.Cmp(de) == 0 && gotDe.Scale() == 4, gotDe)
	check("double", do == 3.25, do)
	check("float", f == 1.5, f)
	check("inet", i.Equal(net.ParseIP("::1")), i)
	check("int", n == -42, n)
	check("smallint", sm == 32767, sm)
	check("text", tx == "héllo ✓", tx)
	check("time", ti == 13*time.Hour+14*time.Minute+15*time.Second+123456789, ti)
	check("timestamp", gotTS.Equal(ts), gotTS)
	check("timeuuid", gotTU == tu, gotTU)
	check("tinyint", tinyv == -128, tinyv)
	check("uuid", gotU == u, gotU)
	check("varint", gotVi != nil && gotVi.Cmp(vi) == 0, gotVi)
	check("duration", gotDu == du, gotDu)
	check("list", slices.Equal(l, []int{3, 1, 2}), l)
	check("set", slices.Equal(st, []string{"a", "b"}), st)
	check("map", len(m) == 2 && m["x"] == 1 && m["y"] == 2, m)
	check("frozen list", slices.Equal(fl, []int{7, 8}), fl)
	check("tuple", tp1 == 5 && tp2 == "five", []any{tp1, tp2})
	check("udt", fmt.Sprint(gotAd) == fmt.Sprint(ad), gotAd)
	// gocql decodes a null UDT field into a map as the type's zero value.
	check("frozen udt", gotFad["street"] == "Side" && (gotFad["zip"] == nil || gotFad["zip"] == 0), gotFad)

	mustExec(t, s, "UPDATE t SET l = l + [4], st = st - {'a'}, m['z'] = 3 WHERE k = 1")
	mustExec(t, s, "UPDATE t SET l = [0] + l WHERE k = 1")
	if err := s.Query("SELECT l, st, m FROM t WHERE k = 1").Scan(&l, &st, &m); err != nil {
		t.Fatal(err)
	}
	check("list after append and prepend", slices.Equal(l, []int{0, 3, 1, 2, 4}), l)
	check("set after removal", slices.Equal(st, []string{"b"}), st)
	check("map after put", len(m) == 3 && m["z"] == 3, m)
}

func TestGocqlPaging10000Rows(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "paging")
	mustExec(t, s, "CREATE TABLE t (p int, c int, v text, PRIMARY KEY (p, c))")
	insertRows(t, s, 10, 1000)
	seen := make(map[[2]int]bool)
	iter := s.Query("SELECT p, c, v FROM t").PageSize(700).Iter()
	var p, c int
	var v string
	for iter.Scan(&p, &c, &v) {
		k := [2]int{p, c}
		if seen[k] {
			t.Fatalf("row %v returned twice", k)
		}
		if v != fmt.Sprintf("v%d-%d", p, c) {
			t.Fatalf("row %v has value %q", k, v)
		}
		seen[k] = true
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10000 {
		t.Fatalf("paged through %d rows, want 10000", len(seen))
	}
	// Manual paging with the paging state, within one partition.
	var state []byte
	next := 0
	for pages := 0; ; pages++ {
		it := s.Query("SELECT c FROM t WHERE p = 3").PageSize(128).PageState(state).Iter()
		for it.Scan(&c) {
			if c != next {
				t.Fatalf("page %d: got c=%d, want %d", pages, c, next)
			}
			next++
		}
		state = it.PageState()
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if len(state) == 0 {
			break
		}
	}
	if next != 1000 {
		t.Fatalf("manual paging returned %d rows, want 1000", next)
	}
}

// insertRows writes partitions x rows concurrently, value "v<p>-<c>".
func insertRows(t *testing.T, s *gocql.Session, partitions, rows int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range rows {
				if err := s.Query("INSERT INTO t (p, c, v) VALUES (?, ?, ?)", p, c, fmt.Sprintf("v%d-%d", p, c)).Exec(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestGocqlTokenAwareRouting(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "routing")
	mustExec(t, s, "CREATE TABLE t (k blob PRIMARY KEY, v int)")
	mustExec(t, s, "CREATE TABLE t2 (a int, b text, v int, PRIMARY KEY ((a, b)))")
	// gocql's own Murmur3 (internal/murmur) gives this token for 0xff.
	if got := ring.Murmur3Token([]byte{0xff}); got != -4442228696663692417 {
		t.Fatalf("Murmur3Token(0xff) = %d, want gocql's -4442228696663692417", got)
	}
	keys := [][]byte{{0xff}, {0x80, 0x81, 0x82}, []byte("hello"), bytes.Repeat([]byte{0xf0}, 17),
		append([]byte("0123456789abcde"), 0xfe)}
	for i, k := range keys {
		mustExec(t, s, "INSERT INTO t (k, v) VALUES (?, ?)", k, i)
		q := s.Query("SELECT token(k), v FROM t WHERE k = ?", k)
		rk, err := q.GetRoutingKey()
		if err != nil || !bytes.Equal(rk, k) {
			t.Fatalf("gocql routing key for %x = %x, %v (pk_indexes or bind types wrong?)", k, rk, err)
		}
		var tok int64
		var v int
		if err := q.Scan(&tok, &v); err != nil {
			t.Fatal(err)
		}
		if want := int64(ring.Murmur3Token(rk)); tok != want || v != i {
			t.Fatalf("token(%x) = %d, v = %d; want the driver's token %d, v = %d", k, tok, v, want, i)
		}
	}
	q := s.Query("SELECT token(a, b) FROM t2 WHERE a = ? AND b = ?", -1, "\u00ff\u00fe")
	rk, err := q.GetRoutingKey()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "INSERT INTO t2 (b, v, a) VALUES (?, ?, ?)", "\u00ff\u00fe", 7, -1)
	var tok int64
	if err := q.Scan(&tok); err != nil {
		t.Fatal(err)
	}
	if want := int64(ring.Murmur3Token(rk)); tok != want {
		t.Fatalf("composite token = %d, want %d (routing key %x)", tok, want, rk)
	}
}

func TestGocqlBatches(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "batches")
	mustExec(t, s, "CREATE TABLE t (p int, c int, v text, PRIMARY KEY (p, c))")
	b := s.NewBatch(gocql.LoggedBatch)
	b.Query("INSERT INTO t (p, c, v) VALUES (?, ?, ?)", 1, 1, "a")
	b.Query("INSERT INTO t (p, c, v) VALUES (?, ?, ?)", 1, 2, "b")
	b.Query("INSERT INTO t (p, c, v) VALUES (?, ?, ?)", 2, 1, "c")
	if err := s.ExecuteBatch(b); err != nil {
		t.Fatal(err)
	}
	u := s.NewBatch(gocql.UnloggedBatch)
	u.Query("UPDATE t SET v = 'z' WHERE p = 2 AND c = 1")
	u.Query("DELETE FROM t WHERE p = 1 AND c = 2")
	if err := s.ExecuteBatch(u); err != nil {
		t.Fatal(err)
	}
	got := scanRows(t, s, "SELECT p, c, v FROM t WHERE p IN (1, 2)")
	if want := "1/1/a 2/1/z"; got != want {
		t.Fatalf("after batches: %s, want %s", got, want)
	}
}

// scanRows renders (int, int, text) rows as "p/c/v ...".
func scanRows(t *testing.T, s *gocql.Session, stmt string, values ...any) string {
	t.Helper()
	var out []string
	iter := s.Query(stmt, values...).Iter()
	var p, c int
	var v *string
	for iter.Scan(&p, &c, &v) {
		val := "null"
		if v != nil {
			val = *v
		}
		out = append(out, fmt.Sprintf("%d/%d/%s", p, c, val))
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return fmt.Sprint(out)[1 : len(fmt.Sprint(out))-1]
}

func TestGocqlTTLExpiry(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "ttl")
	mustExec(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	mustExec(t, s, "INSERT INTO t (k, v) VALUES (1, 'short') USING TTL 10")
	mustExec(t, s, "INSERT INTO t (k, v) VALUES (2, 'long') USING TTL 3600")
	var ttl int
	if err := s.Query("SELECT TTL(v) FROM t WHERE k = 2").Scan(&ttl); err != nil || ttl <= 3500 || ttl > 3600 {
		t.Fatalf("TTL(v) = %d, %v", ttl, err)
	}
	var v string
	if err := s.Query("SELECT v FROM t WHERE k = 1").Scan(&v); err != nil || v != "short" {
		t.Fatalf("before expiry: %q, %v", v, err)
	}
	tn.clock.Advance(11 * time.Second)
	if err := s.Query("SELECT v FROM t WHERE k = 1").Scan(&v); !errors.Is(err, gocql.ErrNotFound) {
		t.Fatalf("after expiry: %q, %v; want no row", v, err)
	}
	if err := s.Query("SELECT v FROM t WHERE k = 2").Scan(&v); err != nil || v != "long" {
		t.Fatalf("the TTL 3600 row: %q, %v", v, err)
	}
}

func TestGocqlUsingTimestamp(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "stamps")
	mustExec(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	mustExec(t, s, "INSERT INTO t (k, v) VALUES (1, 'new') USING TIMESTAMP 2000")
	mustExec(t, s, "INSERT INTO t (k, v) VALUES (1, 'old') USING TIMESTAMP 1000")
	var v string
	var wt int64
	if err := s.Query("SELECT v, WRITETIME(v) FROM t WHERE k = 1").Scan(&v, &wt); err != nil || v != "new" || wt != 2000 {
		t.Fatalf("got %q at %d (%v), want \"new\" at 2000", v, wt, err)
	}
	mustExec(t, s, "DELETE FROM t USING TIMESTAMP 1500 WHERE k = 1")
	if err := s.Query("SELECT v FROM t WHERE k = 1").Scan(&v); err != nil || v != "new" {
		t.Fatalf("an older delete removed a newer write: %q, %v", v, err)
	}
	// The client-supplied default timestamp orders writes too.
	if err := s.Query("UPDATE t SET v = 'client' WHERE k = 1").WithTimestamp(3000).Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("UPDATE t SET v = 'stale' WHERE k = 1").WithTimestamp(2500).Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("SELECT v FROM t WHERE k = 1").Scan(&v); err != nil || v != "client" {
		t.Fatalf("got %q (%v), want \"client\"", v, err)
	}
	mustExec(t, s, "DELETE FROM t USING TIMESTAMP 3001 WHERE k = 1")
	if err := s.Query("SELECT v FROM t WHERE k = 1").Scan(&v); !errors.Is(err, gocql.ErrNotFound) {
		t.Fatalf("after a newer delete: %q, %v", v, err)
	}
}

func TestGocqlDeletes(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "dels")
	mustExec(t, s, "CREATE TABLE t (p int, c int, v text, s set<int>, m map<text, int>, PRIMARY KEY (p, c))")
	for c := range 6 {
		mustExec(t, s, "INSERT INTO t (p, c, v, s, m) VALUES (?, ?, ?, ?, ?)", 1, c, fmt.Sprintf("v%d", c),
			[]int{1, 2}, map[string]int{"a": 1, "b": 2})
	}
	mustExec(t, s, "INSERT INTO t (p, c, v) VALUES (2, 0, 'x')")
	mustExec(t, s, "DELETE v FROM t WHERE p = 1 AND c = 0") // a column
	mustExec(t, s, "DELETE m['a'] FROM t WHERE p = 1 AND c = 1")
	mustExec(t, s, "UPDATE t SET s = s - {1} WHERE p = 1 AND c = 1")
	mustExec(t, s, "UPDATE t SET s = s - {2} WHERE p = 1 AND c = 2") // an element by removal
	mustExec(t, s, "DELETE m FROM t WHERE p = 1 AND c = 2")          // a whole collection
	mustExec(t, s, "DELETE FROM t WHERE p = 1 AND c = 3")            // a row
	mustExec(t, s, "DELETE FROM t WHERE p = 1 AND c >= 4")           // a clustering range
	mustExec(t, s, "DELETE FROM t WHERE p = 2")                      // a partition
	type row struct {
		c int
		v *string
		s []int
		m map[string]int
	}
	var got []string
	iter := s.Query("SELECT c, v, s, m FROM t WHERE p = 1").Iter()
	var r row
	for iter.Scan(&r.c, &r.v, &r.s, &r.m) {
		v := "null"
		if r.v != nil {
			v = *r.v
		}
		got = append(got, fmt.Sprintf("%d %s %v %v", r.c, v, r.s, r.m))
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"0 null [1 2] map[a:1 b:2]", "1 v1 [2] map[b:2]", "2 v2 [1] map[]"}
	if !slices.Equal(got, want) {
		t.Fatalf("after deletes:\n got %q\nwant %q", got, want)
	}
	var n int
	if err := s.Query("SELECT count(*) FROM t WHERE p = 2").Scan(&n); err != nil || n != 0 {
		t.Fatalf("deleted partition still has %d rows (%v)", n, err)
	}
}

func TestGocqlErrors(t *testing.T) {
	tn := startNode(t)
	s := newKeyspace(t, tn, "errs")
	mustExec(t, s, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	if err := s.Query("SELEC * FROM t").Exec(); requestCode(err) != gocql.ErrCodeSyntax {
		t.Errorf("syntax error: %v (code %#x), want ErrCodeSyntax", err, requestCode(err))
	}
	if err := s.Query("SELECT * FROM no_such_table").Exec(); requestCode(err) != gocql.ErrCodeInvalid {
		t.Errorf("unknown table: %v, want ErrCodeInvalid", err)
	}
	if err := s.Query("SELECT * FROM t WHERE v = 'x'").Exec(); requestCode(err) != gocql.ErrCodeInvalid {
		t.Errorf("filtering without ALLOW FILTERING: %v, want ErrCodeInvalid", err)
	}
	if err := s.Query("INSERT INTO t (k, v) VALUES (?, ?)", "not an int", "x").Exec(); err == nil {
		t.Error("a value of the wrong type was accepted")
	}
	err := s.Query("CREATE TABLE t (k int PRIMARY KEY)").Exec()
	var exists *gocql.RequestErrAlreadyExists
	if !errors.As(err, &exists) || exists.Keyspace != "errs" || exists.Table != "t" {
		t.Errorf("existing table: %v, want RequestErrAlreadyExists for errs.t", err)
	}
	mustExec(t, s, "CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)")
	// QUORUM on RF 3 with one node: Unavailable, exactly as Cassandra.
	mustExec(t, s, "CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	mustExec(t, s, "CREATE TABLE rf3.t (k int PRIMARY KEY, v int)")
	err = s.Query("INSERT INTO rf3.t (k, v) VALUES (1, 1)").Consistency(gocql.Quorum).Exec()
	var unavail *gocql.RequestErrUnavailable
	if !errors.As(err, &unavail) || unavail.Required != 2 || unavail.Alive != 1 {
		t.Errorf("QUORUM write on RF 3 with one node: %v, want Unavailable(required 2, alive 1)", err)
	}
	if err := s.Query("INSERT INTO rf3.t (k, v) VALUES (1, 1)").Consistency(gocql.One).Exec(); err != nil {
		t.Errorf("ONE write on RF 3 with one node: %v", err)
	}
}
