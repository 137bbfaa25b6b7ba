package schema

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

var testCounterIDs = []CounterID{{1}, {2}, {3}, {0xff, 9}}

// randomContext is a counter context of random shards of the test ids.
func randomContext(r *rand.Rand) []byte {
	var shards []CounterShard
	for _, id := range testCounterIDs {
		if r.IntN(2) == 0 {
			clock := r.Int64N(5)
			// A leader's timestamps rise with its clock.
			shards = append(shards, CounterShard{ID: id, Clock: clock, Count: r.Int64N(7) - 3, Timestamp: clock*20 + r.Int64N(20)})
		}
	}
	if len(shards) == 0 {
		shards = append(shards, CounterShard{ID: testCounterIDs[0], Clock: 1, Count: 1, Timestamp: 30})
	}
	return AppendCounterContext(nil, shards)
}

// counterCell is a counter cell holding ctx, at its shards' timestamp.
func counterCell(col ColumnID, ctx []byte) Cell {
	shards, _ := DecodeCounterContext(ctx)
	return Cell{Column: col, Timestamp: shardsTimestamp(shards), LocalDeletionTime: NoExpiry, Counter: CounterShards, Value: ctx}
}

// randomCounterFragment is a fragment of a counter table: counter cells,
// cell tombstones, row and partition deletions.
func randomCounterFragment(r *rand.Rand) *Partition {
	p := &Partition{Table: 7, Token: 42, Key: []byte("k"), Deletion: LiveDeletion}
	if r.IntN(10) == 0 {
		p.Deletion = Deletion{MarkedAt: r.Int64N(100), LocalDeletionTime: r.Int64N(10)}
	}
	if r.IntN(3) == 0 {
		p.Static = &Row{Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{counterCell(9, randomContext(r))}}
	}
	for range r.IntN(3) {
		row := mkRow(byte(r.IntN(4)))
		if r.IntN(8) == 0 {
			row.Deletion = Deletion{MarkedAt: r.Int64N(100), LocalDeletionTime: r.Int64N(10)}
		}
		for range r.IntN(3) {
			c := counterCell(ColumnID(r.IntN(3)), randomContext(r))
			if r.IntN(6) == 0 {
				c = Cell{Column: c.Column, Timestamp: r.Int64N(100), Tombstone: true, LocalDeletionTime: r.Int64N(10), Counter: CounterShards}
			}
			row.Cells = append(row.Cells, c)
		}
		p.Rows = append(p.Rows, row)
	}
	return MergeInOrder(p, nil, false)
}

// TestCounterMergeAlgebra: merging counter fragments is commutative,
// associative and idempotent, and Diff brings a replica up to date, on
// random shard sets (the rule every replica, the coordinator and read
// repair rely on never to count an increment twice).
func TestCounterMergeAlgebra(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		a, b, c := randomCounterFragment(r), randomCounterFragment(r), randomCounterFragment(r)
		ab := Merge(a, b)
		if !reflect.DeepEqual(ab, Merge(b, a)) {
			t.Fatalf("case %d: not commutative:\n%+v\n%+v", i, ab, Merge(b, a))
		}
		left, right := Merge(ab, c), Merge(a, Merge(b, c))
		if !reflect.DeepEqual(left, right) {
			t.Fatalf("case %d: not associative:\n%+v\n%+v", i, left, right)
		}
		if !reflect.DeepEqual(Merge(left, a), left) || !reflect.DeepEqual(Merge(left, left), left) {
			t.Fatalf("case %d: not idempotent:\n%s\n%s\n%s", i, dump(left), dump(Merge(left, a)), dump(Merge(left, left)))
		}
		if d := Diff(left, a); d != nil {
			if got := Merge(a, d); !reflect.DeepEqual(got, left) {
				t.Fatalf("case %d: Merge(replica, Diff) != merged:\n%+v\n%+v", i, got, left)
			}
		} else if !reflect.DeepEqual(Merge(a, nil), left) {
			t.Fatalf("case %d: Diff nil but replica differs", i)
		}
		if d := Diff(left, left); d != nil {
			t.Fatalf("case %d: Diff of equal partitions = %+v", i, d)
		}
	}
}

// TestCounterShardMergeLaws checks the shard merge on its own, with the
// sum it implies: the union of ids, the larger clock per id.
func TestCounterShardMergeLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		a, b, c := randomContext(r), randomContext(r), randomContext(r)
		must := func(x, y []byte) []byte {
			m, err := MergeCounterContexts(x, y)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		ab := must(a, b)
		if !bytes.Equal(ab, must(b, a)) || !bytes.Equal(must(ab, c), must(a, must(b, c))) || !bytes.Equal(must(ab, ab), ab) {
			t.Fatalf("case %d: shard merge laws fail for %x %x %x", i, a, b, c)
		}
		sa, _ := DecodeCounterContext(a)
		sb, _ := DecodeCounterContext(b)
		sm, _ := DecodeCounterContext(ab)
		for _, s := range sm {
			x, inA := FindCounterShard(sa, s.ID)
			y, inB := FindCounterShard(sb, s.ID)
			switch {
			case !inA && !inB:
				t.Fatalf("case %d: merged shard %x from nowhere", i, s.ID)
			case inA && inB && s != x && s != y, inA && !inB && s != x, inB && !inA && s != y:
				t.Fatalf("case %d: merged shard %+v is neither input's", i, s)
			case inA && shardWins(x, s), inB && shardWins(y, s):
				t.Fatalf("case %d: merged shard %+v loses to an input's", i, s)
			}
		}
	}
}

func TestCounterTombstoneAlwaysWins(t *testing.T) {
	live := counterCell(1, AppendCounterContext(nil, []CounterShard{{ID: CounterID{1}, Clock: 1, Count: 5, Timestamp: 100}}))
	dead := Cell{Column: 1, Timestamp: 10, Tombstone: true, LocalDeletionTime: 3}
	for _, got := range []Cell{ReconcileCells(live, dead), ReconcileCells(dead, live)} {
		if !got.Tombstone {
			t.Fatalf("an older tombstone lost to a counter cell: %+v", got)
		}
	}
	// A row deletion shadows by timestamp, as for any cell.
	p := &Partition{Deletion: LiveDeletion, Rows: []Row{{Clustering: []byte{1}, Marker: NoLiveness, Cells: []Cell{live},
		Deletion: Deletion{MarkedAt: 99, LocalDeletionTime: 3}}}}
	if _, rows := LiveRows(Merge(p, nil), 5); len(rows) != 1 {
		t.Fatalf("a counter cell newer than its row deletion was shadowed")
	}
}

func TestCounterDeltasSum(t *testing.T) {
	d := func(n int64, ts int64) Cell {
		return Cell{Column: 1, Timestamp: ts, LocalDeletionTime: NoExpiry, Counter: CounterDelta, Value: CounterDeltaValue(n)}
	}
	got := ReconcileCells(d(2, 5), d(-7, 9))
	if n, err := CounterDeltaOf(&got); err != nil || n != -5 || got.Timestamp != 9 {
		t.Fatalf("two deltas of a batch: %d at %d (%v), want -5 at 9", n, got.Timestamp, err)
	}
}

// TestApplyCounterDeltas is the leader's step: the leader's own shard
// advances from what it holds; other leaders' shards are left alone.
func TestApplyCounterDeltas(t *testing.T) {
	self, other := CounterID{1}, CounterID{2}
	mut := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion,
		Static: &Row{Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
			{Column: 9, Timestamp: 50, LocalDeletionTime: NoExpiry, Counter: CounterDelta, Value: CounterDeltaValue(4)}}},
		Rows: []Row{{Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
			{Column: 1, Timestamp: 50, LocalDeletionTime: NoExpiry, Counter: CounterDelta, Value: CounterDeltaValue(-3)}}}}}
	cmd := CounterReadCommand(mut, 0)
	if !cmd.Static || len(cmd.Slices) != 1 || !reflect.DeepEqual(cmd.Columns, []ColumnID{1, 9}) {
		t.Fatalf("leader's read: %+v", cmd)
	}
	current := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion,
		Rows: []Row{{Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
			{Column: 1, Timestamp: 40, LocalDeletionTime: NoExpiry, Counter: CounterShards,
				Value: AppendCounterContext(nil, []CounterShard{{ID: self, Clock: 70, Count: 10, Timestamp: 40}, {ID: other, Clock: 3, Count: 100, Timestamp: 30}})}}}}}
	out, err := ApplyCounterDeltas(mut, current, self, 0)
	if err != nil {
		t.Fatal(err)
	}
	if mut.Rows[0].Cells[0].Counter != CounterDelta {
		t.Fatalf("ApplyCounterDeltas changed its input")
	}
	check := func(c Cell, want CounterShard) {
		t.Helper()
		shards, err := DecodeCounterContext(c.Value)
		if err != nil || c.Counter != CounterShards || !reflect.DeepEqual(shards, []CounterShard{want}) {
			t.Fatalf("leader wrote %+v (%v), want only %+v", shards, err, want)
		}
	}
	check(out.Rows[0].Cells[0], CounterShard{ID: self, Clock: 71, Count: 7, Timestamp: 50})
	// No shard yet: the first one.
	check(out.Static.Cells[0], CounterShard{ID: self, Clock: 1, Count: 4, Timestamp: 50})
	merged := Merge(current, out)
	if v, _ := CounterValue(merged.Rows[0].Cells[0].Value); v != 107 {
		t.Fatalf("merged counter = %d, want 107", v)
	}
}

func TestDecodeCounterContextRefuses(t *testing.T) {
	good := AppendCounterContext(nil, []CounterShard{{ID: CounterID{1}}, {ID: CounterID{2}}})
	swapped := append(append([]byte{}, good[CounterShardSize:]...), good[:CounterShardSize]...)
	for _, b := range [][]byte{good[:5], swapped, append(good[:CounterShardSize:CounterShardSize], good[:CounterShardSize]...)} {
		if _, err := DecodeCounterContext(b); err == nil {
			t.Errorf("accepted %x", b)
		}
	}
	if v, err := CounterValue(AppendCounterContext(nil, []CounterShard{{ID: CounterID{1}, Count: math.MaxInt64}, {ID: CounterID{2}, Count: 1}})); err != nil || v != math.MinInt64 {
		t.Errorf("sum wraps as a Java long: got %d, %v", v, err)
	}
}

// TestPartitionCodecCounterCells: the counter kind survives the internode
// and hint codec, and version 1's tombstone byte decodes as before.
func TestPartitionCodecCounterCells(t *testing.T) {
	p := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion, Rows: []Row{{Clustering: []byte{1}, Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
		{Column: 1, Timestamp: 5, LocalDeletionTime: NoExpiry, Counter: CounterDelta, Value: CounterDeltaValue(-2)},
		{Column: 2, Timestamp: 5, LocalDeletionTime: NoExpiry, Counter: CounterShards, Value: randomContext(rand.New(rand.NewPCG(1, 1)))},
		{Column: 3, Timestamp: 5, Tombstone: true, LocalDeletionTime: 7},
	}}}}
	got, err := DecodePartition(AppendPartition(nil, p))
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	enc := AppendPartition(nil, p)
	// The flags byte of the tombstone cell is 1, as version 1's bool.
	tomb := &Partition{Table: 7, Key: []byte("k"), Rows: []Row{{Cells: []Cell{p.Rows[0].Cells[2]}}}}
	if b := AppendPartition(nil, tomb); !bytes.Contains(b, []byte{1, 0}) {
		t.Fatalf("tombstone flags changed: %x", b)
	}
	bad := bytes.Clone(enc)
	for i := range bad {
		if bad[i] == byte(CounterDelta)<<cellFlagCounterBit {
			bad[i] = 0x80
		}
	}
	if _, err := DecodePartition(bad); err == nil {
		t.Fatalf("unknown cell flags accepted")
	}
}

// FuzzDecodeCounterContext: the counter context decoder refuses what is
// not canonical and never panics; what it accepts re-encodes to itself.
func FuzzDecodeCounterContext(f *testing.F) {
	f.Add(AppendCounterContext(nil, []CounterShard{{ID: CounterID{1}, Clock: 2, Count: -3}, {ID: CounterID{4}, Clock: 5, Count: 6}}))
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		shards, err := DecodeCounterContext(b)
		if err != nil {
			return
		}
		if enc := AppendCounterContext(nil, shards); !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding %x gave %x", b, enc)
		}
		m, err := MergeCounterContexts(b, b)
		if err != nil || !bytes.Equal(m, b) {
			t.Fatalf("merging %x with itself gave %x, %v", b, m, err)
		}
	})
}

func dump(p *Partition) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "del %+v rts %+v\n", p.Deletion, p.RangeTombstones)
	rows := p.Rows
	if p.Static != nil {
		rows = append([]Row{*p.Static}, rows...)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "  row %x del %+v\n", r.Clustering, r.Deletion)
		for _, c := range r.Cells {
			shards, _ := DecodeCounterContext(c.Value)
			fmt.Fprintf(&b, "    cell %d ts %d tomb %v %+v\n", c.Column, c.Timestamp, c.Tombstone, shards)
		}
	}
	return b.String()
}

// TestCounterRestartAfterRowDeletion: once a row deletion shadows the
// leader's shard, the leader starts a new one (clock 1) that beats the old
// one wherever they meet, with or without the deletion.
func TestCounterRestartAfterRowDeletion(t *testing.T) {
	self := CounterID{1}
	old := counterCell(1, AppendCounterContext(nil, []CounterShard{{ID: self, Clock: 1000, Count: 5, Timestamp: 40}}))
	held := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion, Rows: []Row{{Clustering: []byte{1}, Marker: NoLiveness,
		Deletion: Deletion{MarkedAt: 50, LocalDeletionTime: 1}, Cells: []Cell{old}}}}
	mut := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion, Rows: []Row{{Clustering: []byte{1}, Marker: NoLiveness, Deletion: LiveDeletion,
		Cells: []Cell{{Column: 1, Timestamp: 60, LocalDeletionTime: NoExpiry, Counter: CounterDelta, Value: CounterDeltaValue(3)}}}}}
	out, err := ApplyCounterDeltas(mut, held, self, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A replica that missed the deletion but holds the old shard.
	stale := &Partition{Table: 7, Key: []byte("k"), Deletion: LiveDeletion, Rows: []Row{{Clustering: []byte{1}, Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{old}}}}
	for _, p := range []*Partition{Merge(held, out), Merge(stale, out), Merge(Merge(stale, out), held)} {
		_, rows := LiveRows(p, 0)
		if len(rows) != 1 || len(rows[0].Cells) != 1 {
			t.Fatalf("live rows %+v", rows)
		}
		if v, _ := CounterValue(rows[0].Cells[0].Value); v != 3 {
			t.Fatalf("after the deletion and +3 the counter reads %d, want 3", v)
		}
	}
}
