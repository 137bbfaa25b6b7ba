package protocol

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every decoding error: a body or primitive
// that is truncated, has an impossible length, or holds a value the spec
// does not allow. The frame it came from was intact, so the connection
// can answer with a ProtocolError and go on.
var ErrMalformed = errors.New("protocol: malformed message")

// ErrFrameTooLarge is returned by DecodeHeader when a frame's body length
// exceeds the limit. The body is not read, so the stream cannot be
// resynchronised: the connection must be closed after the error answer.
var ErrFrameTooLarge = errors.New("protocol: frame too large")

// ErrUnknownOpcode is returned by DecodeRequest and DecodeResponse for an
// opcode the protocol does not define in that direction.
var ErrUnknownOpcode = errors.New("protocol: unknown opcode")

// ErrCompression is wrapped by compression and decompression failures.
var ErrCompression = errors.New("protocol: compression failed")

// VersionError is returned by CheckVersion and DecodeHeader for a
// protocol version Sibyl does not speak (anything but 3 and 4). Its Error
// text is Cassandra's, with the versions Sibyl supports; drivers look for
// it to negotiate a lower version.
type VersionError struct {
	Version byte // the low 7 bits of the header's first byte
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4)", e.Version)
}

func malformed(what string) error {
	return fmt.Errorf("%w: %s", ErrMalformed, what)
}
