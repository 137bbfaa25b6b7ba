package exec_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/schema"
)

// The result shapes of every conditional form are in testdata/lwt.txt;
// these tests cover what a script cannot: concurrency, the options of
// the request (serial consistency, prepared statements, BATCH messages)
// and what the executor hands the Coordinator.

func newLWTHarness(t *testing.T, tweak func(*exec.Config)) *harness {
	t.Helper()
	h := newHarnessWith(t, tweak)
	h.must("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	h.must("USE ks")
	h.must("CREATE TABLE t (k int, c int, s int static, v int, PRIMARY KEY (k, c))")
	return h
}

func readInt(t *testing.T, h *harness, q string, o *exec.QueryOptions) (int32, bool) {
	t.Helper()
	res, err := h.ex.Query(context.Background(), h.sess, q, o)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	rr := res.(*exec.RowsResult)
	if len(rr.Rows) == 0 || rr.Rows[0][0] == nil {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(rr.Rows[0][0])), true
}

// Concurrent compare-and-set increments of one row: each worker reads v
// at SERIAL and sets v+1 IF v = what it read, retrying when another
// worker won. Every applied transaction must count once: the final value
// is the number of increments, and no two workers applied from the same
// value.
func TestCASConcurrentIncrements(t *testing.T) {
	h := newLWTHarness(t, nil)
	h.must("INSERT INTO t (k, c, v) VALUES (1, 1, 0)")
	const workers, each = 4, 15
	serial := &exec.QueryOptions{Consistency: exec.Quorum, SerialConsistency: exec.Serial}
	var applied atomic.Int64
	var mu sync.Mutex
	from := map[int32]int{} // value a transaction was applied from -> count
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := h.ex.NewSession()
			sess.SetKeyspace("ks")
			for done := 0; done < each; {
				res, err := h.ex.Query(context.Background(), sess, "SELECT v FROM t WHERE k = 1 AND c = 1", &exec.QueryOptions{Consistency: exec.Serial})
				if err != nil {
					errs <- err
					return
				}
				cur := int32(binary.BigEndian.Uint32(res.(*exec.RowsResult).Rows[0][0]))
				o := *serial
				o.Values = []exec.Value{intVal(cur + 1), intVal(cur)}
				res, err = h.ex.Query(context.Background(), sess, "UPDATE t SET v = ? WHERE k = 1 AND c = 1 IF v = ?", &o)
				if err != nil {
					errs <- err
					return
				}
				rr := res.(*exec.RowsResult)
				if rr.Rows[0][0][0] == 1 {
					applied.Add(1)
					mu.Lock()
					from[cur]++
					mu.Unlock()
					done++
				} else if len(rr.Columns) != 2 || rr.Columns[1].Name != "v" {
					errs <- fmt.Errorf("not applied result has columns %v, want [applied] and v", rr.Columns)
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
	v, _ := readInt(t, h, "SELECT v FROM t WHERE k = 1 AND c = 1", nil)
	if int64(v) != applied.Load() || applied.Load() != workers*each {
		t.Fatalf("v = %d after %d applied transactions, want %d", v, applied.Load(), workers*each)
	}
	for val, n := range from {
		if n != 1 {
			t.Errorf("%d transactions applied from v = %d", n, val)
		}
	}
}

// recordingCoordinator passes everything to the harness's Coordinator
// and records what the executor asks of CAS.
type recordingCoordinator struct {
	exec.Coordinator
	mu   sync.Mutex
	reqs []*exec.CASRequest
	ts   []int64 // timestamps Decide was called with
	fail error   // returned by CAS instead of running it, when set
}

func (r *recordingCoordinator) CAS(ctx context.Context, req *exec.CASRequest) (exec.CASResult, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		return exec.CASResult{}, fail
	}
	inner := *req
	inner.Decide = func(cur *schema.Partition, ts int64) (*schema.Partition, error) {
		r.mu.Lock()
		r.ts = append(r.ts, ts)
		r.mu.Unlock()
		return req.Decide(cur, ts)
	}
	return r.Coordinator.CAS(ctx, &inner)
}

// The frame's serial consistency reaches the Coordinator, the
// statement's consistency is the commit's, and levels Cassandra refuses
// are refused before the Coordinator is asked.
func TestCASConsistencies(t *testing.T) {
	rec := &recordingCoordinator{}
	h := newLWTHarness(t, func(c *exec.Config) { rec.Coordinator = c.Coordinator; c.Coordinator = rec })
	q := "INSERT INTO t (k, c, v) VALUES (1, 1, 1) IF NOT EXISTS"
	cases := []struct {
		o    exec.QueryOptions
		want string
	}{
		{exec.QueryOptions{Consistency: exec.Quorum, SerialConsistency: exec.LocalSerial}, "[applied] boolean\ntrue"},
		{exec.QueryOptions{Consistency: exec.Any, SerialConsistency: exec.Serial}, "[applied] boolean | k int | c int | s int | v int\nfalse | 1 | 1 | null | 1"},
		{exec.QueryOptions{Consistency: exec.One, SerialConsistency: exec.Quorum}, "error 0x2200: Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL"},
		{exec.QueryOptions{Consistency: exec.One, SerialConsistency: exec.Any}, "error 0x2200: Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL"},
		{exec.QueryOptions{Consistency: exec.Serial, SerialConsistency: exec.Serial}, "error 0x2200: SERIAL is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\""},
		{exec.QueryOptions{Consistency: exec.LocalSerial, SerialConsistency: exec.Serial}, "error 0x2200: LOCAL_SERIAL is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\""},
	}
	for _, c := range cases {
		o := c.o
		if got := h.run(q, &o); got != c.want {
			t.Errorf("consistency %d serial %d:\n got %s\nwant %s", c.o.Consistency, c.o.SerialConsistency, got, c.want)
		}
	}
	if len(rec.reqs) != 2 {
		t.Fatalf("Coordinator.CAS called %d times, want 2", len(rec.reqs))
	}
	if r := rec.reqs[0]; r.Serial != exec.LocalSerial || r.Commit != exec.Quorum {
		t.Errorf("first CAS: serial %d commit %d, want LOCAL_SERIAL and QUORUM", r.Serial, r.Commit)
	}
	if r := rec.reqs[1]; r.Serial != exec.Serial || r.Commit != exec.Any {
		t.Errorf("second CAS: serial %d commit %d, want SERIAL and ANY", r.Serial, r.Commit)
	}
	// An unconditional write may not be serial.
	for _, q := range []string{"UPDATE t SET v = 2 WHERE k = 1 AND c = 1", "BEGIN BATCH UPDATE t SET v = 2 WHERE k = 1 AND c = 1; APPLY BATCH"} {
		if got := h.run(q, &exec.QueryOptions{Consistency: exec.LocalSerial}); got != "error 0x2200: You must use conditional updates for serializable writes" {
			t.Errorf("%s at LOCAL_SERIAL: %s", q, got)
		}
	}
	// Without options (internal callers), the serial consistency is SERIAL.
	res, err := h.ex.Query(context.Background(), h.sess, "UPDATE t SET v = 2 WHERE k = 1 AND c = 1 IF v = 1", nil)
	if got := formatResult(res, err); got != "[applied] boolean\ntrue" {
		t.Errorf("default serial consistency: %s", got)
	}
}

// The update carries the timestamp Decide was given (the ballot's), not
// the node's clock.
func TestCASUsesDecideTimestamp(t *testing.T) {
	rec := &recordingCoordinator{}
	h := newLWTHarness(t, func(c *exec.Config) { rec.Coordinator = c.Coordinator; c.Coordinator = rec })
	h.must("INSERT INTO t (k, c, v) VALUES (1, 1, 1) IF NOT EXISTS")
	h.must("UPDATE t USING TTL 600 SET v = 2, s = 5 WHERE k = 1 AND c = 1 IF v = 1")
	if len(rec.ts) != 2 {
		t.Fatalf("Decide called %d times, want 2", len(rec.ts))
	}
	res := h.must("SELECT writetime(v), writetime(s), ttl(v) FROM t WHERE k = 1 AND c = 1").(*exec.RowsResult)
	row := res.Rows[0]
	wv, ws := int64(binary.BigEndian.Uint64(row[0])), int64(binary.BigEndian.Uint64(row[1]))
	if wv != rec.ts[1] || ws != rec.ts[1] {
		t.Errorf("writetime(v) %d, writetime(s) %d; Decide's timestamp %d", wv, ws, rec.ts[1])
	}
	if ttl := int32(binary.BigEndian.Uint32(row[2])); ttl != 600 {
		t.Errorf("ttl(v) = %d, want 600", ttl)
	}
}

// A Paxos round that times out (WriteTimeout, write type CAS) is
// CAS_WRITE_UNKNOWN to the client; cql/server sends it as a WriteTimeout
// to protocol v3 and v4 clients.
func TestCASWriteUnknown(t *testing.T) {
	timeout := &exec.Error{Code: exec.CodeWriteTimeout, Message: "Operation timed out", Consistency: exec.Serial, Received: 1, BlockFor: 2, WriteType: exec.WriteCAS}
	rec := &recordingCoordinator{fail: timeout}
	h := newLWTHarness(t, func(c *exec.Config) { rec.Coordinator = c.Coordinator; c.Coordinator = rec })
	_, err := h.ex.Query(context.Background(), h.sess, "UPDATE t SET v = 1 WHERE k = 1 AND c = 1 IF v = 0", nil)
	var ee *exec.Error
	if !errors.As(err, &ee) || ee.Code != exec.CodeCASWriteUnknown || ee.Consistency != exec.Serial || ee.Received != 1 || ee.BlockFor != 2 {
		t.Fatalf("got %#v, want CAS_WRITE_UNKNOWN at SERIAL with 1 of 2", err)
	}
	// Other errors pass through.
	rec.fail = &exec.Error{Code: exec.CodeUnavailable, Message: "Cannot achieve consistency level SERIAL", Consistency: exec.Serial, Required: 2, Alive: 1}
	_, err = h.ex.Query(context.Background(), h.sess, "UPDATE t SET v = 1 WHERE k = 1 AND c = 1 IF v = 0", nil)
	if !errors.As(err, &ee) || ee.Code != exec.CodeUnavailable {
		t.Fatalf("got %v, want Unavailable", err)
	}
}

// A prepared conditional statement has no result metadata in PREPARED
// (as Cassandra's: the columns depend on the outcome), and its result
// always carries metadata, even when the client asked to skip it.
func TestCASPrepared(t *testing.T) {
	h := newLWTHarness(t, nil)
	h.must("INSERT INTO t (k, c, v) VALUES (1, 1, 2)")
	ctx := context.Background()
	p, err := h.ex.Prepare(ctx, h.sess, "UPDATE t SET v = ? WHERE k = ? AND c = ? IF v = ?")
	if err != nil {
		t.Fatal(err)
	}
	if p.Result != nil || len(p.Bind) != 4 || p.Bind[3].Name != "v" || len(p.PKIndexes) != 1 || p.PKIndexes[0] != 1 {
		t.Fatalf("PREPARED: result %v bind %v pk %v", p.Result, p.Bind, p.PKIndexes)
	}
	o := &exec.QueryOptions{SerialConsistency: exec.Serial, SkipMetadata: true, Values: []exec.Value{intVal(5), intVal(1), intVal(1), intVal(3)}}
	res, err := h.ex.Execute(ctx, h.sess, p.ID, o)
	if err != nil {
		t.Fatal(err)
	}
	rr := res.(*exec.RowsResult)
	if rr.NoMetadata || formatRows(rr) != "[applied] boolean | v int\nfalse | 2" {
		t.Fatalf("EXECUTE: NoMetadata %v\n%s", rr.NoMetadata, formatRows(rr))
	}
	if rr.Columns[0].Keyspace != "ks" || rr.Columns[0].Table != "t" || rr.Columns[1].Table != "t" {
		t.Errorf("result columns not of ks.t: %+v", rr.Columns)
	}
	// IN ? binds a list.
	p, err = h.ex.Prepare(ctx, h.sess, "UPDATE t SET v = 1 WHERE k = 1 AND c = 1 IF v IN ?")
	if err != nil || len(p.Bind) != 1 || p.Bind[0].Name != "in(v)" || p.Bind[0].Type.String() != "list<int>" {
		t.Fatalf("IN ?: %v %+v", err, p)
	}
}

// A BATCH message with conditional statements (prepared and text) runs
// as one transaction with the message's serial consistency.
func TestCASBatchMessage(t *testing.T) {
	rec := &recordingCoordinator{}
	h := newLWTHarness(t, func(c *exec.Config) { rec.Coordinator = c.Coordinator; c.Coordinator = rec })
	ctx := context.Background()
	p, err := h.ex.Prepare(ctx, h.sess, "INSERT INTO t (k, c, v) VALUES (?, ?, ?) IF NOT EXISTS")
	if err != nil {
		t.Fatal(err)
	}
	batch := func(serial exec.Consistency, v int32) (exec.Result, error) {
		return h.ex.Batch(ctx, h.sess, &exec.Batch{Type: exec.LoggedBatch, Consistency: exec.Quorum, SerialConsistency: serial, Statements: []exec.BatchStatement{
			{PreparedID: p.ID, Values: []exec.Value{intVal(1), intVal(1), intVal(v)}},
			{PreparedID: p.ID, Values: []exec.Value{intVal(1), intVal(2), intVal(v)}},
			{Query: "UPDATE t SET s = ? WHERE k = 1", Values: []exec.Value{intVal(v)}},
		}})
	}
	res, err := batch(exec.LocalSerial, 7)
	if got := formatResult(res, err); got != "[applied] boolean\ntrue" {
		t.Fatalf("first batch: %s", got)
	}
	res, err = batch(exec.Serial, 8)
	if got, want := formatResult(res, err), "[applied] boolean | k int | c int | s int | v int\nfalse | 1 | 1 | 7 | 7\nfalse | 1 | 2 | 7 | 7"; got != want {
		t.Fatalf("second batch:\n got %s\nwant %s", got, want)
	}
	if _, err := batch(exec.One, 9); err == nil {
		t.Fatal("batch at serial consistency ONE applied")
	}
	if len(rec.reqs) != 2 || rec.reqs[0].Serial != exec.LocalSerial || rec.reqs[1].Serial != exec.Serial {
		t.Fatalf("CAS requests %d", len(rec.reqs))
	}
	// A conditional statement of another table in the batch is refused.
	h.must("CREATE TABLE o (k int PRIMARY KEY, v int)")
	_, err = h.ex.Batch(ctx, h.sess, &exec.Batch{Type: exec.LoggedBatch, SerialConsistency: exec.Serial, Statements: []exec.BatchStatement{
		{PreparedID: p.ID, Values: []exec.Value{intVal(1), intVal(3), intVal(1)}},
		{Query: "INSERT INTO o (k, v) VALUES (1, 1)"},
	}})
	if got := formatResult(nil, err); got != "error 0x2200: Batch with conditions cannot span multiple tables" {
		t.Fatalf("batch over two tables: %s", got)
	}
}

// A SELECT at SERIAL or LOCAL_SERIAL reads one partition, through
// Coordinator.Read at that level.
func TestSerialSelect(t *testing.T) {
	h := newLWTHarness(t, nil)
	h.must("INSERT INTO t (k, c, v) VALUES (1, 1, 1)")
	h.must("INSERT INTO t (k, c, v) VALUES (2, 1, 2)")
	for _, cl := range []exec.Consistency{exec.Serial, exec.LocalSerial} {
		o := func() *exec.QueryOptions { return &exec.QueryOptions{Consistency: cl} }
		if got := h.run("SELECT k, v FROM t WHERE k = 1", o()); got != "k int | v int\n1 | 1" {
			t.Errorf("single partition at %d: %s", cl, got)
		}
		if got := h.run("SELECT k, v FROM t WHERE k IN (2)", o()); got != "k int | v int\n2 | 2" {
			t.Errorf("IN of one partition at %d: %s", cl, got)
		}
		for _, q := range []string{"SELECT * FROM t WHERE k IN (1, 2)", "SELECT * FROM t", "SELECT * FROM t WHERE token(k) > 0"} {
			if got := h.run(q, o()); got != "error 0x2200: SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time" {
				t.Errorf("%s at %d: %s", q, cl, got)
			}
		}
	}
}

// Bound values of conditions: an unset value is refused, except inside
// an IN list, which drops it; null compares with = and != only.
func TestCASBoundValues(t *testing.T) {
	h := newLWTHarness(t, nil)
	h.must("INSERT INTO t (k, c, v) VALUES (1, 1, 5)")
	unset := exec.Value{Unset: true}
	cases := []struct {
		q    string
		vals []exec.Value
		want string
	}{
		{"UPDATE t SET v = 6 WHERE k = 1 AND c = 1 IF v = ?", []exec.Value{unset}, "error 0x2200: Invalid 'unset' value in condition"},
		{"UPDATE t SET v = 6 WHERE k = 1 AND c = 1 IF v IN ?", []exec.Value{unset}, "error 0x2200: Invalid 'unset' value in condition"},
		{"UPDATE t SET v = 6 WHERE k = 1 AND c = 1 IF v IN ?", []exec.Value{{}}, "error 0x2200: Invalid null list in IN condition"},
		{"UPDATE t SET v = 6 WHERE k = 1 AND c = 1 IF v > ?", []exec.Value{{}}, "error 0x2200: Invalid comparison with null for operator \">\""},
		{"UPDATE t SET v = 6 WHERE k = 1 AND c = 1 IF v != ?", []exec.Value{{}}, "[applied] boolean\ntrue"},
		{"UPDATE t SET v = 7 WHERE k = 1 AND c = 1 IF v IN (?, ?)", []exec.Value{unset, intVal(6)}, "[applied] boolean\ntrue"},
		{"UPDATE t SET v = 8 WHERE k = 1 AND c = 1 IF v IN (?, ?)", []exec.Value{unset, {}}, "[applied] boolean | v int\nfalse | 7"},
	}
	for _, c := range cases {
		if got := h.run(c.q, &exec.QueryOptions{SerialConsistency: exec.Serial, Values: c.vals}); got != c.want {
			t.Errorf("%s %v:\n got %s\nwant %s", c.q, c.vals, got, c.want)
		}
	}
}
