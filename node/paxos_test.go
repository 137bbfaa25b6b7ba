package node

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

func TestBallotClockIsMonotonicAndOutbidsWhatItSees(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newBallotClock(ring.HostID{1}, clock)
	a := c.next()
	b := c.next() // same wall-clock microsecond
	if b.Compare(a) <= 0 || b.Micros != a.Micros+1 {
		t.Fatalf("second ballot %v does not follow %v by one microsecond", b, a)
	}
	mu.Lock()
	now = now.Add(-time.Hour) // the wall clock steps back
	mu.Unlock()
	if d := c.next(); d.Compare(b) <= 0 {
		t.Fatalf("ballot %v after the clock stepped back is not above %v", d, b)
	}
	seen := storage.Ballot{Micros: a.Micros + 1_000_000, Node: [16]byte{9}}
	c.observe(seen)
	c.observe(storage.Ballot{Micros: 5}) // an old one changes nothing
	if e := c.next(); e.Micros <= seen.Micros || e.Node != [16]byte{1} {
		t.Fatalf("ballot %v after observing %v: want higher micros and this node's id", e, seen)
	}
	// Concurrent callers never get the same ballot.
	var wg sync.WaitGroup
	got := make(chan int64, 800)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				got <- c.next().Micros
			}
		}()
	}
	wg.Wait()
	close(got)
	seenMicros := make(map[int64]bool)
	for m := range got {
		if seenMicros[m] {
			t.Fatalf("ballot micros %d handed out twice", m)
		}
		seenMicros[m] = true
	}
}

func TestPaxosCodecsRoundTrip(t *testing.T) {
	b := storage.Ballot{Micros: 42, Node: [16]byte{7}}
	p := &schema.Partition{Table: 3, Token: -9, Key: []byte("k"), Deletion: schema.LiveDeletion}
	promise := storage.PaxosPromise{Promised: true, Read: p,
		State: storage.PaxosState{Promised: b, Accepted: b, Proposal: p, Committed: storage.Ballot{Micros: 1}, Commit: p}}
	got, err := decodePromise(encodePromise(nil, promise))
	if err != nil || string(encodePromise(nil, got)) != string(encodePromise(nil, promise)) {
		t.Fatalf("promise round trip: %+v, %v", got, err)
	}
	ok, hi, err := decodeAcceptance(encodeAcceptance(nil, true, b))
	if err != nil || !ok || hi != b {
		t.Fatalf("acceptance round trip: %v %v %v", ok, hi, err)
	}
	gb, gp, err := decodeBallotPartition(appendBallotPartition(nil, b, p))
	if err != nil || gb != b || string(schema.AppendPartition(nil, gp)) != string(schema.AppendPartition(nil, p)) {
		t.Fatalf("ballot+partition round trip: %v %+v %v", gb, gp, err)
	}
}

func FuzzDecodePromise(f *testing.F) {
	p := &schema.Partition{Table: 3, Token: -9, Key: []byte("k")}
	f.Add(encodePromise(nil, storage.PaxosPromise{Promised: true, Read: p, State: storage.PaxosState{Commit: p}}))
	f.Add([]byte{3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pr, err := decodePromise(b)
		if err != nil {
			return
		}
		if _, err := decodePromise(encodePromise(nil, pr)); err != nil {
			t.Fatalf("re-encoding a decoded promise fails: %v", err)
		}
	})
}

func FuzzDecodeAcceptance(f *testing.F) {
	f.Add(encodeAcceptance(nil, true, storage.Ballot{Micros: 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, hi, err := decodeAcceptance(b)
		if err != nil {
			return
		}
		if ok2, hi2, err := decodeAcceptance(encodeAcceptance(nil, ok, hi)); err != nil || ok2 != ok || hi2 != hi {
			t.Fatalf("re-encoding changed (%v, %v)", ok, hi)
		}
	})
}

func FuzzDecodeBallotPartition(f *testing.F) {
	f.Add(appendBallotPartition(nil, storage.Ballot{Micros: 3}, &schema.Partition{Table: 1, Key: []byte("k")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ballot, p, err := decodeBallotPartition(b)
		if err != nil {
			return
		}
		if _, _, err := decodeBallotPartition(appendBallotPartition(nil, ballot, p)); err != nil {
			t.Fatalf("re-encoding fails: %v", err)
		}
	})
}

// casRegister is a table ks.reg (k int PRIMARY KEY, v bigint) seen from
// the coordinator: compare-and-set of v per key, and SERIAL reads.
type casRegister struct {
	table *schema.Table
	v     schema.ColumnID
}

func newCASRegister(t *testing.T, nodes []*clusterNode) casRegister {
	t.Helper()
	nodes[0].mustQuery(t, exec.One, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	nodes[0].mustQuery(t, exec.One, "CREATE TABLE ks.reg (k int PRIMARY KEY, v bigint)")
	testutil.WaitFor(t, 10*time.Second, "schema agreement", func() bool { return agreed(nodes) })
	tbl := nodes[0].schema.Catalog().Table("ks", "reg")
	return casRegister{table: tbl, v: tbl.Column("v").ID}
}

func (r casRegister) read(k int32) *schema.ReadCommand {
	key := binary.BigEndian.AppendUint32(nil, uint32(k))
	return &schema.ReadCommand{Table: r.table.TableID, Key: key, Token: int64(ring.Murmur3Token(key))}
}

// value returns v in p, and whether the row exists.
func (r casRegister) value(p *schema.Partition) (int64, bool) {
	if p == nil {
		return 0, false
	}
	_, rows := schema.LiveRows(p, time.Now().Unix())
	for _, row := range rows {
		for _, c := range row.Cells {
			if c.Column == r.v && len(c.Value) == 8 {
				return int64(binary.BigEndian.Uint64(c.Value)), true
			}
		}
	}
	return 0, false
}

// cas sets v to next if it is expected now (absent counts as 0).
func (r casRegister) cas(ctx context.Context, c *Coordinator, k int32, expected, next int64) (bool, error) {
	cmd := r.read(k)
	res, err := c.CAS(ctx, &exec.CASRequest{Read: cmd, Serial: exec.Serial, Commit: exec.Quorum,
		Decide: func(cur *schema.Partition, ts int64) (*schema.Partition, error) {
			if v, _ := r.value(cur); v != expected {
				return nil, nil
			}
			return &schema.Partition{Table: cmd.Table, Token: cmd.Token, Key: cmd.Key, Deletion: schema.LiveDeletion,
				Rows: []schema.Row{{Marker: schema.Liveness{Timestamp: ts, ExpiresAt: schema.NoExpiry}, Deletion: schema.LiveDeletion,
					Cells: []schema.Cell{{Column: r.v, Timestamp: ts, LocalDeletionTime: schema.NoExpiry,
						Value: binary.BigEndian.AppendUint64(nil, uint64(next))}}}}}, nil
		}})
	return res.Applied, err
}

func (r casRegister) serialRead(ctx context.Context, c *Coordinator, k int32) (int64, error) {
	parts, err := c.Read(ctx, exec.Serial, r.read(k))
	if err != nil || len(parts) == 0 {
		return 0, err
	}
	v, _ := r.value(parts[0])
	return v, nil
}

// Increments by compare-and-set from every node at once: the final value
// is exactly the number of CAS that reported applied, so no two applied
// CAS read the same value and none was lost.
func TestPaxosConcurrentIncrementsFromThreeCoordinators(t *testing.T) {
	nodes := startThreeNodes(t)
	reg := newCASRegister(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const perClient = 15
	var applied, unknown atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		coord := nodes[i%3].coord
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < perClient; {
				cur, err := reg.serialRead(ctx, coord, 1)
				if err != nil {
					if isTimeout(err) {
						continue
					}
					errs <- err
					return
				}
				ok, err := reg.cas(ctx, coord, 1, cur, cur+1)
				switch {
				case isTimeout(err):
					unknown.Add(1) // may or may not be applied
					done++
				case err != nil:
					errs <- err
					return
				case ok:
					applied.Add(1)
					done++
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final, err := reg.serialRead(ctx, nodes[0].coord, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d applied, %d unknown, final value %d", applied.Load(), unknown.Load(), final)
	if final < applied.Load() || final > applied.Load()+unknown.Load() {
		t.Fatalf("final value %d, want between %d applied and %d applied+unknown", final, applied.Load(), applied.Load()+unknown.Load())
	}
	if applied.Load() == 0 {
		t.Fatal("no CAS applied")
	}
	// Every replica holds the final value once a quorum read repairs it.
	res := nodes[1].mustQuery(t, exec.All, "SELECT v FROM ks.reg WHERE k = 1")
	if rows, ok := res.(*exec.RowsResult); !ok || len(rows.Rows) != 1 {
		t.Fatalf("SELECT at ALL = %v", res)
	}
}

func isTimeout(err error) bool {
	var e *exec.Error
	return errors.As(err, &e) && (e.Code == exec.CodeWriteTimeout || e.Code == exec.CodeReadTimeout)
}

// With one node of three down a quorum still runs transactions; with two
// down, CAS and SERIAL reads are Unavailable.
func TestPaxosNodesDown(t *testing.T) {
	nodes := startThreeNodes(t)
	reg := newCASRegister(t, nodes)
	a, b, c := nodes[0], nodes[1], nodes[2]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if ok, err := reg.cas(ctx, a.coord, 7, 0, 1); err != nil || !ok {
		t.Fatalf("first CAS: %v %v", ok, err)
	}
	c.stop()
	testutil.WaitFor(t, 10*time.Second, "the others to see 127.0.0.3 down", func() bool { return a.upPeers() == 1 && b.upPeers() == 1 })
	if ok, err := reg.cas(ctx, b.coord, 7, 1, 2); err != nil || !ok {
		t.Fatalf("CAS with one node down: %v %v", ok, err)
	}
	if ok, err := reg.cas(ctx, a.coord, 7, 1, 5); err != nil || ok {
		t.Fatalf("CAS with a stale expectation: applied=%v err=%v, want not applied", ok, err)
	}
	if v, err := reg.serialRead(ctx, a.coord, 7); err != nil || v != 2 {
		t.Fatalf("SERIAL read with one node down = %d, %v; want 2", v, err)
	}
	b.stop()
	testutil.WaitFor(t, 10*time.Second, "127.0.0.1 to see both others down", func() bool { return a.upPeers() == 0 })
	_, err := reg.cas(ctx, a.coord, 7, 2, 3)
	wantUnavailable(t, err, 2, 1)
	_, err = reg.serialRead(ctx, a.coord, 7)
	wantUnavailable(t, err, 2, 1)
}

// Verb numbers travel on the wire: the Paxos verbs must not reuse
// another's.
func TestPaxosVerbNumbersAreUnique(t *testing.T) {
	verbs := map[uint8]string{}
	for _, v := range []struct {
		n    uint8
		name string
	}{
		{verbApply, "apply"}, {verbRead, "read"}, {verbTruncate, "truncate"}, {verbTokens, "tokens"},
		{verbSchemaPull, "schema pull"}, {verbSchemaPush, "schema push"}, {verbStreamRange, "stream"},
		{verbRemoveNode, "remove node"}, {verbRepairTree, "repair tree"},
		{verbPaxosPrepare, "prepare"}, {verbPaxosPropose, "propose"}, {verbPaxosCommit, "commit"},
	} {
		if other, dup := verbs[v.n]; dup {
			t.Fatalf("verb %d is both %s and %s", v.n, other, v.name)
		}
		verbs[v.n] = v.name
	}
}

// A proposal accepted by a quorum is decided even if its coordinator died
// before committing: the next transaction on the partition, through any
// node, must finish it and see its value, and every replica then holds it.
func TestPaxosFinishesADecidedProposal(t *testing.T) {
	nodes := startThreeNodes(t)
	reg := newCASRegister(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := reg.read(3)
	ballot := storage.Ballot{Micros: time.Now().UnixMicro(), Node: [16]byte{0xdd}}
	update := &schema.Partition{Table: cmd.Table, Token: cmd.Token, Key: cmd.Key, Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{Marker: schema.Liveness{Timestamp: ballot.Micros, ExpiresAt: schema.NoExpiry}, Deletion: schema.LiveDeletion,
			Cells: []schema.Cell{{Column: reg.v, Timestamp: ballot.Micros, LocalDeletionTime: schema.NoExpiry,
				Value: binary.BigEndian.AppendUint64(nil, 42)}}}}}
	// A coordinator that is gone got promises and acceptances from the
	// second and third nodes, and no further.
	for _, n := range nodes[1:] {
		if p, err := n.engine.PaxosPrepare(ctx, ballot, cmd); err != nil || !p.Promised {
			t.Fatalf("prepare on %s: %+v %v", n.addr, p, err)
		}
		if ok, _, err := n.engine.PaxosPropose(ctx, ballot, update); err != nil || !ok {
			t.Fatalf("propose on %s: %v %v", n.addr, ok, err)
		}
	}
	if v, err := reg.serialRead(ctx, nodes[0].coord, 3); err != nil || v != 42 {
		t.Fatalf("SERIAL read after a decided proposal = %d, %v; want 42", v, err)
	}
	if ok, err := reg.cas(ctx, nodes[0].coord, 3, 0, 7); err != nil || ok {
		t.Fatalf("CAS from the value before the decided proposal: applied=%v err=%v, want not applied", ok, err)
	}
	// The finishing commit went to every replica.
	for _, n := range nodes {
		testutil.WaitFor(t, 10*time.Second, n.addr+" to hold the finished proposal", func() bool {
			parts, err := n.engine.Read(ctx, cmd)
			if err != nil || len(parts) == 0 {
				return false
			}
			v, ok := reg.value(parts[0])
			return ok && v == 42
		})
	}
}

// SERIAL counts a quorum of every data center's replicas, LOCAL_SERIAL of
// the local data center's only, and each is Unavailable with Cassandra's
// counts when its replicas are down.
func TestPaxosPlanQuorums(t *testing.T) {
	b := ring.NewBuilder(nil)
	for i := 1; i <= 4; i++ {
		dc := "dc1"
		if i > 2 {
			dc = "dc2"
		}
		b.Upsert(ring.Node{ID: ring.HostID{15: byte(i)}, DC: dc, Rack: "r1", Status: ring.StatusNormal,
			Tokens: []ring.Token{ring.Token(int64(i) * 1000)}})
	}
	snap, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	down := map[ring.HostID]bool{}
	c := newCoordinator(coordinatorConfig{
		Self: ring.HostID{15: 1}, LocalDC: "dc1",
		Ring: func() *ring.Snapshot { return snap },
		Placement: func(schema.TableID) (placement, error) {
			return placement{keyspace: "ks", strategy: ring.NetworkTopologyStrategy{RF: map[string]int{"dc1": 2, "dc2": 2}}}, nil
		},
		Peer:    func(id ring.HostID) (replica, bool) { return nil, !down[id] },
		Metrics: newCoordinatorMetrics(nil),
	})
	cmd := &schema.ReadCommand{Table: 1, Key: []byte("k"), Token: 1}
	plan, err := c.paxosPlan(cmd, exec.Serial, exec.Quorum)
	if err != nil || len(plan.participants) != 4 || blockFor(plan.needs) != 3 {
		t.Fatalf("SERIAL plan: %d participants, block for %d, %v; want 4 and 3", len(plan.participants), blockFor(plan.needs), err)
	}
	plan, err = c.paxosPlan(cmd, exec.LocalSerial, exec.LocalQuorum)
	if err != nil || len(plan.participants) != 2 || blockFor(plan.needs) != 2 || len(plan.everyone) != 4 {
		t.Fatalf("LOCAL_SERIAL plan: %d participants, block for %d, commit to %d, %v; want 2, 2 and 4",
			len(plan.participants), blockFor(plan.needs), len(plan.everyone), err)
	}
	down[ring.HostID{15: 3}], down[ring.HostID{15: 4}] = true, true
	if _, err := c.paxosPlan(cmd, exec.LocalSerial, exec.LocalQuorum); err != nil {
		t.Fatalf("LOCAL_SERIAL with the other data center down: %v", err)
	}
	_, err = c.paxosPlan(cmd, exec.Serial, exec.LocalQuorum)
	wantUnavailable(t, err, 3, 2)
	down[ring.HostID{15: 3}], down[ring.HostID{15: 4}], down[ring.HostID{15: 2}] = false, false, true
	_, err = c.paxosPlan(cmd, exec.LocalSerial, exec.One)
	wantUnavailable(t, err, 2, 1)
	// The commit's own level is checked before any round.
	_, err = c.paxosPlan(cmd, exec.Serial, exec.All)
	wantUnavailable(t, err, 4, 3)
}
