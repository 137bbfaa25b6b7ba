package messaging

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Handler serves one verb. It is called on one of the connection's worker
// goroutines, concurrently with other handlers (also for the same peer and
// verb), with a context
// that carries the caller's deadline and is cancelled when the connection
// closes or the Messenger shuts down. from is the caller's
// Config.LocalID. For a request the returned bytes (or the error's text)
// go back to the caller; for a one-way message they are discarded. The
// handler must not keep payload's storage beyond its return unless it
// owns it (it does: each frame's payload is freshly allocated).
type Handler func(ctx context.Context, from string, payload []byte) ([]byte, error)

// Messenger sends and serves internode messages. It is safe for
// concurrent use. Every goroutine it starts belongs to it and ends before
// Close returns.
type Messenger struct {
	cfg      Config // immutable after New
	counters counters
	ctx      context.Context
	cancel   context.CancelFunc

	tasks struct {
		sync.Mutex
		closed bool           // guarded by Mutex; no task starts once set
		wg     sync.WaitGroup // counts running tasks
	}
	mu struct {
		sync.RWMutex
		handlers  [256]Handler          // guarded by mu
		peers     map[string]*peer      // guarded by mu
		listeners map[net.Listener]bool // guarded by mu
	}
}

// New returns a Messenger configured by a copy of cfg with defaults
// applied. It starts nothing until Serve or the first send.
func New(cfg Config) (*Messenger, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Messenger{cfg: cfg}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.peers = make(map[string]*peer)
	m.mu.listeners = make(map[net.Listener]bool)
	return m, nil
}

// goTask runs fn on a goroutine owned by m; false once m is closing.
func (m *Messenger) goTask(fn func()) bool {
	m.tasks.Lock()
	defer m.tasks.Unlock()
	if m.tasks.closed {
		return false
	}
	m.tasks.wg.Go(fn)
	return true
}

// Handle registers h for verb, replacing any earlier handler. Requests for
// a verb without a handler get a *RemoteError back.
func (m *Messenger) Handle(verb uint8, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mu.handlers[verb] = h
}

func (m *Messenger) handler(verb uint8) Handler {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.mu.handlers[verb]
}

// Request sends payload to the peer at addr (host:port) for verb and
// waits for the answer, at most until ctx ends. The peer's handler sees
// ctx's deadline. Errors: ErrOverloaded and ErrUnreachable (nothing was
// sent), ErrConnectionLost (the outcome is unknown), ctx's error, a
// *RemoteError (the handler failed), ErrFrameTooLarge, ErrClosed. The
// caller must not modify payload until Request returns.
func (m *Messenger) Request(ctx context.Context, addr string, verb uint8, payload []byte) ([]byte, error) {
	out, err := m.outbound(ctx, addr, payload)
	if err != nil {
		return nil, err
	}
	return out.request(ctx, verb, payload)
}

// Call is a request started by Start whose answer has not been taken.
type Call struct {
	out *outbound
	id  uint64
}

// Start sends a request as Request does, but returns once it is queued:
// the answer, or the failure of the connection that carried it, goes to
// done, exactly once, on the connection's reader goroutine, so done must
// return at once (a send on a channel with room, say). A caller waits
// without a goroutine of its own; many requests share its wait.
//
// Start does not watch ctx beyond sending its deadline to the peer: a
// caller that stops waiting, because the deadline passed or it no longer
// needs the answer, calls Forget, or the request holds one of the
// connection's MaxInFlight slots until an answer or the connection's end.
// When Start returns an error, nothing was sent and done is never called.
// The writer reads payload after Start returns, even after Forget: the
// caller must not modify it.
func (m *Messenger) Start(ctx context.Context, addr string, verb uint8, payload []byte, done func(payload []byte, err error)) (Call, error) {
	out, err := m.outbound(ctx, addr, payload)
	if err != nil {
		return Call{}, err
	}
	id, err := out.send(ctx, verb, payload, waiter{done: done})
	if err != nil {
		return Call{}, err
	}
	return Call{out: out, id: id}, nil
}

// Forget stops waiting for c's answer and frees its in-flight slot. An
// answer already being delivered may still reach done, once; none does
// after that. Forgetting a call that was answered, or the zero Call, does
// nothing.
func (c Call) Forget() {
	if c.out != nil {
		c.out.inflight.forget(c.id)
	}
}

// Send queues a one-way message for verb to the peer at addr and returns
// once it is queued (not delivered). It waits only to connect. The writer
// reads payload after Send returns: the caller must not modify it.
// Messages are written in order, but the peer runs their handlers
// concurrently, so they may take effect in any order.
func (m *Messenger) Send(ctx context.Context, addr string, verb uint8, payload []byte) error {
	out, err := m.outbound(ctx, addr, payload)
	if err != nil {
		return err
	}
	if err := out.tryEnqueue(outFrame{h: header{kind: kindOneWay, verb: verb, length: uint32(len(payload))}, payload: payload}); err != nil {
		return err
	}
	m.counters.oneWaySent.Add(1)
	return nil
}

func (m *Messenger) outbound(ctx context.Context, addr string, payload []byte) (*outbound, error) {
	if len(payload) > m.cfg.MaxFrameSize {
		return nil, fmt.Errorf("cannot send %d bytes to %s (limit %d): %w", len(payload), addr, m.cfg.MaxFrameSize, ErrFrameTooLarge)
	}
	if m.ctx.Err() != nil {
		return nil, ErrClosed
	}
	return m.peer(addr).connection(ctx)
}

func (m *Messenger) peer(addr string) *peer {
	m.mu.RLock()
	p := m.mu.peers[addr]
	m.mu.RUnlock()
	if p != nil {
		return p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p = m.mu.peers[addr]; p == nil {
		p = &peer{m: m, addr: addr}
		m.mu.peers[addr] = p
	}
	return p
}

// Disconnect closes the connection to addr, if any, failing its in-flight
// requests with ErrConnectionLost, and forgets its backoff, so the next
// request dials afresh. Gossip calls it when a peer restarts (its old
// connection may be half-open) or comes back up after being marked down.
func (m *Messenger) Disconnect(addr string) {
	m.mu.RLock()
	p := m.mu.peers[addr]
	m.mu.RUnlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	out := p.mu.out
	p.mu.out, p.mu.retryAt, p.mu.nextWait = nil, time.Time{}, 0
	p.mu.Unlock()
	if out != nil {
		out.close(fmt.Errorf("disconnected from %s: %w", addr, ErrConnectionLost))
	}
}

// Close stops accepting, closes every connection (failing in-flight
// requests with ErrConnectionLost or ErrClosed), waits for every goroutine
// m started, including running handlers, to return, and closes the
// listeners passed to Serve.
func (m *Messenger) Close() error {
	m.tasks.Lock()
	m.tasks.closed = true
	m.tasks.Unlock()
	m.cancel()
	m.mu.Lock()
	var errs []error
	for ln := range m.mu.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	m.mu.Unlock()
	m.tasks.wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("cannot close messaging listeners: %w", errors.Join(errs...))
	}
	return nil
}
