package storage

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

func TestEscaping(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, "0001"},
		{[]byte{0}, "00ff0001"},
		{[]byte("a\x00b"), "6100ff620001"},
		{[]byte{0xff, 0}, "ff00ff0001"},
	}
	for _, tt := range tests {
		got := appendEscaped(nil, tt.in)
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("escape %x = %x, want %s", tt.in, got, tt.want)
		}
		dec, rest, err := decodeEscaped(nil, append(got, 0x42))
		if err != nil || !bytes.Equal(dec, tt.in) || !bytes.Equal(rest, []byte{0x42}) {
			t.Errorf("decode %x = %x %x %v", got, dec, rest, err)
		}
	}
	for _, bad := range []string{"", "61", "6100", "610002"} {
		b, _ := hex.DecodeString(bad)
		if _, _, err := decodeEscaped(nil, b); err == nil {
			t.Errorf("decodeEscaped(%s) accepted", bad)
		}
	}
}

// Escaped strings sort like the raw ones and none is a prefix of another.
func TestEscapingOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var raws [][]byte
	for range 300 {
		b := make([]byte, r.IntN(4))
		for i := range b {
			b[i] = []byte{0, 1, 0xff}[r.IntN(3)]
		}
		raws = append(raws, b)
	}
	for _, a := range raws {
		for _, b := range raws {
			ea, eb := appendEscaped(nil, a), appendEscaped(nil, b)
			if sign(bytes.Compare(ea, eb)) != sign(bytes.Compare(a, b)) {
				t.Fatalf("order of %x vs %x not preserved", a, b)
			}
			if !bytes.Equal(a, b) && bytes.HasPrefix(eb, ea) {
				t.Fatalf("%x is a prefix of %x", ea, eb)
			}
		}
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

func TestTokenOrder(t *testing.T) {
	toks := []int64{math.MinInt64, -1 << 40, -1, 0, 1, 1 << 40, math.MaxInt64}
	var keys [][]byte
	for _, tok := range toks {
		k := appendToken(nil, tok)
		if decodeToken(k) != tok {
			t.Fatalf("token %d round trip = %d", tok, decodeToken(k))
		}
		keys = append(keys, k)
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 }) {
		t.Fatal("token encoding does not sort in token order")
	}
}

func TestKeyLayout(t *testing.T) {
	pp := appendPartitionPrefix(nil, 0x01020304, -1, []byte("k\x00"))
	if got := hex.EncodeToString(pp); got != "10010203047fffffffffffffff6b00ff0001" {
		t.Fatalf("partition prefix = %s", got)
	}
	rowK := appendCellSub(appendRowPrefix(append([]byte(nil), pp...), false, ck(7)), 0x0102, []byte{0x40, 9})
	if got := hex.EncodeToString(rowK[len(pp):]); got != "3040070001020102"+"4009" {
		t.Fatalf("cell key suffix = %s", got)
	}
	info, err := splitPartitionKey(rowK)
	if err != nil || info.table != 0x01020304 || info.token != -1 || !bytes.Equal(info.prefix, pp) {
		t.Fatalf("splitPartitionKey = %+v, %v", info, err)
	}
	var rk rowKey
	if _, err := decodeRowSuffix(info.rest, nil, &rk); err != nil || rk.sub != subCell || rk.column != 0x0102 ||
		!bytes.Equal(rk.clustering, ck(7)) || !bytes.Equal(rk.path, []byte{0x40, 9}) {
		t.Fatalf("decodeRowSuffix = %+v, %v", rk, err)
	}
	// Regions sort header < range tombstones < static < rows, and every
	// partition's keys sit inside its prefix successor.
	keys := [][]byte{
		appendHeaderKey(append([]byte(nil), pp...)),
		appendRangeTombstoneKey(append([]byte(nil), pp...), &schema.RangeTombstone{}),
		append(appendRowPrefix(append([]byte(nil), pp...), true, nil), subHeader),
		append(appendRowPrefix(append([]byte(nil), pp...), false, nil), subHeader),
		rowK,
	}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(keys[i-1], keys[i]) >= 0 {
			t.Fatalf("key %d (%x) does not sort before key %d (%x)", i-1, keys[i-1], i, keys[i])
		}
	}
	if succ := prefixSuccessor(nil, pp); bytes.Compare(keys[len(keys)-1], succ) >= 0 {
		t.Fatal("partition key beyond its prefix successor")
	}
	// Reserved spaces never overlap table data.
	start, _ := tableSpan(0)
	for _, k := range [][]byte{localKey("x"), catalogKey, hintKey(HostID{0xff}, math.MaxUint64)} {
		if bytes.Compare(k, start) >= 0 {
			t.Fatalf("reserved key %x inside table space", k)
		}
	}
}

func TestRangeTombstoneKeyRoundTrip(t *testing.T) {
	for _, rt := range []schema.RangeTombstone{
		{Start: schema.Bound{Prefix: ck(1), Inclusive: true}, End: schema.Bound{Prefix: ck(2, 0), Inclusive: false}},
		{Start: schema.Bound{Inclusive: true}, End: schema.Bound{Inclusive: true}},
		{Start: schema.Bound{Prefix: []byte{0x40, 0}}, End: schema.Bound{Prefix: []byte{0x40, 0}, Inclusive: true}},
	} {
		k := appendRangeTombstoneKey(nil, &rt)
		var got schema.RangeTombstone
		if err := decodeRangeTombstoneKey(k[1:], &got); err != nil || !reflect.DeepEqual(got, rt) {
			t.Fatalf("round trip %+v = %+v, %v", rt, got, err)
		}
	}
}

func TestValueRoundTrip(t *testing.T) {
	cells := []schema.Cell{
		{Timestamp: -5, LocalDeletionTime: schema.NoExpiry, Value: []byte("v")},
		{Timestamp: 5, LocalDeletionTime: schema.NoExpiry, Value: []byte{}},
		{Timestamp: 5, LocalDeletionTime: schema.NoExpiry},
		{Timestamp: 7, TTL: 60, LocalDeletionTime: 1000, Value: []byte("x")},
		{Timestamp: 9, Tombstone: true, LocalDeletionTime: 99},
	}
	for _, c := range cells {
		v := appendCellValue(nil, &c)
		var got schema.Cell
		if err := decodeCellValue(v, &got); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("cell %+v round trip = %+v, %v", c, got, err)
		}
	}
	for _, h := range []rowHeader{
		{marker: schema.NoLiveness, deletion: schema.LiveDeletion},
		{marker: schema.Liveness{Timestamp: 3, TTL: 5, ExpiresAt: 8}, deletion: schema.Deletion{MarkedAt: 2, LocalDeletionTime: 4}},
		{marker: marker(1), deletion: schema.LiveDeletion},
	} {
		got, err := decodeRowHeaderValue(appendRowHeaderValue(nil, h))
		if err != nil || got != h {
			t.Fatalf("header %+v round trip = %+v, %v", h, got, err)
		}
	}
	d := schema.Deletion{MarkedAt: math.MinInt64 + 1, LocalDeletionTime: 3}
	if got, err := decodeDeletionValue(appendDeletionValue(nil, d)); err != nil || got != d {
		t.Fatalf("deletion round trip = %+v, %v", got, err)
	}
}

func TestMergerRules(t *testing.T) {
	m := newMerger()
	key := appendPartitionPrefix(nil, 1, 0, []byte("k"))
	merge := func(vals ...[]byte) []byte {
		vm := mergeOperands(t, m, key, vals...)
		out, _, err := vm.Finish(true)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := appendCellValue(nil, &schema.Cell{Timestamp: 5, LocalDeletionTime: schema.NoExpiry, Value: []byte("a")})
	b := appendCellValue(nil, &schema.Cell{Timestamp: 5, LocalDeletionTime: schema.NoExpiry, Value: []byte("b")})
	x := appendCellValue(nil, &schema.Cell{Timestamp: 5, Tombstone: true, LocalDeletionTime: 1})
	if got := merge(a, b); !bytes.Equal(got, b) {
		t.Fatal("tie: larger value must win")
	}
	if got := merge(b, x, a); !bytes.Equal(got, x) {
		t.Fatal("tie: tombstone must win")
	}
	h1 := appendRowHeaderValue(nil, rowHeader{marker: marker(9), deletion: schema.LiveDeletion})
	h2 := appendRowHeaderValue(nil, rowHeader{marker: schema.NoLiveness, deletion: schema.Deletion{MarkedAt: 4, LocalDeletionTime: 1}})
	got, err := decodeRowHeaderValue(merge(h1, h2))
	if err != nil || got.marker.Timestamp != 9 || got.deletion.MarkedAt != 4 {
		t.Fatalf("header merge = %+v, %v", got, err)
	}
	if _, err := m.Merge(key, []byte{0x7f}); err == nil {
		t.Fatal("unknown tag accepted")
	}
	vm, _ := m.Merge(key, a)
	if err := vm.MergeNewer(h1); err == nil {
		t.Fatal("mixed kinds accepted")
	}
}

func FuzzDecodeKey(f *testing.F) {
	pp := appendPartitionPrefix(nil, 3, 42, []byte("pk\x00"))
	f.Add(appendCellSub(appendRowPrefix(append([]byte(nil), pp...), false, ck(1, 2)), 4, []byte{0x40, 1}))
	f.Add(appendHeaderKey(append([]byte(nil), pp...)))
	f.Add(appendRangeTombstoneKey(append([]byte(nil), pp...), &schema.RangeTombstone{Start: schema.Bound{Prefix: ck(1)}, End: schema.Bound{Inclusive: true}}))
	f.Add(append(appendRowPrefix(append([]byte(nil), pp...), true, nil), subHeader))
	f.Add(hintKey(HostID{1}, 7))
	f.Add(appendIndexEntryKey(nil, 3, 9, []byte("t\x00"), 42, []byte("pk"), false, ck(1)))
	f.Add(appendIndexEntryKey(nil, 3, 9, nil, -1, []byte("pk"), true, nil))
	f.Fuzz(func(t *testing.T, k []byte) {
		_, _, _ = decodeHintKey(k)
		if en, err := decodeIndexEntryKey(k, 9); err == nil {
			// What decodes encodes back to the same key.
			if got := appendIndexEntryKey(nil, 0, 0, en.term, en.token, en.pk, en.static, en.ck)[9:]; string(got) != string(k[9:]) {
				t.Fatalf("index entry key %x re-encodes as %x", k[9:], got)
			}
		}
		_, _ = keyTable(k)
		info, err := splitPartitionKey(k)
		if err != nil {
			return
		}
		if _, err := partitionKeyBytes(nil, info.prefix); err != nil {
			t.Fatalf("prefix accepted by split but not decodable: %v", err)
		}
		if len(info.rest) == 0 {
			return
		}
		switch info.rest[0] {
		case regionRangeTomb:
			var rt schema.RangeTombstone
			if decodeRangeTombstoneKey(info.rest[1:], &rt) == nil {
				again := appendRangeTombstoneKey(append([]byte(nil), info.prefix...), &rt)
				if !bytes.Equal(again, k) {
					t.Fatalf("range tombstone key %x re-encodes as %x", k, again)
				}
			}
		default:
			var rk rowKey
			if _, err := decodeRowSuffix(info.rest, nil, &rk); err != nil {
				return
			}
			again := appendRowPrefix(append([]byte(nil), info.prefix...), rk.region == regionStatic, rk.clustering)
			switch rk.sub {
			case subHeader:
				again = append(again, subHeader)
			case subColumnDel:
				again = appendColumnDelSub(again, rk.column)
			case subCell:
				again = appendCellSub(again, rk.column, rk.path)
			}
			if !bytes.Equal(again, k) {
				t.Fatalf("row key %x re-encodes as %x", k, again)
			}
		}
	})
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(appendCellValue(nil, &schema.Cell{Timestamp: 7, TTL: 60, LocalDeletionTime: 1000, Value: []byte("x")}))
	f.Add(appendCellValue(nil, &schema.Cell{Timestamp: 9, Tombstone: true, LocalDeletionTime: 99}))
	f.Add(appendRowHeaderValue(nil, rowHeader{marker: marker(1), deletion: schema.Deletion{MarkedAt: 1, LocalDeletionTime: 2}}))
	f.Add(appendDeletionValue(nil, schema.Deletion{MarkedAt: 1, LocalDeletionTime: 2}))
	cc := counterShardsCell(shard(1, 2, 3, 4), shard(2, 1, -1, 5))
	f.Add(appendCellValue(nil, &cc))
	f.Add(appendCellValue(nil, &schema.Cell{Timestamp: 9, Tombstone: true, LocalDeletionTime: 99, Counter: schema.CounterShards}))
	{
		s := &writeScratch{}
		c3 := liveCell(3, 4, "v")
		c3.Path = []byte{0x40, 0}
		r := row(nil, marker(2), liveCell(1, 3, "x"), c3, cc)
		r.ColumnDeletions = []schema.ColumnDeletion{{Column: 3, Deletion: schema.Deletion{MarkedAt: 1, LocalDeletionTime: 5}}}
		packRow(s, &r)
		f.Add(slices.Clone(s.val))
	}
	m := newMerger()
	key := appendPartitionPrefix(nil, 1, 0, []byte("k"))
	f.Fuzz(func(t *testing.T, v []byte) {
		var c schema.Cell
		if decodeCellValue(v, &c) == nil {
			if again := appendCellValue(nil, &c); !bytes.Equal(again, v) {
				t.Fatalf("cell %x re-encodes as %x", v, again)
			}
		}
		if h, err := decodeRowHeaderValue(v); err == nil {
			if again := appendRowHeaderValue(nil, h); !bytes.Equal(again, v) {
				t.Fatalf("header %x re-encodes as %x", v, again)
			}
		}
		_, _ = decodeDeletionValue(v)
		if p, err := decodePacked(v); err == nil {
			// A packed row that walks cleanly re-encodes to itself.
			cds, cells := newPackedCDs(p.cds), newPackedCells(p.cells)
			again := appendHeader(nil, tagPacked, p.header)
			var all []schema.ColumnDeletion
			ok := true
			for {
				var cd schema.ColumnDeletion
				more, err := cds.next(&cd)
				if err != nil {
					ok = false
				}
				if !more {
					break
				}
				all = append(all, cd)
			}
			again = appendPackedCDs(again, all)
			for ok {
				var c schema.Cell
				raw, more, err := cells.next(&c)
				if err != nil {
					ok = false
				}
				if !more {
					break
				}
				again = appendPackedCell(again, c.Column, c.Path, raw)
			}
			// Uvarints may be overlong in v; compare only canonical ones.
			if ok && len(again) == len(v) && !bytes.Equal(again, v) {
				t.Fatalf("packed row %x re-encodes as %x", v, again)
			}
		}
		// The merger must reject, not panic on, any operand.
		// Nor ask Pebble to drop a merge that includes the key's base,
		// which its compaction iterator cannot honour (merger.go).
		if vm, err := m.Merge(key, v); err == nil {
			if err := vm.MergeOlder(v); err == nil {
				if _, del, _, _ := vm.(pebble.DeletableValueMerger).DeletableFinish(true); del {
					t.Fatalf("DeletableFinish(true) of %x asks to delete", v)
				}
			}
		}
	})
}

// TestMergerDeletesOnlyWithoutBase is the merger's side of the contract
// with Pebble's compaction iterator (merger.go, DeletableFinish): with
// includesBase it never answers delete=true, even for data long past any
// gc horizon (returning it intact), and without it only an empty row
// header goes.
func TestMergerDeletesOnlyWithoutBase(t *testing.T) {
	m := newMerger()
	key := appendPartitionPrefix(nil, 1, 0, []byte("k"))
	finish := func(includesBase bool, vals ...[]byte) ([]byte, bool) {
		t.Helper()
		vm := mergeOperands(t, m, key, vals...)
		out, del, _, err := vm.(pebble.DeletableValueMerger).DeletableFinish(includesBase)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(out), del
	}
	old := appendCellValue(nil, &schema.Cell{Timestamp: 1, LocalDeletionTime: schema.NoExpiry, Value: []byte("old")})
	tomb := appendCellValue(nil, &schema.Cell{Timestamp: 2, Tombstone: true, LocalDeletionTime: 1})
	expired := appendCellValue(nil, &schema.Cell{Timestamp: 3, TTL: 1, LocalDeletionTime: 1, Value: []byte("x")})
	expiredMarker := appendRowHeaderValue(nil, rowHeader{marker: schema.Liveness{Timestamp: 4, TTL: 1, ExpiresAt: 1}, deletion: schema.LiveDeletion})
	empty := appendRowHeaderValue(nil, rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion})
	for _, tc := range []struct {
		name string
		ops  [][]byte
		want []byte
	}{
		{"cell tombstone over a base", [][]byte{tomb, old}, tomb},
		{"expired cell over a base", [][]byte{expired, tomb, old}, expired},
		{"expired row marker", [][]byte{expiredMarker}, expiredMarker},
		{"empty row header", [][]byte{empty, empty}, empty},
	} {
		got, del := finish(true, tc.ops...)
		if del || !bytes.Equal(got, tc.want) {
			t.Errorf("%s, includesBase: got %x delete=%v, want %x kept", tc.name, got, del, tc.want)
		}
	}
	if _, del := finish(false, empty, empty); !del {
		t.Error("empty row header without includesBase: kept, want deleted")
	}
	if got, del := finish(false, tomb, old); del || !bytes.Equal(got, tomb) {
		t.Errorf("cell tombstone without includesBase: got %x delete=%v, want it kept", got, del)
	}
}

// A kept deletion that no longer decodes fails the merge instead of
// losing to whatever comes next as if it were no deletion at all.
func TestMergerRefusesACorruptKeptDeletion(t *testing.T) {
	m := newMerger()
	key := appendPartitionPrefix(nil, 1, 0, []byte("k"))
	newer := appendDeletionValue(nil, schema.Deletion{MarkedAt: 9, LocalDeletionTime: 100})
	older := appendDeletionValue(nil, schema.Deletion{MarkedAt: 5, LocalDeletionTime: 100})
	vm, err := m.Merge(key, newer)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = vm.(*valueMerger).Close() }()
	if err := vm.MergeOlder(older); err != nil {
		t.Fatal(err)
	}
	kept := vm.(*valueMerger)
	kept.buf = kept.buf[:1] // the tag alone: the deletion is cut off
	if err := vm.MergeOlder(older); err == nil {
		t.Fatal("merging into a kept deletion that does not decode succeeded")
	}
}

// mergeOperands starts a merge of key with vals[0] and merges the rest
// in as older operands.
func mergeOperands(t *testing.T, m *pebble.Merger, key []byte, vals ...[]byte) pebble.ValueMerger {
	t.Helper()
	vm, err := m.Merge(key, vals[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals[1:] {
		if err := vm.MergeOlder(v); err != nil {
			t.Fatal(err)
		}
	}
	return vm
}
