package repair

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

const testTable schema.TableID = 7

// replica is an in-memory RangeReader: one node's partitions by key.
type replica struct {
	mu    sync.Mutex
	parts map[string]*schema.Partition // guarded by mu
}

func newReplica() *replica { return &replica{parts: map[string]*schema.Partition{}} }

func (r *replica) put(p *schema.Partition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parts[string(p.Key)] = schema.Merge(r.parts[string(p.Key)], p)
}

func (r *replica) sorted() []*schema.Partition {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*schema.Partition
	for _, p := range r.parts {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *schema.Partition) int {
		return cmp.Or(cmp.Compare(a.Token, b.Token), bytes.Compare(a.Key, b.Key))
	})
	return out
}

func (r *replica) ScanRange(ctx context.Context, table schema.TableID, rng ring.Range, fn func(*schema.Partition) error) error {
	if rng.Start >= rng.End {
		return fmt.Errorf("scan of wrapping range %s", rng)
	}
	for _, p := range r.sorted() {
		if p.Table == table && rng.Contains(ring.Token(p.Token)) {
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// part makes a partition with one static-free row holding one cell.
func part(key string, ts int64, value string) *schema.Partition {
	return &schema.Partition{
		Table:    testTable,
		Token:    int64(ring.Murmur3Token([]byte(key))),
		Key:      []byte(key),
		Deletion: schema.LiveDeletion,
		Rows: []schema.Row{{
			Clustering: []byte("c"),
			Marker:     schema.NoLiveness,
			Deletion:   schema.LiveDeletion,
			Cells:      []schema.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: schema.NoExpiry, Value: []byte(value)}},
		}},
	}
}

func fill(n int, rs ...*replica) {
	for i := range n {
		p := part(fmt.Sprintf("key%d", i), 100, fmt.Sprintf("v%d", i))
		for _, r := range rs {
			r.put(p)
		}
	}
}

func build(t *testing.T, r *replica, rng ring.Range, depth int) *Tree {
	t.Helper()
	tr, err := Build(context.Background(), r, testTable, rng, depth)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var testRanges = []ring.Range{
	ring.FullRing,
	{Start: -1 << 62, End: 1 << 62},
	{Start: 1 << 62, End: -1 << 62}, // wraps
	{Start: ring.MaxToken - 1000, End: ring.MinToken},
}

func TestIdenticalDataNoDiff(t *testing.T) {
	a, b := newReplica(), newReplica()
	fill(2000, a, b)
	for _, rng := range testRanges {
		for _, depth := range []int{0, 1, 8, 12} {
			ta, tb := build(t, a, rng, depth), build(t, b, rng, depth)
			if d := Diff(ta, tb); d != nil {
				t.Fatalf("range %s depth %d: identical replicas differ in %v", rng, depth, d)
			}
			if ta.Root() != tb.Root() {
				t.Fatalf("range %s depth %d: roots differ", rng, depth)
			}
		}
	}
	if n := build(t, a, ring.FullRing, 8).Partitions(); n != 2000 {
		t.Fatalf("full-ring tree hashed %d partitions, want 2000", n)
	}
}

func TestOneChangedPartitionDiffsExactlyItsLeaf(t *testing.T) {
	for _, change := range []string{"newer-cell", "missing", "extra", "tombstone"} {
		a, b := newReplica(), newReplica()
		fill(3000, a, b)
		key := "key1234"
		switch change {
		case "newer-cell":
			b.put(part(key, 200, "changed"))
		case "missing":
			b.mu.Lock()
			delete(b.parts, key)
			b.mu.Unlock()
		case "extra":
			key = "brand-new-key"
			b.put(part(key, 300, "x"))
		case "tombstone":
			p := part(key, 100, "v1234")
			p.Deletion = schema.Deletion{MarkedAt: 50, LocalDeletionTime: 1}
			b.put(p)
		}
		tok := ring.Murmur3Token([]byte(key))
		for _, rng := range testRanges {
			if !rng.Contains(tok) {
				continue
			}
			ta, tb := build(t, a, rng, 10), build(t, b, rng, 10)
			want := []ring.Range{ta.LeafRange(ta.LeafOf(tok))}
			if got := Diff(ta, tb); !slices.Equal(got, want) {
				t.Fatalf("%s in %s: Diff = %v, want %v", change, rng, got, want)
			}
		}
	}
}

func TestDiffMergesAdjacentLeavesAndIncomparable(t *testing.T) {
	a, b := newReplica(), newReplica()
	rng := ring.Range{Start: 0, End: 1000}
	tr := build(t, a, rng, 3) // leaves of 125 tokens
	for _, tok := range []int64{10, 130, 900} {
		b.put(&schema.Partition{Table: testTable, Token: tok, Key: []byte(fmt.Sprint(tok)), Deletion: schema.Deletion{MarkedAt: 1}})
	}
	tb := build(t, b, rng, 3)
	want := []ring.Range{{Start: 0, End: 250}, {Start: 875, End: 1000}}
	if got := Diff(tr, tb); !slices.Equal(got, want) {
		t.Fatalf("Diff = %v, want %v", got, want)
	}
	other := build(t, b, rng, 4)
	if got := Diff(tr, other); !slices.Equal(got, []ring.Range{rng}) {
		t.Fatalf("incomparable trees: Diff = %v, want the whole range", got)
	}
}

// TestLeavesTileTheRange checks the leaf arithmetic: leaves are
// contiguous, start and end at the range's ends, and LeafOf agrees with
// LeafRange for random tokens, including narrow ranges with empty leaves.
func TestLeavesTileTheRange(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		rng := ring.Range{Start: ring.Token(rnd.Uint64()), End: ring.Token(rnd.Uint64())}
		switch rnd.IntN(4) {
		case 0:
			rng.End = rng.Start + ring.Token(rnd.IntN(40)+1)
		case 1:
			rng.End = rng.Start
		}
		// Leaf arithmetic needs only the range and depth; skip allocating
		// up to 2^21 hashes.
		tr := &Tree{table: testTable, rng: rng, depth: rnd.IntN(MaxDepth + 1)}
		if tr.boundary(0) != rng.Start || tr.boundary(tr.Leaves()) != rng.End {
			t.Fatalf("range %s depth %d: leaves span (%d, %d]", rng, tr.depth, tr.boundary(0), tr.boundary(tr.Leaves()))
		}
		for range 50 {
			tok := rng.Start + 1 + ring.Token(rnd.Uint64()%max(rng.Width(), 1))
			if rng.Width() == 0 {
				tok = ring.Token(rnd.Uint64())
			}
			if !rng.Contains(tok) {
				continue
			}
			leaf := tr.LeafOf(tok)
			if leaf < 0 || leaf >= tr.Leaves() || !tr.LeafRange(leaf).Contains(tok) || tr.LeafRange(leaf).Start == tr.LeafRange(leaf).End && tr.Leaves() > 1 {
				t.Fatalf("range %s depth %d: token %d in leaf %d %s", rng, tr.depth, tok, leaf, tr.LeafRange(leaf))
			}
		}
	}
}

type badReader struct{ parts []*schema.Partition }

func (r badReader) ScanRange(_ context.Context, _ schema.TableID, _ ring.Range, fn func(*schema.Partition) error) error {
	for _, p := range r.parts {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func TestBuildRejectsBadReaders(t *testing.T) {
	p1 := &schema.Partition{Table: testTable, Token: 10, Key: []byte("a")}
	p2 := &schema.Partition{Table: testTable, Token: 5, Key: []byte("b")}
	wrongTable := &schema.Partition{Table: testTable + 1, Token: 20, Key: []byte("c")}
	outside := &schema.Partition{Table: testTable, Token: 5000, Key: []byte("d")}
	rng := ring.Range{Start: 0, End: 1000}
	for name, parts := range map[string][]*schema.Partition{
		"out of order": {p1, p2}, "wrong table": {wrongTable}, "outside": {outside},
	} {
		if _, err := Build(context.Background(), badReader{parts}, testTable, rng, 4); !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("%s: Build returned %v", name, err)
		}
	}
	if _, err := Build(context.Background(), badReader{}, testTable, rng, MaxDepth+1); !errors.Is(err, ErrBadDepth) {
		t.Errorf("depth past MaxDepth: %v", err)
	}
}

func TestTreeCodecRoundTrip(t *testing.T) {
	a := newReplica()
	fill(500, a)
	for _, rng := range testRanges {
		tr := build(t, a, rng, 9)
		enc, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeTree(enc)
		if err != nil {
			t.Fatal(err)
		}
		if back.Root() != tr.Root() || !Comparable(back, tr) || Diff(back, tr) != nil || back.Partitions() != 500 && rng == ring.FullRing {
			t.Fatalf("range %s: decoded tree differs", rng)
		}
		if _, err := DecodeTree(enc[:len(enc)-1]); !errors.Is(err, ErrCorruptTree) {
			t.Fatalf("truncated tree decoded: %v", err)
		}
	}
}

// FuzzDecodeTree: arbitrary bytes either fail to decode or decode to a
// tree that re-encodes and decodes to the same tree.
func FuzzDecodeTree(f *testing.F) {
	a := newReplica()
	fill(50, a)
	for _, depth := range []int{0, 2, 5} {
		tr, _ := Build(context.Background(), a, testTable, ring.FullRing, depth)
		enc, _ := tr.MarshalBinary()
		f.Add(enc)
	}
	f.Add([]byte{1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30})
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeTree(data)
		if err != nil {
			return
		}
		enc, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeTree(enc)
		if err != nil || back.Root() != tr.Root() || Diff(tr, back) != nil || back.Partitions() != tr.Partitions() {
			t.Fatalf("re-decoded tree differs: %v", err)
		}
	})
}

func BenchmarkBuild(b *testing.B) {
	r := newReplica()
	fill(10000, r)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Build(ctx, r, testTable, ring.FullRing, 12); err != nil {
			b.Fatal(err)
		}
	}
}
