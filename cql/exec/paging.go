package exec

import (
	"encoding/binary"
	"errors"
)

// pagingState is where a paged SELECT stopped: the position of the last
// row it consumed, and what is left of its limits. It travels to the
// client as opaque bytes and comes back with the next request, possibly on
// another connection, so it holds everything needed to resume and nothing
// tied to this node's memory.
//
// Encoding (version 1):
//
//	byte    version (1)
//	byte    flags: 0x01 the partition is finished, resume at the next one
//	uvarint len, bytes  partition key of the last consumed row
//	uvarint len, bytes  clustering key of the last consumed row (empty: static row / none)
//	uvarint partition index (position in an IN list of partition keys)
//	uvarint remaining LIMIT (0: no limit)
//	uvarint rows already returned from the current partition (PER PARTITION LIMIT)
type pagingState struct {
	PartitionDone bool
	Key           []byte
	Clustering    []byte
	KeyIndex      int
	Remaining     int // rows still allowed by LIMIT; 0 = no limit
	PartitionRows int // rows of Key already returned
}

const pagingVersion = 1

// maxPagingField bounds every length and count in a paging state, so a
// forged state can't make the executor allocate or loop without bound.
const maxPagingField = 1 << 20

var errBadPagingState = errors.New("exec: invalid paging state")

func (s *pagingState) encode() []byte {
	var flags byte
	if s.PartitionDone {
		flags |= 0x01
	}
	b := []byte{pagingVersion, flags}
	b = binary.AppendUvarint(b, uint64(len(s.Key)))
	b = append(b, s.Key...)
	b = binary.AppendUvarint(b, uint64(len(s.Clustering)))
	b = append(b, s.Clustering...)
	b = binary.AppendUvarint(b, uint64(s.KeyIndex))
	b = binary.AppendUvarint(b, uint64(s.Remaining))
	b = binary.AppendUvarint(b, uint64(s.PartitionRows))
	return b
}

// decodePagingState parses a state produced by encode. It never panics;
// anything it can't parse is errBadPagingState.
func decodePagingState(src []byte) (*pagingState, error) {
	if len(src) < 2 || src[0] != pagingVersion || src[1]&^0x01 != 0 {
		return nil, errBadPagingState
	}
	s := &pagingState{PartitionDone: src[1]&0x01 != 0}
	r := pagingReader{buf: src[2:]}
	s.Key = r.bytes()
	s.Clustering = r.bytes()
	s.KeyIndex = r.count()
	s.Remaining = r.count()
	s.PartitionRows = r.count()
	if r.err != nil || len(r.buf) != 0 {
		return nil, errBadPagingState
	}
	return s, nil
}

type pagingReader struct {
	buf []byte
	err error
}

func (r *pagingReader) count() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 || v > maxPagingField {
		r.err = errBadPagingState
		return 0
	}
	r.buf = r.buf[n:]
	return int(v)
}

func (r *pagingReader) bytes() []byte {
	n := r.count()
	if r.err != nil {
		return nil
	}
	if n > len(r.buf) {
		r.err = errBadPagingState
		return nil
	}
	out := append([]byte(nil), r.buf[:n]...)
	r.buf = r.buf[n:]
	return out
}

// pagingError is what the client sees for a state it didn't get from us.
func pagingError(err error) *Error {
	return Errorf(CodeProtocolError, "cannot decode paging state: %s", err).WithCause(err)
}
