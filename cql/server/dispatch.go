package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
)

// CQLVersion is the CQL version SUPPORTED advertises: the executor's, so
// OPTIONS and system.local.cql_version agree.
const CQLVersion = exec.CQLVersion

// supported is the answer to OPTIONS. Python needs CQL_VERSION and
// COMPRESSION to exist, even when empty.
var supported = &protocol.Supported{Options: map[string][]string{
	"CQL_VERSION":       {CQLVersion},
	"COMPRESSION":       protocol.CompressorNames,
	"PROTOCOL_VERSIONS": {"3/v3", "4/v4"},
}}

// handleFrame handles one frame whose header was valid. Nothing a body
// holds ends the connection: a bad body is answered with a ProtocolError
// on its stream and the next frame is read (only a bad header, handled by
// readLoop, is fatal).
func (c *conn) handleFrame(h protocol.Header, body []byte) {
	if c.version == 0 {
		c.version = h.Version
	}
	// Answers use the connection's version, even to a frame of another.
	// The request's tracing flag rides in the answer's header to the
	// worker (serveRequest); encode sets the answer's own flags.
	reply := protocol.Header{Version: c.version, Stream: h.Stream, Flags: h.Flags & protocol.FlagTracing}
	switch {
	case h.Version != c.version:
		c.sendMessage(reply, protocolError("Invalid message version. Got %d but previous messages on this connection had version %d", h.Version, c.version), nil)
		return
	case h.Response:
		c.sendMessage(reply, protocolError("Received a response frame (opcode %s) from a client", h.Opcode), nil)
		return
	}
	m, err := c.decode(h, body)
	if err != nil {
		c.sendMessage(reply, protocolError("%s", err.Error()), c.compressor)
		return
	}
	c.dispatch(reply, m)
}

// decode decompresses, strips and decodes a request body.
func (c *conn) decode(h protocol.Header, body []byte) (protocol.Message, error) {
	if h.Flags&protocol.FlagCompression != 0 {
		if c.compressor == nil {
			return nil, errors.New("compressed frame without negotiated compression")
		}
		n := len(body)
		var err error
		if body, err = c.compressor.Decompress(nil, body, c.srv.cfg.MaxFrameSize); err != nil {
			return nil, fmt.Errorf("cannot decompress %s body: %w", h.Opcode, err)
		}
		if c.pending != 0 && len(body) > n {
			// The request reserved its compressed length.
			c.acct.grow(int64(len(body) - n))
			c.pending += int64(len(body) - n)
		}
	}
	_, body, err := protocol.SplitRequestBody(h, body)
	if err != nil {
		return nil, err
	}
	return protocol.DecodeRequest(h.Opcode, h.Version, body)
}

// dispatch answers handshake messages in the reader, in order, and hands
// each request to a worker (startRequest): an idle one if there is one,
// else a new one, so goroutines are reused rather than started per
// request.
func (c *conn) dispatch(reply protocol.Header, m protocol.Message) {
	switch m := m.(type) {
	case *protocol.Options:
		c.sendMessage(reply, supported, c.compressor)
	case *protocol.Startup:
		c.startup(reply, m)
	case *protocol.AuthResponse:
		c.authResponse(reply, m)
	case *protocol.Register:
		c.register(reply, m)
	default:
		if c.state != stateReady {
			c.sendMessage(reply, c.notReady(m.Opcode()), c.compressor)
			return
		}
		c.startRequest(reply, m)
	}
}

func (c *conn) notReady(op protocol.Opcode) *protocol.Error {
	if c.state == stateAuth {
		return protocolError("Unexpected message %s, expecting SASL response (AUTH_RESPONSE)", op)
	}
	return protocolError("Unexpected message %s, expecting STARTUP or OPTIONS", op)
}

func (c *conn) startup(reply protocol.Header, m *protocol.Startup) {
	if c.state != stateStartup {
		c.sendMessage(reply, protocolError("Unexpected message STARTUP, the connection is already started"), c.compressor)
		return
	}
	opts := make(map[string]string, len(m.Options))
	for k, v := range m.Options {
		opts[strings.ToUpper(k)] = v
	}
	if err := checkCQLVersion(opts[protocol.StartupCQLVersion]); err != nil {
		c.sendMessage(reply, err, nil)
		return
	}
	var comp protocol.Compressor
	if name := strings.ToLower(opts[protocol.StartupCompression]); name != "" {
		if comp = protocol.CompressorByName(name); comp == nil {
			c.sendMessage(reply, protocolError("Unknown compression algorithm: %s", name), nil)
			return
		}
	}
	// Cassandra's opt-in for protocol v5 clients and for others that
	// would rather be told to back off than wait (StartupMessage).
	c.throwOnOverload = opts[protocol.StartupThrowOnOverload] == "1"
	c.session = c.srv.handler.NewSession()
	// system.local reports this as rpc_address when the node listens on
	// an unspecified address (0.0.0.0), so drivers get a reachable one.
	if ap, err := netip.ParseAddrPort(c.nc.LocalAddr().String()); err == nil {
		c.session.SetLocalAddr(ap.Addr().Unmap())
	}
	// system_views.clients lists the connection until it closes (serve).
	remote, _ := netip.ParseAddrPort(c.nc.RemoteAddr().String())
	cc := exec.ClientConn{Remote: remote, ProtocolVersion: int(c.version), Options: m.Options,
		Authenticating: c.srv.cfg.Credentials != nil}
	tlsState(c.nc, &cc)
	c.session.SetClient(cc)
	// The answer to STARTUP goes out uncompressed; every later frame may
	// be compressed.
	if c.srv.cfg.Credentials != nil {
		c.state = stateAuth
		c.sendMessage(reply, &protocol.Authenticate{Authenticator: protocol.PasswordAuthenticator}, nil)
		c.compressor = comp
		return
	}
	c.sendMessage(reply, &protocol.Ready{}, nil)
	c.compressor = comp
	c.becomeReady()
}

func (c *conn) becomeReady() {
	c.state = stateReady
	c.ready.Store(&readyState{version: c.version, compressor: c.compressor})
}

// checkCQLVersion accepts a CQL_VERSION of major version 3, written
// MAJOR.MINOR and optionally more (drivers send 3.0.0). Cassandra 4 and
// 5 accept any version from 2.99.0 up, so a client asking for CQL 4 or
// 99 is told READY and then spoken CQL 3 to; Cassandra 2.0 refused what
// it could not speak ("Provided version 99.0.0 is not supported by this
// server"), and so does Sibyl: another major version is another
// language. A higher minor version is accepted, as Cassandra 4 accepts
// it: CQL 3 minors only add syntax, which statements that use it find
// refused.
func checkCQLVersion(v string) *protocol.Error {
	if v == "" {
		return protocolError("Missing value CQL_VERSION in STARTUP message")
	}
	major, rest, _ := strings.Cut(v, ".")
	minor := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	if n, err := strconv.ParseUint(major, 10, 16); err != nil || n != 3 || minor == "" {
		return protocolError("Invalid or unsupported CQL version %s; the supported version is %s", v, CQLVersion)
	}
	return nil
}

func (c *conn) authResponse(reply protocol.Header, m *protocol.AuthResponse) {
	if c.state != stateAuth {
		c.sendMessage(reply, protocolError("Unexpected message AUTH_RESPONSE, no authentication is in progress"), c.compressor)
		return
	}
	user, password, ok := parsePlain(m.Token)
	if !ok {
		c.sendMessage(reply, &protocol.Error{Code: protocol.CodeBadCredentials, Message: "Authentication failed: malformed SASL PLAIN token"}, c.compressor)
		return
	}
	if err := c.srv.cfg.Credentials(c.ctx, user, password); err != nil {
		c.log.Info("CQL authentication failed", "user", user, "error", err)
		c.sendMessage(reply, &protocol.Error{Code: protocol.CodeBadCredentials,
			Message: fmt.Sprintf("Provided username %s and/or password are incorrect", user)}, c.compressor)
		return
	}
	c.session.SetUser(user)
	c.becomeReady()
	c.sendMessage(reply, &protocol.AuthSuccess{}, c.compressor)
}

// parsePlain splits a SASL PLAIN token, [authzid] NUL authcid NUL passwd
// (RFC 4616).
func parsePlain(token []byte) (user, password string, ok bool) {
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return "", "", false
	}
	return string(parts[1]), string(parts[2]), true
}

func (c *conn) register(reply protocol.Header, m *protocol.Register) {
	if c.state != stateReady {
		c.sendMessage(reply, c.notReady(m.Opcode()), c.compressor)
		return
	}
	var bits uint32
	for _, t := range m.EventTypes {
		b := registeredBit(t)
		if b == 0 {
			c.sendMessage(reply, protocolError("Invalid value '%s' for Event.Type", t), c.compressor)
			return
		}
		bits |= b
	}
	c.events.Or(bits)
	c.sendMessage(reply, &protocol.Ready{}, c.compressor)
}

// request is a request handed to a worker: the message and the header
// of its answer.
type request struct {
	reply    protocol.Header
	m        protocol.Message
	reserved int64 // budget bytes the reader reserved for it
}

// startRequest hands a request, admitted by the reader (conn.admit), to
// a worker. An idle worker takes it if there is one; otherwise a new
// worker starts, so requests never wait for one another and every
// request in flight runs at once.
func (c *conn) startRequest(reply protocol.Header, m protocol.Message) {
	c.inFlight.Add(1)
	c.srv.metrics.requests.Add(1)
	req := request{reply: reply, m: m, reserved: c.pending}
	c.pending = 0
	select {
	case c.work <- req:
	default:
		c.workers.Add(1)
		c.srv.metrics.workers.Add(1)
		go c.worker(req)
	}
}

// worker runs req, then whatever requests the reader hands it, until
// the reader stops or maxIdleWorkers others are already idle.
func (c *conn) worker(req request) {
	defer c.workers.Done()
	defer c.srv.metrics.workers.Add(-1)
	var a answer
	for {
		c.serveRequest(req, &a)
		if c.idle.Add(1) > maxIdleWorkers {
			c.idle.Add(-1)
			return
		}
		select {
		case req = <-c.work:
			c.idle.Add(-1)
		case <-c.workStop:
			c.idle.Add(-1)
			return
		}
	}
}

// serveRequest runs one request and queues its answer, built in a. The
// bytes reserved for the request become its answer's, held until the
// writer has written it; its slot is released once the answer is queued.
func (c *conn) serveRequest(req request, a *answer) {
	defer c.inFlight.Add(-1)
	defer a.reset()
	f := c.encode(req.reply, c.run(req.m, req.reply.Flags&protocol.FlagTracing != 0, a), c.compressor)
	var n int64
	if f != nil {
		n = int64(len(f.b))
		f.acct, f.charge = c.acct, n
		c.observeAnswer(n)
	}
	c.acct.settle(req.reserved, n)
	if f != nil {
		c.send(f)
	}
}

// observeAnswer updates the estimate of the connection's answers with
// one of n bytes. Workers race on it; a lost update only delays the
// estimate by one answer.
func (c *conn) observeAnswer(n int64) {
	e := c.estimate.Load()
	if n < e {
		n = e - (e-n)/8
	}
	c.estimate.Store(n)
}

// run executes one request and returns its answer, a RESULT built in a
// or an ERROR. A panic in the handler is a bug, but must not take the
// node down: it becomes a Server error on this request's stream. A
// request with the tracing flag (traced) runs in a tracing session whose
// id precedes its answer (tracing.go).
func (c *conn) run(m protocol.Message, traced bool, a *answer) (out protocol.Message) {
	var start time.Time
	if c.srv.cfg.SlowQueryThreshold > 0 {
		start = time.Now()
	}
	ctx, trace := c.beginTrace(c.ctx, m, traced)
	defer func() {
		if trace != nil {
			trace.Finish()
			if traced {
				out = withTracingID(out, trace.ID())
			}
		}
		if !start.IsZero() {
			c.logIfSlow(m, time.Since(start), trace)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("CQL request handler panicked", "panic", r, "stack", string(debug.Stack()))
			out = &protocol.Error{Code: protocol.CodeServerError, Message: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	var warnings []string
	res, err := c.call(ctx, m, func(w string) { warnings = append(warnings, w) })
	if err != nil {
		return downgradeError(errorMessage(err), c.version)
	}
	if res == nil {
		return errorMessage(errors.New("server: the executor returned no result"))
	}
	msg, err := resultMessage(res, c.version, a)
	if err != nil {
		return errorMessage(err)
	}
	if len(warnings) > 0 && c.version >= protocol.Version4 {
		// Client warnings (Cassandra's ClientWarn) exist from v4 on.
		return &protocol.Prefixed{Prefix: protocol.ResponsePrefix{Warnings: warnings}, Message: msg}
	}
	return msg
}

// call hands m to the executor; warn receives the client warnings it
// raises.
func (c *conn) call(ctx context.Context, m protocol.Message, warn func(string)) (exec.Result, error) {
	h, s := c.srv.handler, c.session
	switch m := m.(type) {
	case *protocol.Query:
		o := queryOptions(&m.Params)
		o.Warn = warn
		return h.Query(ctx, s, m.Query, o)
	case *protocol.Prepare:
		p, err := h.Prepare(ctx, s, m.Query)
		if err != nil || p == nil {
			return nil, err
		}
		return p, nil
	case *protocol.Execute:
		o := queryOptions(&m.Params)
		o.Warn = warn
		return h.Execute(ctx, s, m.ID, o)
	case *protocol.Batch:
		b := batch(m)
		b.Warn = warn
		return h.Batch(ctx, s, b)
	}
	return nil, protocolError("Unexpected message %s", m.Opcode())
}

// tlsState fills the TLS columns of system_views.clients when the
// listener's connections are TLS (a *tls.Conn, or any connection with
// its ConnectionState method, such as one that serves TLS and plaintext
// on one port and reports a zero state for plaintext).
func tlsState(nc net.Conn, cc *exec.ClientConn) {
	t, ok := nc.(interface{ ConnectionState() tls.ConnectionState })
	if !ok {
		return
	}
	st := t.ConnectionState()
	if !st.HandshakeComplete {
		return
	}
	cc.SSLEnabled = true
	// Cassandra reports Java's names: TLSv1.2, TLSv1.3.
	cc.SSLProtocol = strings.Replace(tls.VersionName(st.Version), "TLS 1.", "TLSv1.", 1)
	cc.SSLCipherSuite = tls.CipherSuiteName(st.CipherSuite)
}
