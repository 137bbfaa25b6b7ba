package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sibyldb/sibyl/cql/protocol"
)

// CredentialsFunc checks a username and password from SASL PLAIN. It
// returns nil when they are valid, and an error otherwise (the client
// sees Bad credentials; the error's text is logged, not sent). It may be
// called by many goroutines at once.
type CredentialsFunc func(ctx context.Context, username, password string) error

// Config configures a Server. Zero values mean "default"; New applies
// EnsureDefaults and Validate to a copy.
type Config struct {
	// Address is where ListenAndServe listens, host:port. Default
	// 127.0.0.1:9042: the native port drivers assume, on loopback so a
	// node is not exposed until someone asks.
	Address string
	// MaxFrameSize is the largest frame body accepted, compressed or
	// decompressed. Default protocol.DefaultMaxFrameSize (256 MiB), the
	// spec's cap and Cassandra's native_transport_max_frame_size; a larger
	// frame gets a ProtocolError and the connection is closed, because its
	// body is never read.
	MaxFrameSize int
	// MaxInFlight bounds the requests (QUERY, PREPARE, EXECUTE, BATCH)
	// running at once on one connection. When it is reached the
	// connection stops reading until one of them is answered
	// (backpressure: the client's further requests wait in its socket),
	// unless the client opted in to THROW_ON_OVERLOAD: then the request is
	// answered Overloaded. Default 2048: drivers pipeline deeply (gocql
	// and Python allow 32768 streams), and a request running holds a
	// goroutine; memory is bounded by MaxRequestDataInFlight, not by this.
	MaxInFlight int
	// MaxRequestDataInFlight bounds, in bytes, the requests and answers
	// in flight across every connection: a request's body from the moment
	// it is read (plus an estimate of its answer, from the sizes of the
	// connection's recent answers) until it is answered, then its encoded
	// answer until it is written to the socket. When it is reached,
	// connections stop reading until answers drain; a connection with
	// nothing in flight is always admitted, so a request larger than the
	// budget still runs. Cassandra's
	// native_transport_max_request_data_in_flight. Default
	// DefaultMaxRequestDataInFlight(): 1/64 of the memory the process may
	// use, between 16 MiB and 256 MiB.
	MaxRequestDataInFlight int64
	// MaxRequestDataInFlightPerIP is the same bound for the connections of
	// one client IP address, so that a few clients cannot take it all.
	// Cassandra's native_transport_max_request_data_in_flight_per_ip.
	// Default a quarter of MaxRequestDataInFlight, Cassandra's ratio.
	MaxRequestDataInFlightPerIP int64
	// FrameTimeout is how long a frame that has started to arrive may go
	// without any more of its bytes arriving; the connection is then
	// closed. A connection idle between frames is never closed. Default
	// 30s, see DefaultFrameTimeout.
	FrameTimeout time.Duration
	// Credentials enables SASL PLAIN authentication
	// (org.apache.cassandra.auth.PasswordAuthenticator) when not nil;
	// nil allows every client without authentication.
	Credentials CredentialsFunc
	// Tracer runs the tracing sessions of requests with the tracing flag
	// and of those its probability picks (tracing.go); nil disables
	// tracing.
	Tracer Tracer
	// SlowQueryThreshold logs, at WARN, every request (QUERY, PREPARE,
	// EXECUTE, BATCH) that takes at least this long, with its trace
	// session id when it was traced; 0 turns the log off.
	SlowQueryThreshold time.Duration
	// Logger receives connection-level logs; nil discards them.
	Logger *slog.Logger
}

// Default values.
const (
	DefaultAddress     = "127.0.0.1:9042"
	DefaultMaxInFlight = 2048
	// DefaultFrameTimeout frees a connection whose client stopped in the
	// middle of a frame (and the bytes its request reserved) within half
	// a minute, long before TCP keepalive would notice a dead peer (Go
	// probes after 15s idle, then 9 times 15s), while a live client
	// writing a frame is never that slow: TCP retransmissions back off
	// over a few seconds, and the longest pauses of a client process (a
	// stop-the-world collection of a large JVM heap) are seconds too.
	// The clock runs only while a frame is incomplete and restarts with
	// every read that brings its bytes, so a large frame on a slow link is
	// not cut.
	DefaultFrameTimeout = 30 * time.Second
)

// EnsureDefaults fills zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = protocol.DefaultMaxFrameSize
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxRequestDataInFlight == 0 {
		c.MaxRequestDataInFlight = DefaultMaxRequestDataInFlight()
	}
	if c.MaxRequestDataInFlightPerIP == 0 {
		c.MaxRequestDataInFlightPerIP = c.MaxRequestDataInFlight / 4
	}
	if c.FrameTimeout == 0 {
		c.FrameTimeout = DefaultFrameTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem with c at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		errs = append(errs, fmt.Errorf("server: invalid address %q: %w", c.Address, err))
	}
	if c.MaxFrameSize < 1024 || c.MaxFrameSize > protocol.DefaultMaxFrameSize {
		errs = append(errs, fmt.Errorf("server: max frame size %d is outside [1024, %d]", c.MaxFrameSize, protocol.DefaultMaxFrameSize))
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 32768 {
		errs = append(errs, fmt.Errorf("server: max in-flight %d is outside [1, 32768]", c.MaxInFlight))
	}
	if c.MaxRequestDataInFlight < 1 {
		errs = append(errs, fmt.Errorf("server: max request data in flight %d is not positive", c.MaxRequestDataInFlight))
	}
	if c.MaxRequestDataInFlightPerIP < 1 {
		errs = append(errs, fmt.Errorf("server: max request data in flight per IP %d is not positive", c.MaxRequestDataInFlightPerIP))
	}
	if c.FrameTimeout <= 0 {
		errs = append(errs, fmt.Errorf("server: frame timeout %v is not positive", c.FrameTimeout))
	}
	return errors.Join(errs...)
}
