package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/spaolacci/murmur3"

	"github.com/sibyldb/sibyl/bench"
)

// Record layout, after storage/keys.go:
//
//	0x10 table(u32) token(u64^1<<63) esc(pk) 0x30 esc(ck) 0x00            row header: ts(8)
//	0x10 table(u32) token(u64^1<<63) esc(pk) 0x30 esc(ck) 0x02 col(u16)   cell: flags(1) ts(8) value
//
// pk and ck are CQL bigints: 8 bytes big-endian, ck with its sign bit
// flipped so byte order is numeric order. The token is Murmur3 of the
// serialized pk (spaolacci's variant: the cost is what matters here, and
// for 8-byte keys there is no tail where it differs from Cassandra's).
const (
	spaceTable byte   = 0x10
	tableID    uint32 = 1
	regionRows byte   = 0x30
	subHeader  byte   = 0x00
	subCell    byte   = 0x02
	columnV    uint16 = 2
)

// target runs operations on one Pebble instance.
type target struct {
	db  *pebble.DB
	wo  *pebble.WriteOptions
	cfg *bench.Config
}

func (t *target) Worker(int) bench.Worker { return &worker{t: t} }

// worker holds one worker's reusable buffers.
type worker struct {
	t                   *target
	key, key2, val      []byte
	scratch, lowerUpper []byte
}

func (w *worker) Do(_ context.Context, o bench.Op) (int, error) {
	switch o.Kind {
	case bench.OpWrite:
		return 0, w.write(o.PK, o.CK)
	case bench.OpRead:
		return w.read(o.PK, o.CK)
	case bench.OpIncrement:
		return 0, errors.New("pebblebench has no counters: use --mode write")
	case bench.OpCAS:
		return 0, errors.New("pebblebench: raw Pebble has no lightweight transactions")
	default:
		return w.scan(o.PK)
	}
}

func (w *worker) write(pk, ck int64) error {
	ts := time.Now().UnixMicro()
	w.key = rowKey(w.key[:0], pk, ck)
	headerLen := len(w.key)
	w.key = append(w.key, subHeader)
	w.key2 = append(append(w.key2[:0], w.key[:headerLen]...), subCell)
	w.key2 = binary.BigEndian.AppendUint16(w.key2, columnV)

	b := w.t.db.NewBatch()
	defer b.Close()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(ts))
	if err := b.Set(w.key, hdr[:], nil); err != nil {
		return fmt.Errorf("cannot batch row header: %w", err)
	}
	w.val = append(append(w.val[:0], 0), hdr[:]...)
	w.val = append(w.val, bench.Value(w.scratch, pk, ck, w.t.cfg.ValueSize)...)
	if err := b.Set(w.key2, w.val, nil); err != nil {
		return fmt.Errorf("cannot batch cell: %w", err)
	}
	if err := b.Commit(w.t.wo); err != nil {
		return fmt.Errorf("cannot commit write: %w", err)
	}
	return nil
}

// read iterates over the row's entries, as a row read does.
func (w *worker) read(pk, ck int64) (int, error) {
	w.key = rowKey(w.key[:0], pk, ck)
	var found []byte
	n, err := w.iterate(w.key, func(k, v []byte) {
		if len(k) > len(w.key) && k[len(w.key)] == subCell {
			found = append(found[:0], v...)
		}
	})
	if err != nil {
		return 0, err
	}
	return w.check(pk, ck, n, found)
}

func (w *worker) check(pk, ck int64, entries int, cell []byte) (int, error) {
	if !w.t.cfg.ValidateData {
		return 0, nil
	}
	if entries == 0 || len(cell) < 9 {
		return 0, fmt.Errorf("row (%d, %d): %w", pk, ck, bench.ErrMissing)
	}
	var ok bool
	if ok, w.scratch = bench.CheckValue(w.scratch, cell[9:], pk, ck, w.t.cfg.ValueSize); !ok {
		return 0, fmt.Errorf("row (%d, %d): %w", pk, ck, bench.ErrCorrupt)
	}
	return 1, nil
}

// scan reads a whole partition; with validation on every cell is checked
// and the partition must hold all its rows.
func (w *worker) scan(pk int64) (int, error) {
	w.key = partitionKey(w.key[:0], pk)
	rows := 0
	var bad error
	_, err := w.iterate(w.key, func(k, v []byte) {
		if len(k) < 3 || k[len(k)-3] != subCell || !w.t.cfg.ValidateData || bad != nil {
			return
		}
		ck, derr := decodeCK(k[len(w.key)+1 : len(k)-3])
		if derr != nil {
			bad = derr
			return
		}
		rows++
		if len(v) < 9 {
			bad = fmt.Errorf("row (%d, %d): %w", pk, ck, bench.ErrCorrupt)
			return
		}
		var ok bool
		if ok, w.scratch = bench.CheckValue(w.scratch, v[9:], pk, ck, w.t.cfg.ValueSize); !ok {
			bad = fmt.Errorf("row (%d, %d): %w", pk, ck, bench.ErrCorrupt)
		}
	})
	if err != nil || bad != nil {
		return 0, errors.Join(err, bad)
	}
	if w.t.cfg.ValidateData && int64(rows) != w.t.cfg.RowsPerPartition {
		return 0, fmt.Errorf("partition %d has %d of its %d rows: %w", pk, rows, w.t.cfg.RowsPerPartition, bench.ErrMissing)
	}
	return rows, nil
}

// iterate calls fn for every entry with the given prefix and returns their
// number.
func (w *worker) iterate(prefix []byte, fn func(k, v []byte)) (int, error) {
	w.lowerUpper = append(append(w.lowerUpper[:0], prefix...), prefix...)
	lower, upper := w.lowerUpper[:len(prefix)], w.lowerUpper[len(prefix):]
	upper[len(upper)-1]++ // prefixes end in a terminator byte below 0xFF
	it, err := w.t.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, fmt.Errorf("cannot open iterator: %w", err)
	}
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return 0, fmt.Errorf("cannot read value: %w", err)
		}
		fn(it.Key(), v)
		n++
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("cannot iterate: %w", err)
	}
	return n, nil
}

// partitionKey appends the key prefix of partition pk.
func partitionKey(dst []byte, pk int64) []byte {
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(pk))
	token := int64(murmur3.Sum64(raw[:]))
	dst = append(dst, spaceTable)
	dst = binary.BigEndian.AppendUint32(dst, tableID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(token)^(1<<63))
	return appendEscaped(dst, raw[:])
}

// rowKey appends the key prefix of row (pk, ck), up to the sub byte.
func rowKey(dst []byte, pk, ck int64) []byte {
	dst = partitionKey(dst, pk)
	dst = append(dst, regionRows)
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(ck)^(1<<63))
	return appendEscaped(dst, raw[:])
}

func decodeCK(esc []byte) (int64, error) {
	raw := bytes.ReplaceAll(esc, []byte{0x00, 0xFF}, []byte{0x00})
	raw = bytes.TrimSuffix(raw, []byte{0x00, 0x01})
	if len(raw) != 8 {
		return 0, fmt.Errorf("clustering key of %d bytes: %w", len(raw), bench.ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(raw) ^ (1 << 63)), nil
}

// appendEscaped appends b with 0x00 written as 0x00 0xFF, then 0x00 0x01:
// order-preserving and prefix-free.
func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, c)
		if c == 0 {
			dst = append(dst, 0xFF)
		}
	}
	return append(dst, 0x00, 0x01)
}
