package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is a native protocol version, without the direction bit.
type Version byte

// The versions Sibyl speaks. v5 is refused (on stream 0, so drivers step
// down) until its segment framing exists.
const (
	Version3 Version = 3
	Version4 Version = 4
)

// orDefault maps the zero Version of a message to Version4.
func (v Version) orDefault() Version {
	if v == 0 {
		return Version4
	}
	return v
}

// HeaderSize is the size of a v3/v4 frame header.
const HeaderSize = 9

// legacyHeaderSize is the size of a v1/v2 frame header, whose stream id
// is one byte. Sibyl writes such headers only to refuse those versions in
// a form their clients can read (Cassandra does the same,
// CASSANDRA-11464); it never reads them.
const legacyHeaderSize = 8

// headerSize is the size of a header of version v.
func headerSize(v Version) int {
	if v == 1 || v == 2 {
		return legacyHeaderSize
	}
	return HeaderSize
}

// CheckVersion checks the first byte of a frame, which holds its version
// (and the direction bit, ignored here), and returns a *VersionError if
// Sibyl does not speak that version. A reader calls it before waiting for
// the rest of the header: v1 and v2 headers are 8 bytes, not 9, and a
// later version's may not be 9 either.
func CheckVersion(first byte) error {
	if v := Version(first &^ directionResponse); v != Version3 && v != Version4 {
		return &VersionError{Version: byte(v)}
	}
	return nil
}

// DefaultMaxFrameSize is the largest frame body accepted unless configured
// otherwise: 256 MiB, the spec's hard cap and Cassandra's default
// native_transport_max_frame_size (gocql refuses larger bodies too).
const DefaultMaxFrameSize = 256 << 20

// directionResponse is the high bit of the version byte on responses.
const directionResponse = 0x80

// Flags are the header flags (spec section 2.2).
type Flags byte

// Header flags. CustomPayload and Warning exist from v4 on. A frame of v3
// or v4 may carry any other bit, which is ignored, as the spec (section
// 2.2, "the rest of flags is currently unused and ignored") and
// Cassandra 4.1 ignore it: the Python driver sets FlagBeta on every frame
// when allow_beta_protocol_version is on, whatever the version.
const (
	FlagCompression   Flags = 0x01
	FlagTracing       Flags = 0x02
	FlagCustomPayload Flags = 0x04
	FlagWarning       Flags = 0x08
	FlagBeta          Flags = 0x10 // USE_BETA, meaningful from v5 on
)

// Opcode identifies a message (spec section 2.4).
type Opcode byte

// Opcodes. 0x04 (CREDENTIALS) existed only in v1.
const (
	OpError         Opcode = 0x00
	OpStartup       Opcode = 0x01
	OpReady         Opcode = 0x02
	OpAuthenticate  Opcode = 0x03
	OpOptions       Opcode = 0x05
	OpSupported     Opcode = 0x06
	OpQuery         Opcode = 0x07
	OpResult        Opcode = 0x08
	OpPrepare       Opcode = 0x09
	OpExecute       Opcode = 0x0A
	OpRegister      Opcode = 0x0B
	OpEvent         Opcode = 0x0C
	OpBatch         Opcode = 0x0D
	OpAuthChallenge Opcode = 0x0E
	OpAuthResponse  Opcode = 0x0F
	OpAuthSuccess   Opcode = 0x10
)

var opcodeNames = [...]string{
	OpError: "ERROR", OpStartup: "STARTUP", OpReady: "READY", OpAuthenticate: "AUTHENTICATE",
	OpOptions: "OPTIONS", OpSupported: "SUPPORTED", OpQuery: "QUERY", OpResult: "RESULT",
	OpPrepare: "PREPARE", OpExecute: "EXECUTE", OpRegister: "REGISTER", OpEvent: "EVENT",
	OpBatch: "BATCH", OpAuthChallenge: "AUTH_CHALLENGE", OpAuthResponse: "AUTH_RESPONSE",
	OpAuthSuccess: "AUTH_SUCCESS",
}

func (o Opcode) String() string {
	if int(o) < len(opcodeNames) && opcodeNames[o] != "" {
		return opcodeNames[o]
	}
	return fmt.Sprintf("opcode(0x%02x)", byte(o))
}

// EventStream is the stream id of server-pushed EVENT frames.
const EventStream int16 = -1

// Header is a frame header (spec section 2).
type Header struct {
	Version  Version
	Response bool // the direction bit
	Flags    Flags
	Stream   int16
	Opcode   Opcode
	Length   uint32 // body length in bytes
}

// DecodeHeader decodes the HeaderSize bytes at the start of src. It
// checks, in this order: that there are enough bytes (ErrMalformed); the
// version (*VersionError, from CheckVersion); and the body length against
// maxFrameSize (ErrFrameTooLarge); maxFrameSize <= 0 means
// DefaultMaxFrameSize. With an error, the header's fields are filled all
// the same, so the caller can answer on the request's stream. Flags are
// not checked: bits a version does not define are ignored.
func DecodeHeader(src []byte, maxFrameSize int) (Header, error) {
	if len(src) < HeaderSize {
		return Header{}, fmt.Errorf("cannot decode frame header: %w", malformed(fmt.Sprintf("%d of %d bytes", len(src), HeaderSize)))
	}
	h := Header{
		Version:  Version(src[0] &^ directionResponse),
		Response: src[0]&directionResponse != 0,
		Flags:    Flags(src[1]),
		Stream:   int16(binary.BigEndian.Uint16(src[2:])),
		Opcode:   Opcode(src[4]),
		Length:   binary.BigEndian.Uint32(src[5:]),
	}
	if err := CheckVersion(src[0]); err != nil {
		return h, err
	}
	if maxFrameSize <= 0 {
		maxFrameSize = DefaultMaxFrameSize
	}
	if uint64(h.Length) > uint64(maxFrameSize) {
		return h, fmt.Errorf("frame body of %d bytes exceeds the limit of %d: %w", h.Length, maxFrameSize, ErrFrameTooLarge)
	}
	return h, nil
}

// Encode appends the header to dst: 9 bytes, or 8 with a one-byte
// stream id (the low byte of Stream) for versions 1 and 2.
func (h Header) Encode(dst []byte) []byte {
	v := byte(h.Version)
	if h.Response {
		v |= directionResponse
	}
	dst = append(dst, v, byte(h.Flags))
	if headerSize(h.Version) == legacyHeaderSize {
		dst = append(dst, byte(h.Stream))
	} else {
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Stream))
	}
	dst = append(dst, byte(h.Opcode))
	return binary.BigEndian.AppendUint32(dst, h.Length)
}

// AppendFrame appends a whole frame to dst: header h (whose Opcode and
// Length it sets) and the body of m, compressed with c when c is not nil
// (the header then gets FlagCompression). Encoding errors leave dst as it
// was. A frame of version 1 or 2 gets the 8-byte header of those
// versions; only an ERROR refusing them should be written so.
func AppendFrame(dst []byte, h Header, m Message, c Compressor) ([]byte, error) {
	start := len(dst)
	hs := headerSize(h.Version)
	dst = append(dst, make([]byte, hs)...)
	body, err := m.Encode(dst)
	if err != nil {
		return dst[:start], fmt.Errorf("cannot encode %s frame: %w", m.Opcode(), err)
	}
	h.Opcode = m.Opcode()
	if c != nil && len(body) > start+hs {
		// Compress behind the raw body, in the same buffer, then move the
		// result over it: no buffer per frame. Compress appends, so it
		// never writes over the raw body it reads.
		rawEnd := len(body)
		out, err := c.Compress(body, body[start+hs:rawEnd])
		if err != nil {
			return dst[:start], fmt.Errorf("cannot compress %s frame: %w", m.Opcode(), err)
		}
		n := copy(out[start+hs:], out[rawEnd:])
		body = out[:start+hs+n]
		h.Flags |= FlagCompression
	} else {
		h.Flags &^= FlagCompression
	}
	n := len(body) - start - hs
	if n > maxInt {
		return dst[:start], fmt.Errorf("cannot encode %s frame: body of %d bytes: %w", m.Opcode(), n, ErrFrameTooLarge)
	}
	h.Length = uint32(n)
	h.Encode(body[start:start])
	return body, nil
}

// SplitRequestBody removes the custom payload ([bytes map]) that starts
// the body of a request with header h when h has FlagCustomPayload, and
// returns it and the rest. Tracing on a request adds nothing to its body.
// Custom payloads exist from v4 on: in an earlier frame the flag is an
// error (ErrMalformed; Cassandra refuses it too), not an ignored bit,
// because a v3 client that set it meant its body to start with one.
func SplitRequestBody(h Header, body []byte) (map[string][]byte, []byte, error) {
	if h.Flags&FlagCustomPayload == 0 {
		return nil, body, nil
	}
	if h.Version < Version4 {
		return nil, nil, fmt.Errorf("cannot decode request prefix: %w", malformed(fmt.Sprintf(
			"CUSTOM_PAYLOAD flag (0x%02x) in a protocol v%d frame; custom payloads exist only from v4 on", byte(FlagCustomPayload), h.Version)))
	}
	d := decoder{b: body}
	payload := d.bytesMap("custom payload")
	if d.err != nil {
		return nil, nil, fmt.Errorf("cannot decode request prefix: %w", d.err)
	}
	return payload, d.b, nil
}

// ResponsePrefix is what may precede a response body, in this order:
// a tracing session id, warnings, a custom payload.
type ResponsePrefix struct {
	TracingID     *UUID
	Warnings      []string
	CustomPayload map[string][]byte
}

// SplitResponseBody removes the prefix that flags announce from a
// response body.
func SplitResponseBody(flags Flags, body []byte) (ResponsePrefix, []byte, error) {
	var p ResponsePrefix
	d := decoder{b: body}
	if flags&FlagTracing != 0 {
		u := d.uuid("tracing id")
		p.TracingID = &u
	}
	if flags&FlagWarning != 0 {
		p.Warnings = d.stringList("warnings")
	}
	if flags&FlagCustomPayload != 0 {
		p.CustomPayload = d.bytesMap("custom payload")
	}
	if d.err != nil {
		return p, nil, fmt.Errorf("cannot decode response prefix: %w", d.err)
	}
	return p, d.b, nil
}

// Flags returns the header flags that announce p.
func (p *ResponsePrefix) Flags() Flags {
	var f Flags
	if p.TracingID != nil {
		f |= FlagTracing
	}
	if p.Warnings != nil {
		f |= FlagWarning
	}
	if p.CustomPayload != nil {
		f |= FlagCustomPayload
	}
	return f
}

// Prefixed is a response message behind a prefix (tracing id, warnings,
// custom payload); the frame carrying it must have Prefix.Flags().
type Prefixed struct {
	Prefix ResponsePrefix
	Message
}

// Encode appends the prefix, then the message.
func (p *Prefixed) Encode(dst []byte) ([]byte, error) {
	dst, err := p.Prefix.Encode(dst)
	if err != nil {
		return dst, err
	}
	return p.Message.Encode(dst)
}

// Decode is not supported: a response's prefix is split off by
// SplitResponseBody before its message is decoded.
func (p *Prefixed) Decode([]byte) error {
	return errors.New("protocol: a prefixed message cannot be decoded; use SplitResponseBody")
}

// Encode appends the prefix to dst, in the order SplitResponseBody reads
// it. The frame must carry p.Flags().
func (p *ResponsePrefix) Encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	if p.TracingID != nil {
		e.uuid(*p.TracingID)
	}
	if p.Warnings != nil {
		e.stringList(p.Warnings)
	}
	if p.CustomPayload != nil {
		e.bytesMap(p.CustomPayload)
	}
	return e.result("response prefix")
}

// AppendRequestPayload appends a request's custom payload to dst; the
// frame must carry FlagCustomPayload and the message body must follow.
func AppendRequestPayload(dst []byte, payload map[string][]byte) ([]byte, error) {
	e := encoder{b: dst}
	e.bytesMap(payload)
	return e.result("custom payload")
}
