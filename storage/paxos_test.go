package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/schema"
)

func ballotAt(micros int64, node byte) Ballot { return Ballot{Micros: micros, Node: [16]byte{node}} }

func paxosRead(table schema.TableID, token int64, key string) *schema.ReadCommand {
	return &schema.ReadCommand{Table: table, Token: token, Key: []byte(key)}
}

// TestPaxosReplicaStateMachine walks one partition through the acceptor's
// rules: promises only go up, a lower ballot is refused with the highest
// seen, an accepted proposal is reported until a commit settles it, and a
// commit lands in the table data together with its record.
func TestPaxosReplicaStateMachine(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, nil)
	cmd := paxosRead(1, 7, "k")
	b1, b2, b3 := ballotAt(100, 1), ballotAt(100, 2), ballotAt(200, 1)

	p, err := e.PaxosPrepare(ctx, b2, cmd)
	if err != nil || !p.Promised || p.Read != nil {
		t.Fatalf("first prepare = %+v, %v; want a promise and no data", p, err)
	}
	if p, err = e.PaxosPrepare(ctx, b1, cmd); err != nil || p.Promised || p.State.Highest() != b2 {
		t.Fatalf("lower prepare = %+v, %v; want a refusal naming %v", p, err, b2)
	}
	if p, err = e.PaxosPrepare(ctx, b2, cmd); err != nil || p.Promised {
		t.Fatalf("repeated prepare = %+v, %v; want a refusal", p, err)
	}
	update := part(1, 7, "k", row(ck(1), marker(100), liveCell(1, 100, "v")))
	if ok, hi, err := e.PaxosPropose(ctx, b1, update); err != nil || ok || hi != b2 {
		t.Fatalf("propose below the promise = %v %v %v; want refused with %v", ok, hi, err, b2)
	}
	if ok, _, err := e.PaxosPropose(ctx, b2, update); err != nil || !ok {
		t.Fatalf("propose at the promise = %v %v; want accepted", ok, err)
	}
	if ps := mustRead(t, e, cmd); len(ps) != 0 {
		t.Fatalf("an accepted proposal is visible in the data: %s", dump(ps))
	}
	// A newer round sees the accepted proposal in progress.
	p, err = e.PaxosPrepare(ctx, b3, cmd)
	if err != nil || !p.Promised || !p.State.InProgress() || p.State.Accepted != b2 {
		t.Fatalf("prepare after accept = %+v, %v; want the proposal at %v in progress", p, err, b2)
	}
	// The newer round finishes it: commit at its own ballot.
	if err := e.PaxosCommit(ctx, b3, update); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(mustRead(t, e, cmd)), dump([]*schema.Partition{update}); got != want {
		t.Fatalf("data after commit = %s, want %s", got, want)
	}
	s, err := e.PaxosStateOf(1, 7, []byte("k"))
	if err != nil || s.InProgress() || s.Committed != b3 || s.Commit == nil || s.Proposal != nil {
		t.Fatalf("state after commit = %+v, %v; want committed at %v, nothing in progress", s, err, b3)
	}
	// A ballot whose microseconds do not pass the commit's is refused even
	// though it is above the promise: its writes would not sort after it.
	if p, err = e.PaxosPrepare(ctx, ballotAt(200, 9), cmd); err != nil || p.Promised {
		t.Fatalf("prepare at the commit's microseconds = %+v, %v; want refused", p, err)
	}
	// An older commit arriving late is applied (idempotent) but does not
	// replace the record.
	if err := e.PaxosCommit(ctx, b2, update); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.PaxosStateOf(1, 7, []byte("k")); s.Committed != b3 {
		t.Fatalf("a late commit replaced the record: %v", s.Committed)
	}
	// A prepare answers with the data it reads after promising.
	p, err = e.PaxosPrepare(ctx, ballotAt(300, 1), cmd)
	if err != nil || !p.Promised || dump([]*schema.Partition{p.Read}) != dump([]*schema.Partition{update}) {
		t.Fatalf("prepare read = %+v, %v", p, err)
	}
}

// TestPaxosStateSurvivesReopen checks that promises and acceptances are
// durable: a replica that restarts still refuses what it refused.
func TestPaxosStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	open := func() *Engine {
		e, err := Open(Options{Dir: "db", FS: fs, PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 4 << 20})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := open()
	cmd := paxosRead(3, -5, "p")
	if p, err := e.PaxosPrepare(ctx, ballotAt(50, 1), cmd); err != nil || !p.Promised {
		t.Fatalf("prepare: %+v %v", p, err)
	}
	prop := part(3, -5, "p", row(ck(2), marker(50)))
	if ok, _, err := e.PaxosPropose(ctx, ballotAt(50, 1), prop); err != nil || !ok {
		t.Fatalf("propose: %v %v", ok, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open()
	defer func() { _ = e.Close() }()
	if p, err := e.PaxosPrepare(ctx, ballotAt(40, 1), cmd); err != nil || p.Promised {
		t.Fatalf("after reopen a lower prepare was promised: %+v %v", p, err)
	}
	p, err := e.PaxosPrepare(ctx, ballotAt(60, 1), cmd)
	if err != nil || !p.Promised || !p.State.InProgress() || dump([]*schema.Partition{p.State.Proposal}) != dump([]*schema.Partition{prop}) {
		t.Fatalf("after reopen the accepted proposal is lost: %+v %v", p, err)
	}
}

// TestPaxosPurge checks that records past gc_grace go, except one whose
// accepted proposal was never committed, and that truncate removes them.
func TestPaxosPurge(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	e := openMem(t, func(o *Options) {
		o.Now = clock.Now
		o.GCGrace = func(schema.TableID) (int64, bool) { return 60, true }
	})
	micros := clock.Now().UnixMicro()
	settled, pending := paxosRead(1, 1, "settled"), paxosRead(1, 2, "pending")
	b := ballotAt(micros, 1)
	for _, cmd := range []*schema.ReadCommand{settled, pending} {
		if p, err := e.PaxosPrepare(ctx, b, cmd); err != nil || !p.Promised {
			t.Fatalf("prepare: %+v %v", p, err)
		}
		up := part(1, cmd.Token, string(cmd.Key), row(ck(1), marker(micros)))
		if ok, _, err := e.PaxosPropose(ctx, b, up); err != nil || !ok {
			t.Fatalf("propose: %v %v", ok, err)
		}
		if cmd == settled {
			if err := e.PaxosCommit(ctx, b, up); err != nil {
				t.Fatal(err)
			}
		}
	}
	exists := func(cmd *schema.ReadCommand) bool {
		_, ok, err := e.get(paxosKey(cmd.Table, cmd.Token, cmd.Key), "test")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if !exists(settled) || !exists(pending) {
		t.Fatal("purge removed paxos state younger than gc_grace")
	}
	clock.Advance(2 * time.Minute)
	if err := e.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if exists(settled) {
		t.Error("purge kept a settled record older than gc_grace")
	}
	if !exists(pending) {
		t.Error("purge removed an accepted proposal that was never committed")
	}
	if err := e.Truncate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if exists(pending) {
		t.Error("truncate kept the table's paxos state")
	}
}

func TestPaxosStateCodec(t *testing.T) {
	s := PaxosState{
		Promised: ballotAt(9, 3), Accepted: ballotAt(8, 2), Proposal: part(4, 1, "a", row(ck(1), marker(8))),
		Committed: ballotAt(7, 1), Commit: part(4, 1, "a"),
	}
	enc := AppendPaxosState(nil, &s)
	got, err := DecodePaxosState(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !equalStates(got, s) {
		t.Fatalf("round trip: %+v, want %+v", got, s)
	}
	for i := range enc {
		if _, err := DecodePaxosState(enc[:i]); !errors.Is(err, ErrCorruptPaxos) {
			t.Fatalf("truncated at %d: err %v, want ErrCorruptPaxos", i, err)
		}
	}
}

func equalStates(a, b PaxosState) bool {
	return string(AppendPaxosState(nil, &a)) == string(AppendPaxosState(nil, &b))
}

func FuzzDecodePaxosState(f *testing.F) {
	f.Add(AppendPaxosState(nil, &PaxosState{Promised: ballotAt(1, 1), Commit: part(1, 1, "k")}))
	f.Add([]byte{paxosStateVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodePaxosState(b)
		if err != nil {
			return
		}
		again, err := DecodePaxosState(AppendPaxosState(nil, &s))
		if err != nil || !equalStates(again, s) {
			t.Fatalf("re-encoding a decoded state does not round-trip: %v", err)
		}
	})
}
