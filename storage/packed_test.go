package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sibyldb/sibyl/schema"
)

// rowOperandGen makes random versions of one row: header fields,
// collection deletions and cells (column 3 a collection with paths,
// column 5 a counter), from small ranges so that they collide.
type rowOperandGen struct{ r *rand.Rand }

func (g rowOperandGen) del() schema.Deletion {
	return schema.Deletion{MarkedAt: 1 + int64(g.r.IntN(19)), LocalDeletionTime: int64(g.r.IntN(3))} // never zero: that is "none"
}

func (g rowOperandGen) cell() schema.Cell {
	cols := []schema.ColumnID{0, 1, 3, 5}
	c := schema.Cell{Column: cols[g.r.IntN(len(cols))], Timestamp: int64(g.r.IntN(20))}
	if c.Column == 3 {
		c.Path = []byte{0x40, byte(g.r.IntN(3))}
	}
	if c.Column == 5 {
		if g.r.IntN(5) == 0 {
			return schema.Cell{Column: 5, Timestamp: c.Timestamp, Tombstone: true, LocalDeletionTime: int64(g.r.IntN(3)), Counter: schema.CounterShards}
		}
		var shards []schema.CounterShard
		for id := byte(1); id <= 3; id++ {
			if g.r.IntN(2) == 0 {
				shards = append(shards, shard(id, int64(g.r.IntN(4)), int64(g.r.IntN(5)-2), int64(g.r.IntN(20))))
			}
		}
		if len(shards) == 0 {
			shards = append(shards, shard(1, 1, 1, c.Timestamp))
		}
		cc := counterShardsCell(shards...)
		cc.Column = 5
		return cc
	}
	switch g.r.IntN(5) {
	case 0:
		c.Tombstone, c.LocalDeletionTime = true, int64(g.r.IntN(3))
	case 1:
		c.TTL, c.LocalDeletionTime, c.Value = 30, int64(g.r.IntN(3)), []byte{byte(g.r.IntN(2))}
	default:
		c.LocalDeletionTime, c.Value = schema.NoExpiry, []byte{byte(g.r.IntN(2))}
		if g.r.IntN(8) == 0 {
			c.Value = []byte{}
		}
	}
	return c
}

func (g rowOperandGen) row() schema.Row {
	r := schema.Row{Marker: schema.NoLiveness, Deletion: schema.LiveDeletion}
	switch g.r.IntN(4) {
	case 0:
		r.Marker = marker(int64(g.r.IntN(20)))
	case 1:
		r.Marker = schema.Liveness{Timestamp: int64(g.r.IntN(20)), TTL: 30, ExpiresAt: int64(g.r.IntN(3))}
	}
	if g.r.IntN(4) == 0 {
		r.Deletion = g.del()
	}
	for range g.r.IntN(3) {
		r.ColumnDeletions = append(r.ColumnDeletions, schema.ColumnDeletion{Column: schema.ColumnID(1 + 2*g.r.IntN(2)), Deletion: g.del()})
	}
	for range g.r.IntN(5) {
		r.Cells = append(r.Cells, g.cell())
	}
	return r
}

// keyedOperand is one merge operand under one key.
type keyedOperand struct{ key, val []byte }

// legacyOperands is r as the old form writes it: a key per header,
// collection deletion and cell, each with its operand.
func legacyOperands(t *testing.T, e *Engine, r *schema.Row) []keyedOperand {
	t.Helper()
	b := e.db.NewBatch() // never committed: a record of the operations
	defer b.Close()
	s := &writeScratch{}
	if err := encodeRow(b, s, r, true); err != nil {
		t.Fatal(err)
	}
	var out []keyedOperand
	rd := b.Reader()
	for {
		kind, k, v, ok, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		if kind != pebble.InternalKeyKindMerge {
			t.Fatalf("legacy row encoded as kind %v", kind)
		}
		out = append(out, keyedOperand{slices.Clone(k), slices.Clone(v)})
	}
}

// mergeAll merges operands of one key through the engine's merger, the
// first as the base, the rest newer or older at random.
func mergeAll(t *testing.T, r *rand.Rand, ops ...[]byte) []byte {
	t.Helper()
	vm, err := newMerger().Merge(nil, ops[0])
	if err != nil {
		t.Fatalf("merge of %x: %v", ops[0], err)
	}
	for _, v := range ops[1:] {
		if r.IntN(2) == 0 {
			err = vm.MergeNewer(v)
		} else {
			err = vm.MergeOlder(v)
		}
		if err != nil {
			t.Fatalf("merge of %x: %v", v, err)
		}
	}
	out, closer, err := vm.Finish(true)
	if err != nil {
		t.Fatal(err)
	}
	out = slices.Clone(out)
	if closer != nil {
		_ = closer.Close()
	}
	return out
}

// expectedPacked builds, from the per-key merges of the old form, the
// packed value the merger must produce: the old rules applied key by key,
// then laid out in packed order.
func expectedPacked(t *testing.T, e *Engine, r *rand.Rand, rows []schema.Row) []byte {
	t.Helper()
	perKey := map[string][][]byte{}
	for i := range rows {
		for _, op := range legacyOperands(t, e, &rows[i]) {
			perKey[string(op.key)] = append(perKey[string(op.key)], op.val)
		}
	}
	keys := make([]string, 0, len(perKey))
	for k := range perKey {
		keys = append(keys, k)
	}
	slices.Sort(keys) // key order: header, collection deletions, cells by (column, path)
	h := rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion}
	var cds []schema.ColumnDeletion
	var cells []byte
	for _, k := range keys {
		merged := mergeAll(t, r, perKey[k]...)
		var rk rowKey
		if _, err := decodeRowSuffix([]byte(k), nil, &rk); err != nil {
			t.Fatal(err)
		}
		switch rk.sub {
		case subHeader:
			var err error
			if h, err = decodeRowHeaderValue(merged); err != nil {
				t.Fatal(err)
			}
		case subColumnDel:
			d, err := decodeDeletionValue(merged)
			if err != nil {
				t.Fatal(err)
			}
			cds = append(cds, schema.ColumnDeletion{Column: rk.column, Deletion: d})
		case subCell:
			cells = appendPackedCell(cells, rk.column, rk.path, merged)
		}
	}
	return appendPackedValue(nil, h, append(appendPackedCDs(nil, cds), cells...))
}

// TestMergerPackedProperties checks the packed rows' merge against the
// per-key rules of the old form, with random operands: whatever the order
// and grouping of the operands (packed rows, and old row headers of the
// same key), the result is the bytes the per-key merges give, laid out
// packed — commutative, associative, idempotent and canonical.
// Replay with -storage.seed=N.
func TestMergerPackedProperties(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	g := rowOperandGen{r}
	e := openMem(t, nil)
	rounds := 2000
	if testing.Short() {
		rounds = 300
	}
	for round := range rounds {
		rows := make([]schema.Row, 1+r.IntN(5))
		var ops [][]byte
		packed := false
		for i := range rows {
			rows[i] = g.row()
			s := &writeScratch{}
			if r.IntN(4) == 0 {
				// An old store's header of the same row.
				rows[i].ColumnDeletions, rows[i].Cells = nil, nil
				if rows[i].Marker.Timestamp == schema.NoTimestamp && rows[i].Deletion.Live() {
					rows[i].Marker = marker(int64(r.IntN(20)))
				}
				ops = append(ops, appendRowHeaderValue(nil, rowHeader{marker: normLiveness(rows[i].Marker), deletion: rows[i].Deletion}))
				continue
			}
			if !packRow(s, &rows[i]) {
				rows[i].Marker = marker(int64(r.IntN(20)))
				packRow(s, &rows[i])
			}
			ops = append(ops, slices.Clone(s.val))
			packed = true
		}
		if !packed {
			continue
		}
		want := expectedPacked(t, e, r, rows)
		for try := range 4 {
			// Random order, random grouping, some operands twice.
			order := slices.Clone(ops)
			if try > 0 && r.IntN(2) == 0 {
				order = append(order, ops[r.IntN(len(ops))])
			}
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			var parts [][]byte
			for len(order) > 0 {
				n := 1 + r.IntN(len(order))
				parts = append(parts, mergeAll(t, r, order[:n]...))
				order = order[n:]
			}
			got := mergeAll(t, r, parts...)
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d round %d try %d: merge of\n%s\n= %x\nwant %x", seed, round, try, describeOps(ops), got, want)
			}
			if again := mergeAll(t, r, got, got); !bytes.Equal(again, got) {
				t.Fatalf("seed %d round %d: merge is not idempotent: %x then %x", seed, round, got, again)
			}
		}
	}
}

func describeOps(ops [][]byte) string {
	var b bytes.Buffer
	for _, op := range ops {
		fmt.Fprintf(&b, "  %x\n", op)
	}
	return b.String()
}

// TestPackedRowWrite checks what Apply writes for a row: one key, the
// header key, holding the row packed, with a mutation's unsorted and
// repeated cells and collection deletions put in order and reconciled.
func TestPackedRowWrite(t *testing.T) {
	e := openMem(t, nil)
	older, newer := liveCell(3, 5, "a"), liveCell(3, 7, "b")
	older.Path, newer.Path = []byte{0x40, 1}, []byte{0x40, 1}
	r := row(ck(1), marker(4), liveCell(2, 5, "z"), newer, liveCell(1, 5, "y"), older)
	r.ColumnDeletions = []schema.ColumnDeletion{
		{Column: 3, Deletion: schema.Deletion{MarkedAt: 2, LocalDeletionTime: 9}},
		{Column: 3, Deletion: schema.Deletion{MarkedAt: 3, LocalDeletionTime: 8}},
		{Column: 1, Deletion: schema.Deletion{MarkedAt: 1, LocalDeletionTime: 9}},
	}
	mustApply(t, e, part(1, 1, "k", r))
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceTable}, UpperBound: []byte{spaceEnd}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
		if k := it.Key(); k[len(k)-1] != subHeader {
			t.Fatalf("key %x is not a row header key", k)
		}
		p, err := decodePacked(it.Value())
		if err != nil {
			t.Fatalf("value %x: %v", it.Value(), err)
		}
		var got bytes.Buffer
		cds := newPackedCDs(p.cds)
		for {
			var cd schema.ColumnDeletion
			ok, err := cds.next(&cd)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			fmt.Fprintf(&got, "cd%d=%d ", cd.Column, cd.Deletion.MarkedAt)
		}
		for _, c := range packedCellsOf(t, p.cells) {
			fmt.Fprintf(&got, "c%d%x@%d=%s ", c.Column, c.Path, c.Timestamp, c.Value)
		}
		if want := "cd1=1 cd3=3 c1@5=y c2@5=z c34001@7=b "; got.String() != want || p.header.marker.Timestamp != 4 {
			t.Fatalf("packed row = %q marker %d, want %q marker 4", got.String(), p.header.marker.Timestamp, want)
		}
	}
	if n != 1 {
		t.Fatalf("%d keys for one row, want 1", n)
	}
}

// TestFormatVersion checks the version check of Open: a new store records
// this binary's version; an old store (no version, rows under separate
// keys) opens, is read as before, takes packed writes over its rows and
// records the version; a store of a newer version is refused, and so is
// its checkpoint.
func TestFormatVersion(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	open := func() (*Engine, error) {
		return Open(Options{Dir: "db", FS: fs, PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 4 << 20})
	}
	e, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := e.GetLocal(formatVersionName); err != nil || !ok || !bytes.Equal(v, binary.AppendUvarint(nil, formatVersion)) {
		t.Fatalf("new store's version = %x %v %v, want %d", v, ok, err, formatVersion)
	}

	// Make it an old store: no version, rows in the old form.
	if err := e.DeleteLocal(ctx, formatVersionName); err != nil {
		t.Fatal(err)
	}
	e.opts.legacyRows = true
	c1 := liveCell(3, 5, "old")
	c1.Path = []byte{0x40, 1}
	old := row(ck(1), marker(5), liveCell(1, 5, "a"), c1)
	old.ColumnDeletions = []schema.ColumnDeletion{{Column: 3, Deletion: schema.Deletion{MarkedAt: 2, LocalDeletionTime: 9}}}
	mustApply(t, e, part(1, 1, "k", old))
	all := &schema.ReadCommand{Table: 1, StartToken: math.MinInt64, EndToken: math.MinInt64, Static: true}
	before := dump(mustRead(t, e, all))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	if e, err = open(); err != nil {
		t.Fatalf("old store refused: %v", err)
	}
	if got := dump(mustRead(t, e, all)); got != before {
		t.Fatalf("old store reads\n%s\nwant\n%s", got, before)
	}
	if v, ok, _ := e.GetLocal(formatVersionName); !ok || !bytes.Equal(v, binary.AppendUvarint(nil, formatVersion)) {
		t.Fatalf("old store's version not recorded: %x", v)
	}
	// New writes over the old row: a newer version of one cell, an older
	// of another, a newer collection deletion; the row is in both forms.
	c2 := liveCell(3, 1, "older")
	c2.Path = []byte{0x40, 1}
	newer := row(ck(1), schema.NoLiveness, liveCell(1, 9, "b"), c2, liveCell(2, 9, "c"))
	newer.ColumnDeletions = []schema.ColumnDeletion{{Column: 3, Deletion: schema.Deletion{MarkedAt: 3, LocalDeletionTime: 9}}}
	mustApply(t, e, part(1, 1, "k", newer))
	want := "P 1/1/\"k\" del=-\n  R 4001 m=5/0/9223372036854775807 cd3=3@9 c1@9=\"b\" c2@9=\"c\" c34001@5=\"old\"\n"
	if got := dump(mustRead(t, e, all)); got != want {
		t.Fatalf("mixed row reads\n%s\nwant\n%s", got, want)
	}

	// A newer format is refused, by Open and OpenCheckpoint alike.
	if err := e.SetLocal(ctx, formatVersionName, binary.AppendUvarint(nil, formatVersion+1)); err != nil {
		t.Fatal(err)
	}
	if err := e.Checkpoint(ctx, "snap", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e, err := open(); !errors.Is(err, ErrNewerFormat) {
		if err == nil {
			_ = e.Close()
		}
		t.Fatalf("newer store opened: %v", err)
	}
	if c, err := OpenCheckpoint("snap", Options{FS: fs}); !errors.Is(err, ErrNewerFormat) {
		if err == nil {
			_ = c.Close()
		}
		t.Fatalf("newer checkpoint opened: %v", err)
	}
}

// FuzzMergePacked merges two operands of a row key both ways: the merger
// must reject, not panic on, malformed ones, and the merge of two it
// accepts must not depend on their order.
func FuzzMergePacked(f *testing.F) {
	s := &writeScratch{}
	c3 := liveCell(3, 4, "v")
	c3.Path = []byte{0x40, 0}
	r1 := row(nil, marker(2), liveCell(1, 3, "x"), c3)
	r1.ColumnDeletions = []schema.ColumnDeletion{{Column: 3, Deletion: schema.Deletion{MarkedAt: 1, LocalDeletionTime: 5}}}
	packRow(s, &r1)
	a := slices.Clone(s.val)
	r2 := row(nil, schema.NoLiveness, liveCell(1, 5, "y"), liveCell(2, 1, "z"))
	packRow(s, &r2)
	f.Add(a, slices.Clone(s.val))
	f.Add(a, appendRowHeaderValue(nil, rowHeader{marker: marker(7), deletion: schema.LiveDeletion}))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		merge := func(x, y []byte) ([]byte, error) {
			vm, err := newMerger().Merge(nil, x)
			if err != nil {
				return nil, err
			}
			if err := vm.MergeOlder(y); err != nil {
				return nil, err
			}
			out, closer, err := vm.Finish(true)
			out = slices.Clone(out)
			if closer != nil {
				_ = closer.Close()
			}
			return out, err
		}
		ab, err1 := merge(a, b)
		ba, err2 := merge(b, a)
		if err1 == nil && err2 == nil && !bytes.Equal(ab, ba) {
			t.Fatalf("merge(%x, %x) = %x but merge the other way = %x", a, b, ab, ba)
		}
	})
}

// packedCellsOf decodes a packed row's cells section.
func packedCellsOf(t testing.TB, section []byte) []schema.Cell {
	t.Helper()
	var out []schema.Cell
	cells := newPackedCells(section)
	for {
		var c schema.Cell
		_, ok, err := cells.next(&c)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, c)
	}
}
