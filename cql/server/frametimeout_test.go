package server

import (
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestStalledFrameClosed checks that a connection whose client stops in
// the middle of a frame, in its header or its body, is closed once
// FrameTimeout passes without more of it, and gives back the bytes the
// request reserved; before, it was held open for good.
func TestStalledFrameClosed(t *testing.T) {
	srv, addr := startServer(t, Config{FrameTimeout: 200 * time.Millisecond}, newTestHandler())
	query := requestFrame(t, protocol.Version4, 5, &protocol.Query{Query: "SELECT 1", Params: protocol.QueryParams{Consistency: 1}}, nil)
	for _, tc := range []struct {
		name    string
		startup bool
		raw     []byte
	}{
		{"half a header before STARTUP", false, []byte{0x04, 0, 0}},
		{"half a header", true, query[:4]},
		{"half a body", true, query[:len(query)-3]},
	} {
		c := dial(t, addr)
		if tc.startup {
			c.startup(nil)
		}
		start := time.Now()
		c.write(tc.raw)
		c.expectClosed()
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("%s: closed after %v, before the timeout", tc.name, d)
		}
	}
	testutil.WaitFor(t, 5*time.Second, "connections to close", func() bool { return srv.Metrics().OpenConnections == 0 })
	if n := srv.Metrics().BytesInFlight; n != 0 {
		t.Errorf("%d bytes in flight after the connections closed", n)
	}
}

// TestIdleConnectionStaysOpen checks that FrameTimeout does not apply
// between frames, where drivers leave their connections idle, nor to a
// frame that keeps arriving, however slowly in all.
func TestIdleConnectionStaysOpen(t *testing.T) {
	_, addr := startServer(t, Config{FrameTimeout: 100 * time.Millisecond}, newTestHandler())
	c := dial(t, addr)
	c.startup(nil)
	<-time.After(400 * time.Millisecond) // idle: the passage of time is what is tested
	c.query(2, "after idling")
	_, m := c.recv()
	expectRows(t, m, "after idling")

	// A frame sent a few bytes at a time, each part well within the
	// timeout, the whole well beyond it.
	frame := requestFrame(t, protocol.Version4, 3, &protocol.Query{Query: "slowly", Params: protocol.QueryParams{Consistency: 1}}, nil)
	for i := 0; i < len(frame); i += 6 {
		c.write(frame[i:min(i+6, len(frame))])
		<-time.After(40 * time.Millisecond) // pace the parts: slowness is what is tested
	}
	_, m = c.recv()
	expectRows(t, m, "slowly")
}
