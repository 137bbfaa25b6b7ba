package messaging

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Frame layout, big-endian (version 1):
//
//	offset size field
//	0      1    version        (Version)
//	1      1    kind           (kindRequest, kindResponse, ...)
//	2      1    verb           (caller-defined; 0-255)
//	3      1    flags          (reserved, must be 0)
//	4      8    id             (request id; a response echoes it)
//	12     4    timeout_ms     (requests: time the sender will wait; 0 = none)
//	16     4    length         (payload bytes that follow)
//	20     ...  payload
//
// The version byte comes first so a future format can be recognised and
// refused cleanly. The kind numbering is append-only.
// Version is the frame format version this package speaks.
const Version byte = 1

// headerSize is the fixed size of a frame header.
const headerSize = 20

// kind is a frame's role.
type kind byte

const (
	kindRequest  kind = 1 // expects a response with the same id
	kindResponse kind = 2 // successful answer; payload is the handler's result
	kindError    kind = 3 // failed answer; payload is the error text
	kindOneWay   kind = 4 // no response
	kindHello    kind = 5 // handshake; payload is the sender's local id
)

func (k kind) valid() bool { return k >= kindRequest && k <= kindHello }

// header is a decoded frame header.
type header struct {
	kind      kind
	verb      uint8
	id        uint64
	timeoutMS uint32
	length    uint32
}

// appendHeader appends the encoded header to dst.
func appendHeader(dst []byte, h header) []byte {
	dst = append(dst, Version, byte(h.kind), h.verb, 0)
	dst = binary.BigEndian.AppendUint64(dst, h.id)
	dst = binary.BigEndian.AppendUint32(dst, h.timeoutMS)
	return binary.BigEndian.AppendUint32(dst, h.length)
}

// decodeHeader decodes and checks a header: known version and kind, zero
// flags, and a payload no longer than maxPayload.
func decodeHeader(src []byte, maxPayload int) (header, error) {
	if len(src) < headerSize {
		return header{}, fmt.Errorf("cannot decode frame header of %d bytes: %w", len(src), ErrMalformedFrame)
	}
	if src[0] != Version {
		return header{}, fmt.Errorf("cannot decode frame header: version %d: %w", src[0], ErrVersion)
	}
	h := header{
		kind:      kind(src[1]),
		verb:      src[2],
		id:        binary.BigEndian.Uint64(src[4:12]),
		timeoutMS: binary.BigEndian.Uint32(src[12:16]),
		length:    binary.BigEndian.Uint32(src[16:20]),
	}
	if !h.kind.valid() || src[3] != 0 {
		return header{}, fmt.Errorf("cannot decode frame header: kind %d flags %#x: %w", src[1], src[3], ErrMalformedFrame)
	}
	if uint64(h.length) > uint64(maxPayload) {
		return header{}, fmt.Errorf("cannot accept frame of %d bytes (limit %d): %w", h.length, maxPayload, ErrFrameTooLarge)
	}
	return h, nil
}

// readFrame reads one frame. The length is checked against maxPayload
// before any payload is allocated, so a hostile length cannot make us
// allocate more than the limit.
func readFrame(r io.Reader, hdr *[headerSize]byte, maxPayload int) (header, []byte, error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return header{}, nil, fmt.Errorf("cannot read frame header: %w", err)
	}
	h, err := decodeHeader(hdr[:], maxPayload)
	if err != nil {
		return header{}, nil, err
	}
	payload := make([]byte, h.length)
	if _, err := io.ReadFull(r, payload); err != nil {
		return header{}, nil, fmt.Errorf("cannot read frame payload of %d bytes: %w", h.length, err)
	}
	return h, payload, nil
}
