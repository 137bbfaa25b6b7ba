package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sibyldb/sibyl/schema"
)

// Value encodings (FORMAT.md). Every value starts with a tag byte saying
// which of the shapes it has (the fourth, the packed row 0x04, is in
// packed.go); every value is a merge operand, and
// merging two operands of the same key keeps the winner under the
// reconciliation rules (field by field for a row header).
//
//	deletion:   0x01 markedAt(i64) localDeletionTime(i64)
//	row header: 0x02 flags [marker: ts(i64) ttl(i32) expiresAt(i64)] [deletion: markedAt(i64) ldt(i64)]
//	cell:       0x03 flags ts(i64) [ldt(i64) if tombstone or ttl] [ttl(i32) if ttl] value...
//
// A counter cell sets flag bit 3: its value is a counter context
// (schema.AppendCounterContext) and it has no TTL; merging two of them
// merges their shards (counter.go). A counter's tombstone sets bits 0
// and 3 (schema: it outlives a newer row deletion).
//
// Integers are big-endian two's complement.
const (
	tagDeletion  byte = 0x01
	tagRowHeader byte = 0x02
	tagCell      byte = 0x03

	headerHasMarker   byte = 1 << 0
	headerHasDeletion byte = 1 << 1

	cellTombstone byte = 1 << 0
	cellTTL       byte = 1 << 1
	cellHasValue  byte = 1 << 2
	cellCounter   byte = 1 << 3

	deletionValueLen = 1 + 8 + 8
)

// errBadValue is wrapped by value decoders when a value is not well formed.
var errBadValue = errors.New("storage: malformed value")

func appendI64(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }
func getI64(b []byte) int64                { return int64(binary.BigEndian.Uint64(b)) }

func appendDeletionValue(dst []byte, d schema.Deletion) []byte {
	dst = append(dst, tagDeletion)
	dst = appendI64(dst, d.MarkedAt)
	return appendI64(dst, d.LocalDeletionTime)
}

func decodeDeletionValue(v []byte) (schema.Deletion, error) {
	if len(v) != deletionValueLen || v[0] != tagDeletion {
		return schema.LiveDeletion, fmt.Errorf("%w: bad deletion", errBadValue)
	}
	return schema.Deletion{MarkedAt: getI64(v[1:]), LocalDeletionTime: getI64(v[9:])}, nil
}

// rowHeader is a row's marker and row deletion.
type rowHeader struct {
	marker   schema.Liveness
	deletion schema.Deletion
}

func appendRowHeaderValue(dst []byte, h rowHeader) []byte { return appendHeader(dst, tagRowHeader, h) }

// appendHeader appends tag and the header fields: a row header (0x02) or
// the start of a packed row (0x04).
func appendHeader(dst []byte, tag byte, h rowHeader) []byte {
	var flags byte
	if h.marker.Timestamp != schema.NoTimestamp {
		flags |= headerHasMarker
	}
	if !h.deletion.Live() {
		flags |= headerHasDeletion
	}
	dst = append(dst, tag, flags)
	if flags&headerHasMarker != 0 {
		dst = appendI64(dst, h.marker.Timestamp)
		dst = binary.BigEndian.AppendUint32(dst, uint32(h.marker.TTL))
		dst = appendI64(dst, h.marker.ExpiresAt)
	}
	if flags&headerHasDeletion != 0 {
		dst = appendI64(dst, h.deletion.MarkedAt)
		dst = appendI64(dst, h.deletion.LocalDeletionTime)
	}
	return dst
}

func decodeRowHeaderValue(v []byte) (rowHeader, error) {
	if len(v) < 2 || v[0] != tagRowHeader {
		return rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion}, fmt.Errorf("%w: bad row header", errBadValue)
	}
	h, rest, err := decodeHeaderFields(v[1:])
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: trailing bytes in row header", errBadValue)
	}
	return h, err
}

// decodeHeaderFields decodes the header fields that follow the tag of a
// row header or a packed row: flags, marker, deletion. It returns what
// follows them.
func decodeHeaderFields(v []byte) (rowHeader, []byte, error) {
	h := rowHeader{marker: schema.NoLiveness, deletion: schema.LiveDeletion}
	if len(v) < 1 || v[0]&^(headerHasMarker|headerHasDeletion) != 0 {
		return h, nil, fmt.Errorf("%w: bad row header", errBadValue)
	}
	flags := v[0]
	v = v[1:]
	if flags&headerHasMarker != 0 {
		if len(v) < 20 {
			return h, nil, fmt.Errorf("%w: short row marker", errBadValue)
		}
		h.marker = schema.Liveness{Timestamp: getI64(v), TTL: int32(binary.BigEndian.Uint32(v[8:])), ExpiresAt: getI64(v[12:])}
		if h.marker.Timestamp == schema.NoTimestamp {
			return h, nil, fmt.Errorf("%w: row marker flagged but absent", errBadValue)
		}
		v = v[20:]
	}
	if flags&headerHasDeletion != 0 {
		if len(v) < 16 {
			return h, nil, fmt.Errorf("%w: short row deletion", errBadValue)
		}
		h.deletion = schema.Deletion{MarkedAt: getI64(v), LocalDeletionTime: getI64(v[8:])}
		if h.deletion.Live() {
			return h, nil, fmt.Errorf("%w: row deletion flagged but absent", errBadValue)
		}
		v = v[16:]
	}
	return h, v, nil
}

// appendCellValue encodes c's payload (not its column or path, which are
// in the key).
func appendCellValue(dst []byte, c *schema.Cell) []byte {
	var flags byte
	if c.Tombstone {
		flags |= cellTombstone
		if c.Counter != schema.NotCounter {
			flags |= cellCounter
		}
	} else {
		if c.TTL > 0 {
			flags |= cellTTL
		}
		if c.Value != nil {
			flags |= cellHasValue
		}
		if c.Counter == schema.CounterShards {
			flags |= cellCounter
		}
	}
	dst = append(dst, tagCell, flags)
	dst = appendI64(dst, c.Timestamp)
	if flags&(cellTombstone|cellTTL) != 0 {
		dst = appendI64(dst, c.LocalDeletionTime)
	}
	if flags&cellTTL != 0 {
		dst = binary.BigEndian.AppendUint32(dst, uint32(c.TTL))
	}
	if flags&cellHasValue != 0 {
		dst = append(dst, c.Value...)
	}
	return dst
}

// decodeCellValue decodes a cell payload into c (Column and Path are left
// alone). c.Value aliases v.
func decodeCellValue(v []byte, c *schema.Cell) error {
	if len(v) < 10 || v[0] != tagCell || v[1]&^(cellTombstone|cellTTL|cellHasValue|cellCounter) != 0 {
		return fmt.Errorf("%w: bad cell", errBadValue)
	}
	flags := v[1]
	if flags&cellTombstone != 0 && flags&^cellCounter != cellTombstone {
		return fmt.Errorf("%w: tombstone with value or ttl", errBadValue)
	}
	c.Counter = schema.NotCounter
	if flags&cellCounter != 0 {
		if flags != cellCounter|cellHasValue && flags != cellCounter|cellTombstone {
			return fmt.Errorf("%w: counter cell with ttl or without context", errBadValue)
		}
		c.Counter = schema.CounterShards
	}
	c.Timestamp = getI64(v[2:])
	c.Tombstone = flags&cellTombstone != 0
	c.TTL = 0
	c.LocalDeletionTime = schema.NoExpiry
	c.Value = nil
	v = v[10:]
	if flags&(cellTombstone|cellTTL) != 0 {
		if len(v) < 8 {
			return fmt.Errorf("%w: short cell deletion time", errBadValue)
		}
		c.LocalDeletionTime = getI64(v)
		v = v[8:]
	}
	if flags&cellTTL != 0 {
		if len(v) < 4 {
			return fmt.Errorf("%w: short cell ttl", errBadValue)
		}
		c.TTL = int32(binary.BigEndian.Uint32(v))
		if c.TTL <= 0 {
			return fmt.Errorf("%w: non-positive cell ttl", errBadValue)
		}
		v = v[4:]
	}
	if flags&cellHasValue != 0 {
		c.Value = v
		if c.Counter == schema.CounterShards {
			if _, err := schema.DecodeCounterContext(v); err != nil {
				return fmt.Errorf("%w: %w", errBadValue, err)
			}
		}
	} else if len(v) != 0 {
		return fmt.Errorf("%w: trailing bytes in cell without value", errBadValue)
	}
	return nil
}
