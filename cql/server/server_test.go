package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestVersionNegotiation checks how a first frame of a version Sibyl does
// not speak is refused, as Cassandra 4.1 refuses it: an uncompressed
// ProtocolError on stream 0 (whatever the request's stream), in a v4
// frame, or in the 8-byte header of v1 and v2 to those versions; then the
// connection is closed.
func TestVersionNegotiation(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	for _, tc := range []struct {
		name    string
		raw     []byte
		version int              // in the message
		reply   protocol.Version // the answer's header version
	}{
		{"DSE_V2", []byte{0x42, 0, 0, 0, 5, 0, 0, 0, 0}, 0x42, 4}, // Python's probe
		{"DSE_V1", []byte{0x41, 0, 0, 0, 1, 0, 0, 0, 0}, 0x41, 4},
		{"v5", []byte{0x05, 0, 0, 7, 5, 0, 0, 0, 0}, 5, 4},
		{"v5 beta", []byte{0x05, 0x10, 0x12, 0x34, 5, 0, 0, 0, 0}, 5, 4},
		{"v6", []byte{0x06, 0, 0, 9, 5, 0, 0, 0, 0}, 6, 4},
		{"0x45", []byte{0x45, 0, 0, 1, 5, 0, 0, 0, 0}, 0x45, 4},
		{"v0", []byte{0x00, 0, 0, 1, 5, 0, 0, 0, 0}, 0, 4},
		{"v5 response bit", []byte{0x85, 0, 0, 2, 6, 0, 0, 0, 0}, 5, 4},
		{"v2", []byte{0x02, 0, 9, 5, 0, 0, 0, 0}, 2, 2},       // 8-byte header
		{"v1", []byte{0x01, 0, 0x7f, 1, 0, 0, 0, 0x16}, 1, 1}, // STARTUP, body unsent
		{"v5 first byte alone", []byte{0x05}, 5, 4},
	} {
		c := dial(t, addr)
		c.write(tc.raw)
		h, m := c.recvAny()
		e := expectError(t, m, protocol.CodeProtocolError)
		want := fmt.Sprintf("Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4)", tc.version)
		if e.Message != want || h.Version != tc.reply || !h.Response || h.Stream != 0 || h.Flags != 0 {
			t.Errorf("%s: header %+v message %q", tc.name, h, e.Message)
		}
		c.expectClosed()
	}
	for _, v := range []protocol.Version{protocol.Version3, protocol.Version4} {
		c := dial(t, addr)
		c.v = v
		c.send(0, &protocol.Options{})
		h, m := c.recv()
		s, ok := m.(*protocol.Supported)
		if !ok || h.Version != v || h.Stream != 0 {
			t.Fatalf("v%d: got %+v %#v", v, h, m)
		}
		if got := fmt.Sprint(s.Options["CQL_VERSION"], s.Options["COMPRESSION"], s.Options["PROTOCOL_VERSIONS"]); got != "["+exec.CQLVersion+"] [lz4 snappy] [3/v3 4/v4]" {
			t.Errorf("v%d: SUPPORTED %s", v, got)
		}
		if _, ok := c.startup(nil).(*protocol.Ready); !ok {
			t.Fatalf("v%d: STARTUP not answered with READY", v)
		}
	}
}

// TestV5OptionsRefused sends the first frame of a driver that starts at
// v5 (gocql v2, and the newest Python and Node.js drivers): a raw v5
// OPTIONS. The refusal must be readable by a v4 client (a v4 ERROR frame,
// on stream 0, where drivers look for it), say which versions to step
// down to, and end the connection.
func TestV5OptionsRefused(t *testing.T) {
	srv, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.write([]byte{0x05, 0x00, 0x00, 0x01, byte(protocol.OpOptions), 0, 0, 0, 0})
	h, m := c.recv() // a v4 client's reader
	want := protocol.Header{Version: protocol.Version4, Response: true, Stream: 0, Opcode: protocol.OpError, Length: h.Length}
	if h != want {
		t.Errorf("header %+v, want %+v", h, want)
	}
	e := expectError(t, m, protocol.CodeProtocolError)
	if e.Message != "Invalid or unsupported protocol version (5); supported versions are (3/v3, 4/v4)" {
		t.Errorf("message %q", e.Message)
	}
	c.expectClosed()
	if n := srv.Metrics().ProtocolErrors; n != 1 {
		t.Errorf("%d protocol errors counted, want 1", n)
	}
}

// TestRefusalSurvivesUnreadBytes sends what the server will not read
// after a refused v5 STARTUP's header: its body, late, and then more. The
// server must half-close and drop those bytes rather than close with them
// unread, which sends a RST: the client's writes would then fail before it
// reads the refusal (and on some systems the refusal itself is dropped).
func TestRefusalSurvivesUnreadBytes(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.write([]byte{0x05, 0, 0, 1, byte(protocol.OpStartup), 0, 0, 0, 0x16})
	<-time.After(20 * time.Millisecond) // let the refusal go out before the unread bytes
	for i := range 2 {
		if _, err := c.nc.Write(make([]byte, 0x16)); err != nil {
			t.Fatalf("write %d after the refusal: %v", i, err)
		}
		<-time.After(50 * time.Millisecond)
	}
	h, m := c.recv()
	if e := expectError(t, m, protocol.CodeProtocolError); h.Stream != 0 || !strings.Contains(e.Message, "(5)") {
		t.Fatalf("header %+v message %q", h, e.Message)
	}
	c.expectClosed()
}

// TestVersionRefusedMidConnection checks that a frame of an unsupported
// version after the handshake is refused on stream 0 in the connection's
// own version (Cassandra answers in the channel's version), or in the
// 8-byte header of v1 and v2 to those, and ends the connection.
func TestVersionRefusedMidConnection(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	for _, tc := range []struct {
		conn  protocol.Version
		first byte
		reply protocol.Version
	}{
		{protocol.Version3, 0x05, protocol.Version3},
		{protocol.Version4, 0x05, protocol.Version4},
		{protocol.Version3, 0x01, 1},
	} {
		c := dial(t, addr)
		c.v = tc.conn
		if _, ok := c.startup(nil).(*protocol.Ready); !ok {
			t.Fatalf("v%d: STARTUP not answered with READY", tc.conn)
		}
		c.write([]byte{tc.first, 0, 0, 5, byte(protocol.OpOptions), 0, 0, 0, 0})
		h, m := c.recvAny()
		e := expectError(t, m, protocol.CodeProtocolError)
		if h.Version != tc.reply || h.Stream != 0 || !strings.Contains(e.Message, "Invalid or unsupported protocol version") {
			t.Errorf("v%d connection, version byte 0x%02x: header %+v message %q", tc.conn, tc.first, h, e.Message)
		}
		c.expectClosed()
	}
}

func TestHandshake(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.query(3, "SELECT 1")
	_, m := c.recv()
	if e := expectError(t, m, protocol.CodeProtocolError); !strings.Contains(e.Message, "expecting STARTUP") {
		t.Errorf("query before STARTUP: %q", e.Message)
	}
	c.send(2, &protocol.Register{EventTypes: []string{protocol.EventSchemaChange}})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	c.send(4, &protocol.Startup{Options: map[string]string{}})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError) // CQL_VERSION is required
	c.send(4, &protocol.Startup{Options: map[string]string{"CQL_VERSION": "2.0.0"}})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	c.send(4, &protocol.Startup{Options: map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "zstd"}})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	if _, ok := c.startup(map[string]string{"cql_version": "3.4.7", "DRIVER_NAME": ""}).(*protocol.Ready); !ok {
		t.Fatal("STARTUP not answered with READY")
	}
	c.send(5, &protocol.Options{})
	if _, m := c.recv(); m.Opcode() != protocol.OpSupported {
		t.Fatalf("OPTIONS after READY: %#v", m)
	}
	c.query(6, "SELECT 1")
	h, m := c.recv()
	expectRows(t, m, "SELECT 1")
	if h.Stream != 6 || h.Opcode != protocol.OpResult {
		t.Fatalf("header %+v", h)
	}
	c.send(7, &protocol.Startup{Options: map[string]string{"CQL_VERSION": "3.0.0"}})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	c.query(8, "USE ks")
	if _, m := c.recv(); m.(*protocol.Result).Kind != protocol.ResultSetKeyspace {
		t.Fatalf("USE: %#v", m)
	}
}

func TestMalformedFramesKeepConnection(t *testing.T) {
	srv, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	frame := func(flags protocol.Flags, stream int16, op protocol.Opcode, body []byte) []byte {
		b := protocol.Header{Version: protocol.Version4, Flags: flags, Stream: stream, Opcode: op, Length: uint32(len(body))}.Encode(nil)
		return append(b, body...)
	}
	for i, raw := range [][]byte{
		frame(0, 10, protocol.OpQuery, []byte{0, 0, 0, 9, 'x'}),        // truncated query
		frame(0, 11, protocol.OpQuery, []byte{0xff, 0xff, 0xff, 0xff}), // negative length
		frame(0, 12, 0x04, nil),                                              // CREDENTIALS (v1 only)
		frame(0, 13, 0x42, []byte("garbage")),                                // unknown opcode
		frame(0, 14, protocol.OpResult, nil),                                 // a response opcode
		frame(protocol.FlagCompression, 15, protocol.OpQuery, []byte{1, 2}),  // compressed without negotiation
		frame(protocol.FlagCustomPayload, 16, protocol.OpOptions, []byte{0}), // truncated custom payload
		append([]byte{0x84}, frame(0, 17, protocol.OpOptions, nil)[1:]...),   // response direction
		append([]byte{0x03}, frame(0, 18, protocol.OpOptions, nil)[1:]...),   // another version mid-connection
	} {
		c.write(raw)
		h, m := c.recv()
		expectError(t, m, protocol.CodeProtocolError)
		if h.Stream != int16(10+i) {
			t.Errorf("frame %d: answered on stream %d", i, h.Stream)
		}
	}
	// Custom payloads and tracing requests are accepted.
	body, _ := protocol.AppendRequestPayload(nil, map[string][]byte{"k": []byte("v")})
	body, _ = (&protocol.Query{Query: "after", Params: protocol.QueryParams{Consistency: 1}}).Encode(body)
	c.write(frame(protocol.FlagCustomPayload|protocol.FlagTracing, 30, protocol.OpQuery, body))
	_, m := c.recv()
	expectRows(t, m, "after")
	if got := srv.Metrics().ProtocolErrors; got < 9 {
		t.Errorf("ProtocolErrors = %d", got)
	}
}

// TestHeaderFlags checks the flags v3 and v4 do not define. USE_BETA
// (0x10, from v5 on) and the unused bits are ignored, as the spec says and
// Cassandra 4.1 does; the Python driver sets USE_BETA on every frame when
// allow_beta_protocol_version is on, so refusing it would refuse that
// driver. CUSTOM_PAYLOAD in a v3 frame is refused, as Cassandra refuses
// it, with a ProtocolError naming it, on the request's stream, and the
// connection goes on.
func TestHeaderFlags(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	raw := func(v protocol.Version, flags protocol.Flags, stream int16, m protocol.Message) []byte {
		b, err := protocol.AppendFrame(nil, protocol.Header{Version: v, Stream: stream}, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		b[1] = byte(flags)
		return b
	}
	for _, v := range []protocol.Version{protocol.Version3, protocol.Version4} {
		c := dial(t, addr)
		c.v = v
		c.write(raw(v, protocol.FlagBeta, 3, &protocol.Options{}))
		if h, m := c.recv(); m.Opcode() != protocol.OpSupported || h.Stream != 3 || h.Version != v {
			t.Fatalf("v%d OPTIONS with USE_BETA: %+v %#v", v, h, m)
		}
		c.write(raw(v, protocol.FlagBeta|0xe0, 1, &protocol.Startup{Options: map[string]string{"CQL_VERSION": "3.0.0"}}))
		if _, m := c.recv(); m.Opcode() != protocol.OpReady {
			t.Fatalf("v%d STARTUP with USE_BETA and unused bits: %#v", v, m)
		}
		q := &protocol.Query{Query: "beta", Params: protocol.QueryParams{Version: v, Consistency: 1}}
		c.write(raw(v, protocol.FlagBeta|protocol.FlagTracing, 4, q))
		if h, m := c.recv(); h.Stream != 4 {
			t.Fatalf("v%d QUERY with USE_BETA: %+v", v, h)
		} else {
			expectRows(t, m, "beta")
		}
		if v == protocol.Version3 {
			body, _ := protocol.AppendRequestPayload(nil, map[string][]byte{"k": nil})
			body, _ = q.Encode(body)
			b := protocol.Header{Version: v, Flags: protocol.FlagCustomPayload, Stream: 5, Opcode: protocol.OpQuery, Length: uint32(len(body))}.Encode(nil)
			c.write(append(b, body...))
			h, m := c.recv()
			e := expectError(t, m, protocol.CodeProtocolError)
			if h.Stream != 5 || h.Version != v || !strings.Contains(e.Message, "CUSTOM_PAYLOAD flag (0x04) in a protocol v3 frame") {
				t.Fatalf("v3 custom payload: %+v %q", h, e.Message)
			}
		}
		c.query(6, "still open")
		_, m := c.recv()
		expectRows(t, m, "still open")
	}
}

func TestOversizedFrame(t *testing.T) {
	_, addr := startServer(t, Config{MaxFrameSize: 1024}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	c.write(protocol.Header{Version: protocol.Version4, Stream: 9, Opcode: protocol.OpQuery, Length: 1025}.Encode(nil))
	h, m := c.recv()
	if e := expectError(t, m, protocol.CodeProtocolError); !strings.Contains(e.Message, "too big") || h.Stream != 9 {
		t.Fatalf("stream %d message %q", h.Stream, e.Message)
	}
	c.expectClosed()

	// A compressed body that would decompress past the limit is refused
	// too, but its frame was read whole, so the connection goes on.
	c = dial(t, addr)
	c.startup(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"})
	c.comp = protocol.LZ4{}
	c.query(3, strings.Repeat("x", 4000))
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	c.query(4, "small")
	_, m = c.recv()
	expectRows(t, m, "small")
}

func TestTruncatedFrames(t *testing.T) {
	srv, addr := startServer(t, Config{}, newTestHandler())
	for _, raw := range [][]byte{
		{0x04, 0, 0},                          // half a header
		{0x04, 0, 0, 1, 7, 0, 0, 0, 20, 0, 0}, // half a body
		{},
	} {
		c := dial(t, addr)
		c.write(raw)
		_ = c.nc.Close()
	}
	testutil.WaitFor(t, 5*time.Second, "connections to close", func() bool { return srv.Metrics().OpenConnections == 0 })
}

func TestCompression(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	for _, comp := range []protocol.Compressor{protocol.LZ4{}, protocol.Snappy{}} {
		c := dial(t, addr)
		if _, ok := c.startup(map[string]string{"CQL_VERSION": "3.0.0", "COMPRESSION": comp.Name()}).(*protocol.Ready); !ok {
			t.Fatalf("%s: no READY", comp.Name())
		}
		c.comp = comp
		long := strings.Repeat("compressible ", 200)
		c.query(2, long)
		h, m := c.recv()
		expectRows(t, m, long)
		if h.Flags&protocol.FlagCompression == 0 {
			t.Errorf("%s: response not compressed", comp.Name())
		}
		// Clients may send uncompressed frames too.
		c.comp = nil
		c.query(3, "plain")
		c.comp = comp
		_, m = c.recv()
		expectRows(t, m, "plain")
		// A corrupt compressed body is a ProtocolError, and the connection goes on.
		raw := protocol.Header{Version: protocol.Version4, Flags: protocol.FlagCompression, Stream: 4, Opcode: protocol.OpQuery, Length: 5}.Encode(nil)
		c.write(append(raw, 0, 0, 0, 9, 0xff))
		_, m = c.recv()
		expectError(t, m, protocol.CodeProtocolError)
		c.query(5, "still here")
		_, m = c.recv()
		expectRows(t, m, "still here")
	}
}

func TestEventsOnlyToRegistered(t *testing.T) {
	srv, addr := startServer(t, Config{}, newTestHandler())
	reg, other, status := dial(t, addr), dial(t, addr), dial(t, addr)
	for _, c := range []*client{reg, other, status} {
		c.startup(nil)
	}
	reg.send(2, &protocol.Register{EventTypes: []string{protocol.EventSchemaChange, protocol.EventTopologyChange}})
	status.send(2, &protocol.Register{EventTypes: []string{protocol.EventStatusChange}})
	for _, c := range []*client{reg, status} {
		if _, m := c.recv(); m.Opcode() != protocol.OpReady {
			t.Fatalf("REGISTER: %#v", m)
		}
	}
	reg.send(3, &protocol.Register{EventTypes: []string{"NO_SUCH_EVENT"}})
	_, m := reg.recv()
	expectError(t, m, protocol.CodeProtocolError)

	srv.Publish(exec.Event{Type: exec.EventSchemaChange, Schema: &exec.SchemaChangeResult{
		Change: exec.ChangeCreated, Target: exec.TargetTable, Keyspace: "ks", Name: "t"}})
	srv.Publish(exec.Event{Type: exec.EventStatusChange, Change: "UP", Addr: netip.MustParseAddrPort("127.0.0.2:9042")})
	h, m := reg.recv()
	ev, ok := m.(*protocol.Event)
	if !ok || h.Stream != -1 || ev.SchemaChange == nil || ev.SchemaChange.Name != "t" || ev.SchemaChange.Target != "TABLE" {
		t.Fatalf("registered connection got %+v %#v", h, m)
	}
	h, m = status.recv()
	if ev, ok := m.(*protocol.Event); !ok || h.Stream != -1 || ev.Change != "UP" || ev.Addr.Port() != 9042 {
		t.Fatalf("status connection got %+v %#v", h, m)
	}
	// Neither the unregistered connection nor the wrong type gets anything:
	// the next frame each sees is the answer to OPTIONS.
	for _, c := range []*client{other, reg} {
		c.send(9, &protocol.Options{})
		if h, m := c.recv(); m.Opcode() != protocol.OpSupported || h.Stream != 9 {
			t.Fatalf("got %+v %#v", h, m)
		}
	}
}

func TestAuthentication(t *testing.T) {
	creds := func(ctx context.Context, user, password string) error {
		if user == "cassandra" && password == "secret" {
			return nil
		}
		return errors.New("wrong password")
	}
	_, addr := startServer(t, Config{Credentials: creds}, newTestHandler())
	c := dial(t, addr)
	m := c.startup(nil)
	if a, ok := m.(*protocol.Authenticate); !ok || a.Authenticator != "org.apache.cassandra.auth.PasswordAuthenticator" {
		t.Fatalf("STARTUP: %#v", m)
	}
	c.query(2, "SELECT 1")
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
	for _, token := range []string{"\x00cassandra\x00wrong", "garbage", "\x00\x00secret"} {
		c.send(3, &protocol.AuthResponse{Token: []byte(token)})
		_, m = c.recv()
		expectError(t, m, protocol.CodeBadCredentials)
	}
	c.send(3, &protocol.AuthResponse{Token: []byte("\x00cassandra\x00secret")})
	if _, m = c.recv(); m.Opcode() != protocol.OpAuthSuccess {
		t.Fatalf("AUTH_RESPONSE: %#v", m)
	}
	c.query(4, "SELECT 1")
	_, m = c.recv()
	expectRows(t, m, "SELECT 1")
	c.send(5, &protocol.AuthResponse{Token: []byte("\x00cassandra\x00secret")})
	_, m = c.recv()
	expectError(t, m, protocol.CodeProtocolError)
}

func TestRequestsAndErrors(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	c.query(1, "unavailable")
	_, m := c.recv()
	if e := expectError(t, m, protocol.CodeUnavailable); e.Consistency != 4 || e.Required != 2 || e.Alive != 1 {
		t.Fatalf("Unavailable body %+v", e)
	}
	c.query(2, "panic")
	_, m = c.recv()
	expectError(t, m, protocol.CodeServerError)

	c.send(3, &protocol.Prepare{Query: "SELECT q FROM ks.t WHERE q = ?"})
	_, m = c.recv()
	p := m.(*protocol.Result).Prepared
	if p == nil || len(p.PKIndexes) != 1 || p.Bind[0].Keyspace != "ks" || p.Result.Columns[0].Type.ID != protocol.TypeVarchar {
		t.Fatalf("PREPARED %#v", m)
	}
	c.send(4, &protocol.Execute{ID: p.ID, Params: protocol.QueryParams{Consistency: 1, SkipMetadata: true,
		Values: []protocol.Value{{Bytes: []byte("bound")}}}})
	_, m = c.recv()
	if rows := expectRows(t, m, "bound"); !rows.Metadata.NoMetadata || rows.Metadata.ColumnCount != 1 {
		t.Fatalf("EXECUTE with skip_metadata: %+v", rows.Metadata)
	}
	c.send(5, &protocol.Execute{ID: []byte{1, 2}, Params: protocol.QueryParams{Consistency: 1}})
	_, m = c.recv()
	if e := expectError(t, m, protocol.CodeUnprepared); string(e.UnpreparedID) != "\x01\x02" {
		t.Fatalf("Unprepared id %x", e.UnpreparedID)
	}
	c.send(6, &protocol.Batch{Type: protocol.BatchLogged, Statements: []protocol.BatchStatement{{Query: "INSERT"}, {ID: p.ID}}})
	if _, m = c.recv(); m.(*protocol.Result).Kind != protocol.ResultVoid {
		t.Fatalf("BATCH: %#v", m)
	}
}

func TestShutdownDrains(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, Config{}, h)
	c := dial(t, addr)
	c.startup(nil)
	c.query(1, "block")
	<-h.started
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	testutil.WaitFor(t, 5*time.Second, "the listener to close", func() bool {
		nc, err := (&netDialer).Dial("tcp", addr)
		if err == nil {
			_ = nc.Close()
		}
		return err != nil
	})
	close(h.release)
	_, m := c.recv()
	expectRows(t, m, "block")
	c.expectClosed()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, Config{}, h)
	c := dial(t, addr)
	c.startup(nil)
	c.query(1, "block")
	<-h.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	// The request's context is cancelled: its answer, a Server error, may
	// leave before the socket is cut, or not at all.
	for {
		_, m, err := c.tryRecv(5 * time.Second)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection still open after 5s")
			}
			break
		}
		if e := expectError(t, m, protocol.CodeServerError); !strings.Contains(e.Message, "request abandoned") {
			t.Fatalf("answer after the Shutdown deadline: %q", e.Message)
		}
	}
	if n := srv.Metrics().OpenConnections; n != 0 {
		t.Fatalf("%d connections open after Shutdown", n)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{Address: "nope", MaxFrameSize: 10, MaxInFlight: -1, MaxRequestDataInFlight: -1, MaxRequestDataInFlightPerIP: -1, FrameTimeout: -1}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, want := range []string{"address", "frame size", "in-flight", "data in flight -1", "data in flight per IP", "frame timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %q does not mention %s", err, want)
		}
	}
	cfg = Config{MaxRequestDataInFlight: 8 << 20}
	cfg.EnsureDefaults()
	if cfg.MaxRequestDataInFlightPerIP != 2<<20 || cfg.FrameTimeout != DefaultFrameTimeout {
		t.Errorf("defaults: per IP %d, frame timeout %v", cfg.MaxRequestDataInFlightPerIP, cfg.FrameTimeout)
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Fatal("New accepted a nil handler")
	}
}

func TestLaggingEventReaderIsClosed(t *testing.T) {
	srv, addr := startServer(t, Config{MaxInFlight: 1}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	c.send(2, &protocol.Register{EventTypes: []string{protocol.EventSchemaChange}})
	c.recv()
	// The client reads nothing more; events fill its socket, then its queue.
	ev := exec.Event{Type: exec.EventSchemaChange, Schema: &exec.SchemaChangeResult{
		Change: exec.ChangeUpdated, Target: exec.TargetTable, Keyspace: "ks", Name: strings.Repeat("t", 60000)}}
	for i := 0; srv.Metrics().DroppedEvents == 0; i++ {
		if i == 100000 {
			t.Fatal("events never backed up")
		}
		srv.Publish(ev)
	}
	testutil.WaitFor(t, 5*time.Second, "the lagging connection to close", func() bool { return srv.Metrics().OpenConnections == 0 })
}

func TestLargeFrames(t *testing.T) {
	_, addr := startServer(t, Config{}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	big := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB, read in the growing path
	c.query(1, big)
	_, m := c.recv()
	expectRows(t, m, big)
}

func TestListenAndServe(t *testing.T) {
	h := newTestHandler()
	srv, err := New(Config{Address: "127.0.0.1:0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe after cancel: %v", err)
	}
	srv, _ = New(Config{Address: "256.0.0.1:9042"}, h)
	if err := srv.ListenAndServe(context.Background()); err == nil {
		t.Fatal("listened on an impossible address")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), nil); err == nil {
		t.Fatal("Serve accepted a nil listener")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

// scriptedListener returns the queued connections and errors in order.
type scriptedListener struct {
	accepts chan acceptResult
	closed  chan struct{}
	once    sync.Once
}

type acceptResult struct {
	nc  net.Conn
	err error
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "accept timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func (l *scriptedListener) Accept() (net.Conn, error) {
	select {
	case r := <-l.accepts:
		return r.nc, r.err
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *scriptedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *scriptedListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func TestAcceptErrors(t *testing.T) {
	srv, err := New(Config{}, newTestHandler())
	if err != nil {
		t.Fatal(err)
	}
	clientSide, serverSide := net.Pipe()
	defer clientSide.Close()
	fatal := errors.New("listener broke")
	ln := &scriptedListener{accepts: make(chan acceptResult, 3), closed: make(chan struct{})}
	ln.accepts <- acceptResult{err: timeoutError{}}
	ln.accepts <- acceptResult{nc: serverSide}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()

	c := &client{t: t, nc: clientSide, v: protocol.Version4}
	c.startup(nil) // served despite the temporary error before it
	ln.accepts <- acceptResult{err: fatal}
	if err := <-done; !errors.Is(err, fatal) {
		t.Fatalf("Serve: %v", err)
	}
	c.expectClosed() // a broken listener takes its connections down
}
