package messaging

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"
)

// outFrame is a frame waiting in a connection's send queue.
type outFrame struct {
	h       header
	payload []byte
}

// conn is one established, handshaken connection, either direction. It
// owns a writer goroutine that drains sendq through a bufio.Writer and
// flushes only when the queue is empty, so bursts of small frames share
// syscalls. The owner runs the read loop.
type conn struct {
	nc     net.Conn
	r      *bufio.Reader
	peerID string // the peer's LocalID from the handshake; immutable
	cfg    *Config
	stats  *counters
	sendq  chan outFrame

	ctx    context.Context // cancelled when the connection is closing
	cancel context.CancelCauseFunc
}

func newConn(parent context.Context, nc net.Conn, r *bufio.Reader, peerID string, cfg *Config, stats *counters) *conn {
	ctx, cancel := context.WithCancelCause(parent)
	c := &conn{nc: nc, r: r, peerID: peerID, cfg: cfg, stats: stats, sendq: make(chan outFrame, cfg.QueueSize), ctx: ctx, cancel: cancel}
	// Closing the socket is what unblocks a reader stuck in Read.
	context.AfterFunc(ctx, func() {
		stats.connsLost.Add(1)
		_ = nc.Close()
	})
	return c
}

// readFrame reads the next frame from the connection.
func (c *conn) readFrame(hdr *[headerSize]byte) (header, []byte, error) {
	h, payload, err := readFrame(c.r, hdr, c.cfg.MaxFrameSize)
	if err == nil {
		c.stats.bytesRead.Add(uint64(headerSize + len(payload)))
	}
	return h, payload, err
}

// close shuts the connection down with cause; safe to call many times.
func (c *conn) close(cause error) { c.cancel(cause) }

// closed reports whether the connection is shutting down.
func (c *conn) closed() bool { return c.ctx.Err() != nil }

// cause returns why the connection closed.
func (c *conn) cause() error { return context.Cause(c.ctx) }

// tryEnqueue queues f without blocking: ErrOverloaded when the queue is
// full, ErrConnectionLost when the connection is closing.
func (c *conn) tryEnqueue(f outFrame) error {
	if c.closed() {
		return fmt.Errorf("cannot send to %s: %w", c.nc.RemoteAddr(), ErrConnectionLost)
	}
	select {
	case c.sendq <- f:
		return nil
	default:
		c.stats.overloaded.Add(1)
		return fmt.Errorf("cannot queue frame for %s (%d queued): %w", c.nc.RemoteAddr(), len(c.sendq), ErrOverloaded)
	}
}

// enqueue queues f, waiting for room until ctx or the connection ends.
func (c *conn) enqueue(ctx context.Context, f outFrame) error {
	select {
	case c.sendq <- f:
		return nil
	case <-c.ctx.Done():
		return fmt.Errorf("cannot send to %s: %w", c.nc.RemoteAddr(), ErrConnectionLost)
	case <-ctx.Done():
		return fmt.Errorf("cannot send to %s: %w", c.nc.RemoteAddr(), ctx.Err())
	}
}

// writeLoop drains the send queue until the connection closes. A write
// error closes the connection.
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var hdr []byte
	for {
		var f outFrame
		select {
		case <-c.ctx.Done():
			return
		case f = <-c.sendq:
		}
		if err := c.writeBatch(bw, &hdr, f); err != nil {
			c.close(fmt.Errorf("cannot write to %s: %w", c.nc.RemoteAddr(), err))
			return
		}
	}
}

// yieldBelow is how little buffered data makes the writer yield once
// before flushing (see writeBatch).
const yieldBelow = 16 << 10

// writeBatch writes f and every frame already queued behind it, then
// flushes once. The write deadline is renewed before every write that
// reaches the socket, so it bounds each syscall's progress, not the batch.
//
// When the queue runs dry with little buffered, the writer yields once
// (runtime.Gosched) before flushing, as gRPC's HTTP/2 writer does: the
// goroutines that are runnable, typically other requests about to
// enqueue, get to run first, and their frames share the flush. Without
// it, each frame woke the writer alone and cost its own write syscall
// (1.05 frames per flush at RF=3, 32 writers; PERF.md). When nothing
// else is runnable, Gosched returns at once.
func (c *conn) writeBatch(bw *bufio.Writer, hdr *[]byte, f outFrame) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
		return err
	}
	yielded := false
	for {
		if bw.Available() < headerSize+len(f.payload) {
			if err := c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
				return err
			}
		}
		*hdr = appendHeader((*hdr)[:0], f.h)
		if _, err := bw.Write(*hdr); err != nil {
			return err
		}
		if _, err := bw.Write(f.payload); err != nil {
			return err
		}
		c.stats.framesWritten.Add(1)
		c.stats.bytesWritten.Add(uint64(headerSize + len(f.payload)))
		select {
		case f = <-c.sendq:
			continue
		default:
		}
		if !yielded && bw.Buffered() < yieldBelow {
			yielded = true
			runtime.Gosched()
			select {
			case f = <-c.sendq:
				continue
			default:
			}
		}
		if err := c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
			return err
		}
		c.stats.flushes.Add(1)
		return bw.Flush()
	}
}

// handshake sends our hello and reads the peer's. The dialer speaks
// first; both sides send their LocalID.
func handshake(nc net.Conn, r *bufio.Reader, cfg *Config, deadline time.Time) (peerID string, err error) {
	if err := nc.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("cannot set handshake deadline: %w", err)
	}
	hello := appendHeader(nil, header{kind: kindHello, length: uint32(len(cfg.LocalID))})
	hello = append(hello, cfg.LocalID...)
	if _, err := nc.Write(hello); err != nil {
		return "", fmt.Errorf("cannot send hello: %w", err)
	}
	var hdr [headerSize]byte
	h, payload, err := readFrame(r, &hdr, min(cfg.MaxFrameSize, 1024))
	if err != nil {
		return "", fmt.Errorf("cannot read hello: %w: %w", ErrHandshake, err)
	}
	if h.kind != kindHello {
		return "", fmt.Errorf("first frame has kind %d, not hello: %w", h.kind, ErrHandshake)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return "", fmt.Errorf("cannot clear handshake deadline: %w", err)
	}
	return string(payload), nil
}

// inflight tracks requests awaiting responses on one outbound connection.
type inflight struct {
	mu struct {
		sync.Mutex
		nextID  uint64
		waiting map[uint64]waiter // guarded by mu; nil once failed
	}
}

type result struct {
	payload []byte
	err     error
}

// waiter is how a request's answer is delivered: to ch (Request, which
// waits on it) or to done (Start, which does not wait).
type waiter struct {
	ch   chan result
	done func(payload []byte, err error)
}

func (w waiter) deliver(r result) {
	if w.done != nil {
		w.done(r.payload, r.err)
		return
	}
	w.ch <- r
}

// register allocates a request id for w; ErrOverloaded past limit, the
// close cause once the connection has failed.
func (f *inflight) register(limit int, w waiter) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mu.waiting == nil {
		return 0, ErrConnectionLost
	}
	if len(f.mu.waiting) >= limit {
		return 0, fmt.Errorf("%d requests in flight: %w", len(f.mu.waiting), ErrOverloaded)
	}
	f.mu.nextID++
	f.mu.waiting[f.mu.nextID] = w
	return f.mu.nextID, nil
}

// complete delivers r to request id, if it is still waiting.
func (f *inflight) complete(id uint64, r result) {
	f.mu.Lock()
	w, ok := f.mu.waiting[id]
	delete(f.mu.waiting, id)
	f.mu.Unlock()
	if ok {
		w.deliver(r)
	}
}

// forget drops request id (its caller gave up).
func (f *inflight) forget(id uint64) {
	f.mu.Lock()
	delete(f.mu.waiting, id)
	f.mu.Unlock()
}

// failAll fails every waiting request with err and refuses new ones.
func (f *inflight) failAll(err error) {
	f.mu.Lock()
	waiting := f.mu.waiting
	f.mu.waiting = nil
	f.mu.Unlock()
	for _, w := range waiting {
		w.deliver(result{err: err})
	}
}
