package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/internal/testutil"
)

// throwOnOverload is the STARTUP of a client that asks for Overloaded
// instead of backpressure.
var throwOnOverload = map[string]string{"CQL_VERSION": "3.0.0", "THROW_ON_OVERLOAD": "1"}

// expectSilence checks that nothing arrives on c for a moment: what it
// sent is waiting, unread, in its socket.
func expectSilence(t *testing.T, c *client, what string) {
	t.Helper()
	if h, m, err := c.tryRecv(200 * time.Millisecond); err == nil {
		t.Fatalf("%s: answered on stream %d with %#v", what, h.Stream, m)
	}
}

// TestMaxInFlightBackpressure checks that a connection with MaxInFlight
// requests running stops reading, instead of answering Overloaded as it
// used to (Cassandra's default, native_transport_throw_on_overload:
// false), and resumes once one is answered: every request is answered.
func TestMaxInFlightBackpressure(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, Config{MaxInFlight: 2}, h)
	c := dial(t, addr)
	c.startup(nil)
	c.query(1, "block")
	c.query(2, "block")
	<-h.started
	<-h.started
	c.query(3, "third")
	c.send(4, &protocol.Options{})
	// The reader has stopped: neither the request nor the OPTIONS behind
	// it is answered yet.
	expectSilence(t, c, "past MaxInFlight")
	testutil.WaitFor(t, 5*time.Second, "the connection to pause", func() bool { return srv.Metrics().Paused >= 1 })
	close(h.release)
	got := map[int16]protocol.Opcode{}
	for range 4 {
		hdr, m := c.recv()
		if e, ok := m.(*protocol.Error); ok {
			t.Fatalf("stream %d: %s", hdr.Stream, e.Message)
		}
		got[hdr.Stream] = m.Opcode()
	}
	if len(got) != 4 || got[4] != protocol.OpSupported {
		t.Fatalf("answers %v", got)
	}
	if m := srv.Metrics(); m.Overloaded != 0 {
		t.Errorf("Overloaded = %d", m.Overloaded)
	}
	testutil.WaitFor(t, 5*time.Second, "bytes in flight to return to 0", func() bool { return srv.Metrics().BytesInFlight == 0 })
}

// TestThrowOnOverload checks that a client that sent THROW_ON_OVERLOAD=1
// is answered Overloaded past MaxInFlight, on the request's stream, and
// that the connection goes on.
func TestThrowOnOverload(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, Config{MaxInFlight: 2}, h)
	c := dial(t, addr)
	c.startup(throwOnOverload)
	c.query(1, "block")
	c.query(2, "block")
	<-h.started
	<-h.started
	c.query(3, "block")
	hdr, m := c.recv()
	if e := expectError(t, m, protocol.CodeOverloaded); hdr.Stream != 3 || !strings.Contains(e.Message, "Too many requests in flight") {
		t.Fatalf("Overloaded on stream %d: %q", hdr.Stream, e.Message)
	}
	// Handshake messages are still answered while requests are blocked.
	c.send(4, &protocol.Options{})
	if _, m := c.recv(); m.Opcode() != protocol.OpSupported {
		t.Fatalf("OPTIONS while overloaded: %#v", m)
	}
	close(h.release)
	got := map[int16]bool{}
	for range 2 {
		hdr, m := c.recv()
		expectRows(t, m, "block")
		got[hdr.Stream] = true
	}
	if !got[1] || !got[2] {
		t.Fatalf("answered streams %v", got)
	}
	c.query(5, "after")
	_, m = c.recv()
	expectRows(t, m, "after")
	if srv.Metrics().Overloaded != 1 {
		t.Errorf("Overloaded = %d", srv.Metrics().Overloaded)
	}
}

// budgetConfig is a budget, node-wide and per client IP, that three
// requests of a new connection fit in (each reserves the initial answer
// estimate and its body), and a fourth does not.
var budgetConfig = Config{MaxRequestDataInFlight: 7 * initialAnswerEstimate / 2, MaxRequestDataInFlightPerIP: 7 * initialAnswerEstimate / 2}

// TestBytesInFlightBackpressure checks that the budget of bytes in
// flight is shared by connections: when it is used up, connections stop
// reading, except one with nothing in flight, which always gets one
// request through; all resume as answers drain, and every byte is given
// back.
func TestBytesInFlightBackpressure(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, budgetConfig, h)
	c1, c2 := dial(t, addr), dial(t, addr)
	c1.startup(nil)
	c2.startup(nil)
	for i := range 5 {
		c1.query(int16(10+i), "block")
	}
	for range 3 {
		<-h.started
	}
	select {
	case <-h.started:
		t.Fatal("a fourth request started beyond the budget")
	case <-time.After(200 * time.Millisecond):
	}
	testutil.WaitFor(t, 5*time.Second, "the first connection to pause", func() bool { return srv.Metrics().Paused >= 1 })

	// The second connection holds nothing: its first request runs though
	// the budget is used up, its second waits.
	c2.query(20, "block")
	<-h.started
	c2.query(21, "block")
	select {
	case <-h.started:
		t.Fatal("the second connection's second request started beyond the budget")
	case <-time.After(200 * time.Millisecond):
	}

	close(h.release)
	for _, cc := range []struct {
		c *client
		n int
	}{{c1, 5}, {c2, 2}} {
		for range cc.n {
			_, m := cc.c.recv()
			expectRows(t, m, "block")
		}
	}
	if m := srv.Metrics(); m.Overloaded != 0 || m.Paused < 2 {
		t.Errorf("Overloaded = %d, Paused = %d", m.Overloaded, m.Paused)
	}
	testutil.WaitFor(t, 5*time.Second, "bytes in flight to return to 0", func() bool { return srv.Metrics().BytesInFlight == 0 })
}

// TestBytesInFlightThrowOnOverload checks that a THROW_ON_OVERLOAD client
// is answered Overloaded, with Cassandra's wording, when the budget is
// used up.
func TestBytesInFlightThrowOnOverload(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, budgetConfig, h)
	c := dial(t, addr)
	c.startup(throwOnOverload)
	for i := range 3 {
		c.query(int16(10+i), "block")
		<-h.started
	}
	c.query(13, "block")
	hdr, m := c.recv()
	e := expectError(t, m, protocol.CodeOverloaded)
	if hdr.Stream != 13 || !strings.Contains(e.Message, "Request breached limit on bytes in flight. (Endpoint: ") {
		t.Fatalf("stream %d: %q", hdr.Stream, e.Message)
	}
	close(h.release)
	for range 3 {
		_, m := c.recv()
		expectRows(t, m, "block")
	}
	if m := srv.Metrics(); m.Overloaded != 1 {
		t.Errorf("Overloaded = %d", m.Overloaded)
	}
}

// TestRequestLargerThanBudget checks that a request larger than the
// whole budget runs when its connection has nothing else in flight, for
// a client that waits and for one that asked for Overloaded: refusing it
// would refuse it forever.
func TestRequestLargerThanBudget(t *testing.T) {
	srv, addr := startServer(t, Config{MaxRequestDataInFlight: 1 << 20, MaxRequestDataInFlightPerIP: 64 << 10}, newTestHandler())
	big := strings.Repeat("x", 2<<20)
	for _, opts := range []map[string]string{nil, throwOnOverload} {
		c := dial(t, addr)
		c.startup(opts)
		for i := range 3 {
			// The last answer holds its bytes until the writer has written
			// it, a moment after the client may have read it.
			testutil.WaitFor(t, 5*time.Second, "bytes in flight to return to 0", func() bool { return srv.Metrics().BytesInFlight == 0 })
			c.query(int16(i), big)
			_, m := c.recv()
			expectRows(t, m, big)
		}
	}
	if m := srv.Metrics(); m.Overloaded != 0 {
		t.Errorf("Overloaded = %d", m.Overloaded)
	}
	testutil.WaitFor(t, 5*time.Second, "bytes in flight to return to 0", func() bool { return srv.Metrics().BytesInFlight == 0 })
}

// TestShutdownStopsPausedReader checks that a drain stops a reader that
// waits for the budget: the requests running are answered, the one
// waiting in the socket is not, and Shutdown returns.
func TestShutdownStopsPausedReader(t *testing.T) {
	h := newTestHandler()
	srv, addr := startServer(t, Config{MaxInFlight: 1}, h)
	c := dial(t, addr)
	c.startup(nil)
	c.query(1, "block")
	<-h.started
	c.query(2, "waits")
	testutil.WaitFor(t, 5*time.Second, "the connection to pause", func() bool { return srv.Metrics().Paused >= 1 })
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	testutil.WaitFor(t, 5*time.Second, "the drain", func() bool {
		conns := srv.snapshotConns()
		return len(conns) == 1 && conns[0].draining.Load()
	})
	close(h.release)
	_, m := c.recv()
	expectRows(t, m, "block")
	c.expectClosed()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
}

// TestManyInFlightOnOneConnection checks that 5,000 requests put in
// flight at once on one connection, as the Python driver's
// execute_concurrent and the Node.js driver's own connection test do,
// are all answered, none Overloaded, with the node's MaxInFlight of 1024.
func TestManyInFlightOnOneConnection(t *testing.T) {
	res := runInFlight(t, Config{MaxInFlight: 1024}, newBigRowHandler(100, time.Millisecond), inFlightLoad{conns: 1, perConn: 5000})
	if res.rows != 5000 {
		t.Fatalf("%s; first error: %s", res, res.firstError)
	}
}

// TestInFlightMemoryBounded checks the node-wide bound: 3 connections
// each put 4,000 SELECTs of a 256 KiB row in flight at once (3 GiB of
// answers), with the default budget; every one is answered and the Go
// heap stays far under 1 GiB (before the budget, 2.4 GiB with MaxInFlight
// 1024, 5.9 GiB without). The bound is loose, so that the test depends on
// the budget, not on the collector's timing; BenchmarkInFlightMemory
// reports the figures.
func TestInFlightMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 3 GiB through loopback")
	}
	perConn := 4000
	if raceDetector {
		perConn = 1000 // the same concurrency, in a tenth of the time
	}
	res := runInFlight(t, Config{MaxInFlight: 1024}, newBigRowHandler(256<<10, 2*time.Millisecond), inFlightLoad{conns: 3, perConn: perConn})
	t.Logf("%s", res)
	if res.rows != int64(3*perConn) {
		t.Fatalf("%s; first error: %s", res, res.firstError)
	}
	if res.peakHeap >= 1<<30 {
		t.Errorf("peak heap in use %d MiB", res.peakHeap>>20)
	}
}
