package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

var (
	addrA = netip.MustParseAddr("127.0.0.1")
	addrB = netip.MustParseAddr("127.0.0.2")
	addrC = netip.MustParseAddr("127.0.0.3")
)

// echoServer accepts connections on addrA and echoes what it reads; each
// accepted connection is sent on the returned channel as well.
func echoServer(t *testing.T) (string, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addrA.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	done := make(chan []net.Conn)
	go func() {
		var all []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				done <- all
				return
			}
			all = append(all, c)
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for _, c := range <-done {
			_ = c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

// echo copies one accepted connection back to itself until it ends.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

func dial(t *testing.T, e *Endpoint, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := e.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(buf) != msg {
		t.Fatalf("read %q, want %q", buf, msg)
	}
	_ = c.SetDeadline(time.Time{})
}

func expectTimeout(t *testing.T, what string, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s: got %v, want a timeout", what, err)
	}
}

func newTestNet(t *testing.T) (*Net, *Endpoint) {
	t.Helper()
	n := NewNet()
	t.Cleanup(func() { _ = n.Close() })
	n.Endpoint(addrA)
	return n, n.Endpoint(addrB)
}

func TestWritesStallAcrossACutAndResumeOnHeal(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	go echo(<-accepted)
	roundTrip(t, c, "before")

	n.Cut(addrA, addrB)
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	k, err := c.Write([]byte("during"))
	expectTimeout(t, "write across a cut", err)
	if k != 0 {
		t.Fatalf("%d bytes crossed a cut link", k)
	}
	n.Heal()
	roundTrip(t, c, "after") // the connection survived the cut
}

func TestReadsAreHeldBackAcrossAOneWayCut(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	go echo(<-accepted)

	n.CutOneWay(addrA, addrB) // the echo cannot come back
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatalf("write towards the open direction: %v", err)
	}
	buf := make([]byte, 4)
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := c.Read(buf)
	expectTimeout(t, "read across a one-way cut", err)
	n.Heal()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "held" {
		t.Fatalf("after heal read %q, %v; want the held echo", buf, err)
	}
}

func TestDialHangsAcrossACutUntilItsContextEnds(t *testing.T) {
	for name, cut := range map[string]func(n *Net){
		"both ways": func(n *Net) { n.Cut(addrA, addrB) },
		"one way":   func(n *Net) { n.CutOneWay(addrA, addrB) }, // the handshake needs both
		"paused":    func(n *Net) { n.Pause(addrA) },
	} {
		t.Run(name, func(t *testing.T) {
			n, b := newTestNet(t)
			addr, _ := echoServer(t)
			cut(n)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := b.Dial(ctx, "tcp", addr)
			expectTimeout(t, "dial across a cut", err)
			n.Heal()
			dial(t, b, addr)
		})
	}
}

func TestDeadlineChangesWakeABlockedRead(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	go echo(<-accepted)
	n.CutOneWay(addrA, addrB)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1)) // no deadline yet: blocks
		errc <- err
	}()
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	select {
	case err := <-errc:
		expectTimeout(t, "blocked read after a deadline was set", err)
	case <-time.After(5 * time.Second):
		t.Fatal("a read blocked across a cut ignored a new deadline")
	}
}

func TestCloseAcrossACutIsNotSeenUntilHeal(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	server := <-accepted
	n.Cut(addrA, addrB)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v, want net.ErrClosed", err)
	}
	_ = server.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := server.Read(make([]byte, 1))
	expectTimeout(t, "the remote reading while the FIN is held back", err)
	if got := n.OpenConns(); got != 1 {
		t.Fatalf("%d connections open, want the lingering one", got)
	}
	n.Heal()
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := server.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after heal the remote read %v, want EOF", err)
	}
	if got := n.OpenConns(); got != 0 {
		t.Fatalf("%d connections open after heal, want 0", got)
	}
}

func TestNetCloseUnblocksEverything(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	go echo(<-accepted)
	n.Cut(addrA, addrB)
	errc := make(chan error, 2)
	go func() {
		_, err := c.Read(make([]byte, 1))
		errc <- err
	}()
	go func() {
		_, err := c.Write([]byte("x"))
		errc <- err
	}()
	dialed := make(chan error, 1)
	go func() {
		_, err := b.Dial(context.Background(), "tcp", addr)
		dialed <- err
	}()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case err := <-errc:
			if err == nil {
				t.Fatal("an operation across a cut succeeded after Net.Close")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Net.Close did not unblock a read or write")
		}
	}
	select {
	case err := <-dialed:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("dial after Net.Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Net.Close did not unblock a dial")
	}
	if got := n.OpenConns(); got != 0 {
		t.Fatalf("%d connections open after Net.Close", got)
	}
}

func TestDelayHoldsEachDirection(t *testing.T) {
	n, b := newTestNet(t)
	addr, accepted := echoServer(t)
	c := dial(t, b, addr)
	go echo(<-accepted)
	const d = 50 * time.Millisecond
	n.DelayNode(addrB, d)
	start := time.Now()
	roundTrip(t, c, "slow")
	if rtt := time.Since(start); rtt < 2*d {
		t.Fatalf("round trip over links delayed by %v each way took %v", d, rtt)
	}
	if delay, ok := b.Send(addr); !ok || delay != d {
		t.Fatalf("datagram: delay %v, delivered %v; want %v, true", delay, ok, d)
	}
}

func TestDatagramsFollowTheLinks(t *testing.T) {
	n := NewNet()
	defer n.Close()
	a, b, c := n.Endpoint(addrA), n.Endpoint(addrB), n.Endpoint(addrC)
	cl := n.ClientEndpoint()
	port := func(x netip.Addr) string { return net.JoinHostPort(x.String(), "7001") }
	delivered := func(from *Endpoint, to netip.Addr) bool {
		_, ok := from.Send(port(to))
		return ok
	}
	type want struct {
		from *Endpoint
		to   netip.Addr
		ok   bool
	}
	check := func(what string, ws ...want) {
		t.Helper()
		for _, w := range ws {
			if got := delivered(w.from, w.to); got != w.ok {
				t.Errorf("%s: %s -> %s delivered %v, want %v", what, w.from.Addr(), w.to, got, w.ok)
			}
		}
	}
	n.Isolate(addrA)
	check("isolate A", want{a, addrB, false}, want{b, addrA, false}, want{b, addrC, true}, want{cl, addrA, true})
	n.Heal()
	n.CutOneWay(addrA, addrB)
	check("cut A -> B", want{a, addrB, false}, want{b, addrA, true})
	n.Heal()
	n.Bridge(addrB, []netip.Addr{addrA}, []netip.Addr{addrC})
	check("bridge A-B-C", want{a, addrC, false}, want{c, addrA, false}, want{a, addrB, true}, want{c, addrB, true})
	n.Heal()
	n.Partition([]netip.Addr{addrA, addrB}, []netip.Addr{addrC})
	check("partition AB | C", want{a, addrB, true}, want{b, addrC, false}, want{c, addrA, false})
	n.Heal()
	n.Pause(addrB)
	check("pause B", want{a, addrB, false}, want{b, addrC, false}, want{cl, addrB, false}, want{a, addrC, true})
	n.Resume(addrB)
	check("resume B", want{a, addrB, true}, want{cl, addrB, true})
}

func TestConnectedAnswersFromHistory(t *testing.T) {
	n := NewNet()
	defer n.Close()
	n.Endpoint(addrA)
	n.Endpoint(addrB)
	t0 := time.Now()
	n.CutOneWay(addrB, addrA)
	cut := n.History()[1].At
	n.Heal()
	healed := n.History()[2].At
	later := healed.Add(time.Hour)
	if !n.Connected(addrA, addrB, t0.Add(-time.Hour), t0) {
		t.Error("connected before the cut: got false")
	}
	if n.Connected(addrA, addrB, t0, later) {
		t.Error("an interval spanning a one-way cut counts as connected")
	}
	if n.Connected(addrA, addrB, cut, cut) {
		t.Error("the moment of the cut counts as connected")
	}
	if !n.Connected(addrA, addrB, healed, later) {
		t.Error("after the heal: got not connected")
	}
}
