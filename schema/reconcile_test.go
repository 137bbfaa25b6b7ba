package schema

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestCompareCells(t *testing.T) {
	live := func(ts int64, v string) Cell {
		return Cell{Timestamp: ts, LocalDeletionTime: NoExpiry, Value: []byte(v)}
	}
	expiring := func(ts int64, exp int64, v string) Cell {
		return Cell{Timestamp: ts, TTL: 10, LocalDeletionTime: exp, Value: []byte(v)}
	}
	tomb := func(ts, ldt int64) Cell { return Cell{Timestamp: ts, Tombstone: true, LocalDeletionTime: ldt} }
	tests := []struct {
		name string
		a, b Cell
		want int
	}{
		{"larger timestamp wins", live(2, "a"), live(1, "z"), 1},
		{"smaller timestamp loses", live(1, "z"), live(2, "a"), -1},
		{"tombstone beats live on tie", tomb(5, 1), live(5, "zzz"), 1},
		{"live loses to tombstone on tie", live(5, "zzz"), tomb(5, 1), -1},
		{"tombstone beats expiring on tie", tomb(5, 1), expiring(5, 100, "a"), 1},
		{"expiring beats non-expiring", expiring(5, 100, "a"), live(5, "zzz"), 1},
		{"later expiry wins", expiring(5, 200, "a"), expiring(5, 100, "z"), 1},
		{"larger value wins", live(5, "b"), live(5, "a"), 1},
		{"longer value wins on common prefix", live(5, "ab"), live(5, "a"), 1},
		{"later tombstone wins", tomb(5, 10), tomb(5, 9), 1},
		{"identical", live(5, "a"), live(5, "a"), 0},
		{"newer live beats older tombstone", live(6, ""), tomb(5, 100), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sign(CompareCells(tt.a, tt.b)); got != tt.want {
				t.Fatalf("CompareCells = %d, want %d", got, tt.want)
			}
			if got := sign(CompareCells(tt.b, tt.a)); got != -tt.want {
				t.Fatalf("CompareCells reversed = %d, want %d", got, -tt.want)
			}
		})
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

func TestBounds(t *testing.T) {
	ck := []byte{0x40, 2, 0x40, 5}
	tests := []struct {
		name string
		s    Slice
		want bool
	}{
		{"full", FullSlice, true},
		{"inclusive prefix", Slice{Start: Bound{Prefix: []byte{0x40, 2}, Inclusive: true}, End: Bound{Prefix: []byte{0x40, 2}, Inclusive: true}}, true},
		{"exclusive start prefix", Slice{Start: Bound{Prefix: []byte{0x40, 2}}, End: Bound{Inclusive: true}}, false},
		{"exclusive end prefix", Slice{Start: Bound{Inclusive: true}, End: Bound{Prefix: []byte{0x40, 2}}}, false},
		{"after", Slice{Start: Bound{Prefix: []byte{0x40, 3}, Inclusive: true}, End: Bound{Inclusive: true}}, false},
		{"before end", Slice{Start: Bound{Inclusive: true}, End: Bound{Prefix: []byte{0x40, 3}}}, true},
		{"exact exclusive", Slice{Start: Bound{Prefix: ck}, End: Bound{Inclusive: true}}, false},
		{"exact inclusive", Slice{Start: Bound{Prefix: ck, Inclusive: true}, End: Bound{Prefix: ck, Inclusive: true}}, true},
	}
	for _, tt := range tests {
		if got := tt.s.Contains(ck); got != tt.want {
			t.Errorf("%s: Contains = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func mkRow(ck byte, cells ...Cell) Row {
	return Row{Clustering: []byte{0x40, ck}, Marker: NoLiveness, Deletion: LiveDeletion, Cells: cells}
}

func TestMergeShadowing(t *testing.T) {
	a := &Partition{Table: 1, Key: []byte("k"), Deletion: LiveDeletion, Rows: []Row{
		mkRow(1, Cell{Column: 1, Timestamp: 10, LocalDeletionTime: NoExpiry, Value: []byte("old")}),
		mkRow(2, Cell{Column: 1, Timestamp: 30, LocalDeletionTime: NoExpiry, Value: []byte("new")}),
	}}
	b := &Partition{Table: 1, Key: []byte("k"), Deletion: Deletion{MarkedAt: 20, LocalDeletionTime: 100}}
	m := Merge(a, b)
	if len(m.Rows) != 1 || !bytes.Equal(m.Rows[0].Clustering, []byte{0x40, 2}) {
		t.Fatalf("Merge kept %+v, want only the row written after the partition deletion", m.Rows)
	}
	if m.Deletion.MarkedAt != 20 {
		t.Fatalf("partition deletion lost: %+v", m.Deletion)
	}
	if !reflect.DeepEqual(Merge(b, a), m) {
		t.Fatalf("Merge is not commutative")
	}
}

func TestMergeRangeTombstone(t *testing.T) {
	rt := RangeTombstone{
		Start:    Bound{Prefix: []byte{0x40, 1}, Inclusive: true},
		End:      Bound{Prefix: []byte{0x40, 2}, Inclusive: false},
		Deletion: Deletion{MarkedAt: 50, LocalDeletionTime: 1},
	}
	a := &Partition{Deletion: LiveDeletion, RangeTombstones: []RangeTombstone{rt}}
	b := &Partition{Deletion: LiveDeletion, Rows: []Row{
		mkRow(1, Cell{Column: 1, Timestamp: 40, LocalDeletionTime: NoExpiry}),
		mkRow(2, Cell{Column: 1, Timestamp: 40, LocalDeletionTime: NoExpiry}),
	}}
	m := Merge(a, b)
	if len(m.Rows) != 1 || m.Rows[0].Clustering[1] != 2 {
		t.Fatalf("rows = %+v, want only row 2 (end bound exclusive)", m.Rows)
	}
}

func TestLiveRows(t *testing.T) {
	p := &Partition{Deletion: LiveDeletion, Rows: []Row{
		{Clustering: []byte{0x40, 1}, Marker: Liveness{Timestamp: 5, TTL: 10, ExpiresAt: 100}, Deletion: LiveDeletion},
		{Clustering: []byte{0x40, 2}, Marker: Liveness{Timestamp: 5, ExpiresAt: NoExpiry}, Deletion: LiveDeletion},
		{Clustering: []byte{0x40, 3}, Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
			{Column: 1, Timestamp: 5, TTL: 10, LocalDeletionTime: 100, Value: []byte("x")},
			{Column: 2, Timestamp: 5, LocalDeletionTime: NoExpiry, Value: []byte("y")},
		}},
		{Clustering: []byte{0x40, 4}, Marker: NoLiveness, Deletion: Deletion{MarkedAt: 9, LocalDeletionTime: 1}, Cells: []Cell{
			{Column: 1, Timestamp: 5, LocalDeletionTime: NoExpiry, Value: []byte("x")},
		}},
		{Clustering: []byte{0x40, 5}, Marker: NoLiveness, Deletion: LiveDeletion,
			ColumnDeletions: []ColumnDeletion{{Column: 3, Deletion: Deletion{MarkedAt: 7, LocalDeletionTime: 1}}},
			Cells: []Cell{
				{Column: 3, Path: []byte{1}, Timestamp: 6, LocalDeletionTime: NoExpiry},
				{Column: 3, Path: []byte{2}, Timestamp: 8, LocalDeletionTime: NoExpiry},
			}},
	}}
	_, before := LiveRows(p, 99)
	if got := clusterings(before); got != "1,2,3,5" {
		t.Fatalf("live rows at 99 = %s, want 1,2,3,5", got)
	}
	_, after := LiveRows(p, 100)
	if got := clusterings(after); got != "2,3,5" {
		t.Fatalf("live rows at 100 = %s, want 2,3,5", got)
	}
	if len(after[1].Cells) != 1 || after[1].Cells[0].Column != 2 {
		t.Fatalf("row 3 cells at 100 = %+v, want only column 2", after[1].Cells)
	}
	if len(after[2].Cells) != 1 || after[2].Cells[0].Path[0] != 2 {
		t.Fatalf("row 5 cells = %+v, want only the element written after the collection deletion", after[2].Cells)
	}
}

func clusterings(rows []Row) string {
	var b bytes.Buffer
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, r.Clustering[len(r.Clustering)-1])
	}
	return b.String()
}

// RandomPartition builds a random fragment of partition key "k" for tests.
func randomFragment(r *rand.Rand) *Partition {
	p := &Partition{Table: 7, Token: 42, Key: []byte("k"), Deletion: LiveDeletion}
	if r.IntN(8) == 0 {
		p.Deletion = Deletion{MarkedAt: r.Int64N(100), LocalDeletionTime: r.Int64N(10)}
	}
	if r.IntN(5) == 0 {
		lo, hi := byte(r.IntN(6)), byte(r.IntN(6))
		p.RangeTombstones = append(p.RangeTombstones, RangeTombstone{
			Start:    Bound{Prefix: []byte{0x40, lo}, Inclusive: r.IntN(2) == 0},
			End:      Bound{Prefix: []byte{0x40, hi}, Inclusive: r.IntN(2) == 0},
			Deletion: Deletion{MarkedAt: r.Int64N(100), LocalDeletionTime: r.Int64N(10)},
		})
	}
	for range r.IntN(3) {
		row := mkRow(byte(r.IntN(6)))
		if r.IntN(3) == 0 {
			row.Marker = Liveness{Timestamp: r.Int64N(100), ExpiresAt: NoExpiry}
		}
		if r.IntN(6) == 0 {
			row.Deletion = Deletion{MarkedAt: r.Int64N(100), LocalDeletionTime: r.Int64N(10)}
		}
		for range r.IntN(3) {
			c := Cell{Column: ColumnID(r.IntN(3)), Timestamp: r.Int64N(100), LocalDeletionTime: NoExpiry, Value: []byte{byte(r.IntN(3))}}
			if r.IntN(4) == 0 {
				c = Cell{Column: c.Column, Timestamp: c.Timestamp, Tombstone: true, LocalDeletionTime: r.Int64N(10)}
			}
			row.Cells = append(row.Cells, c)
		}
		p.Rows = append(p.Rows, row)
	}
	return MergeInOrder(p, nil, false)
}

func TestMergeAlgebra(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		a, b, c := randomFragment(r), randomFragment(r), randomFragment(r)
		ab := Merge(a, b)
		if !reflect.DeepEqual(ab, Merge(b, a)) {
			t.Fatalf("case %d: not commutative:\n%+v\n%+v", i, ab, Merge(b, a))
		}
		left, right := Merge(ab, c), Merge(a, Merge(b, c))
		if !reflect.DeepEqual(left, right) {
			t.Fatalf("case %d: not associative:\n%+v\n%+v", i, left, right)
		}
		if !reflect.DeepEqual(Merge(left, a), left) {
			t.Fatalf("case %d: not idempotent", i)
		}
		// Diff brings a replica up to date.
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

func TestMergeReversed(t *testing.T) {
	a := &Partition{Deletion: LiveDeletion, Rows: []Row{mkRow(3), mkRow(1)}}
	a.Rows[0].Marker = Liveness{Timestamp: 1, ExpiresAt: NoExpiry}
	a.Rows[1].Marker = Liveness{Timestamp: 1, ExpiresAt: NoExpiry}
	b := &Partition{Deletion: LiveDeletion, Rows: []Row{mkRow(2)}}
	b.Rows[0].Marker = Liveness{Timestamp: 1, ExpiresAt: NoExpiry}
	m := MergeInOrder(a, b, true)
	if got := clusterings(m.Rows); got != "3,2,1" {
		t.Fatalf("reversed merge order = %s", got)
	}
}
