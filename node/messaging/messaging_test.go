package messaging

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

const (
	verbEcho  uint8 = 1
	verbBlock uint8 = 2
	verbFail  uint8 = 3
	verbNote  uint8 = 4
)

// testNode is a Messenger serving on a fresh 127.0.0.1 port.
type testNode struct {
	m    *Messenger
	addr string
}

func startNode(t *testing.T, cfg Config, addr string) *testNode {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Handle(verbEcho, func(_ context.Context, from string, p []byte) ([]byte, error) {
		return append([]byte(from+":"), p...), nil
	})
	m.Handle(verbFail, func(context.Context, string, []byte) ([]byte, error) {
		return nil, errors.New("deliberate failure")
	})
	if err := m.Serve(ln); err != nil {
		t.Fatal(err)
	}
	n := &testNode{m: m, addr: ln.Addr().String()}
	t.Cleanup(func() { _ = m.Close() })
	return n
}

func newClient(t *testing.T, cfg Config) *Messenger {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// checkNoLeak fails if goroutines started during the test outlive it.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		testutil.WaitFor(t, 5*time.Second, fmt.Sprintf("goroutines to return to %d", before), func() bool {
			return runtime.NumGoroutine() <= before
		})
	})
}

func TestManyConcurrentRequests(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 20*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Go(func() {
			for i := range 200 {
				msg := fmt.Appendf(nil, "g%d-i%d", g, i)
				resp, err := cli.Request(ctx, srv.addr, verbEcho, msg)
				if err != nil {
					errs <- err
					return
				}
				if want := append([]byte("client:"), msg...); !bytes.Equal(resp, want) {
					errs <- fmt.Errorf("response %q, want %q", resp, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cli.mu.RLock()
	defer cli.mu.RUnlock()
	if len(cli.mu.peers) != 1 {
		t.Fatalf("%d peers, want one persistent connection", len(cli.mu.peers))
	}
}

// inFlight returns the number of requests waiting on m's connection to addr.
func inFlight(m *Messenger, addr string) int {
	p := m.peer(addr)
	p.mu.Lock()
	out := p.mu.out
	p.mu.Unlock()
	if out == nil {
		return 0
	}
	out.inflight.mu.Lock()
	defer out.inflight.mu.Unlock()
	return len(out.inflight.mu.waiting)
}

func TestRemoteErrorAndUnknownVerb(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 5*time.Second)
	_, err := cli.Request(ctx, srv.addr, verbFail, nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.Message != "deliberate failure" || re.Verb != verbFail {
		t.Fatalf("handler failure surfaced as %v", err)
	}
	if _, err := cli.Request(ctx, srv.addr, 200, nil); !errors.As(err, &re) {
		t.Fatalf("unknown verb surfaced as %v", err)
	}
	// The connection survives remote errors.
	if _, err := cli.Request(ctx, srv.addr, verbEcho, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

func TestDeadlineExpiryReachesHandler(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	handlerSaw := make(chan error, 1)
	srv.m.Handle(verbBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		if _, ok := ctx.Deadline(); !ok {
			handlerSaw <- errors.New("handler context has no deadline")
			return nil, nil
		}
		<-ctx.Done()
		handlerSaw <- ctx.Err()
		return nil, ctx.Err()
	})
	cli := newClient(t, Config{LocalID: "client"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := cli.Request(ctx, srv.addr, verbBlock, nil)
	// The handler's deadline is the caller's, rounded up to the next
	// millisecond after the frame arrived; on a loaded machine the timers
	// of both can fire in one batch, and then the handler's answer (its
	// own deadline error) may be what the caller sees first.
	var re *RemoteError
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &re) && strings.Contains(re.Message, context.DeadlineExceeded.Error())) {
		t.Fatalf("request past its deadline returned %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("deadline honoured only after %s", el)
	}
	select {
	case err := <-handlerSaw:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("handler saw %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler's context never expired")
	}
	if n := inFlight(cli, srv.addr); n != 0 {
		t.Fatalf("%d abandoned requests still tracked", n)
	}
	// The handler's work was wasted: it counts as dropped, by verb. The
	// count is taken after the handler returns, so poll briefly.
	testutil.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		if d := srv.m.Metrics().Dropped; d[verbBlock] != 1 {
			return fmt.Errorf("dropped = %v, want one %d", d, verbBlock)
		}
		return nil
	})
	if d := srv.m.Metrics().Dropped; len(d) != 1 {
		t.Fatalf("dropped = %v, want only verb %d", d, verbBlock)
	}
}

// TestPeerDies: in-flight requests fail fast when the peer goes away,
// requests during backoff fail fast, and the client reconnects once the
// peer is back on the same address.
func TestPeerDies(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	entered := make(chan struct{}, 8)
	srv.m.Handle(verbBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	cli := newClient(t, Config{LocalID: "client", BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	ctx := ctxTimeout(t, 30*time.Second)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := cli.Request(ctx, srv.addr, verbBlock, nil)
			errs <- err
		}()
	}
	for range 4 {
		<-entered
	}
	start := time.Now()
	if err := srv.m.Close(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := <-errs; !errors.Is(err, ErrConnectionLost) {
			t.Fatalf("in-flight request failed with %v, want ErrConnectionLost", err)
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("in-flight requests failed only after %s", el)
	}
	// The peer is down: dialing fails, then requests fail fast in backoff.
	_, err := cli.Request(ctx, srv.addr, verbEcho, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("request to a dead peer: %v", err)
	}
	// Bring it back on the same address; the client reconnects.
	back := startNode(t, Config{LocalID: "server2"}, srv.addr)
	testutil.WaitFor(t, 10*time.Second, "reconnect", func() bool {
		resp, err := cli.Request(ctx, back.addr, verbEcho, []byte("hi"))
		return err == nil && string(resp) == "client:hi"
	})
}

func TestOversizedFrames(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server", MaxFrameSize: 1024}, "")
	cli := newClient(t, Config{LocalID: "client", MaxFrameSize: 1 << 20})
	small := newClient(t, Config{LocalID: "small", MaxFrameSize: 1024})
	ctx := ctxTimeout(t, 5*time.Second)
	if _, err := small.Request(ctx, srv.addr, verbEcho, make([]byte, 2000)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("sending past our own limit: %v", err)
	}
	// The server refuses a frame past its limit by closing the connection.
	if _, err := cli.Request(ctx, srv.addr, verbEcho, make([]byte, 2000)); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("frame past the server's limit: %v", err)
	}
	// The server is unharmed and serves the next connection.
	if _, err := cli.Request(ctx, srv.addr, verbEcho, []byte("ok")); err != nil {
		t.Fatalf("after an oversized frame: %v", err)
	}
	// A response past the server's limit becomes an error answer.
	srv.m.Handle(verbBlock, func(context.Context, string, []byte) ([]byte, error) { return make([]byte, 4096), nil })
	var re *RemoteError
	if _, err := cli.Request(ctx, srv.addr, verbBlock, nil); !errors.As(err, &re) {
		t.Fatalf("oversized response: %v", err)
	}
}

func TestOneWay(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	got := make(chan string, 10)
	srv.m.Handle(verbNote, func(_ context.Context, from string, p []byte) ([]byte, error) {
		got <- from + ":" + string(p)
		return nil, nil
	})
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 5*time.Second)
	for i := range 10 {
		if err := cli.Send(ctx, srv.addr, verbNote, fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range 10 {
		select {
		case s := <-got:
			seen[s] = true
		case <-ctx.Done():
			t.Fatal("one-way messages not delivered")
		}
	}
	if len(seen) != 10 || !seen["client:9"] {
		t.Fatalf("delivered %v", seen)
	}
}

func TestOverloadedWhenTooManyInFlight(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	release, entered := handleBlocking(srv, []byte("done"))
	cli := newClient(t, Config{LocalID: "client", MaxInFlight: 2})
	ctx := ctxTimeout(t, 10*time.Second)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := cli.Request(ctx, srv.addr, verbBlock, nil)
			errs <- err
		}()
	}
	<-entered
	<-entered
	if _, err := cli.Request(ctx, srv.addr, verbEcho, nil); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("third request with MaxInFlight 2: %v", err)
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCloseFailsPendingAndRefusesNew(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	srv.m.Handle(verbBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	cli, err := New(Config{LocalID: "client"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Second)
	if _, err := cli.Request(ctx, srv.addr, verbEcho, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := cli.Request(ctx, srv.addr, verbBlock, nil)
		done <- err
	}()
	testutil.WaitFor(t, 5*time.Second, "request in flight", func() bool { return inFlight(cli, srv.addr) == 1 })
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("in-flight request at Close: %v", err)
	}
	if _, err := cli.Request(ctx, srv.addr, verbEcho, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("request after Close: %v", err)
	}
}

func TestTLS(t *testing.T) {
	checkNoLeak(t)
	tlsCfg := selfSignedTLS(t)
	srv := startNode(t, Config{LocalID: "server", TLS: tlsCfg}, "")
	cli := newClient(t, Config{LocalID: "client", TLS: tlsCfg})
	ctx := ctxTimeout(t, 5*time.Second)
	resp, err := cli.Request(ctx, srv.addr, verbEcho, []byte("secret"))
	if err != nil || string(resp) != "client:secret" {
		t.Fatalf("TLS echo: %q, %v", resp, err)
	}
	// A plain client cannot talk to a TLS server.
	plain := newClient(t, Config{LocalID: "plain", DialTimeout: 500 * time.Millisecond})
	if _, err := plain.Request(ctx, srv.addr, verbEcho, nil); err == nil {
		t.Fatal("plain client talked to a TLS server")
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sibyl-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{MaxFrameSize: -1, QueueSize: -1, BackoffMin: time.Second, BackoffMax: time.Millisecond}
	c.EnsureDefaults()
	if err := c.Validate(); err == nil {
		t.Fatal("invalid config accepted")
	}
	if _, err := New(Config{}); err != nil {
		t.Fatalf("zero config: %v", err)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv, _ := New(Config{LocalID: "server"})
	srv.Handle(verbEcho, func(_ context.Context, _ string, p []byte) ([]byte, error) { return p, nil })
	if err := srv.Serve(ln); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cli, _ := New(Config{LocalID: "client"})
	defer cli.Close()
	payload := make([]byte, 128)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := cli.Request(ctx, ln.Addr().String(), verbEcho, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cli.Request(ctx, ln.Addr().String(), verbEcho, payload); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestWritesCoalesce: under concurrent load the writer puts several frames
// in one flush (one syscall), and the counters add up.
func TestWritesCoalesce(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 20*time.Second)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 100 {
				if err := cli.Send(ctx, srv.addr, verbNote, []byte("x")); err != nil && !errors.Is(err, ErrOverloaded) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := cli.Metrics()
	if got.OneWaySent == 0 || got.Dials != 1 {
		t.Fatalf("metrics %+v", got)
	}
	testutil.WaitFor(t, 10*time.Second, "all frames written", func() bool {
		m := cli.Metrics()
		return m.FramesWritten >= m.OneWaySent
	})
	m := cli.Metrics()
	if m.Flushes*2 > m.FramesWritten {
		t.Fatalf("%d frames in %d flushes: writes were not coalesced", m.FramesWritten, m.Flushes)
	}
	t.Logf("%d frames in %d flushes", m.FramesWritten, m.Flushes)
}

func TestDisconnectRedials(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 5*time.Second)
	for range 2 {
		if _, err := cli.Request(ctx, srv.addr, verbEcho, nil); err != nil {
			t.Fatal(err)
		}
		cli.Disconnect(srv.addr)
	}
	if _, err := cli.Request(ctx, srv.addr, verbEcho, nil); err != nil {
		t.Fatal(err)
	}
	if d := cli.Metrics().Dials; d != 3 {
		t.Fatalf("%d dials, want 3 (one per Disconnect)", d)
	}
	cli.Disconnect("127.0.0.1:1") // unknown peer: nothing happens
}

// TestHandlerWorkers: HandlerConcurrency bounds the handlers running on
// one connection, every request queued behind the bound is served, and
// sequential requests reuse the connection's idle worker rather than
// each starting a goroutine.
func TestHandlerWorkers(t *testing.T) {
	checkNoLeak(t)
	const limit = 3
	srv := startNode(t, Config{LocalID: "server", HandlerConcurrency: limit}, "")
	var mu sync.Mutex
	running, most := 0, 0
	entered := make(chan struct{}, 9)
	release := make(chan struct{})
	srv.m.Handle(verbBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		entered <- struct{}{}
		select {
		case <-release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	workers := make(map[string]bool)
	srv.m.Handle(verbNote, func(context.Context, string, []byte) ([]byte, error) {
		var buf [64]byte
		id, _, _ := bytes.Cut(buf[:runtime.Stack(buf[:], false)], []byte(" ["))
		mu.Lock()
		workers[string(id)] = true
		mu.Unlock()
		return nil, nil
	})
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 20*time.Second)

	errs := make(chan error, 9)
	for range 9 {
		go func() {
			_, err := cli.Request(ctx, srv.addr, verbBlock, nil)
			errs <- err
		}()
	}
	for range limit {
		<-entered
	}
	for range 9 - limit { // each handler released lets one more in
		release <- struct{}{}
		<-entered
	}
	for range limit {
		release <- struct{}{}
	}
	for range 9 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if most != limit {
		t.Fatalf("%d handlers ran at once, want HandlerConcurrency %d", most, limit)
	}

	const sequential = 40
	for range sequential {
		if _, err := cli.Request(ctx, srv.addr, verbNote, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A request can arrive before the worker that answered the last one
	// is back waiting (a new worker then takes it), but most must not.
	if len(workers) > sequential/2 {
		t.Fatalf("%d sequential requests ran on %d goroutines: workers are not reused", sequential, len(workers))
	}
	t.Logf("%d sequential requests ran on %d worker goroutines", sequential, len(workers))
}

// TestStart: an answer reaches done without the caller waiting; Forget
// frees the in-flight slot of a request no answer came for; a lost
// connection fails the requests still waiting, through done.
func TestStart(t *testing.T) {
	checkNoLeak(t)
	srv := startNode(t, Config{LocalID: "server"}, "")
	release, entered := handleBlocking(srv, nil)
	cli := newClient(t, Config{LocalID: "client"})
	ctx := ctxTimeout(t, 10*time.Second)
	type answer struct {
		payload []byte
		err     error
	}
	answers := make(chan answer, 3)
	done := func(p []byte, err error) { answers <- answer{p, err} }

	if _, err := cli.Start(ctx, srv.addr, verbEcho, []byte("hi"), done); err != nil {
		t.Fatal(err)
	}
	if a := <-answers; a.err != nil || string(a.payload) != "client:hi" {
		t.Fatalf("echo answered %q, %v", a.payload, a.err)
	}

	forgotten, err := cli.Start(ctx, srv.addr, verbBlock, nil, done)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	forgotten.Forget()
	if n := inFlight(cli, srv.addr); n != 0 {
		t.Fatalf("%d requests in flight after Forget, want 0", n)
	}
	if _, err := cli.Start(ctx, srv.addr, verbBlock, nil, done); err != nil {
		t.Fatal(err)
	}
	<-entered
	cli.Disconnect(srv.addr)
	if a := <-answers; !errors.Is(a.err, ErrConnectionLost) {
		t.Fatalf("request on a lost connection answered %q, %v; want ErrConnectionLost", a.payload, a.err)
	}
	close(release)
	select {
	case a := <-answers:
		t.Fatalf("a forgotten or failed request answered again: %q, %v", a.payload, a.err)
	default:
	}
}

// TestRequestCtx: a handler's context reports its deadline by Err without
// a timer, closes Done at the deadline once asked for it, follows its
// parent's cancellation, and keeps Err and Done consistent after the
// handler returned.
func TestRequestCtx(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()

	past := newRequestCtx(parent, time.Now().Add(-time.Millisecond))
	if !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Fatalf("expired, unarmed: Err = %v", past.Err())
	}
	<-past.Done() // armed already expired: closed at once
	past.release()

	soon := newRequestCtx(parent, time.Now().Add(20*time.Millisecond))
	if d, ok := soon.Deadline(); !ok || d != soon.deadline {
		t.Fatalf("Deadline = %v, %v", d, ok)
	}
	if err := soon.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v", err)
	}
	<-soon.Done()
	if !errors.Is(soon.Err(), context.DeadlineExceeded) {
		t.Fatalf("after Done: Err = %v", soon.Err())
	}
	soon.release()

	later := newRequestCtx(parent, time.Now().Add(time.Hour))
	if later.Err() != nil {
		t.Fatalf("live: Err = %v", later.Err())
	}
	done := later.Done()
	cancelParent()
	<-done
	if !errors.Is(later.Err(), context.Canceled) {
		t.Fatalf("parent cancelled: Err = %v", later.Err())
	}

	returned := newRequestCtx(context.Background(), time.Now().Add(time.Hour))
	returned.release()
	<-returned.Done()
	if !errors.Is(returned.Err(), context.Canceled) {
		t.Fatalf("Done after release: Err = %v", returned.Err())
	}
}

// handleBlocking makes srv's verbBlock handler signal entered (room for
// two) and wait for release (or its request's end), then answer reply.
func handleBlocking(srv *testNode, reply []byte) (release, entered chan struct{}) {
	release, entered = make(chan struct{}), make(chan struct{}, 2)
	srv.m.Handle(verbBlock, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return reply, nil
	})
	return release, entered
}
