package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/protocol"
)

// streamConn is a net.Conn whose reads come from a fixed byte stream,
// at most chunk bytes at a time (short reads), ending in EOF; writes are
// collected.
type streamConn struct {
	r     io.Reader
	chunk int
	mu    sync.Mutex
	out   bytes.Buffer // guarded by mu
}

func (c *streamConn) Read(b []byte) (int, error) {
	if c.chunk > 0 && len(b) > c.chunk {
		b = b[:c.chunk]
	}
	return c.r.Read(b)
}

func (c *streamConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(b)
}

func (c *streamConn) Close() error { return nil }
func (c *streamConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9042}
}
func (c *streamConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// runStream serves one connection whose client sends input and leaves,
// and returns what the server wrote.
func runStream(t testing.TB, srv *Server, input []byte, chunk int) []byte {
	nc := &streamConn{r: bytes.NewReader(input), chunk: chunk}
	c := newConn(context.Background(), srv, nc)
	c.serve()
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.out.Bytes()
}

func requestFrame(t testing.TB, v protocol.Version, stream int16, m protocol.Message, comp protocol.Compressor) []byte {
	b, err := protocol.AppendFrame(nil, protocol.Header{Version: v, Stream: stream}, m, comp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seedSession(t testing.TB, v protocol.Version, compression string) []byte {
	var comp protocol.Compressor
	opts := map[string]string{"CQL_VERSION": "3.0.0"}
	if compression != "" {
		opts["COMPRESSION"] = compression
		comp = protocol.CompressorByName(compression)
	}
	var b []byte
	b = append(b, requestFrame(t, v, 0, &protocol.Options{}, nil)...)
	b = append(b, requestFrame(t, v, 1, &protocol.Startup{Options: opts}, nil)...)
	b = append(b, requestFrame(t, v, 2, &protocol.Register{EventTypes: []string{protocol.EventSchemaChange}}, comp)...)
	b = append(b, requestFrame(t, v, 3, &protocol.Query{Query: "SELECT 1", Params: protocol.QueryParams{Version: v, Consistency: 1, HasPageSize: true, PageSize: 10}}, comp)...)
	b = append(b, requestFrame(t, v, 4, &protocol.Prepare{Query: "SELECT ?"}, comp)...)
	b = append(b, requestFrame(t, v, 5, &protocol.Execute{ID: []byte("id:x"), Params: protocol.QueryParams{Version: v, Values: []protocol.Value{{Bytes: []byte("v")}}}}, comp)...)
	b = append(b, requestFrame(t, v, 6, &protocol.Batch{Version: v, Statements: []protocol.BatchStatement{{Query: "INSERT"}}}, comp)...)
	return b
}

// FuzzConnection feeds arbitrary client byte streams through the whole
// server-side read path (header, body, decompression, decoding,
// dispatch): it must never panic or hang, and every byte it writes must
// be well-formed response frames.
func FuzzConnection(f *testing.F) {
	f.Add(seedSession(f, protocol.Version4, ""))
	f.Add(seedSession(f, protocol.Version3, ""))
	f.Add(seedSession(f, protocol.Version4, "lz4"))
	f.Add(seedSession(f, protocol.Version4, "snappy"))
	f.Add([]byte{0x42, 0, 0, 0, 5, 0, 0, 0, 0})
	f.Add([]byte{0x05, 0, 0, 1, 5, 0, 0, 0, 0})
	f.Add([]byte{0x01, 0, 1, 5, 0, 0, 0, 0})
	f.Add(append(seedSession(f, protocol.Version4, "")[:9], 0x02))
	f.Add([]byte{0x04, 0, 0, 1, 7, 0x7f, 0xff, 0xff, 0xff})
	srv, err := New(Config{MaxFrameSize: 1 << 16, MaxInFlight: 4}, newTestHandler())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		out := runStream(t, srv, input, 0)
		checkResponses(t, out)
	})
}

// checkResponses checks that out is a sequence of decodable responses.
func checkResponses(t *testing.T, out []byte) []protocol.Message {
	var msgs []protocol.Message
	var comp protocol.Compressor
	for len(out) > 0 {
		if v := out[0] & 0x7f; v == 1 || v == 2 {
			// The refusal of v1 or v2, in their 8-byte header.
			if len(out) < 8 || out[0] != 0x80|v || out[2] != 0 || protocol.Opcode(out[3]) != protocol.OpError ||
				8+int(binary.BigEndian.Uint32(out[4:])) > len(out) {
				t.Fatalf("bad v%d refusal %x", v, out)
			}
			n := 8 + int(binary.BigEndian.Uint32(out[4:]))
			m, err := protocol.DecodeResponse(protocol.OpError, protocol.Version(v), out[8:n])
			if err != nil {
				t.Fatalf("bad v%d refusal: %v", v, err)
			}
			msgs, out = append(msgs, m), out[n:]
			continue
		}
		h, err := protocol.DecodeHeader(out, 0)
		if err != nil || !h.Response || len(out) < protocol.HeaderSize+int(h.Length) {
			t.Fatalf("bad response header %+v: %v", h, err)
		}
		body := out[protocol.HeaderSize : protocol.HeaderSize+int(h.Length)]
		out = out[protocol.HeaderSize+int(h.Length):]
		if h.Flags&protocol.FlagCompression != 0 {
			for _, c := range []protocol.Compressor{protocol.LZ4{}, protocol.Snappy{}} {
				if b, err := c.Decompress(nil, body, protocol.DefaultMaxFrameSize); err == nil {
					body, comp = b, c
					break
				}
			}
		}
		m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
		if err != nil {
			t.Fatalf("bad response %s (compressor %v): %v", h.Opcode, comp, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// TestShortReads runs a whole session through a connection that returns
// one byte per read, and checks every request is answered.
func TestShortReads(t *testing.T) {
	srv, err := New(Config{}, newTestHandler())
	if err != nil {
		t.Fatal(err)
	}
	input := seedSession(t, protocol.Version4, "lz4")
	out := runStreamWaiting(t, srv, input, 1, 7)
	msgs := checkResponses(t, out)
	if len(msgs) != 7 {
		t.Fatalf("%d answers to 7 requests: %v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if e, ok := m.(*protocol.Error); ok {
			t.Errorf("error answer: %v", e)
		}
	}
}

// TestEOFMidFrame checks that a client leaving in the middle of a frame
// ends the connection cleanly, having answered the frames before.
func TestEOFMidFrame(t *testing.T) {
	srv, err := New(Config{}, newTestHandler())
	if err != nil {
		t.Fatal(err)
	}
	input := seedSession(t, protocol.Version4, "")
	for _, cut := range []int{len(input) - 1, len(input) - 12, 20, 5} {
		out := runStream(t, srv, input[:cut], 3)
		checkResponses(t, out)
	}
}

// runStreamWaiting is runStream for a client that stays connected until
// it has n answers (over a pipe, written byte by byte).
func runStreamWaiting(t *testing.T, srv *Server, input []byte, chunk, n int) []byte {
	client, server := net.Pipe()
	defer client.Close()
	c := newConn(context.Background(), srv, server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.serve()
	}()
	go func() {
		for i := 0; i < len(input); i += chunk {
			if _, err := client.Write(input[i:min(i+chunk, len(input))]); err != nil {
				return
			}
		}
	}()
	var out []byte
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	for len(checkCount(out)) < n {
		k, err := client.Read(buf)
		if err != nil {
			t.Fatalf("after %d answers: %v", len(checkCount(out)), err)
		}
		out = append(out, buf[:k]...)
	}
	_ = client.Close()
	<-done
	return out
}

// checkCount returns the complete frames at the start of out.
func checkCount(out []byte) [][]byte {
	var frames [][]byte
	for len(out) >= protocol.HeaderSize {
		h, err := protocol.DecodeHeader(out, 0)
		if err != nil && !errors.Is(err, protocol.ErrFrameTooLarge) || len(out) < protocol.HeaderSize+int(h.Length) {
			break
		}
		frames = append(frames, out[:protocol.HeaderSize+int(h.Length)])
		out = out[protocol.HeaderSize+int(h.Length):]
	}
	return frames
}
