// Package protocol is the CQL native protocol, versions 3 and 4, as bytes
// and Go values: the 9-byte frame header, the primitive notations of the
// spec (section 3), every request and response message (section 4), the
// type options that describe column types (section 4.2.5.2), and the lz4
// and snappy body compression of section 5. It does no I/O and imports
// nothing else of Sibyl; cql/server drives it over connections.
//
// The reference is apache/cassandra doc/native_protocol_v4.spec. Where v3
// differs (no unset values, no pk_indexes in PREPARED metadata, no
// warnings or custom payloads, no date/time/smallint/tinyint types) the
// difference is noted beside the code that handles it.
//
// # Usage
//
// A reader of a stream of frames, in order:
//
//  1. peeks at the first byte and calls CheckVersion, then reads
//     HeaderSize bytes and calls DecodeHeader; a *VersionError from
//     either, or ErrFrameTooLarge, means the stream cannot go on (answer
//     with an ERROR frame and close). Versions 1 and 2 have an 8-byte
//     header, so the version must be checked before waiting for a ninth
//     byte; Header.Encode and AppendFrame write that header for them, so
//     the refusal can be read by their clients;
//  2. reads Header.Length more bytes, the body;
//  3. if Header.Flags has FlagCompression, decompresses the body with the
//     Compressor that STARTUP negotiated;
//  4. for a request, strips the custom payload with SplitRequestBody,
//     which refuses one in a v3 frame (tracing needs no stripping in
//     requests); header flags a version does not define are otherwise
//     ignored;
//  5. calls DecodeRequest (or, on the client side, DecodeResponse) with
//     the header's opcode and version.
//
// A writer encodes a message with its Encode method onto a buffer that
// already holds a header placeholder, then fills the header with
// Header.Encode (AppendFrame does all of this).
//
// # Codec discipline
//
// Every message has the symmetric pair Encode(dst []byte) ([]byte, error),
// which appends the body to dst, and Decode(src []byte) error, which
// replaces the receiver's contents. Messages whose layout depends on the
// protocol version (QUERY, EXECUTE and BATCH parameters, RESULT) carry a
// Version field that both directions honour; zero means Version4.
//
// Decoders check every length before slicing and never panic on any
// input; they return errors wrapping ErrMalformed, and counts read from
// the wire never size an allocation beyond what the remaining bytes could
// hold. Decoded byte slices alias src: copy them if src is reused. A
// decoded [bytes] or [value] keeps the difference between null (nil) and
// empty (non-nil, length 0), which CQL gives different meanings.
//
// Protocol enumerations (opcodes, flags, error codes, type ids) are
// append-only, as the spec's are.
package protocol
