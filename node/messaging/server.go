package messaging

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// maxErrorText bounds the error text sent back for a failed handler.
const maxErrorText = 4096

// Serve accepts connections on ln in a goroutine owned by m and serves
// their requests with the registered handlers; it returns at once. Close
// closes ln. With Config.TLS set, each accepted connection is wrapped in
// TLS, so ln must be a plain TCP listener.
func (m *Messenger) Serve(ln net.Listener) error {
	m.mu.Lock()
	m.mu.listeners[ln] = true
	m.mu.Unlock()
	if !m.goTask(func() { m.acceptLoop(ln) }) {
		_ = ln.Close()
		return ErrClosed
	}
	return nil
}

func (m *Messenger) acceptLoop(ln net.Listener) {
	var pause time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if m.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failure (EMFILE...): back off as net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			m.cfg.Logger.Warn("messaging: accept failed", "err", err, "retry_in", pause)
			select {
			case <-time.After(pause):
				continue
			case <-m.ctx.Done():
				return
			}
		}
		pause = 0
		if !m.goTask(func() { m.serveConn(nc) }) {
			_ = nc.Close()
			return
		}
	}
}

// serveConn handshakes an accepted connection, then reads requests until
// it fails, handing each to the connection's workers (workers.go), at
// most HandlerConcurrency at once.
func (m *Messenger) serveConn(nc net.Conn) {
	c, err := m.accept(nc)
	if err != nil {
		m.cfg.Logger.Debug("messaging: inbound handshake failed", "remote", nc.RemoteAddr(), "err", err)
		_ = nc.Close()
		return
	}
	defer c.close(ErrConnectionLost)
	if !m.goTask(c.writeLoop) {
		return
	}
	w := newWorkers(m, c)
	var hdr [headerSize]byte
	for {
		h, payload, err := c.readFrame(&hdr)
		if err != nil {
			c.close(err)
			m.cfg.Logger.Debug("messaging: inbound connection closed", "peer", c.peerID, "err", err)
			return
		}
		if h.kind != kindRequest && h.kind != kindOneWay {
			m.cfg.Logger.Warn("messaging: unexpected frame kind from peer", "peer", c.peerID, "kind", h.kind)
			return
		}
		m.counters.requestsServed.Add(1)
		if !w.hand(inRequest{h: h, payload: payload}) {
			return
		}
	}
}

func (m *Messenger) accept(nc net.Conn) (*conn, error) {
	deadline := time.Now().Add(m.cfg.DialTimeout)
	if m.cfg.TLS != nil {
		tc := tls.Server(nc, m.cfg.TLS)
		ctx, cancel := context.WithDeadline(m.ctx, deadline)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("cannot complete TLS handshake: %w", err)
		}
		nc = tc
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	peerID, err := handshake(nc, r, &m.cfg, deadline)
	if err != nil {
		return nil, err
	}
	m.counters.accepted.Add(1)
	return newConn(m.ctx, nc, r, peerID, &m.cfg, &m.counters), nil
}

// dispatch runs the handler for one inbound frame and queues its answer.
// base is c.ctx or a context derived from it that ends with it.
func (m *Messenger) dispatch(base context.Context, c *conn, h header, payload []byte) {
	ctx := base
	if h.timeoutMS > 0 {
		rc := newRequestCtx(base, time.Now().Add(time.Duration(h.timeoutMS)*time.Millisecond))
		defer rc.release()
		ctx = rc
	}
	if ctx.Err() != nil {
		// Expired before it ran (or the connection closed): the sender
		// has given up, so running it would only add load.
		m.counters.dropped[h.verb].Add(1)
		return
	}
	resp, err := m.call(ctx, c.peerID, h.verb, payload)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		m.counters.dropped[h.verb].Add(1)
	}
	if h.kind == kindOneWay {
		if err != nil {
			m.cfg.Logger.Debug("messaging: one-way handler failed", "peer", c.peerID, "verb", h.verb, "err", err)
		}
		return
	}
	if err == nil && len(resp) > m.cfg.MaxFrameSize {
		err = fmt.Errorf("response of %d bytes: %w", len(resp), ErrFrameTooLarge)
	}
	out := outFrame{h: header{kind: kindResponse, verb: h.verb, id: h.id, length: uint32(len(resp))}, payload: resp}
	if err != nil {
		text := err.Error()
		if len(text) > maxErrorText {
			text = text[:maxErrorText]
		}
		out = outFrame{h: header{kind: kindError, verb: h.verb, id: h.id, length: uint32(len(text))}, payload: []byte(text)}
	}
	// Wait for room rather than drop the answer: the caller is waiting
	// for it, and this handler's slot keeps the reader from piling up more.
	if err := c.enqueue(c.ctx, out); err != nil {
		m.cfg.Logger.Debug("messaging: cannot send response", "peer", c.peerID, "verb", h.verb, "err", err)
	}
}

// call runs the handler for verb, turning a panic into an error so one bad
// message cannot take the node down.
func (m *Messenger) call(ctx context.Context, from string, verb uint8, payload []byte) (resp []byte, err error) {
	h := m.handler(verb)
	if h == nil {
		return nil, fmt.Errorf("no handler for verb %d", verb)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler for verb %d panicked: %v", verb, r)
		}
	}()
	return h(ctx, from, payload)
}
