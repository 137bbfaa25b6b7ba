package messaging

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config configures a Messenger. Zero values mean "default"; New applies
// EnsureDefaults and Validate to a copy.
type Config struct {
	// LocalID names this node to its peers in the handshake; handlers
	// receive the caller's LocalID as `from`. Typically the host id.
	LocalID string

	// TLS, when non-nil, wraps every connection, inbound and outbound.
	// The same config serves both sides: Certificates for our identity,
	// RootCAs to check peers, ClientAuth to require mutual TLS. Nil means
	// plain TCP.
	TLS *tls.Config

	// MaxFrameSize bounds a frame's payload. Default 64 MiB: larger than
	// any mutation or read response the coordinator accepts, small enough
	// that a corrupt length cannot exhaust memory.
	MaxFrameSize int

	// QueueSize is each connection's send queue, in frames. Default 4096:
	// enough to absorb bursts at tens of thousands of requests per second
	// per peer while the writer drains, small enough to fail fast (with
	// ErrOverloaded) when a peer stops reading.
	QueueSize int

	// MaxInFlight bounds the requests awaiting a response per peer.
	// Default 8192, twice QueueSize, so a full queue is reached first.
	MaxInFlight int

	// HandlerConcurrency bounds the handlers running per inbound
	// connection, and so its worker goroutines; past it the reader stops
	// reading and TCP pushes back.
	// Default 512.
	HandlerConcurrency int

	// DialTimeout bounds connecting and the handshake. Default 2 s, as a
	// LAN peer answers in milliseconds; longer only delays failure.
	DialTimeout time.Duration

	// WriteTimeout bounds each flush to a socket, so a peer that stops
	// reading cannot stall its writer forever. Default 10 s.
	WriteTimeout time.Duration

	// BackoffMin and BackoffMax bound the pause after a failed dial
	// during which requests to that peer fail fast with ErrUnreachable;
	// the pause doubles after each failure. Defaults 100 ms and 5 s:
	// quick to notice a restarted peer, cheap against a dead one.
	BackoffMin, BackoffMax time.Duration

	// Dial opens a TCP connection; default net.Dialer.DialContext. Tests
	// may inject faults here.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// Logger receives connection-level events; nil discards them.
	Logger *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = 64 << 20
	}
	if c.QueueSize == 0 {
		c.QueueSize = 4096
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 2 * c.QueueSize
	}
	if c.HandlerConcurrency == 0 {
		c.HandlerConcurrency = 512
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 2 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = 100 * time.Millisecond
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 5 * time.Second
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every invalid field at once.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.MaxFrameSize > 0 && c.MaxFrameSize <= 1<<31-1, "MaxFrameSize %d must be in (0, 2^31)", c.MaxFrameSize)
	check(c.QueueSize > 0, "QueueSize %d must be positive", c.QueueSize)
	check(c.MaxInFlight > 0, "MaxInFlight %d must be positive", c.MaxInFlight)
	check(c.HandlerConcurrency > 0, "HandlerConcurrency %d must be positive", c.HandlerConcurrency)
	check(c.DialTimeout > 0, "DialTimeout %s must be positive", c.DialTimeout)
	check(c.WriteTimeout > 0, "WriteTimeout %s must be positive", c.WriteTimeout)
	check(c.BackoffMin > 0 && c.BackoffMax >= c.BackoffMin, "backoff [%s, %s] must be positive and ordered", c.BackoffMin, c.BackoffMax)
	check(len(c.LocalID) <= 1024, "LocalID of %d bytes is longer than 1024", len(c.LocalID))
	if len(errs) > 0 {
		return fmt.Errorf("invalid messaging config: %w", errors.Join(errs...))
	}
	return nil
}
