package faults

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// maxChunk bounds one write to the socket, so a large write crossing a
// link that is cut half way stalls half way.
const maxChunk = 16 << 10

// aLongTimeAgo is a deadline in the past: setting it unblocks any read or
// write in progress on a socket.
var aLongTimeAgo = time.Unix(1, 0)

// conn is a real TCP connection, dialed by local, whose two directions
// obey the network's links: writes cross local -> remote, everything read
// (data, end of stream, reset) crosses remote -> local. Only the dialing
// side is wrapped: the accepting side is a plain socket, and the dialing
// side holds back what either direction carries. There are no goroutines:
// Read and Write wait in the caller's goroutine, bounded by the
// connection's deadlines and by Close.
type conn struct {
	net.Conn
	n             *Net
	local, remote netip.Addr
	closed        chan struct{} // closed by Close (or Net.Close)
	closeOnce     sync.Once

	dl struct {
		sync.Mutex
		read, write time.Time     // guarded by the mutex
		changed     chan struct{} // guarded by the mutex; closed and replaced on every change
		closed      bool          // guarded by the mutex; no deadline may be set any more
	}

	rmu     sync.Mutex // serializes reads
	rbuf    []byte     // guarded by rmu: read from the socket, not yet delivered
	rAt     time.Time  // guarded by rmu: when rbuf (or rerr) left the socket
	rerr    error      // guarded by rmu: how the socket's stream ended, delivered after rbuf
	scratch []byte     // guarded by rmu

	wmu sync.Mutex // serializes writes
}

func newConn(n *Net, nc net.Conn, local, remote netip.Addr) *conn {
	c := &conn{Conn: nc, n: n, local: local, remote: remote, closed: make(chan struct{}), scratch: make([]byte, 32<<10)}
	c.dl.changed = make(chan struct{})
	return c
}

type direction int

const (
	dirRead direction = iota
	dirWrite
)

func (c *conn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Read returns what the remote sent once the link remote -> local lets it
// through (after the link's delay); until then it waits, up to the read
// deadline, keeping the data for the next call.
func (c *conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.isClosed() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	if len(c.rbuf) == 0 && c.rerr == nil {
		k, err := c.Conn.Read(c.scratch)
		if c.isClosed() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		if k == 0 && err != nil && isTimeout(err) {
			return 0, err // our own deadline: nothing crossed the link
		}
		c.rbuf, c.rAt = c.scratch[:k], time.Now()
		if err != nil && !isTimeout(err) {
			c.rerr = err
		}
		if k == 0 && c.rerr == nil {
			return 0, nil
		}
	}
	err := c.wait(dirRead, func(s *netState) (bool, time.Time) {
		if !s.passable(c.remote, c.local) {
			return false, time.Time{}
		}
		at := c.rAt.Add(s.delay[link{c.remote, c.local}])
		return !time.Now().Before(at), at
	})
	if err != nil {
		return 0, c.opErr("read", err)
	}
	if len(c.rbuf) > 0 {
		k := copy(b, c.rbuf)
		c.rbuf = c.rbuf[k:]
		return k, nil
	}
	return 0, c.rerr
}

// Write sends b once the link local -> remote lets it through, after the
// link's delay; across a cut it waits, up to the write deadline, and
// reports how much got through.
func (c *conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.isClosed() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	written := 0
	for written < len(b) {
		since := time.Now()
		err := c.wait(dirWrite, func(s *netState) (bool, time.Time) {
			if !s.passable(c.local, c.remote) {
				return false, time.Time{}
			}
			at := since.Add(s.delay[link{c.local, c.remote}])
			return !time.Now().Before(at), at
		})
		if err != nil {
			return written, c.opErr("write", err)
		}
		k, err := c.Conn.Write(b[written:min(len(b), written+maxChunk)])
		written += k
		if err != nil {
			if c.isClosed() {
				err = c.opErr("write", net.ErrClosed)
			}
			return written, err
		}
	}
	return written, nil
}

// wait blocks until ready holds, the connection is closed, the network is
// closed, or dir's deadline passes. ready runs under the network's lock
// and may name a moment at which it will hold if nothing changes.
func (c *conn) wait(dir direction, ready func(s *netState) (bool, time.Time)) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var ok bool
		var at time.Time
		changed, err := c.n.look(func(s *netState) { ok, at = ready(s) })
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		deadline, dlChanged := c.deadline(dir)
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			return os.ErrDeadlineExceeded
		}
		wakeAt := at
		if !deadline.IsZero() && (wakeAt.IsZero() || deadline.Before(wakeAt)) {
			wakeAt = deadline
		}
		var wake <-chan time.Time
		if !wakeAt.IsZero() {
			timer = resetTimer(timer, wakeAt.Sub(now))
			wake = timer.C
		}
		select {
		case <-changed:
		case <-dlChanged:
		case <-c.closed:
			return net.ErrClosed
		case <-wake:
		}
	}
}

func (c *conn) deadline(dir direction) (time.Time, <-chan struct{}) {
	c.dl.Lock()
	defer c.dl.Unlock()
	if dir == dirRead {
		return c.dl.read, c.dl.changed
	}
	return c.dl.write, c.dl.changed
}

// SetDeadline sets both deadlines, for the waits on links and the socket.
func (c *conn) SetDeadline(t time.Time) error { return c.setDeadline(t, true, true) }

// SetReadDeadline sets the read deadline.
func (c *conn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, true, false) }

// SetWriteDeadline sets the write deadline.
func (c *conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, false, true) }

func (c *conn) setDeadline(t time.Time, read, write bool) error {
	c.dl.Lock()
	defer c.dl.Unlock()
	if c.dl.closed {
		return c.opErr("set deadline", net.ErrClosed)
	}
	if read {
		c.dl.read = t
	}
	if write {
		c.dl.write = t
	}
	close(c.dl.changed)
	c.dl.changed = make(chan struct{})
	switch {
	case read && write:
		return c.Conn.SetDeadline(t)
	case read:
		return c.Conn.SetReadDeadline(t)
	default:
		return c.Conn.SetWriteDeadline(t)
	}
}

// Close closes the connection for its user at once. The socket itself is
// closed when the link local -> remote lets the FIN through: across a cut,
// the remote does not learn of the close until the link heals (or the
// network is closed), as with a real blackhole.
func (c *conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
	})
	if !first {
		return c.opErr("close", net.ErrClosed)
	}
	c.dl.Lock()
	c.dl.closed = true
	_ = c.Conn.SetDeadline(aLongTimeAgo) // unblock reads and writes in the socket
	c.dl.Unlock()
	c.n.mu.Lock()
	delete(c.n.conns, c)
	linger := !c.n.closed && !c.n.state.passable(c.local, c.remote)
	if linger {
		c.n.lingering[c] = struct{}{}
	}
	c.n.mu.Unlock()
	if linger {
		return nil
	}
	return c.Conn.Close()
}

func (c *conn) opErr(op string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
