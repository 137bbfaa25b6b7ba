package messaging

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is; every returned error
// wraps one of these, a context error, or a *RemoteError.
var (
	// ErrClosed: the Messenger was closed.
	ErrClosed = errors.New("messaging: closed")
	// ErrOverloaded: the peer's send queue or its in-flight request limit
	// is full. Nothing was sent; the coordinator turns it into an
	// Overloaded error or counts the replica as not answering.
	ErrOverloaded = errors.New("messaging: peer overloaded")
	// ErrUnreachable: the peer could not be dialed recently and is in
	// reconnect backoff; the request failed without being sent.
	ErrUnreachable = errors.New("messaging: peer unreachable")
	// ErrConnectionLost: the connection broke while the request was in
	// flight; the request may or may not have been executed.
	ErrConnectionLost = errors.New("messaging: connection lost")
	// ErrFrameTooLarge: a frame's payload exceeds Config.MaxFrameSize (on
	// send nothing is sent; on receive the connection is closed).
	ErrFrameTooLarge = errors.New("messaging: frame too large")
	// ErrMalformedFrame: a received frame header is invalid; the
	// connection is closed.
	ErrMalformedFrame = errors.New("messaging: malformed frame")
	// ErrVersion: the peer speaks another frame version.
	ErrVersion = errors.New("messaging: unsupported frame version")
	// ErrHandshake: the peer did not complete the hello exchange.
	ErrHandshake = errors.New("messaging: handshake failed")
)

// RemoteError is a failure reported by the peer's handler (or by the peer
// itself, for an unknown verb). The request reached the peer and was
// answered, so the connection is healthy.
type RemoteError struct {
	Verb    uint8
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("messaging: remote verb %d failed: %s", e.Verb, e.Message)
}
