package schema

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func samplePartition() *Partition {
	return &Partition{
		Table: 12, Token: math.MinInt64 + 1, Key: []byte("pk\x00x"),
		Deletion: Deletion{MarkedAt: 77, LocalDeletionTime: 1700000000},
		RangeTombstones: []RangeTombstone{{
			Start: Bound{Prefix: []byte{0x40, 1}, Inclusive: true}, End: Bound{Prefix: []byte{0x40, 9}},
			Deletion: Deletion{MarkedAt: 99, LocalDeletionTime: 5},
		}},
		Static: &Row{Marker: NoLiveness, Deletion: LiveDeletion, Cells: []Cell{
			{Column: 3, Timestamp: 1, LocalDeletionTime: NoExpiry, Value: []byte{}},
		}},
		Rows: []Row{{
			Clustering: []byte{0x40, 2},
			Marker:     Liveness{Timestamp: 100, TTL: 60, ExpiresAt: 1700000060},
			Deletion:   Deletion{MarkedAt: 50, LocalDeletionTime: 3},
			ColumnDeletions: []ColumnDeletion{
				{Column: 4, Deletion: Deletion{MarkedAt: 80, LocalDeletionTime: 4}},
			},
			Cells: []Cell{
				{Column: 1, Timestamp: 100, LocalDeletionTime: NoExpiry, Value: []byte("hello")},
				{Column: 2, Timestamp: 101, Tombstone: true, LocalDeletionTime: 1700000001},
				{Column: 4, Path: []byte{0x40, 7}, Timestamp: 102, TTL: 30, LocalDeletionTime: 1700000030, Value: []byte("e")},
			},
		}},
	}
}

func TestPartitionRoundTrip(t *testing.T) {
	for _, p := range []*Partition{samplePartition(), {Deletion: LiveDeletion}} {
		enc := AppendPartition(nil, p)
		got, err := DecodePartition(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
		}
		if again := AppendPartition(nil, got); !bytes.Equal(again, enc) {
			t.Fatalf("re-encoding differs")
		}
	}
}

func TestPartitionRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		p := randomFragment(r)
		got, err := DecodePartition(AppendPartition(nil, p))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
		}
	}
}

func TestDecodePartitionErrors(t *testing.T) {
	enc := AppendPartition(nil, samplePartition())
	for i := range len(enc) {
		if _, err := DecodePartition(enc[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated at %d: err = %v, want ErrCorrupt", i, err)
		}
	}
	if _, err := DecodePartition(append(enc, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: err = %v", err)
	}
	bad := append([]byte(nil), enc...)
	bad[0] = 9
	if _, err := DecodePartition(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad version: err = %v", err)
	}
	// A huge count must be rejected, not allocated.
	huge := []byte{partitionCodecVersion, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if _, err := DecodePartition(huge); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge count: err = %v", err)
	}
}

func sampleReadCommands() []*ReadCommand {
	return []*ReadCommand{
		{Table: 1, Key: []byte("k"), Token: -5, Slices: []Slice{FullSlice, {Start: Bound{Prefix: []byte{0x40, 1}}, End: Bound{Prefix: []byte{0x40, 2}, Inclusive: true}}},
			Reversed: true, Columns: []ColumnID{1, 65535}, Static: true, AfterClustering: []byte{0x40, 1}, Limit: 10, PerPartitionLimit: 2, NowSeconds: 1700000000},
		{Table: 2, StartToken: math.MinInt64, EndToken: math.MinInt64, AfterKey: []byte("a"), PartitionLimit: 5, Columns: []ColumnID{}},
		{Table: 3, StartToken: -7, EndToken: 9, Limit: 3, Index: &IndexRead{Index: 0xfeedbeef, Eq: [][]byte{[]byte("k"), {}}}},
		{Table: 3, StartToken: -7, EndToken: 9, Index: &IndexRead{Index: 1, Lo: &IndexBound{Value: []byte{0, 0, 0, 1}, Inclusive: true}, Hi: &IndexBound{Value: []byte{0, 0, 0, 9}}}},
		{},
	}
}

func TestReadCommandRoundTrip(t *testing.T) {
	for _, c := range sampleReadCommands() {
		got, err := DecodeReadCommand(AppendReadCommand(nil, c))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
		}
	}
}

func FuzzDecodePartition(f *testing.F) {
	f.Add(AppendPartition(nil, samplePartition()))
	f.Add(AppendPartition(nil, &Partition{Deletion: LiveDeletion}))
	f.Add([]byte{partitionCodecVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePartition(data)
		if err != nil {
			return
		}
		enc := AppendPartition(nil, p)
		p2, err := DecodePartition(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("decode(encode(decode(x))) != decode(x)")
		}
		_ = Merge(p, p2)
		_, _ = LiveRows(p, 0)
	})
}

func FuzzDecodeReadCommand(f *testing.F) {
	for _, c := range sampleReadCommands() {
		f.Add(AppendReadCommand(nil, c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeReadCommand(data)
		if err != nil {
			return
		}
		c2, err := DecodeReadCommand(AppendReadCommand(nil, c))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("decode(encode(decode(x))) != decode(x)")
		}
	})
}
