package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// Handler executes statements for the server; *exec.Executor implements
// it. Calls for one connection are NOT serialized: CQL multiplexes
// streams, so Query, Prepare, Execute and Batch may run concurrently on
// the same Session, from many goroutines. Each call's context is
// cancelled when its connection closes. Errors that the client must see
// with a specific CQL code are returned as *exec.Error; any other error
// reaches the client as a Server error with the error's text. Byte slices
// in the arguments (values, ids, paging states) point into the request's
// frame, which the server never reuses, so the handler may keep them.
type Handler interface {
	// NewSession returns the state of a new connection (its keyspace).
	NewSession() *exec.Session
	Query(ctx context.Context, s *exec.Session, query string, o *exec.QueryOptions) (exec.Result, error)
	Prepare(ctx context.Context, s *exec.Session, query string) (*exec.PreparedResult, error)
	Execute(ctx context.Context, s *exec.Session, id []byte, o *exec.QueryOptions) (exec.Result, error)
	Batch(ctx context.Context, s *exec.Session, b *exec.Batch) (exec.Result, error)
}

// Server serves the CQL native protocol to client connections.
type Server struct {
	cfg     Config  // immutable
	handler Handler // immutable
	log     *slog.Logger
	budget  *budget // bytes in flight across connections

	mu struct {
		sync.Mutex
		closed    bool                      // guarded by mu: Shutdown was called
		listeners map[net.Listener]struct{} // guarded by mu
		conns     map[*conn]struct{}        // guarded by mu
	}
	// conns counts connection goroutines, so Shutdown can wait for them.
	conns sync.WaitGroup

	metrics struct {
		open, accepted, requests, overloaded, protocolErrors, droppedEvents, workers atomic.Int64
	}
}

// Metrics is a snapshot of the server's counters.
type Metrics struct {
	OpenConnections     int64
	AcceptedConnections int64
	Requests            int64 // QUERY, PREPARE, EXECUTE and BATCH started
	// Overloaded counts requests answered Overloaded: only clients that
	// sent THROW_ON_OVERLOAD get it, the others wait (see Paused).
	Overloaded int64
	// Paused counts the times a connection stopped reading because its
	// MaxInFlight requests were running or the bytes in flight were at
	// MaxRequestDataInFlight(PerIP), until answers drained.
	Paused int64
	// BytesInFlight is the bytes of requests and answers in flight now,
	// counted against MaxRequestDataInFlight.
	BytesInFlight  int64
	ProtocolErrors int64 // ProtocolErrors sent
	// DroppedEvents counts events a lagging connection could not take; the
	// connection is closed so its driver reconnects and refreshes.
	DroppedEvents int64
	// RequestWorkers is the number of request workers, running or idle,
	// across connections: at most the requests in flight plus 128 idle
	// per connection.
	RequestWorkers int64
}

// New returns a server that runs statements with h.
func New(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("server: nil handler")
	}
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, handler: h, log: cfg.Logger,
		budget: newBudget(cfg.MaxRequestDataInFlight, cfg.MaxRequestDataInFlightPerIP)}
	s.mu.listeners = make(map[net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	return s, nil
}

// Metrics returns the current counters.
func (s *Server) Metrics() Metrics {
	return Metrics{
		OpenConnections:     s.metrics.open.Load(),
		AcceptedConnections: s.metrics.accepted.Load(),
		Requests:            s.metrics.requests.Load(),
		Overloaded:          s.metrics.overloaded.Load(),
		Paused:              s.budget.pauses(),
		BytesInFlight:       s.budget.inUse(),
		ProtocolErrors:      s.metrics.protocolErrors.Load(),
		DroppedEvents:       s.metrics.droppedEvents.Load(),
		RequestWorkers:      s.metrics.workers.Load(),
	}
}

// ListenAndServe listens on Config.Address and serves until ctx is done
// or Shutdown is called.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("cannot listen for CQL clients: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln and serves each until it closes. It
// returns when ctx is done (closing every connection it accepted, at
// once), after Shutdown (ErrServerClosed, once its connections have
// drained), or when accepting fails for good (closing its connections);
// it closes ln in every case, and returns only after every connection it
// accepted has ended. Serve may be called with several listeners at once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		return errors.New("server: nil listener")
	}
	if !s.trackListener(ln) {
		_ = ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	var conns sync.WaitGroup
	err := s.acceptLoop(ctx, ln, &conns)
	if err != nil && !errors.Is(err, ErrServerClosed) {
		cancel() // the listener is broken: stop its connections too
	}
	// After Shutdown the connections drain; otherwise they were cancelled.
	conns.Wait()
	return err
}

func (s *Server) acceptLoop(ctx context.Context, ln net.Listener, conns *sync.WaitGroup) error {
	backoff := time.Duration(0)
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if s.isClosed() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("cannot accept CQL connection; retrying", "error", err, "delay", backoff)
				if !sleepCtx(ctx, backoff) {
					return nil
				}
				continue
			}
			_ = ln.Close()
			return fmt.Errorf("cannot accept CQL connections: %w", err)
		}
		backoff = 0
		s.startConn(ctx, nc, conns)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return false
	}
	s.mu.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.listeners, ln)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closed
}

// startConn registers a connection and runs it in its own goroutine,
// owned by Serve (conns) and counted for Shutdown (s.conns).
func (s *Server) startConn(ctx context.Context, nc net.Conn, conns *sync.WaitGroup) {
	c := newConn(ctx, s, nc)
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		c.cancel()
		_ = nc.Close()
		return
	}
	s.mu.conns[c] = struct{}{}
	s.conns.Add(1)
	conns.Add(1)
	s.mu.Unlock()
	s.metrics.accepted.Add(1)
	s.metrics.open.Add(1)
	go func() {
		defer conns.Done()
		defer s.conns.Done()
		defer s.metrics.open.Add(-1)
		defer s.forgetConn(c)
		c.serve()
	}()
}

func (s *Server) forgetConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mu.conns, c)
}

func (s *Server) snapshotConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.mu.conns))
	for c := range s.mu.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown stops accepting connections, then drains the open ones: each
// stops reading requests, finishes those in flight, sends their answers
// and closes. If ctx ends first, the remaining connections are closed at
// once (their requests' contexts are cancelled) and Shutdown returns
// ctx's error after they have ended.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.mu.closed = true
	for ln := range s.mu.listeners {
		_ = ln.Close()
	}
	s.mu.Unlock()

	for _, c := range s.snapshotConns() {
		c.drain()
	}
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, c := range s.snapshotConns() {
		c.cancel()
	}
	<-done
	return fmt.Errorf("server: shutdown did not drain in time: %w", ctx.Err())
}

// Publish pushes an event to every connection that registered for its
// type. It never blocks: a connection whose outgoing queue is full is
// closed instead (its driver reconnects and reloads what it missed).
func (s *Server) Publish(ev exec.Event) {
	m, err := eventMessage(ev)
	if err != nil {
		s.log.Error("cannot publish event", "error", err)
		return
	}
	for _, c := range s.snapshotConns() {
		c.pushEvent(m)
	}
}

// registeredBit maps an event type to its bit in conn.events.
func registeredBit(t string) uint32 {
	switch t {
	case protocol.EventTopologyChange:
		return 1
	case protocol.EventStatusChange:
		return 2
	case protocol.EventSchemaChange:
		return 4
	}
	return 0
}
