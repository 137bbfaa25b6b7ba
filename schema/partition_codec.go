package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file is the compact binary form of Partition and ReadCommand used
// for hints and internode messages. The layout is a version byte followed
// by fields in declaration order: integers as varints (zig-zag for signed
// ones), byte strings as a uvarint length and the bytes, lists as a uvarint
// count and the elements. Optional byte strings (a nil Cell.Value, a nil
// ReadCommand.Key) carry a presence byte. Decoders check every length
// against the bytes left, so hostile input can neither panic nor make them
// allocate more than a small multiple of its own size.
//
// Empty byte strings decode as nil, except Cell.Value, where nil (no
// value) and empty (an empty blob) are different things.

const (
	partitionCodecVersion   = 1
	readCommandCodecVersion = 1
)

// ErrCorrupt is returned (wrapped) by DecodePartition and DecodeReadCommand
// when their input is not a valid encoding.
var ErrCorrupt = errors.New("schema: corrupt encoding")

// AppendPartition appends the binary form of p to dst.
func AppendPartition(dst []byte, p *Partition) []byte {
	dst = append(dst, partitionCodecVersion)
	dst = binary.AppendUvarint(dst, uint64(p.Table))
	dst = binary.AppendVarint(dst, p.Token)
	dst = appendBytes(dst, p.Key)
	dst = appendDeletion(dst, p.Deletion)
	dst = binary.AppendUvarint(dst, uint64(len(p.RangeTombstones)))
	for i := range p.RangeTombstones {
		rt := &p.RangeTombstones[i]
		dst = appendBound(dst, rt.Start)
		dst = appendBound(dst, rt.End)
		dst = appendDeletion(dst, rt.Deletion)
	}
	if p.Static == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = appendRow(dst, p.Static)
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.Rows)))
	for i := range p.Rows {
		dst = appendRow(dst, &p.Rows[i])
	}
	return dst
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendOptBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	return appendBytes(dst, b)
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendDeletion(dst []byte, d Deletion) []byte {
	dst = binary.AppendVarint(dst, d.MarkedAt)
	return binary.AppendVarint(dst, d.LocalDeletionTime)
}

func appendBound(dst []byte, b Bound) []byte {
	dst = appendBytes(dst, b.Prefix)
	return appendBool(dst, b.Inclusive)
}

func appendRow(dst []byte, r *Row) []byte {
	dst = appendBytes(dst, r.Clustering)
	dst = binary.AppendVarint(dst, r.Marker.Timestamp)
	dst = binary.AppendVarint(dst, int64(r.Marker.TTL))
	dst = binary.AppendVarint(dst, r.Marker.ExpiresAt)
	dst = appendDeletion(dst, r.Deletion)
	dst = binary.AppendUvarint(dst, uint64(len(r.ColumnDeletions)))
	for _, cd := range r.ColumnDeletions {
		dst = binary.AppendUvarint(dst, uint64(cd.Column))
		dst = appendDeletion(dst, cd.Deletion)
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Cells)))
	for i := range r.Cells {
		c := &r.Cells[i]
		dst = binary.AppendUvarint(dst, uint64(c.Column))
		dst = appendBytes(dst, c.Path)
		dst = binary.AppendVarint(dst, c.Timestamp)
		dst = append(dst, cellFlags(c))
		dst = binary.AppendVarint(dst, int64(c.TTL))
		dst = binary.AppendVarint(dst, c.LocalDeletionTime)
		dst = appendOptBytes(dst, c.Value)
	}
	return dst
}

// A cell's flags byte: bit 0 tombstone, bits 1-2 its CounterKind. Version
// 1 wrote a bool here (0 or 1), which decodes as a regular cell, so old
// hints read unchanged.
const (
	cellFlagTombstone  = 1 << 0
	cellFlagCounterBit = 1
	cellFlagsKnown     = cellFlagTombstone | 3<<cellFlagCounterBit
)

func cellFlags(c *Cell) byte {
	f := byte(c.Counter) << cellFlagCounterBit
	if c.Tombstone {
		f |= cellFlagTombstone
	}
	return f
}

func (d *decoder) cellFlags() (tombstone bool, counter CounterKind) {
	f := d.byte("cell flags")
	k := CounterKind(f >> cellFlagCounterBit & 3)
	if f&^cellFlagsKnown != 0 || k > CounterShards {
		d.fail("cell flags")
		return false, NotCounter
	}
	return f&cellFlagTombstone != 0, k
}

// decoder reads the binary form; the first error sticks and every later
// read returns zero values.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", ErrCorrupt, what)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil || len(d.buf) == 0 {
		d.fail(what)
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) bool(what string) bool {
	switch d.byte(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(what)
	return false
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) int32(what string) int32 {
	v := d.varint(what)
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail(what)
		return 0
	}
	return int32(v)
}

func (d *decoder) uint16(what string) uint16 {
	v := d.uvarint(what)
	if v > math.MaxUint16 {
		d.fail(what)
		return 0
	}
	return uint16(v)
}

func (d *decoder) uint32(what string) uint32 {
	v := d.uvarint(what)
	if v > math.MaxUint32 {
		d.fail(what)
		return 0
	}
	return uint32(v)
}

// bytes returns a length-prefixed byte string aliasing the input; an
// empty one is nil.
func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.fail(what)
		return nil
	}
	if n == 0 {
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) optBytes(what string) []byte {
	if !d.bool(what) {
		return nil
	}
	b := d.bytes(what)
	if b == nil && d.err == nil {
		return []byte{}
	}
	return b
}

// count reads a list length and checks it against the bytes left, given
// the smallest encoded size of one element.
func (d *decoder) count(what string, minSize int) int {
	n := d.uvarint(what)
	if d.err != nil {
		return 0
	}
	if n > uint64(len(d.buf)/minSize) {
		d.fail(what)
		return 0
	}
	return int(n)
}

func (d *decoder) deletion(what string) Deletion {
	return Deletion{MarkedAt: d.varint(what), LocalDeletionTime: d.varint(what)}
}

func (d *decoder) bound(what string) Bound {
	return Bound{Prefix: d.bytes(what), Inclusive: d.bool(what)}
}

// Smallest encodings, used to bound list counts.
const (
	minRangeTombstoneSize = 6 // 2 bounds (2 bytes each) + deletion (2)
	minRowSize            = 8 // clustering, marker (3), deletion (2), 2 counts
	minCellSize           = 7 // column, path, ts, flags, ttl, ldt, value flag
	minColumnDelSize      = 3 // column + deletion
	minSliceSize          = 4 // 2 bounds
	minColumnIDSize       = 1 // uvarint
)

// DecodePartition decodes a Partition encoded by AppendPartition. The
// result does not alias src.
func DecodePartition(src []byte) (*Partition, error) {
	d := decoder{buf: append([]byte(nil), src...)}
	p := d.partition()
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes after partition", ErrCorrupt, len(d.buf))
	}
	if d.err != nil {
		return nil, fmt.Errorf("cannot decode partition: %w", d.err)
	}
	return p, nil
}

func (d *decoder) partition() *Partition {
	if v := d.byte("version"); d.err == nil && v != partitionCodecVersion {
		d.err = fmt.Errorf("%w: unknown partition encoding version %d", ErrCorrupt, v)
		return nil
	}
	p := &Partition{
		Table:    TableID(d.uint32("table id")),
		Token:    d.varint("token"),
		Key:      d.bytes("partition key"),
		Deletion: d.deletion("partition deletion"),
	}
	if n := d.count("range tombstone count", minRangeTombstoneSize); n > 0 {
		p.RangeTombstones = make([]RangeTombstone, n)
		for i := range p.RangeTombstones {
			rt := &p.RangeTombstones[i]
			rt.Start = d.bound("range tombstone start")
			rt.End = d.bound("range tombstone end")
			rt.Deletion = d.deletion("range tombstone deletion")
		}
	}
	if d.bool("static flag") {
		r := d.row()
		p.Static = &r
	}
	if n := d.count("row count", minRowSize); n > 0 {
		p.Rows = make([]Row, n)
		for i := range p.Rows {
			p.Rows[i] = d.row()
		}
	}
	if d.err != nil {
		return nil
	}
	return p
}

func (d *decoder) row() Row {
	r := Row{
		Clustering: d.bytes("clustering"),
		Marker: Liveness{
			Timestamp: d.varint("marker timestamp"),
			TTL:       d.int32("marker ttl"),
			ExpiresAt: d.varint("marker expiry"),
		},
		Deletion: d.deletion("row deletion"),
	}
	if n := d.count("column deletion count", minColumnDelSize); n > 0 {
		r.ColumnDeletions = make([]ColumnDeletion, n)
		for i := range r.ColumnDeletions {
			r.ColumnDeletions[i] = ColumnDeletion{
				Column:   ColumnID(d.uint16("column id")),
				Deletion: d.deletion("column deletion"),
			}
		}
	}
	if n := d.count("cell count", minCellSize); n > 0 {
		r.Cells = make([]Cell, n)
		for i := range r.Cells {
			c := &r.Cells[i]
			c.Column = ColumnID(d.uint16("cell column"))
			c.Path = d.bytes("cell path")
			c.Timestamp = d.varint("cell timestamp")
			c.Tombstone, c.Counter = d.cellFlags()
			c.TTL = d.int32("cell ttl")
			c.LocalDeletionTime = d.varint("cell local deletion time")
			c.Value = d.optBytes("cell value")
		}
	}
	return r
}

// AppendReadCommand appends the binary form of c to dst.
func AppendReadCommand(dst []byte, c *ReadCommand) []byte {
	dst = append(dst, readCommandCodecVersion)
	dst = binary.AppendUvarint(dst, uint64(c.Table))
	dst = appendOptBytes(dst, c.Key)
	dst = binary.AppendVarint(dst, c.Token)
	dst = binary.AppendVarint(dst, c.StartToken)
	dst = binary.AppendVarint(dst, c.EndToken)
	dst = appendOptBytes(dst, c.AfterKey)
	if c.Slices == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = binary.AppendUvarint(dst, uint64(len(c.Slices)))
		for _, s := range c.Slices {
			dst = appendBound(dst, s.Start)
			dst = appendBound(dst, s.End)
		}
	}
	dst = appendBool(dst, c.Reversed)
	if c.Columns == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = binary.AppendUvarint(dst, uint64(len(c.Columns)))
		for _, id := range c.Columns {
			dst = binary.AppendUvarint(dst, uint64(id))
		}
	}
	dst = appendBool(dst, c.Static)
	dst = appendOptBytes(dst, c.AfterClustering)
	dst = binary.AppendVarint(dst, int64(c.Limit))
	dst = binary.AppendVarint(dst, int64(c.PerPartitionLimit))
	dst = binary.AppendVarint(dst, int64(c.PartitionLimit))
	dst = binary.AppendVarint(dst, c.NowSeconds)
	return appendIndexRead(dst, c.Index)
}

// DecodeReadCommand decodes a ReadCommand encoded by AppendReadCommand.
// The result does not alias src.
func DecodeReadCommand(src []byte) (*ReadCommand, error) {
	d := decoder{buf: append([]byte(nil), src...)}
	c := d.readCommand()
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes after read command", ErrCorrupt, len(d.buf))
	}
	if d.err != nil {
		return nil, fmt.Errorf("cannot decode read command: %w", d.err)
	}
	return c, nil
}

func (d *decoder) readCommand() *ReadCommand {
	if v := d.byte("version"); d.err == nil && v != readCommandCodecVersion {
		d.err = fmt.Errorf("%w: unknown read command encoding version %d", ErrCorrupt, v)
		return nil
	}
	c := &ReadCommand{
		Table:      TableID(d.uint32("table id")),
		Key:        d.optBytes("partition key"),
		Token:      d.varint("token"),
		StartToken: d.varint("start token"),
		EndToken:   d.varint("end token"),
		AfterKey:   d.optBytes("after key"),
	}
	if d.bool("slices flag") {
		n := d.count("slice count", minSliceSize)
		c.Slices = make([]Slice, n)
		for i := range c.Slices {
			c.Slices[i] = Slice{Start: d.bound("slice start"), End: d.bound("slice end")}
		}
	}
	c.Reversed = d.bool("reversed flag")
	if d.bool("columns flag") {
		n := d.count("column count", minColumnIDSize)
		c.Columns = make([]ColumnID, n)
		for i := range c.Columns {
			c.Columns[i] = ColumnID(d.uint16("column id"))
		}
	}
	c.Static = d.bool("static flag")
	c.AfterClustering = d.optBytes("after clustering")
	c.Limit = d.intField("limit")
	c.PerPartitionLimit = d.intField("per partition limit")
	c.PartitionLimit = d.intField("partition limit")
	c.NowSeconds = d.varint("now")
	c.Index = d.indexRead()
	if d.err != nil {
		return nil
	}
	return c
}

func (d *decoder) intField(what string) int {
	v := d.varint(what)
	if v < 0 || v > math.MaxInt32 {
		d.fail(what)
		return 0
	}
	return int(v)
}
