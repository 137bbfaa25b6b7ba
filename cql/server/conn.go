package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// connState is where a connection is in its handshake. Only the reader
// goroutine reads or writes it.
type connState int

const (
	stateStartup connState = iota // waiting for STARTUP (OPTIONS allowed)
	stateAuth                     // AUTHENTICATE sent, waiting for AUTH_RESPONSE
	stateReady                    // requests allowed
)

// Queue sizes. Producers of answers block (holding their in-flight slot)
// while the writer is behind, so outQueue only smooths bursts; events have
// their own queue because their producer must never block, and a
// connection is closed only when eventQueue events are waiting on it.
const (
	outQueue   = 128
	eventQueue = 64
)

// bufferSize is the size of the read and write buffers of a connection.
const bufferSize = 32 << 10

// After a fatal header is answered, the connection waits at most
// lingerTime, reading and dropping at most lingerBytes, for its client to
// close first (see linger).
const (
	lingerTime  = time.Second
	lingerBytes = 1 << 20
)

// initialAnswerEstimate is what a new connection assumes each answer
// will take until it has seen some (see conn.estimate). Until the first
// answers come back, at most the per-IP budget over this many requests
// of a client address run at once (64 with the default 64 MiB), so a
// burst of requests whose answers are large costs at most that many
// large answers beyond the budget. Most answers are far smaller: the
// estimate falls to their size within a few dozen answers, in the time
// of the first of them.
const initialAnswerEstimate = 1 << 20

// maxIdleWorkers bounds the request workers a connection keeps waiting
// for work. A worker that finishes a request while this many are idle
// exits. Keeping workers alive is what saves the cost of a new goroutine
// per request, most of which is not the goroutine itself but growing its
// stack, by copying, through the executor's, coordinator's and storage's
// deep call chains; an idle worker keeps the stack it grew. The bound
// caps what an idle connection holds after a burst, at a few MB.
const maxIdleWorkers = 128

// conn is one client connection. Three kinds of goroutine work on it:
// the reader (serve, which decodes frames and answers handshake messages
// itself), request workers (as many as requests run at once, up to
// MaxInFlight), and the writer, which alone writes to the socket. The
// reader hands requests to idle workers through work, or starts a new
// worker when none is idle. They meet at out, a queue of encoded
// answers; Publish adds events to eventQ.
type conn struct {
	srv    *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context // cancelled when the connection must stop at once
	cancel context.CancelFunc

	out        chan *frame   // encoded answers for the writer
	eventQ     chan *frame   // encoded events for the writer
	writerStop chan struct{} // closed when no producer but Publish remains
	draining   atomic.Bool   // Shutdown asked the reader to stop
	stopRead   chan struct{} // closed by drain: a reader waiting for the budget stops
	drainOnce  sync.Once
	inFlight   atomic.Int32
	// acct is the connection's part of the server's budget: the reader
	// reserves each request's bytes there before reading its body, the
	// worker turns them into its answer's, the writer gives those back.
	acct *account
	// estimate is the bytes the next answer is expected to take: it rises
	// at once to any larger answer and falls by an eighth of the
	// difference with each smaller one. Workers update it; the reader adds
	// it to each request's reservation, so requests whose answers will be
	// large are not admitted beyond the budget before they are answered.
	estimate atomic.Int64
	work     chan request   // unbuffered: a send succeeds only to an idle worker
	workStop chan struct{}  // closed when the reader has stopped: idle workers exit
	workers  sync.WaitGroup // request workers
	idle     atomic.Int32   // workers waiting on work (approximately)
	events   atomic.Uint32  // registeredBit of each REGISTERed type

	// Set by the reader before the first request worker starts, then
	// read by those goroutines and Publish: version and compressor are
	// published through ready.
	state      connState
	version    protocol.Version // the connection's version, fixed by its first frame
	compressor protocol.Compressor
	session    *exec.Session
	ready      atomic.Pointer[readyState]
	remote     netip.Addr // the client's address, for tracing sessions

	// Reader only.
	throwOnOverload bool  // STARTUP had THROW_ON_OVERLOAD=1: answer Overloaded instead of waiting
	pending         int64 // bytes reserved for the frame being handled, until a worker takes them
	inFrame         bool  // part of a frame has been read, not all of it
	deadlineSet     bool  // the socket has a read deadline for a stalled frame
}

// readyState is what Publish needs, published once the handshake is done.
type readyState struct {
	version    protocol.Version
	compressor protocol.Compressor
}

func newConn(ctx context.Context, s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(ctx)
	return &conn{
		srv:        s,
		nc:         nc,
		log:        s.log.With("remote", nc.RemoteAddr().String()),
		ctx:        ctx,
		cancel:     cancel,
		out:        make(chan *frame, outQueue),
		eventQ:     make(chan *frame, eventQueue),
		writerStop: make(chan struct{}),
		stopRead:   make(chan struct{}),
		work:       make(chan request),
		workStop:   make(chan struct{}),
		remote:     remoteAddr(nc),
	}
}

// remoteAddr is the client's IP address; the zero Addr when the
// connection is not over IP.
func remoteAddr(nc net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(nc.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// serve runs the connection until the client leaves, a fatal protocol
// error, a drain, or cancellation; then it waits for the requests in
// flight, lets the writer flush their answers, and closes the socket.
func (c *conn) serve() {
	defer c.cancel()
	c.acct = c.srv.budget.open(c.nc.RemoteAddr(), c.srv.cfg.MaxInFlight)
	c.estimate.Store(initialAnswerEstimate)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	// Cancellation must interrupt a blocked read or write.
	stop := context.AfterFunc(c.ctx, func() { _ = c.nc.SetDeadline(time.Now()) })
	defer stop()

	err := c.readLoop()
	fatal := errors.Is(err, errFatalAnswered)
	switch {
	case fatal, c.draining.Load():
		// A fatal header was answered, or Shutdown drains: requests in
		// flight finish and their answers are flushed.
	case errors.Is(err, io.EOF), c.ctx.Err() != nil:
		// The client left: nobody will read the answers.
		c.cancel()
	default:
		// Resets and the like are how clients often leave: not worth more
		// than a debug line.
		c.log.Debug("CQL connection failed", "error", err)
		c.cancel()
	}
	// The reader has stopped, so no request will be handed out any more:
	// workers finish (and answer) what they run, then exit.
	close(c.workStop)
	c.workers.Wait()
	close(c.writerStop)
	<-writerDone
	c.dropQueued()
	c.acct.close()
	if c.session != nil {
		c.session.Close() // off system_views.clients
	}
	if fatal && c.ctx.Err() == nil {
		c.linger()
	}
	_ = c.nc.Close()
}

// dropQueued releases the frames a writer that failed left queued.
func (c *conn) dropQueued() {
	for {
		select {
		case f := <-c.out:
			f.release()
		case f := <-c.eventQ:
			f.release()
		default:
			return
		}
	}
}

// linger half-closes a connection whose last answer refused a fatal
// header, then reads and drops what the client still sends until it
// closes its side, for at most lingerTime and lingerBytes. Closing at
// once with bytes unread (the refused frame's body, a pipelined frame)
// would send a RST instead of a FIN: the client's next write then fails
// before it reads the refusal, and some systems (Windows) drop received
// data on a RST, so a driver would see a reset instead of the answer it
// negotiates down on. net/http does the same (closeWriteAndWait).
// Connections that cannot half-close are closed at once.
func (c *conn) linger() {
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, lingerBytes))
}

// drain makes the reader stop at its next read; requests in flight
// still finish and are answered.
func (c *conn) drain() {
	c.draining.Store(true)
	c.drainOnce.Do(func() { close(c.stopRead) })
	_ = c.nc.SetReadDeadline(time.Now())
}

// send queues an encoded frame for the writer, or drops it when the
// connection is being torn down.
func (c *conn) send(f *frame) {
	select {
	case c.out <- f:
	case <-c.ctx.Done():
		f.release()
	}
}

// writeLoop writes queued frames, flushing whenever the queue runs dry so
// that responses that are ready together go out in one syscall. After
// writerStop it writes what is still queued and returns.
func (c *conn) writeLoop() {
	w := bufio.NewWriterSize(c.nc, bufferSize)
	for {
		var f *frame
		select {
		case f = <-c.out:
		case f = <-c.eventQ:
		case <-c.writerStop:
			c.flushRemaining(w)
			return
		}
		_, err := w.Write(f.b)
		f.release()
		if err != nil {
			c.writeFailed(err)
			return
		}
		if c.queueEmpty() {
			if err := w.Flush(); err != nil {
				c.writeFailed(err)
				return
			}
		}
	}
}

// queueEmpty reports whether no frame waits for the writer. While other
// requests of the connection are running, it first yields the processor
// once: workers that are about to queue their answers then do, and the
// answers leave together in one syscall instead of one each. A yield
// costs far less than a write to the socket, and adds no wait when
// nothing else is runnable.
func (c *conn) queueEmpty() bool {
	if len(c.out) != 0 || len(c.eventQ) != 0 {
		return false
	}
	if c.inFlight.Load() == 0 {
		return true
	}
	runtime.Gosched()
	return len(c.out) == 0 && len(c.eventQ) == 0
}

func (c *conn) flushRemaining(w *bufio.Writer) {
	for {
		var f *frame
		select {
		case f = <-c.out:
		case f = <-c.eventQ:
		default:
			if err := w.Flush(); err != nil {
				c.writeFailed(err)
			}
			return
		}
		_, err := w.Write(f.b)
		f.release()
		if err != nil {
			c.writeFailed(err)
			return
		}
	}
}

func (c *conn) writeFailed(err error) {
	if c.ctx.Err() == nil {
		c.log.Debug("cannot write to CQL client", "error", err)
	}
	c.cancel()
}

// readLoop reads frames until the connection must stop, and returns why:
// errFatalAnswered after a fatal protocol error has been answered (the
// answer must still be flushed), errReadStopped for a drain or
// cancellation, or the read error. It never returns nil.
func (c *conn) readLoop() error {
	r := bufio.NewReaderSize(stallReader{c}, bufferSize)
	var hdr [protocol.HeaderSize]byte
	for {
		// The version is checked on the first byte, before the rest of
		// the header is waited for: a v1 or v2 header is 8 bytes, and
		// waiting for a ninth would leave its client hanging.
		c.inFrame = false
		first, err := r.Peek(1)
		if err != nil {
			return fmt.Errorf("cannot read frame header: %w", err)
		}
		c.inFrame = true
		if err := protocol.CheckVersion(first[0]); err != nil {
			c.refuseVersion(err)
			return errFatalAnswered
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("cannot read frame header: %w", err)
		}
		h, err := protocol.DecodeHeader(hdr[:], c.srv.cfg.MaxFrameSize)
		if err != nil {
			c.fatalHeader(h, err)
			return errFatalAnswered
		}
		switch c.admit(h) {
		case stopped:
			return errReadStopped
		case tooManyReqs, tooManyBytes:
			// admit has answered Overloaded; the body is still on the
			// wire, and skipping it keeps the next read on a header.
			if _, err := r.Discard(int(h.Length)); err != nil {
				return fmt.Errorf("cannot read frame body: %w", err)
			}
			continue
		}
		body, err := readBody(r, int(h.Length))
		if err != nil {
			return fmt.Errorf("cannot read frame body: %w", err)
		}
		c.handleFrame(h, body)
		if c.pending != 0 {
			// The frame reserved bytes for a request that did not run.
			c.acct.cancel(c.pending)
			c.pending = 0
		}
	}
}

// errReadStopped ends a reader that a drain or cancellation stopped while
// it waited for the budget.
var errReadStopped = errors.New("stopped reading")

// errFatalAnswered ends a reader after a frame header it cannot go on
// after (an unsupported version, a bad or oversized header) has been
// answered with a ProtocolError: unlike the other ends, the connection
// flushes its answers and lingers before it closes, so the client reads
// the error instead of a reset.
var errFatalAnswered = errors.New("fatal protocol error answered")

// isRequest reports whether op is run by a request worker.
func isRequest(op protocol.Opcode) bool {
	switch op {
	case protocol.OpQuery, protocol.OpPrepare, protocol.OpExecute, protocol.OpBatch:
		return true
	}
	return false
}

// admit reserves the budget and a request slot for the request whose
// header h was just read, before its body is: its body's bytes, plus the
// connection's estimate of its answer. It waits while they are not
// available, so the connection stops reading (backpressure), unless the
// client opted in to THROW_ON_OVERLOAD: then it answers Overloaded, and
// the caller skips the body. Frames that no worker runs (handshake
// messages, requests before the handshake) reserve nothing.
func (c *conn) admit(h protocol.Header) admission {
	if c.state != stateReady || h.Response || !isRequest(h.Opcode) {
		return admitted
	}
	cost := int64(h.Length) + c.estimate.Load()
	res := c.acct.acquire(cost, !c.throwOnOverload, c.ctx.Done(), c.stopRead)
	switch res {
	case admitted:
		if c.draining.Load() {
			// Admitted as a drain began: the drain wins, the request stays
			// unread.
			c.acct.cancel(cost)
			return stopped
		}
		c.pending = cost
	case tooManyReqs, tooManyBytes:
		c.srv.metrics.overloaded.Add(1)
		c.sendMessage(protocol.Header{Version: c.version, Stream: h.Stream}, c.overloaded(res), c.compressor)
	}
	return res
}

// overloaded is the Overloaded error for a refused request, worded as
// Cassandra 4.1 words the byte limit's.
func (c *conn) overloaded(res admission) *protocol.Error {
	msg := fmt.Sprintf("Too many requests in flight on this connection (limit %d)", c.srv.cfg.MaxInFlight)
	if res == tooManyBytes {
		b := c.srv.budget
		b.mu.Lock()
		msg = fmt.Sprintf("Request breached limit on bytes in flight. (Endpoint: %d/%d bytes, Global: %d/%d bytes.) "+
			"Server is currently in an overloaded state and cannot accept more requests.", c.acct.ip.used, b.perIP, b.used, b.limit)
		b.mu.Unlock()
	}
	return &protocol.Error{Code: protocol.CodeOverloaded, Message: msg}
}

// stallReader is what the reader's buffer reads the socket through.
// While a frame is incomplete, each read of the socket must bring bytes
// within Config.FrameTimeout, or the connection ends; between frames
// reads wait without limit, as drivers keep idle connections open. The
// deadline is set only when the buffer has to read the socket, not per
// frame.
type stallReader struct{ c *conn }

func (s stallReader) Read(p []byte) (int, error) {
	c := s.c
	timeout := c.srv.cfg.FrameTimeout
	switch {
	case c.inFrame:
		_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
		c.deadlineSet = true
	case c.deadlineSet:
		_ = c.nc.SetReadDeadline(time.Time{})
		c.deadlineSet = false
	default:
		return c.nc.Read(p)
	}
	// drain and cancellation stop the reader by setting a deadline in the
	// past, after they mark the connection; this deadline may have
	// replaced theirs, so look at the marks after setting it.
	if c.draining.Load() || c.ctx.Err() != nil {
		return 0, errReadStopped
	}
	n, err := c.nc.Read(p)
	if err != nil && c.inFrame && errors.Is(err, os.ErrDeadlineExceeded) && !c.draining.Load() && c.ctx.Err() == nil {
		err = fmt.Errorf("no byte of an incomplete frame for %v: %w", timeout, err)
	}
	return n, err
}

// readBody reads an n-byte body. Small bodies are read in one allocation;
// large ones grow as bytes arrive, so a header that announces a large
// body costs memory only when the body is really sent.
func readBody(r io.Reader, n int) ([]byte, error) {
	if n <= 1<<20 {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	m, err := buf.ReadFrom(io.LimitReader(r, int64(n)))
	if err == nil && m < int64(n) {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

// refuseVersion answers a frame of a protocol version Sibyl does not
// speak, as Cassandra 4.1 does (ProtocolVersion.decode, Message.encode,
// PreV5Handlers.ExceptionHandler): a ProtocolError whose message lists
// the supported versions, never compressed, on stream 0, because the
// version is checked before the stream id is read (gocql v2 steps down
// from v5 only when the refusal comes on stream 0). Its header is
//
//   - of version 1 or 2, an 8-byte header, to a frame of those versions,
//     whose clients could not read a later one;
//   - otherwise of the connection's version, or on a new connection of
//     v4, the highest Sibyl speaks, which every driver that can step down
//     to it reads.
//
// The body was never read, so the connection cannot go on; the caller
// closes it once the answer is written.
func (c *conn) refuseVersion(err error) {
	reply := protocol.Header{Version: c.version}
	var ve *protocol.VersionError
	if errors.As(err, &ve) && (ve.Version == 1 || ve.Version == 2) {
		reply.Version = protocol.Version(ve.Version)
	} else if reply.Version == 0 {
		reply.Version = protocol.Version4
	}
	c.log.Debug("refusing CQL protocol version", "error", err)
	c.sendMessage(reply, protocolError("%s", err.Error()), nil)
}

// fatalHeader answers a header the connection cannot go on after, a
// body too large to read, with a ProtocolError on the request's stream,
// never compressed (the client may not have negotiated compression yet).
func (c *conn) fatalHeader(h protocol.Header, err error) {
	msg := protocolError("%s", err.Error())
	if errors.Is(err, protocol.ErrFrameTooLarge) {
		msg.Message = fmt.Sprintf("Request is too big: length %d exceeds maximum allowed length %d", h.Length, c.srv.cfg.MaxFrameSize)
	}
	c.log.Debug("refusing CQL frame header", "error", err)
	reply := protocol.Header{Version: c.version, Stream: h.Stream}
	if reply.Version == 0 {
		reply.Version = h.Version
	}
	c.sendMessage(reply, msg, nil)
}

// sendMessage encodes m as a response on hdr's stream and queues it. An
// encoding failure becomes a Server error on the same stream.
func (c *conn) sendMessage(hdr protocol.Header, m protocol.Message, comp protocol.Compressor) {
	if f := c.encode(hdr, m, comp); f != nil {
		c.send(f)
	}
}

// encode encodes m as a response on hdr's stream. An encoding failure
// becomes a Server error on the same stream; it returns nil only if even
// that cannot be encoded.
func (c *conn) encode(hdr protocol.Header, m protocol.Message, comp protocol.Compressor) *frame {
	hdr.Response, hdr.Flags = true, 0
	inner := m
	if p, ok := m.(*protocol.Prefixed); ok {
		hdr.Flags, inner = p.Prefix.Flags(), p.Message
	}
	if pe, ok := inner.(*protocol.Error); ok && pe.Code == protocol.CodeProtocolError {
		c.srv.metrics.protocolErrors.Add(1)
	}
	f := newFrame()
	var err error
	f.b, err = protocol.AppendFrame(f.b[:0], hdr, m, comp)
	if err == nil && len(f.b)-protocol.HeaderSize > protocol.DefaultMaxFrameSize {
		// Drivers refuse frames over 256 MiB and would drop the connection.
		err = fmt.Errorf("server: response of %d bytes exceeds the frame limit of %d; use paging", len(f.b)-protocol.HeaderSize, protocol.DefaultMaxFrameSize)
	}
	if err != nil {
		c.log.Error("cannot encode CQL response", "opcode", m.Opcode(), "error", err)
		f.b, err = protocol.AppendFrame(f.b[:0], hdr, errorMessage(err), comp)
		if err != nil {
			c.log.Error("cannot encode CQL error", "error", err)
			f.release()
			return nil
		}
	}
	return f
}

// pushEvent queues an EVENT for this connection if it registered for the
// event's type, without ever blocking the publisher.
func (c *conn) pushEvent(m *protocol.Event) {
	rs := c.ready.Load()
	if rs == nil || c.events.Load()&registeredBit(m.Type) == 0 {
		return
	}
	hdr := protocol.Header{Version: rs.version, Response: true, Stream: protocol.EventStream}
	f := newFrame()
	var err error
	if f.b, err = protocol.AppendFrame(f.b[:0], hdr, m, rs.compressor); err != nil {
		c.log.Error("cannot encode CQL event", "error", err)
		f.release()
		return
	}
	select {
	case c.eventQ <- f:
	case <-c.ctx.Done():
		f.release()
	default:
		f.release()
		c.srv.metrics.droppedEvents.Add(1)
		c.log.Warn("CQL client is not reading its events; closing the connection")
		c.cancel()
	}
}
