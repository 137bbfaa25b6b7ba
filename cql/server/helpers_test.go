package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/schema"
)

// testHandler is a small Handler for protocol-level tests. Queries are
// recognised by their text:
//
//	"block"       waits until release is closed (or the context ends)
//	"panic"       panics
//	"unavailable" fails with Unavailable
//	"USE <ks>"    sets the keyspace
//	anything else returns one row with the query text in column "q"
type testHandler struct {
	release chan struct{}
	started chan struct{} // receives once per "block" query that started
}

func newTestHandler() *testHandler {
	return &testHandler{release: make(chan struct{}), started: make(chan struct{}, 100)}
}

var textCol = exec.ColumnSpec{Keyspace: "ks", Table: "t", Name: "q", Type: schema.TextType}

func (h *testHandler) NewSession() *exec.Session { return &exec.Session{} }

func (h *testHandler) Query(ctx context.Context, s *exec.Session, q string, o *exec.QueryOptions) (exec.Result, error) {
	switch {
	case q == "block":
		h.started <- struct{}{}
		select {
		case <-h.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case q == "panic":
		panic("test panic")
	case q == "unavailable":
		return nil, &exec.Error{Code: exec.CodeUnavailable, Message: "not enough replicas", Consistency: exec.Quorum, Required: 2, Alive: 1}
	case strings.HasPrefix(q, "USE "):
		return &exec.SetKeyspaceResult{Keyspace: strings.TrimPrefix(q, "USE ")}, nil
	}
	return &exec.RowsResult{Columns: []exec.ColumnSpec{textCol}, Rows: [][][]byte{{[]byte(q)}}, NoMetadata: o.SkipMetadata}, nil
}

func (h *testHandler) Prepare(ctx context.Context, s *exec.Session, q string) (*exec.PreparedResult, error) {
	return &exec.PreparedResult{ID: []byte("id:" + q), Bind: []exec.ColumnSpec{textCol}, PKIndexes: []uint16{0},
		Result: []exec.ColumnSpec{textCol}}, nil
}

func (h *testHandler) Execute(ctx context.Context, s *exec.Session, id []byte, o *exec.QueryOptions) (exec.Result, error) {
	if !strings.HasPrefix(string(id), "id:") {
		return nil, &exec.Error{Code: exec.CodeUnprepared, Message: "unknown id", UnpreparedID: id}
	}
	if len(o.Values) != 1 {
		return nil, exec.Errorf(exec.CodeInvalid, "expected 1 value, got %d", len(o.Values))
	}
	return &exec.RowsResult{Columns: []exec.ColumnSpec{textCol}, Rows: [][][]byte{{o.Values[0].Bytes}}, NoMetadata: o.SkipMetadata}, nil
}

func (h *testHandler) Batch(ctx context.Context, s *exec.Session, b *exec.Batch) (exec.Result, error) {
	return exec.VoidResult{}, nil
}

// startServer serves h on a loopback port until the test ends.
func startServer(t testing.TB, cfg Config, h Handler) (*Server, string) {
	t.Helper()
	srv, err := New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

// client is a raw-socket test client.
type client struct {
	t    testing.TB
	nc   net.Conn
	v    protocol.Version
	comp protocol.Compressor
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &client{t: t, nc: nc, v: protocol.Version4}
}

func (c *client) send(stream int16, m protocol.Message) {
	c.t.Helper()
	comp := c.comp
	if _, ok := m.(*protocol.Startup); ok {
		comp = nil
	}
	frame, err := protocol.AppendFrame(nil, protocol.Header{Version: c.v, Stream: stream}, m, comp)
	if err != nil {
		c.t.Fatal(err)
	}
	c.write(frame)
}

func (c *client) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one frame and decodes it as a response.
func (c *client) recv() (protocol.Header, protocol.Message) {
	c.t.Helper()
	h, m, err := c.tryRecv(5 * time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	return h, m
}

func (c *client) tryRecv(wait time.Duration) (protocol.Header, protocol.Message, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(wait))
	var hdr [protocol.HeaderSize]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		return protocol.Header{}, nil, err
	}
	h, err := protocol.DecodeHeader(hdr[:], 0)
	if err != nil {
		return h, nil, err
	}
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		return h, nil, err
	}
	if h.Flags&protocol.FlagCompression != 0 {
		if c.comp == nil {
			return h, nil, errors.New("compressed frame without compression")
		}
		if body, err = c.comp.Decompress(nil, body, protocol.DefaultMaxFrameSize); err != nil {
			return h, nil, err
		}
	}
	_, body, err = protocol.SplitResponseBody(h.Flags, body)
	if err != nil {
		return h, nil, err
	}
	m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
	return h, m, err
}

// recvAny reads one response frame of any version, with the 8-byte
// header of v1 and v2 or the 9-byte one of later versions. Its body must
// be uncompressed and without prefix.
func (c *client) recvAny() (protocol.Header, protocol.Message) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [protocol.HeaderSize]byte
	if _, err := io.ReadFull(c.nc, hdr[:1]); err != nil {
		c.t.Fatal(err)
	}
	h := protocol.Header{Version: protocol.Version(hdr[0] & 0x7f), Response: hdr[0]&0x80 != 0}
	n := protocol.HeaderSize
	if h.Version == 1 || h.Version == 2 {
		n--
	}
	if _, err := io.ReadFull(c.nc, hdr[1:n]); err != nil {
		c.t.Fatal(err)
	}
	h.Flags = protocol.Flags(hdr[1])
	if n == protocol.HeaderSize {
		h.Stream = int16(binary.BigEndian.Uint16(hdr[2:]))
	} else {
		h.Stream = int16(int8(hdr[2]))
	}
	h.Opcode = protocol.Opcode(hdr[n-5])
	h.Length = binary.BigEndian.Uint32(hdr[n-4:])
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		c.t.Fatal(err)
	}
	m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
	if err != nil {
		c.t.Fatalf("header %+v: %v", h, err)
	}
	return h, m
}

// expectClosed checks that the server closes the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	if n, err := c.nc.Read(b[:]); err == nil {
		c.t.Fatalf("connection still open, read %d bytes", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatal("connection still open after 5s")
	}
}

func (c *client) startup(opts map[string]string) protocol.Message {
	c.t.Helper()
	if opts == nil {
		opts = map[string]string{"CQL_VERSION": "3.0.0"}
	}
	c.send(1, &protocol.Startup{Options: opts})
	_, m := c.recv()
	return m
}

func (c *client) query(stream int16, q string) {
	c.t.Helper()
	c.send(stream, &protocol.Query{Query: q, Params: protocol.QueryParams{Version: c.v, Consistency: 1}})
}

func expectError(t *testing.T, m protocol.Message, code protocol.ErrorCode) *protocol.Error {
	t.Helper()
	e, ok := m.(*protocol.Error)
	if !ok || e.Code != code {
		t.Fatalf("got %#v, want ERROR 0x%04x", m, int32(code))
	}
	return e
}

func expectRows(t *testing.T, m protocol.Message, want string) *protocol.Rows {
	t.Helper()
	r, ok := m.(*protocol.Result)
	if !ok || r.Kind != protocol.ResultRows || len(r.Rows.Rows) != 1 || string(r.Rows.Rows[0][0]) != want {
		t.Fatalf("got %#v, want one row %q", m, want)
	}
	return r.Rows
}

var netDialer = net.Dialer{Timeout: time.Second}
