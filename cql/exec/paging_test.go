package exec

import (
	"bytes"
	"testing"
)

func TestPagingStateRoundTrip(t *testing.T) {
	cases := []pagingState{
		{},
		{Key: []byte("k"), Clustering: []byte{1, 2, 3}, KeyIndex: 3, Remaining: 10, PartitionRows: 2},
		{PartitionDone: true, Key: bytes.Repeat([]byte{0xff}, 300)},
	}
	for _, c := range cases {
		got, err := decodePagingState(c.encode())
		if err != nil {
			t.Fatalf("decode(%+v): %v", c, err)
		}
		if got.PartitionDone != c.PartitionDone || !bytes.Equal(got.Key, c.Key) ||
			!bytes.Equal(got.Clustering, c.Clustering) || got.KeyIndex != c.KeyIndex ||
			got.Remaining != c.Remaining || got.PartitionRows != c.PartitionRows {
			t.Fatalf("round trip: got %+v, want %+v", got, c)
		}
	}
}

func TestPagingStateRejectsGarbage(t *testing.T) {
	bad := [][]byte{nil, {1}, {2, 0}, {1, 2}, {1, 0, 5, 'a'}, {1, 0, 0, 0, 0, 0, 0, 0}}
	for _, b := range bad {
		if _, err := decodePagingState(b); err == nil {
			t.Errorf("decode(%x): want error", b)
		}
	}
}

func FuzzPagingState(f *testing.F) {
	f.Add((&pagingState{Key: []byte("k"), Clustering: []byte{1}, Remaining: 4}).encode())
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodePagingState(b)
		if err != nil {
			return
		}
		again, err := decodePagingState(s.encode())
		if err != nil || !bytes.Equal(again.encode(), s.encode()) {
			t.Fatalf("re-encode of %x not stable", b)
		}
	})
}
