package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/schema"
)

// The benchmarks below drive one connection on loopback the way a
// pipelining driver does: benchDepth requests in flight, each answer
// followed by a new request on its stream, new requests written together
// once the answers at hand are read (gocql coalesces its writes too).
// Answers are read with a buffered reader that only skips their bodies,
// so the client's share of the CPU stays small and the figures move with
// the server's request path; the client allocates nothing per request.
// One op is one request; besides ns/op and allocs/op each reports requests/s and writes/frame: the socket writes
// the server made per answer, the syscall cost of its writer.

// benchDepth is the number of requests in flight per connection, about
// what `sibyl bench --concurrency 128` puts on each of its 2 connections.
const benchDepth = 64

// BenchmarkPipelinedQueries measures unprepared QUERY requests answered
// by the test handler with one row and its metadata.
func BenchmarkPipelinedQueries(b *testing.B) {
	frame := requestFrame(b, protocol.Version4, 0, &protocol.Query{Query: "SELECT v FROM ks.t WHERE k = 1",
		Params: protocol.QueryParams{Consistency: 1}}, nil)
	runPipelined(b, newTestHandler(), frame)
}

// BenchmarkPipelinedWrites measures prepared INSERTs (EXECUTE with three
// values, answered VOID), the shape of `sibyl bench --mode write`.
func BenchmarkPipelinedWrites(b *testing.B) {
	frame := requestFrame(b, protocol.Version4, 0, &protocol.Execute{ID: []byte(benchWriteID), Params: protocol.QueryParams{
		Consistency: 1, HasValues: true, HasTimestamp: true, Timestamp: 1,
		Values: []protocol.Value{{Bytes: []byte("partition-key")}, {Bytes: []byte{0, 0, 0, 7}}, {Bytes: make([]byte, 100)}},
	}}, nil)
	runPipelined(b, benchHandler{}, frame)
}

// BenchmarkPipelinedReads measures prepared point SELECTs (EXECUTE with
// one value and skip_metadata, answered with one row of two columns),
// the shape of `sibyl bench --mode read`.
func BenchmarkPipelinedReads(b *testing.B) {
	frame := requestFrame(b, protocol.Version4, 0, &protocol.Execute{ID: []byte(benchReadID), Params: protocol.QueryParams{
		Consistency: 1, HasValues: true, SkipMetadata: true, HasPageSize: true, PageSize: 5000,
		Values: []protocol.Value{{Bytes: []byte("partition-key")}},
	}}, nil)
	runPipelined(b, benchHandler{}, frame)
}

// runPipelined serves h and keeps benchDepth copies of frame in flight
// on one connection, on distinct streams, until b.N answers are read;
// every answer must be a RESULT.
func runPipelined(b *testing.B, h Handler, frame []byte) {
	srv, err := New(Config{}, h)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, cl) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
			b.Errorf("Serve: %v", err)
		}
	})
	c := dial(b, ln.Addr().String())
	c.startup(nil)
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Minute))

	p := &pipeline{c: c, r: bufio.NewReaderSize(c.nc, 64<<10), frame: frame}
	for i := range benchDepth {
		p.queue(int16(i + 2))
	}
	p.flush()
	startWrites := cl.writes.Load()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.next(); err != nil {
			b.Fatal(err)
		}
	}
	requests := float64(b.N)
	b.ReportMetric(requests/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(cl.writes.Load()-startWrites)/requests, "writes/frame")
	// Collect the answers still in flight before the server stops.
	p.flush()
	for range p.inFlight {
		if _, err := skipResult(p.r); err != nil {
			b.Fatal(err)
		}
	}
}

// pipeline is the benchmark's client side of one connection.
type pipeline struct {
	c        *client
	r        *bufio.Reader
	frame    []byte // the request, on stream 0
	out      []byte // requests not written yet
	inFlight int
}

// queue adds a request on stream to the next write.
func (p *pipeline) queue(stream int16) {
	p.out = append(p.out, p.frame...)
	f := p.out[len(p.out)-len(p.frame):]
	f[2], f[3] = byte(uint16(stream)>>8), byte(stream)
	p.inFlight++
}

func (p *pipeline) flush() {
	if len(p.out) > 0 {
		p.c.write(p.out)
		p.out = p.out[:0]
	}
}

// next reads one answer and queues a new request on its stream, writing
// the queued requests when no more answers are at hand.
func (p *pipeline) next() error {
	stream, err := skipResult(p.r)
	if err != nil {
		return err
	}
	p.inFlight--
	p.queue(stream)
	if p.r.Buffered() == 0 {
		p.flush()
	}
	return nil
}

// skipResult reads one frame, checks that it is a RESULT, discards its
// body and returns its stream.
func skipResult(r *bufio.Reader) (int16, error) {
	hdr, err := r.Peek(protocol.HeaderSize)
	if err != nil {
		return 0, err
	}
	h, err := protocol.DecodeHeader(hdr, 0)
	if err != nil {
		return 0, err
	}
	if _, err := r.Discard(protocol.HeaderSize); err != nil {
		return 0, err
	}
	if h.Opcode != protocol.OpResult {
		body := make([]byte, h.Length)
		_, _ = io.ReadFull(r, body)
		m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
		if err != nil {
			return 0, err
		}
		return 0, errors.New("unexpected answer " + h.Opcode.String() + ": " + describe(m))
	}
	_, err = r.Discard(int(h.Length))
	return h.Stream, err
}

func describe(m protocol.Message) string {
	if e, ok := m.(*protocol.Error); ok {
		return e.Message
	}
	return m.Opcode().String()
}

// countingListener counts the Write calls on the connections it accepts.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, writes: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// benchHandler answers the benchmarks' prepared statements without
// allocating, so that allocs/op counts the server's allocations only.
// Each Execute first uses benchStack bytes of stack, as the executor,
// coordinator and storage do between them (the node's profiles show
// request goroutines growing their stacks there), so that the cost of
// stack growth shows here as it does under real load.
type benchHandler struct{}

// benchStack is the stack an Execute uses, in benchFrame-sized frames.
const (
	benchStack = 16 << 10
	benchFrame = 1 << 10
)

// useStack uses about depth*benchFrame bytes of stack and returns a value
// the compiler cannot fold away.
//
//go:noinline
func useStack(depth int) byte {
	var frame [benchFrame]byte
	frame[depth%benchFrame] = byte(depth)
	if depth > 1 {
		frame[0] += useStack(depth - 1)
	}
	return frame[0] + frame[depth%benchFrame]
}

const (
	benchWriteID = "write-stmt-id-00"
	benchReadID  = "read-stmt-id-000"
)

var (
	benchRow = &exec.RowsResult{
		Columns: []exec.ColumnSpec{
			{Keyspace: "ks", Table: "t", Name: "ck", Type: schema.IntType},
			{Keyspace: "ks", Table: "t", Name: "v", Type: schema.BlobType},
		},
		Rows:       [][][]byte{{{0, 0, 0, 7}, make([]byte, 100)}},
		NoMetadata: true,
	}
	benchVoid = exec.VoidResult{}
)

func (benchHandler) NewSession() *exec.Session { return &exec.Session{} }

func (benchHandler) Query(context.Context, *exec.Session, string, *exec.QueryOptions) (exec.Result, error) {
	return benchVoid, nil
}

func (benchHandler) Prepare(context.Context, *exec.Session, string) (*exec.PreparedResult, error) {
	return nil, exec.Errorf(exec.CodeInvalid, "not supported")
}

func (benchHandler) Execute(_ context.Context, _ *exec.Session, id []byte, o *exec.QueryOptions) (exec.Result, error) {
	if useStack(benchStack/benchFrame) == 0xff && len(id) == 0 {
		return nil, exec.Errorf(exec.CodeInvalid, "unreachable")
	}
	switch string(id) {
	case benchWriteID:
		return benchVoid, nil
	case benchReadID:
		if !o.SkipMetadata {
			return nil, exec.Errorf(exec.CodeInvalid, "expected skip_metadata")
		}
		return benchRow, nil
	}
	return nil, &exec.Error{Code: exec.CodeUnprepared, Message: "unknown id", UnpreparedID: id}
}

func (benchHandler) Batch(context.Context, *exec.Session, *exec.Batch) (exec.Result, error) {
	return benchVoid, nil
}
