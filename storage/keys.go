package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Key layout (FORMAT.md has the full description). The first byte of
// every key names its space, so the spaces can never collide:
//
//	0x01 name                                  node-local metadata
//	0x02                                       schema catalog blob
//	0x03 host[16] seq(u64)                     hints, per target, in time order
//	0x04 table(u32) token(u64^1<<63) esc(pk)   a partition's Paxos state (paxos.go)
//	0x10 table(u32) token(u64^1<<63) esc(pk)   a partition's prefix, followed by
//	     0x10                                  partition header (partition deletion)
//	     0x18 esc(start) sk esc(end) ek        range tombstone
//	     0x20 sub                              static row
//	     0x30 esc(ck) sub                      clustering row
//	sub: 0x00 | 0x01 col(u16) | 0x02 col(u16) path
//	     row header | collection deletion | cell
//
// Rows are written packed under their header key (packed.go); the 0x01
// and 0x02 keys are those of stores written before, still read.
const (
	spaceLocal   byte = 0x01
	spaceCatalog byte = 0x02
	spaceHints   byte = 0x03
	spacePaxos   byte = 0x04
	spaceTable   byte = 0x10
	spaceEnd     byte = 0x11 // first byte after every table key

	regionHeader    byte = 0x10
	regionRangeTomb byte = 0x18
	regionStatic    byte = 0x20
	regionRows      byte = 0x30
	regionEnd       byte = 0x31 // first byte after every region

	subHeader    byte = 0x00
	subColumnDel byte = 0x01
	subCell      byte = 0x02

	// Range tombstone bound kinds: where the bound sits relative to the
	// rows that extend its prefix (ByteComparable's 0x20 / 0x60).
	boundBefore byte = 0x20
	boundAfter  byte = 0x60

	tablePrefixLen     = 1 + 4
	partitionHeaderLen = tablePrefixLen + 8
)

// errBadKey is wrapped by key decoders when a key is not well formed.
var errBadKey = errors.New("storage: malformed key")

// encodeToken maps a signed token to 8 bytes whose byte order is the
// token order.
func appendToken(dst []byte, token int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(token)^(1<<63))
}

func decodeToken(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// appendEscaped appends b with every 0x00 written as 0x00 0xFF, then the
// terminator 0x00 0x01. The encoding preserves byte order and is
// prefix-free: no escaped string is a prefix of another.
func appendEscaped(dst, b []byte) []byte {
	dst = appendEscapedOpen(dst, b)
	return append(dst, 0x00, 0x01)
}

// appendEscapedOpen appends b escaped but unterminated: every escaped
// string that starts with b sorts at or after the result.
func appendEscapedOpen(dst, b []byte) []byte {
	for {
		i := indexZero(b)
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, 0x00, 0xFF)
		b = b[i+1:]
	}
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// decodeEscaped decodes an escaped string at the start of src, appending
// it to dst, and returns the rest of src after the terminator.
func decodeEscaped(dst, src []byte) (out, rest []byte, err error) {
	for {
		i := indexZero(src)
		if i < 0 || i+1 >= len(src) {
			return nil, nil, fmt.Errorf("%w: unterminated escaped string", errBadKey)
		}
		dst = append(dst, src[:i]...)
		switch src[i+1] {
		case 0x01:
			return dst, src[i+2:], nil
		case 0xFF:
			dst = append(dst, 0x00)
			src = src[i+2:]
		default:
			return nil, nil, fmt.Errorf("%w: bad escape byte %#x", errBadKey, src[i+1])
		}
	}
}

// skipEscaped returns the rest of src after the escaped string at its
// start, without decoding it.
func skipEscaped(src []byte) ([]byte, error) {
	for j := 0; ; {
		i := indexZero(src[j:])
		if i < 0 || j+i+1 >= len(src) {
			return nil, fmt.Errorf("%w: unterminated escaped string", errBadKey)
		}
		j += i
		switch src[j+1] {
		case 0x01:
			return src[j+2:], nil
		case 0xFF:
			j += 2
		default:
			return nil, fmt.Errorf("%w: bad escape byte %#x", errBadKey, src[j+1])
		}
	}
}

func appendTablePrefix(dst []byte, t schema.TableID) []byte {
	dst = append(dst, spaceTable)
	return binary.BigEndian.AppendUint32(dst, uint32(t))
}

// tableSpan returns the key span [start, end) holding every key of t.
func tableSpan(t schema.TableID) (start, end []byte) {
	start = appendTablePrefix(nil, t)
	if t == math.MaxUint32 {
		return start, []byte{spaceEnd}
	}
	return start, appendTablePrefix(nil, t+1)
}

// appendPartitionPrefix appends the prefix shared by every key of one
// partition.
func appendPartitionPrefix(dst []byte, t schema.TableID, token int64, key []byte) []byte {
	dst = appendTablePrefix(dst, t)
	dst = appendToken(dst, token)
	return appendEscaped(dst, key)
}

// tokenKey is the first key of t whose token is >= token.
func tokenKey(dst []byte, t schema.TableID, token int64) []byte {
	return appendToken(appendTablePrefix(dst, t), token)
}

// afterTokenKey is the first key of t whose token is > token (for
// token == MaxInt64, the end of the table).
func afterTokenKey(dst []byte, t schema.TableID, token int64) []byte {
	if token == math.MaxInt64 {
		_, end := tableSpan(t)
		return append(dst, end...)
	}
	return tokenKey(dst, t, token+1)
}

// prefixSuccessor returns the smallest key greater than every key that
// starts with p (p must not be all 0xFF, which never happens for our
// prefixes, since they end in an escape terminator or a region byte).
func prefixSuccessor(dst, p []byte) []byte {
	dst = append(dst, p...)
	for i := len(dst) - 1; i >= 0; i-- {
		if dst[i] != 0xFF {
			dst[i]++
			return dst[:i+1]
		}
	}
	return append(dst[:0], 0xFF) // unreachable for our keys
}

// partitionKeyInfo is what a table data key says about its partition.
type partitionKeyInfo struct {
	table  schema.TableID
	token  int64
	prefix []byte // the partition prefix within the key
	rest   []byte // the key after the prefix
}

// splitPartitionKey splits a table data key into its partition prefix and
// the rest.
func splitPartitionKey(k []byte) (partitionKeyInfo, error) {
	if len(k) < partitionHeaderLen || k[0] != spaceTable {
		return partitionKeyInfo{}, fmt.Errorf("%w: not a table data key", errBadKey)
	}
	rest, err := skipEscaped(k[partitionHeaderLen:])
	if err != nil {
		return partitionKeyInfo{}, err
	}
	n := len(k) - len(rest)
	return partitionKeyInfo{
		table:  schema.TableID(binary.BigEndian.Uint32(k[1:5])),
		token:  decodeToken(k[5:13]),
		prefix: k[:n:n],
		rest:   rest,
	}, nil
}

// keyTable returns the table of a table data key, or false.
func keyTable(k []byte) (schema.TableID, bool) {
	// Index entries carry their table at the same place (index.go), so
	// they are purged by their table's gc horizon like its cells.
	if len(k) < tablePrefixLen || (k[0] != spaceTable && k[0] != spaceIndex) {
		return 0, false
	}
	return schema.TableID(binary.BigEndian.Uint32(k[1:5])), true
}

// partitionKeyBytes decodes the partition key of a partition prefix.
func partitionKeyBytes(dst, prefix []byte) ([]byte, error) {
	if len(prefix) < partitionHeaderLen {
		return nil, fmt.Errorf("%w: short partition prefix", errBadKey)
	}
	k, _, err := decodeEscaped(dst, prefix[partitionHeaderLen:])
	return k, err
}

// Suffix builders. Each appends to a partition prefix.

func appendHeaderKey(dst []byte) []byte { return append(dst, regionHeader) }

func boundKinds(b schema.Bound, start bool) byte {
	// A start bound that includes its prefix sits before the rows that
	// extend it; an exclusive one after them. End bounds the other way.
	if b.Inclusive == start {
		return boundBefore
	}
	return boundAfter
}

func appendRangeTombstoneKey(dst []byte, rt *schema.RangeTombstone) []byte {
	dst = append(dst, regionRangeTomb)
	dst = appendEscaped(dst, rt.Start.Prefix)
	dst = append(dst, boundKinds(rt.Start, true))
	dst = appendEscaped(dst, rt.End.Prefix)
	return append(dst, boundKinds(rt.End, false))
}

// decodeRangeTombstoneKey decodes the suffix after regionRangeTomb.
func decodeRangeTombstoneKey(s []byte, rt *schema.RangeTombstone) error {
	var err error
	var start, end []byte
	if start, s, err = decodeEscaped(nil, s); err != nil {
		return err
	}
	if len(s) < 1 {
		return fmt.Errorf("%w: range tombstone start kind missing", errBadKey)
	}
	sk := s[0]
	if end, s, err = decodeEscaped(nil, s[1:]); err != nil {
		return err
	}
	if len(s) != 1 || (sk != boundBefore && sk != boundAfter) || (s[0] != boundBefore && s[0] != boundAfter) {
		return fmt.Errorf("%w: bad range tombstone bound kinds", errBadKey)
	}
	rt.Start = schema.Bound{Prefix: nilIfEmpty(start), Inclusive: sk == boundBefore}
	rt.End = schema.Bound{Prefix: nilIfEmpty(end), Inclusive: s[0] == boundAfter}
	return nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// appendRowPrefix appends the region and clustering of a row: the static
// row when static is true.
func appendRowPrefix(dst []byte, static bool, ck []byte) []byte {
	if static {
		return append(dst, regionStatic)
	}
	dst = append(dst, regionRows)
	return appendEscaped(dst, ck)
}

func appendColumnDelSub(dst []byte, col schema.ColumnID) []byte {
	dst = append(dst, subColumnDel)
	return binary.BigEndian.AppendUint16(dst, uint16(col))
}

func appendCellSub(dst []byte, col schema.ColumnID, path []byte) []byte {
	dst = append(dst, subCell)
	dst = binary.BigEndian.AppendUint16(dst, uint16(col))
	return append(dst, path...)
}

// rowKey is a decoded key inside a partition.
type rowKey struct {
	region     byte
	clustering []byte // escaped-decoded; aliases scratch, valid until the next decode
	rowPrefix  int    // length of the key suffix up to the sub-key (region + clustering)
	sub        byte
	column     schema.ColumnID
	path       []byte // aliases the key
}

// decodeRowSuffix decodes the part of a key after its partition prefix,
// for the static and row regions. scratch is reused for the clustering.
func decodeRowSuffix(s []byte, scratch []byte, rk *rowKey) ([]byte, error) {
	if len(s) == 0 {
		return scratch, fmt.Errorf("%w: missing region", errBadKey)
	}
	full := len(s)
	rk.region = s[0]
	s = s[1:]
	rk.clustering = nil
	switch rk.region {
	case regionStatic:
	case regionRows:
		var err error
		scratch, s, err = decodeEscaped(scratch[:0], s)
		if err != nil {
			return scratch, err
		}
		rk.clustering = scratch
	default:
		return scratch, fmt.Errorf("%w: region %#x is not a row region", errBadKey, rk.region)
	}
	rk.rowPrefix = full - len(s)
	return scratch, decodeSub(s, rk)
}

// decodeSub decodes a row sub-key (what follows the row's region and
// clustering) into rk.
func decodeSub(s []byte, rk *rowKey) error {
	if len(s) == 0 {
		return fmt.Errorf("%w: missing row sub-key", errBadKey)
	}
	rk.sub = s[0]
	rk.path = nil
	switch rk.sub {
	case subHeader:
		if len(s) != 1 {
			return fmt.Errorf("%w: trailing bytes after row header key", errBadKey)
		}
	case subColumnDel:
		if len(s) != 3 {
			return fmt.Errorf("%w: bad collection deletion key", errBadKey)
		}
		rk.column = schema.ColumnID(binary.BigEndian.Uint16(s[1:3]))
	case subCell:
		if len(s) < 3 {
			return fmt.Errorf("%w: bad cell key", errBadKey)
		}
		rk.column = schema.ColumnID(binary.BigEndian.Uint16(s[1:3]))
		rk.path = nilIfEmpty(s[3:])
	default:
		return fmt.Errorf("%w: unknown row sub-key %#x", errBadKey, rk.sub)
	}
	return nil
}

// Reserved spaces.

func localKey(name string) []byte { return append([]byte{spaceLocal}, name...) }

var catalogKey = []byte{spaceCatalog}

// HostID identifies a node: the ring's host id, the key of its hints.
type HostID = ring.HostID

func hintPrefix(target HostID) []byte { return append([]byte{spaceHints}, target[:]...) }

func hintKey(target HostID, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(hintPrefix(target), seq)
}

func decodeHintKey(k []byte) (HostID, uint64, error) {
	var h HostID
	if len(k) != 1+16+8 || k[0] != spaceHints {
		return h, 0, fmt.Errorf("%w: not a hint key", errBadKey)
	}
	copy(h[:], k[1:17])
	return h, binary.BigEndian.Uint64(k[17:]), nil
}
