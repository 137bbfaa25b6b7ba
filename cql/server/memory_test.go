package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/schema"
)

// This file measures what requests in flight cost the server in memory:
// clients that each put thousands of SELECTs of a large row in flight at
// once, as the Python driver's execute_concurrent and the Node.js
// driver's own connection test do, while a sampler records the process's
// heap and resident memory.

// bigRowHandler answers every QUERY with one row of size bytes, a fresh
// copy each time as a read from storage would be, after delay (the time a
// real read spends in the coordinator and storage, during which requests
// overlap).
type bigRowHandler struct {
	size  int
	delay time.Duration
	src   []byte
}

func newBigRowHandler(size int, delay time.Duration) *bigRowHandler {
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	return &bigRowHandler{size: size, delay: delay, src: src}
}

var blobCol = exec.ColumnSpec{Keyspace: "ks", Table: "t", Name: "v", Type: schema.BlobType}

func (h *bigRowHandler) NewSession() *exec.Session { return &exec.Session{} }

func (h *bigRowHandler) Query(ctx context.Context, _ *exec.Session, _ string, o *exec.QueryOptions) (exec.Result, error) {
	if h.delay > 0 {
		t := time.NewTimer(h.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	row := make([]byte, h.size)
	copy(row, h.src)
	return &exec.RowsResult{Columns: []exec.ColumnSpec{blobCol}, Rows: [][][]byte{{row}}, NoMetadata: o.SkipMetadata}, nil
}

func (h *bigRowHandler) Prepare(context.Context, *exec.Session, string) (*exec.PreparedResult, error) {
	return nil, exec.Errorf(exec.CodeInvalid, "not supported")
}

func (h *bigRowHandler) Execute(context.Context, *exec.Session, []byte, *exec.QueryOptions) (exec.Result, error) {
	return nil, exec.Errorf(exec.CodeInvalid, "not supported")
}

func (h *bigRowHandler) Batch(context.Context, *exec.Session, *exec.Batch) (exec.Result, error) {
	return exec.VoidResult{}, nil
}

// inFlightLoad is one run: conns connections (from the loopback addresses
// in clientIPs, in turn; empty means the default), each putting perConn
// SELECTs in flight at once and reading every answer.
type inFlightLoad struct {
	conns, perConn int
	clientIPs      []string
	startup        map[string]string // STARTUP options; nil means CQL_VERSION only
}

// inFlightResult is what a run measured.
type inFlightResult struct {
	rows, overloaded, otherErrors int64
	firstError                    string
	paused                        int64 // Metrics.Paused
	elapsed                       time.Duration
	// Peaks over the run, sampled every few milliseconds: the Go heap in
	// use (HeapInuse), the memory the runtime holds from the OS (Sys), and
	// the process's resident set (VmRSS, client side included). base* are
	// the same before the run.
	peakHeap, peakSys, peakRSS uint64
	baseHeap, baseRSS          uint64
}

func (r inFlightResult) String() string {
	return fmt.Sprintf("%d rows, %d Overloaded, %d other errors, %d pauses in %v; peak heap in use %d MiB (before %d), runtime Sys %d MiB, RSS %d MiB (before %d)",
		r.rows, r.overloaded, r.otherErrors, r.paused, r.elapsed.Round(time.Millisecond),
		r.peakHeap>>20, r.baseHeap>>20, r.peakSys>>20, r.peakRSS>>20, r.baseRSS>>20)
}

// runInFlight serves h with cfg on loopback and runs load against it.
func runInFlight(tb testing.TB, cfg Config, h Handler, load inFlightLoad) inFlightResult {
	tb.Helper()
	srv, err := New(cfg, h)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, ErrServerClosed) {
			tb.Errorf("Serve: %v", err)
		}
	}()

	clients := make([]*client, load.conns)
	for i := range clients {
		d := net.Dialer{Timeout: 5 * time.Second}
		if len(load.clientIPs) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(load.clientIPs[i%len(load.clientIPs)])}
		}
		nc, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			tb.Fatal(err)
		}
		defer func() { _ = nc.Close() }()
		c := &client{t: tb, nc: nc, v: protocol.Version4}
		if m := c.startup(load.startup); m.Opcode() != protocol.OpReady {
			tb.Fatalf("STARTUP answered %#v", m)
		}
		_ = nc.SetDeadline(time.Now().Add(5 * time.Minute))
		clients[i] = c
	}
	frame := requestFrame(tb, protocol.Version4, 0, &protocol.Query{Query: "SELECT v FROM ks.t WHERE k = 1",
		Params: protocol.QueryParams{Consistency: 1, SkipMetadata: true}}, nil)

	var res inFlightResult
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.baseHeap, res.baseRSS = ms.HeapInuse, rss()
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			res.peakHeap = max(res.peakHeap, ms.HeapInuse)
			res.peakSys = max(res.peakSys, ms.Sys)
			res.peakRSS = max(res.peakRSS, rss())
			select {
			case <-tick.C:
			case <-stopSampling:
				return
			}
		}
	}()

	var rows, overloaded, other atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(2)
		go func() { // writer: every request at once, in large writes
			defer wg.Done()
			const batch = 256
			buf := make([]byte, 0, batch*len(frame))
			for i := 0; i < load.perConn; i++ {
				buf = append(buf, frame...)
				f := buf[len(buf)-len(frame):]
				f[2], f[3] = byte(uint16(i)>>8), byte(i)
				if (i+1)%batch == 0 || i+1 == load.perConn {
					if _, err := c.nc.Write(buf); err != nil {
						firstErr.CompareAndSwap(nil, "write: "+err.Error())
						return
					}
					buf = buf[:0]
				}
			}
		}()
		go func() { // reader: every answer, bodies skipped
			defer wg.Done()
			r := bufio.NewReaderSize(c.nc, 64<<10)
			for range load.perConn {
				m, err := readAnswer(r)
				switch {
				case err != nil:
					firstErr.CompareAndSwap(nil, "read: "+err.Error())
					return
				case m == nil:
					rows.Add(1)
				case m.Code == protocol.CodeOverloaded:
					overloaded.Add(1)
					firstErr.CompareAndSwap(nil, "Overloaded: "+m.Message)
				default:
					other.Add(1)
					firstErr.CompareAndSwap(nil, m.Message)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stopSampling)
	<-sampled
	res.rows, res.overloaded, res.otherErrors = rows.Load(), overloaded.Load(), other.Load()
	res.paused = srv.Metrics().Paused
	if s, ok := firstErr.Load().(string); ok {
		res.firstError = s
	}
	return res
}

// readAnswer reads one answer: nil for a RESULT (its body skipped), the
// error for an ERROR.
func readAnswer(r *bufio.Reader) (*protocol.Error, error) {
	hdr, err := r.Peek(protocol.HeaderSize)
	if err != nil {
		return nil, err
	}
	h, err := protocol.DecodeHeader(hdr, 0)
	if err != nil {
		return nil, err
	}
	if _, err := r.Discard(protocol.HeaderSize); err != nil {
		return nil, err
	}
	if h.Opcode == protocol.OpResult {
		_, err := r.Discard(int(h.Length))
		return nil, err
	}
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	m, err := protocol.DecodeResponse(h.Opcode, h.Version, body)
	if err != nil {
		return nil, err
	}
	if e, ok := m.(*protocol.Error); ok {
		return e, nil
	}
	return nil, fmt.Errorf("unexpected answer %s", h.Opcode)
}

// rss returns the process's resident set size, or 0 where /proc is
// missing.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkInFlightMemory puts thousands of SELECTs in flight at once on
// a few connections, each answered with one large row after 2 ms in the
// handler, and reports the peaks of the Go heap in use and of the
// process's resident set (client included), with the default budget.
// One op is a whole run; run it with -benchtime=1x:
//
//	go test -run '^$' -bench InFlightMemory -benchtime=1x ./cql/server/
func BenchmarkInFlightMemory(b *testing.B) {
	threeIPs := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	for _, bc := range []struct {
		name string
		cfg  Config
		row  int
		load inFlightLoad
	}{
		// The node's MaxInFlight (node.DefaultMaxInFlight).
		{"3x4000x256KiB/max-in-flight-1024", Config{MaxInFlight: 1024}, 256 << 10, inFlightLoad{conns: 3, perConn: 4000}},
		// Every request admitted at once, as far as MaxInFlight goes.
		{"3x4000x256KiB/max-in-flight-32768", Config{MaxInFlight: 32768}, 256 << 10, inFlightLoad{conns: 3, perConn: 4000}},
		// Three client addresses: three per-IP budgets.
		{"3x4000x256KiB/3-client-ips", Config{MaxInFlight: 32768}, 256 << 10, inFlightLoad{conns: 3, perConn: 4000, clientIPs: threeIPs}},
		{"1x5000x256KiB/max-in-flight-1024", Config{MaxInFlight: 1024}, 256 << 10, inFlightLoad{conns: 1, perConn: 5000}},
		// Answers as large as a new connection's answer estimate: each
		// address's first requests are admitted before any answer shows
		// what they cost.
		{"3x1000x1MiB/3-client-ips", Config{MaxInFlight: 32768}, 1 << 20, inFlightLoad{conns: 3, perConn: 1000, clientIPs: threeIPs}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newBigRowHandler(bc.row, 2*time.Millisecond)
			var last inFlightResult
			for b.Loop() {
				last = runInFlight(b, bc.cfg, h, bc.load)
			}
			b.ReportMetric(float64(last.peakHeap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(last.peakRSS)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(last.rows), "rows")
			b.ReportMetric(float64(last.overloaded), "overloaded")
			b.Logf("%s", last)
		})
	}
}
