package messaging

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// peer is the outbound side towards one address: at most one connection
// at a time, dialed on demand, re-dialed after failures with exponential
// backoff during which requests fail fast.
type peer struct {
	m    *Messenger
	addr string
	mu   struct {
		sync.Mutex
		out      *outbound     // guarded by mu; nil or closed when not connected
		dialing  chan struct{} // guarded by mu; closed when the current dial ends
		lastErr  error         // guarded by mu; why the last dial failed
		retryAt  time.Time     // guarded by mu; no dial before this
		nextWait time.Duration // guarded by mu; backoff after the next failure
	}
}

// outbound is a connection we dialed: requests go out, responses come back.
type outbound struct {
	*conn
	inflight inflight
}

// connection returns a live connection to the peer, dialing if needed.
// Concurrent callers share one dial; each waits only as long as its ctx.
func (p *peer) connection(ctx context.Context) (*outbound, error) {
	for {
		p.mu.Lock()
		if out := p.mu.out; out != nil && !out.closed() {
			p.mu.Unlock()
			return out, nil
		}
		wait := p.mu.dialing
		if wait == nil {
			if now := time.Now(); now.Before(p.mu.retryAt) {
				err, retry := p.mu.lastErr, p.mu.retryAt.Sub(now)
				p.mu.Unlock()
				return nil, fmt.Errorf("cannot reach %s (retry in %s): %w", p.addr, retry.Round(time.Millisecond), unreachable(err))
			}
			wait = make(chan struct{})
			p.mu.dialing = wait
			if !p.m.goTask(func() { p.dial(wait) }) {
				p.mu.dialing = nil
				p.mu.Unlock()
				return nil, ErrClosed
			}
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("cannot connect to %s: %w", p.addr, ctx.Err())
		case <-p.m.ctx.Done():
			return nil, ErrClosed
		}
		p.mu.Lock()
		out, err := p.mu.out, p.mu.lastErr
		p.mu.Unlock()
		if out == nil || out.closed() {
			return nil, fmt.Errorf("cannot connect to %s: %w", p.addr, unreachable(err))
		}
	}
}

// unreachable wraps the last dial error (if any) in ErrUnreachable.
func unreachable(cause error) error {
	if cause == nil {
		return ErrUnreachable
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, cause)
}

// dial runs in its own task: it connects, handshakes, starts the
// connection's loops and publishes it, or records the failure and backs off.
func (p *peer) dial(done chan struct{}) {
	p.m.counters.dials.Add(1)
	out, err := p.connect()
	p.mu.Lock()
	defer p.mu.Unlock()
	defer close(done)
	p.mu.dialing = nil
	if err != nil {
		p.m.counters.dialFailures.Add(1)
		p.mu.lastErr = err
		p.mu.nextWait = min(max(p.mu.nextWait*2, p.m.cfg.BackoffMin), p.m.cfg.BackoffMax)
		p.mu.retryAt = time.Now().Add(p.mu.nextWait)
		p.m.cfg.Logger.Debug("messaging: dial failed", "peer", p.addr, "err", err, "backoff", p.mu.nextWait)
		return
	}
	p.mu.out, p.mu.lastErr, p.mu.nextWait, p.mu.retryAt = out, nil, 0, time.Time{}
}

func (p *peer) connect() (*outbound, error) {
	cfg := &p.m.cfg
	ctx, cancel := context.WithTimeout(p.m.ctx, cfg.DialTimeout)
	defer cancel()
	nc, err := cfg.Dial(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("cannot dial %s: %w", p.addr, err)
	}
	if cfg.TLS != nil {
		nc, err = clientTLS(ctx, nc, cfg.TLS, p.addr)
		if err != nil {
			return nil, err
		}
	}
	deadline, _ := ctx.Deadline()
	r := bufio.NewReaderSize(nc, 64<<10)
	peerID, err := handshake(nc, r, cfg, deadline)
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("cannot handshake with %s: %w", p.addr, err)
	}
	out := &outbound{conn: newConn(p.m.ctx, nc, r, peerID, cfg, &p.m.counters)}
	out.inflight.mu.waiting = make(map[uint64]waiter)
	if !p.m.goTask(out.writeLoop) || !p.m.goTask(out.readLoop) {
		out.close(ErrClosed)
		return nil, ErrClosed
	}
	return out, nil
}

func clientTLS(ctx context.Context, nc net.Conn, cfg *tls.Config, addr string) (net.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("cannot complete TLS handshake with %s: %w", addr, err)
	}
	return tc, nil
}

// readLoop delivers responses to waiting requests until the connection
// fails; then every request still waiting fails with ErrConnectionLost.
func (o *outbound) readLoop() {
	defer func() {
		o.inflight.failAll(fmt.Errorf("connection to %s closed (%w): %w", o.nc.RemoteAddr(), o.cause(), ErrConnectionLost))
	}()
	var hdr [headerSize]byte
	for {
		h, payload, err := o.readFrame(&hdr)
		if err != nil {
			o.close(err)
			return
		}
		switch h.kind {
		case kindResponse:
			o.inflight.complete(h.id, result{payload: payload})
		case kindError:
			o.inflight.complete(h.id, result{err: &RemoteError{Verb: h.verb, Message: string(payload)}})
		default:
			o.close(fmt.Errorf("unexpected frame kind %d on an outbound connection: %w", h.kind, ErrMalformedFrame))
			return
		}
	}
}

// request sends one request and waits for its response.
func (o *outbound) request(ctx context.Context, verb uint8, payload []byte) ([]byte, error) {
	ch := make(chan result, 1)
	id, err := o.send(ctx, verb, payload, waiter{ch: ch})
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.payload, r.err
	case <-ctx.Done():
		o.inflight.forget(id)
		return nil, fmt.Errorf("verb %d to %s: %w", verb, o.nc.RemoteAddr(), ctx.Err())
	}
}

// send registers a request whose answer goes to w and queues its frame,
// with ctx's deadline as the frame's timeout.
func (o *outbound) send(ctx context.Context, verb uint8, payload []byte, w waiter) (uint64, error) {
	h := header{kind: kindRequest, verb: verb, length: uint32(len(payload))}
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if left <= 0 {
			return 0, fmt.Errorf("cannot send verb %d: %w", verb, context.DeadlineExceeded)
		}
		h.timeoutMS = uint32(min(left.Milliseconds()+1, 1<<32-1))
	}
	id, err := o.inflight.register(o.cfg.MaxInFlight, w)
	if err != nil {
		if errors.Is(err, ErrOverloaded) {
			o.stats.overloaded.Add(1)
		}
		return 0, fmt.Errorf("cannot send verb %d to %s: %w", verb, o.nc.RemoteAddr(), err)
	}
	h.id = id
	if err := o.tryEnqueue(outFrame{h: h, payload: payload}); err != nil {
		o.inflight.forget(id)
		return 0, err
	}
	o.stats.requestsSent.Add(1)
	return id, nil
}
