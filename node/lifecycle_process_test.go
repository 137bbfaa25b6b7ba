package node_test

// Process-level lifecycle tests: real `sibyl serve` children on
// 127.0.0.1-4, driven through gocql (or a raw native-protocol connection
// where a driver would hide what is being checked). Each test checks one
// thing Cassandra does when nodes start, stop, restart, crash, leave or are
// refused, and says why it exists. They run several processes each and are
// skipped with -short.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// lifecycleAddrs are the nodes' addresses; the fourth is only used by the
// tests that need one.
var lifecycleAddrs = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"}

// ---------------------------------------------------------------------------
// Processes

// sibylProc is one `sibyl serve` child process.
type sibylProc struct {
	addr string
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{} // closed once the process has exited
	err  error         // cmd.Wait's result; read it only after done is closed
	// meantToExit is set when the test stops or kills the process, or
	// expects it to refuse to run: any other exit is a crash.
	meantToExit atomic.Bool
}

// procOpts are the flags that differ between the tests' nodes.
type procOpts struct {
	seeds       []string // --seeds; nil means the first node
	clusterName string   // --cluster-name; empty means the default
}

// startProc runs `sibyl serve` for addr on dir. The test's cleanup kills it
// if it still runs, and prints the tail of its output if the test failed.
func startProc(t *testing.T, bin, dir, addr string, p clusterPorts, o procOpts) *sibylProc {
	t.Helper()
	seeds := o.seeds
	if seeds == nil {
		seeds = lifecycleAddrs[:1]
	}
	args := []string{"serve", "--data-dir", dir, "--listen-address", addr,
		"--cql-port", strconv.Itoa(p.cql), "--storage-port", strconv.Itoa(p.storage),
		"--gossip-port", strconv.Itoa(p.gossip), "--admin-port", strconv.Itoa(p.admin),
		"--seeds", strings.Join(seeds, ","), "--num-tokens", "8", "--log-level", "info"}
	if o.clusterName != "" {
		args = append(args, "--cluster-name", o.clusterName)
	}
	sp := &sibylProc{addr: addr, cmd: exec.Command(bin, args...), logs: &lockedBuffer{}, done: make(chan struct{})}
	sp.cmd.Stdout, sp.cmd.Stderr = sp.logs, sp.logs
	if err := sp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sp.err = sp.cmd.Wait()
		close(sp.done)
	}()
	t.Cleanup(func() {
		if !sp.exited() {
			_ = sp.cmd.Process.Kill()
			<-sp.done
		}
		if t.Failed() {
			t.Logf("sibyl %s (pid %d, %s) output, last 20000 bytes:\n%s", addr, sp.cmd.Process.Pid, sp.cmd.ProcessState, tail(sp.logs.String(), 20000))
		}
	})
	return sp
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func (sp *sibylProc) exited() bool {
	select {
	case <-sp.done:
		return true
	default:
		return false
	}
}

// waitExit waits up to d for the process to exit and says whether it did.
func (sp *sibylProc) waitExit(d time.Duration) bool {
	select {
	case <-sp.done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop sends SIGTERM, as `sibyl cluster stop` (make cluster-stop) does,
// and expects a clean exit within 30 s.
func (sp *sibylProc) stop(t *testing.T) {
	t.Helper()
	sp.meantToExit.Store(true)
	if err := sp.cmd.Process.Signal(syscall.SIGTERM); err != nil && !sp.exited() {
		t.Fatal(err)
	}
	if !sp.waitExit(30 * time.Second) {
		t.Fatalf("sibyl %s did not exit within 30s of SIGTERM", sp.addr)
	}
	if sp.err != nil {
		t.Fatalf("sibyl %s did not exit cleanly on SIGTERM: %v (%s)", sp.addr, sp.err, sp.exitMessage())
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (sp *sibylProc) kill(t *testing.T) {
	t.Helper()
	sp.meantToExit.Store(true)
	if err := sp.cmd.Process.Kill(); err != nil && !sp.exited() {
		t.Fatal(err)
	}
	<-sp.done
}

// exitMessage is the error the process printed on its way out: main
// writes it last, as "sibyl: ...", or the Go runtime's "panic: ..." line.
// Empty when there is none.
func (sp *sibylProc) exitMessage() string {
	lines := strings.Split(strings.TrimSpace(sp.logs.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "sibyl: ") || strings.HasPrefix(lines[i], "panic: ") ||
			strings.HasPrefix(lines[i], "fatal error: ") {
			return lines[i]
		}
	}
	return ""
}

// expectRefusal waits up to a minute for a node that must not run to exit,
// and checks that it exits non-zero with an error containing every one of
// words (case-insensitive).
func (sp *sibylProc) expectRefusal(t *testing.T, words ...string) {
	t.Helper()
	sp.meantToExit.Store(true)
	if !sp.waitExit(60 * time.Second) {
		t.Errorf("sibyl %s still runs 60s after it started; it should have refused to (want an error mentioning %q)", sp.addr, words)
		return
	}
	msg := sp.exitMessage()
	if sp.err == nil {
		t.Errorf("sibyl %s exited with status 0, want non-zero (last line %q)", sp.addr, msg)
	}
	for _, w := range words {
		if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
			t.Errorf("sibyl %s exited (%v) with error %q, which does not mention %q", sp.addr, sp.err, msg, w)
		}
	}
	t.Logf("sibyl %s refused to run: %v: %s", sp.addr, sp.err, msg)
}

// procCluster is a set of nodes, each on its own loopback address and data
// directory, every port the same number on each address.
type procCluster struct {
	t     *testing.T
	bin   string
	p     clusterPorts
	addrs []string
	dirs  []string
	procs []*sibylProc // the latest process of each node; nil before its first start
}

// newProcCluster builds the binary and picks ports for n nodes; it starts
// none.
func newProcCluster(t *testing.T, n int) *procCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("runs several child processes; skipped with -short")
	}
	addrs := lifecycleAddrs[:n]
	taken := map[int]bool{}
	c := &procCluster{t: t, bin: buildSibyl(t), addrs: addrs, procs: make([]*sibylProc, n),
		p: clusterPorts{cql: freeOnAll(t, taken, addrs...), storage: freeOnAll(t, taken, addrs...),
			gossip: freeOnAll(t, taken, addrs...), admin: freeOnAll(t, taken, addrs...)}}
	for range n {
		c.dirs = append(c.dirs, t.TempDir())
	}
	return c
}

// start runs node i on its data directory.
func (c *procCluster) start(i int, o procOpts) *sibylProc {
	c.t.Helper()
	c.procs[i] = startProc(c.t, c.bin, c.dirs[i], c.addrs[i], c.p, o)
	return c.procs[i]
}

// startInOrder starts the nodes one at a time, each up and normal (UN) in
// its own view before the next, as `sibyl cluster` does: a node allocates
// its tokens against those already there.
func (c *procCluster) startInOrder(o procOpts, nodes ...int) {
	c.t.Helper()
	for _, i := range nodes {
		c.start(i, o)
		c.waitSeen(90*time.Second, []int{i}, i, "UN")
	}
}

// waitSeen waits until every observer's admin API reports node target in
// state (UN, DN, ...), failing the test after timeout or as soon as a
// process exits.
func (c *procCluster) waitSeen(timeout time.Duration, observers []int, target int, state string) {
	c.t.Helper()
	testutil.Eventually(c.t, timeout, 100*time.Millisecond, func() error {
		if dead := c.deaths(); dead != "" {
			c.t.Fatalf("waiting for %s to be %s: %s", c.addrs[target], state, dead)
		}
		for _, o := range observers {
			got, err := clusterState(c.addrs[o], c.p)
			if err != nil {
				return err
			}
			if got[c.addrs[target]] != state {
				return fmt.Errorf("%s sees %s as %q, want %q (all: %v)", c.addrs[o], c.addrs[target], got[c.addrs[target]], state, got)
			}
		}
		return nil
	})
}

// waitAllNormal waits until each node of nodes sees all of them UN.
func (c *procCluster) waitAllNormal(timeout time.Duration, nodes ...int) {
	c.t.Helper()
	for _, target := range nodes {
		c.waitSeen(timeout, nodes, target, "UN")
	}
}

// deaths describes every node whose latest process has exited although
// the test did not stop it ("" when none): a panic shows here.
func (c *procCluster) deaths() string {
	var out []string
	for _, sp := range c.procs {
		if sp != nil && sp.exited() && !sp.meantToExit.Load() {
			out = append(out, fmt.Sprintf("%s exited (%v): %s", sp.addr, sp.err, sp.exitMessage()))
		}
	}
	return strings.Join(out, "; ")
}

// all is 0..n-1.
func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// adminPost calls a node's admin API, waiting up to timeout for the answer
// (decommission and removenode last as long as their streaming).
func adminPost(addr string, port int, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+net.JoinHostPort(addr, strconv.Itoa(port))+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s on %s: %s: %s", path, addr, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Drivers

// coordinatorSession connects gocql to host alone (a whitelist), so host
// coordinates every request, without retries: every failed request is an
// error the test sees.
func coordinatorSession(t *testing.T, p clusterPorts, host string) *gocql.Session {
	t.Helper()
	return connect(t, p, []string{host}, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter(host)
		c.PoolConfig.HostSelectionPolicy = gocql.RoundRobinHostPolicy()
	})
}

// driverSession connects gocql to every host as a careful user would: token
// aware, retrying (idempotent) requests on the next host with a backoff,
// and reconnecting to a node that comes back within seconds rather than
// gocql's default minute.
func driverSession(t *testing.T, p clusterPorts, hosts ...string) *gocql.Session {
	t.Helper()
	return connect(t, p, hosts, func(c *gocql.ClusterConfig) {
		c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
		c.RetryPolicy = &gocql.ExponentialBackoffRetryPolicy{NumRetries: 5, Min: 100 * time.Millisecond, Max: 2 * time.Second}
		c.ReconnectInterval = 2 * time.Second
	})
}

func connect(t *testing.T, p clusterPorts, hosts []string, mod func(*gocql.ClusterConfig)) *gocql.Session {
	t.Helper()
	var s *gocql.Session
	testutil.Eventually(t, 60*time.Second, 200*time.Millisecond, func() error {
		c := gocql.NewCluster(hosts...)
		c.Port = p.cql
		c.Consistency = gocql.Quorum
		c.Timeout = 10 * time.Second
		c.ConnectTimeout = 2 * time.Second
		mod(c)
		var err error
		s, err = c.CreateSession()
		return err
	})
	t.Cleanup(s.Close)
	return s
}

// peersOf lists the addresses in system.peers of the node s is connected
// to (a coordinatorSession: system.peers is local to each node).
func peersOf(s *gocql.Session) ([]string, error) {
	iter := s.Query("SELECT peer FROM system.peers").Consistency(gocql.One).Iter()
	var out []string
	var peer string
	for iter.Scan(&peer) {
		out = append(out, peer)
	}
	return out, iter.Close()
}

// createTable creates keyspace ks with SimpleStrategy and rf, and table
// ks.t (k int PRIMARY KEY, v text).
func createTable(t *testing.T, s *gocql.Session, ks string, rf int) {
	t.Helper()
	mustExec(t, s, fmt.Sprintf("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': %d}", ks, rf))
	mustExec(t, s, fmt.Sprintf("CREATE TABLE %s.t (k int PRIMARY KEY, v text)", ks))
}

// ---------------------------------------------------------------------------
// Load

// load runs workers that insert fresh keys into table at QUORUM through one
// session, idempotent, until stopped; with readBack each then reads its key
// back at QUORUM through the same session. It records what was
// acknowledged, and every failure labelled with the phase the test was in.
type load struct {
	s        *gocql.Session
	table    string
	keys     *atomic.Int64 // shared by a test's loads: keys never repeat
	readBack bool
	stopped  atomic.Bool
	phase    atomic.Value // string
	wg       sync.WaitGroup
	mu       sync.Mutex
	acked    map[int]string // guarded by mu
	failed   []string       // guarded by mu
}

func startLoad(s *gocql.Session, table string, workers int, keys *atomic.Int64, readBack bool) *load {
	l := &load{s: s, table: table, keys: keys, readBack: readBack, acked: map[int]string{}}
	l.phase.Store("start")
	for range workers {
		l.wg.Add(1)
		go l.work()
	}
	return l
}

func (l *load) work() {
	defer l.wg.Done()
	for !l.stopped.Load() {
		k := int(l.keys.Add(1))
		v := fmt.Sprint("v", k)
		phase := l.phase.Load().(string)
		err := l.s.Query("INSERT INTO "+l.table+" (k, v) VALUES (?, ?)", k, v).Consistency(gocql.Quorum).Idempotent(true).Exec()
		if err == nil {
			l.mu.Lock()
			l.acked[k] = v
			l.mu.Unlock()
			if l.readBack {
				var got string
				err = l.s.Query("SELECT v FROM "+l.table+" WHERE k = ?", k).Consistency(gocql.Quorum).Idempotent(true).Scan(&got)
				if err != nil {
					err = fmt.Errorf("reading it back: %w", err)
				}
			}
		}
		if err != nil {
			l.mu.Lock()
			l.failed = append(l.failed, fmt.Sprintf("[%s] key %d: %v", phase, k, err))
			l.mu.Unlock()
		}
		<-time.After(5 * time.Millisecond) // a steady load, not a benchmark
	}
}

func (l *load) setPhase(p string) { l.phase.Store(p) }

func (l *load) counts() (acked, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), len(l.failed)
}

// waitMore waits until n more writes than now are acknowledged.
func (l *load) waitMore(t *testing.T, n int) {
	t.Helper()
	start, _ := l.counts()
	testutil.Eventually(t, 60*time.Second, 20*time.Millisecond, func() error {
		if got, failed := l.counts(); got < start+n {
			return fmt.Errorf("%d of %d more writes acknowledged (%d failed)", got-start, n, failed)
		}
		return nil
	})
}

// stop ends the load and returns what was acknowledged and what failed.
func (l *load) stop() (map[int]string, []string) {
	l.stopped.Store(true)
	l.wg.Wait()
	return l.acked, l.failed
}

// reportFailures fails the test with the first failures, if any.
func reportFailures(t *testing.T, what string, failed []string, total int) {
	t.Helper()
	if len(failed) == 0 {
		return
	}
	t.Errorf("%s: %d of %d requests failed; first ones:\n  %s", what, len(failed), total,
		strings.Join(failed[:min(len(failed), 8)], "\n  "))
}

// checkRows reads table at cl through s and fails the test for each row
// of want that is missing or differs: one paged scan, then a
// single-partition read of each key the scan did not return, so a scan
// that misses rows is told apart from writes that were lost.
func checkRows(t *testing.T, s *gocql.Session, table string, cl gocql.Consistency, want map[int]string) {
	t.Helper()
	got := make(map[int]string, len(want))
	iter := s.Query("SELECT k, v FROM " + table).Consistency(cl).PageSize(5000).Iter()
	var k int
	var v string
	for iter.Scan(&k, &v) {
		got[k] = v
	}
	scanErr := iter.Close()
	var notScanned []int
	for k, v := range want {
		if got[k] != v {
			notScanned = append(notScanned, k)
		}
	}
	slices.Sort(notScanned)
	var lost []string
	for _, k := range notScanned {
		var v string
		err := s.Query("SELECT v FROM "+table+" WHERE k = ?", k).Consistency(cl).Scan(&v)
		if err != nil || v != want[k] {
			lost = append(lost, fmt.Sprintf("k=%d: read %q, %v", k, v, err))
		}
	}
	switch {
	case len(lost) > 0:
		t.Errorf("%d of %d acknowledged writes are not readable at %v, first: %s", len(lost), len(want), cl, strings.Join(lost[:min(len(lost), 5)], "; "))
	case scanErr != nil || len(notScanned) > 0:
		t.Errorf("a scan at %v returned %d rows and lacked %d of the %d acknowledged ones (scan error: %v); each is readable alone", cl, len(got), len(notScanned), len(want), scanErr)
	default:
		t.Logf("all %d acknowledged writes readable at %v", len(want), cl)
	}
}

// ---------------------------------------------------------------------------
// Raw native protocol

// rawCQL is one native-protocol v4 connection, for what a driver would
// hide: whether a connection is accepted and kept, which events arrive.
type rawCQL struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRawCQL connects and completes STARTUP.
func dialRawCQL(addr string, port int) (*rawCQL, error) {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(addr, strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		return nil, err
	}
	c := &rawCQL{conn: conn, r: bufio.NewReader(conn)}
	if err := c.roundTrip(&protocol.Startup{Options: map[string]string{protocol.StartupCQLVersion: "3.0.0"}}); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("STARTUP: %w", err)
	}
	return c, nil
}

// roundTrip sends m on stream 1 and expects READY or SUPPORTED back.
func (c *rawCQL) roundTrip(m protocol.Message) error {
	if err := c.send(1, m); err != nil {
		return err
	}
	for {
		h, resp, err := c.recv(time.Now().Add(5 * time.Second))
		if err != nil {
			return err
		}
		if h.Stream != 1 {
			continue // an event
		}
		switch r := resp.(type) {
		case *protocol.Ready, *protocol.Supported:
			return nil
		case *protocol.Error:
			return r
		default:
			return fmt.Errorf("unexpected %s", h.Opcode)
		}
	}
}

func (c *rawCQL) send(stream int16, m protocol.Message) error {
	frame, err := protocol.AppendFrame(nil, protocol.Header{Version: protocol.Version4, Stream: stream}, m, nil)
	if err != nil {
		return err
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err = c.conn.Write(frame)
	return err
}

// recv reads one frame, waiting until deadline.
func (c *rawCQL) recv(deadline time.Time) (protocol.Header, protocol.Message, error) {
	_ = c.conn.SetReadDeadline(deadline)
	hb := make([]byte, protocol.HeaderSize)
	if _, err := io.ReadFull(c.r, hb); err != nil {
		return protocol.Header{}, nil, err
	}
	h, err := protocol.DecodeHeader(hb, 0)
	if err != nil {
		return h, nil, err
	}
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return h, nil, err
	}
	_, rest, err := protocol.SplitResponseBody(h.Flags, body)
	if err != nil {
		return h, nil, err
	}
	m, err := protocol.DecodeResponse(h.Opcode, h.Version, rest)
	return h, m, err
}

func (c *rawCQL) close() { _ = c.conn.Close() }

// ---------------------------------------------------------------------------
// Tests

// TestProcessRestartThenQuorum stops a whole cluster with SIGTERM (what
// `make cluster-stop` does), starts it again on the same data, and then
// writes at QUORUM through each node as coordinator and reads every row at
// ALL. A restarted node must serve remote requests at once: it once built
// its persisted peers' replicas with a nil messenger and panicked on its
// first remote request.
func TestProcessRestartThenQuorum(t *testing.T) {
	c := newProcCluster(t, 3)
	c.startInOrder(procOpts{}, 0, 1, 2)
	c.waitAllNormal(60*time.Second, 0, 1, 2)
	s := coordinatorSession(t, c.p, c.addrs[0])
	createTable(t, s, "lc", 3)
	want := map[int]string{}
	for k := range 50 {
		mustExec(t, s, "INSERT INTO lc.t (k, v) VALUES (?, ?)", k, fmt.Sprint("before", k))
		want[k] = fmt.Sprint("before", k)
	}
	s.Close()

	for i := range c.procs {
		c.procs[i].stop(t)
	}
	c.startInOrder(procOpts{}, 0, 1, 2)
	c.waitAllNormal(60*time.Second, 0, 1, 2)

	sessions := make([]*gocql.Session, len(c.addrs))
	for i, a := range c.addrs {
		sessions[i] = coordinatorSession(t, c.p, a)
	}
	var failed []string
	for i, cs := range sessions {
		for j := range 30 {
			k := 1000*(i+1) + j
			v := fmt.Sprint("after", k)
			if err := cs.Query("INSERT INTO lc.t (k, v) VALUES (?, ?)", k, v).Consistency(gocql.Quorum).Exec(); err != nil {
				failed = append(failed, fmt.Sprintf("QUORUM write of %d through %s: %v", k, c.addrs[i], err))
				continue
			}
			want[k] = v
		}
	}
	reportFailures(t, "after a full restart", failed, 90)
	if dead := c.deaths(); dead != "" {
		t.Fatalf("after a full restart: %s", dead)
	}

	// Every row at ALL, the coordinator rotating over the nodes.
	var bad []string
	n := 0
	for k, v := range want {
		cs := sessions[n%len(sessions)]
		n++
		var got string
		if err := cs.Query("SELECT v FROM lc.t WHERE k = ?", k).Consistency(gocql.All).Scan(&got); err != nil || got != v {
			bad = append(bad, fmt.Sprintf("ALL read of %d through %s: got %q, %v", k, c.addrs[(n-1)%len(sessions)], got, err))
		}
	}
	reportFailures(t, "ALL reads after a full restart", bad, len(want))
	if dead := c.deaths(); dead != "" {
		t.Fatalf("after the ALL reads: %s", dead)
	}
}

// TestProcessRollingRestart restarts each node of an RF=3 cluster in turn,
// as an operator upgrading it would, while a token-aware driver with an
// idempotent retry policy writes at QUORUM from eight goroutines. With one
// node down at a time QUORUM stays reachable, so Cassandra serves every
// request and loses no acknowledged write: neither may Sibyl.
func TestProcessRollingRestart(t *testing.T) {
	c := newProcCluster(t, 3)
	c.startInOrder(procOpts{}, 0, 1, 2)
	c.waitAllNormal(60*time.Second, 0, 1, 2)
	s := driverSession(t, c.p, c.addrs...)
	createTable(t, s, "lc", 3)

	var keys atomic.Int64
	l := startLoad(s, "lc.t", 8, &keys, false)
	l.waitMore(t, 200)
	for i := range c.procs {
		others := slices.DeleteFunc(all(3), func(j int) bool { return j == i })
		l.setPhase("stopping " + c.addrs[i])
		c.procs[i].stop(t)
		c.waitSeen(30*time.Second, others, i, "DN")
		l.setPhase(c.addrs[i] + " down")
		l.waitMore(t, 100)
		l.setPhase("restarting " + c.addrs[i])
		c.start(i, procOpts{})
		c.waitAllNormal(60*time.Second, 0, 1, 2)
		l.setPhase(c.addrs[i] + " back")
		l.waitMore(t, 200)
	}
	acked, failed := l.stop()
	t.Logf("rolling restart: %d writes acknowledged, %d failed", len(acked), len(failed))
	reportFailures(t, "QUORUM writes during a rolling restart", failed, len(acked)+len(failed))
	if dead := c.deaths(); dead != "" {
		t.Fatalf("during the rolling restart: %s", dead)
	}

	checkRows(t, s, "lc.t", gocql.Quorum, acked)
	waitHintsDrained(t, c.p, c.addrs)
	checkRows(t, s, "lc.t", gocql.All, acked)
}

// TestProcessKillCoordinator SIGKILLs one node of an RF=3 cluster while
// each node coordinates its own QUORUM load (a write, then a read of it
// back), through sessions that only know that node and never retry. In
// Cassandra the surviving coordinators fail no request, before gossip
// marks the dead node down as well as after, and while it restarts; every
// write acknowledged anywhere, through the dead node too, is readable
// once it is back.
func TestProcessKillCoordinator(t *testing.T) {
	c := newProcCluster(t, 3)
	c.startInOrder(procOpts{}, 0, 1, 2)
	c.waitAllNormal(60*time.Second, 0, 1, 2)
	createTable(t, coordinatorSession(t, c.p, c.addrs[0]), "lc", 3)

	var keys atomic.Int64
	loads := make([]*load, 3)
	for i, a := range c.addrs {
		loads[i] = startLoad(coordinatorSession(t, c.p, a), "lc.t", 3, &keys, true)
	}
	for _, l := range loads {
		l.waitMore(t, 100)
	}
	setPhase := func(p string) {
		for _, l := range loads {
			l.setPhase(p)
		}
	}
	survivors := loads[:2]

	setPhase("killed, not yet seen down")
	c.procs[2].kill(t)
	c.waitSeen(30*time.Second, []int{0, 1}, 2, "DN")
	setPhase("seen down")
	for _, l := range survivors {
		l.waitMore(t, 150)
	}
	setPhase("restarting")
	c.start(2, procOpts{})
	c.waitAllNormal(60*time.Second, 0, 1, 2)
	setPhase("back")
	for _, l := range survivors {
		l.waitMore(t, 150)
	}

	acked := map[int]string{}
	for i, l := range loads {
		a, failed := l.stop()
		for k, v := range a {
			acked[k] = v
		}
		t.Logf("through %s: %d writes acknowledged, %d requests failed", c.addrs[i], len(a), len(failed))
		if i < 2 {
			reportFailures(t, "QUORUM load through surviving coordinator "+c.addrs[i], failed, len(a)+len(failed))
		}
	}
	if dead := c.deaths(); dead != "" {
		t.Fatalf("after the kill: %s", dead)
	}

	s := driverSession(t, c.p, c.addrs...)
	checkRows(t, s, "lc.t", gocql.Quorum, acked)
	waitHintsDrained(t, c.p, c.addrs)
	checkRows(t, s, "lc.t", gocql.All, acked)
}

// TestProcessDecommissionStopsServing decommissions the fourth node of a
// cluster. Cassandra stops a decommissioned node's native transport: its
// clients must notice at once and go elsewhere rather than keep talking
// to a node that no longer owns anything. So within seconds its CQL port
// must refuse new connections (or close them at once) and close the
// connections it had; the rest of the cluster must forget it and still
// hold every row; and the node must refuse to start again on its data.
func TestProcessDecommissionStopsServing(t *testing.T) {
	c := newProcCluster(t, 4)
	c.startInOrder(procOpts{}, 0, 1, 2, 3)
	c.waitAllNormal(60*time.Second, 0, 1, 2, 3)
	s := coordinatorSession(t, c.p, c.addrs[0])
	createTable(t, s, "lc", 3)
	want := map[int]string{}
	for k := range 200 {
		mustExec(t, s, "INSERT INTO lc.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k))
		want[k] = fmt.Sprint("v", k)
	}

	held, err := dialRawCQL(c.addrs[3], c.p.cql)
	if err != nil {
		t.Fatalf("a CQL connection to %s before its decommission: %v", c.addrs[3], err)
	}
	defer held.close()
	if err := adminPost(c.addrs[3], c.p.admin, "/cluster/decommission", 2*time.Minute); err != nil {
		t.Fatalf("decommission: %v", err)
	}

	// Bounded wait for the native transport to stop; it is not a timing
	// assertion: ten seconds is far more than closing a listener takes.
	var newConn, heldConn error
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if newConn == nil {
			if rc, err := dialRawCQL(c.addrs[3], c.p.cql); err != nil {
				newConn = err
			} else {
				rc.close()
			}
		}
		if heldConn == nil {
			heldConn = held.roundTrip(&protocol.Options{})
		}
		if newConn != nil && heldConn != nil {
			break
		}
		<-time.After(200 * time.Millisecond) // deadline-bounded polling
	}
	if newConn == nil {
		t.Errorf("10s after its decommission %s still accepts CQL connections (STARTUP answered READY)", c.addrs[3])
	} else {
		t.Logf("new CQL connection to the decommissioned node: %v", newConn)
	}
	if heldConn == nil {
		t.Errorf("10s after its decommission %s still answers on a CQL connection opened before it", c.addrs[3])
	} else {
		t.Logf("CQL connection held across the decommission: %v", heldConn)
	}

	testutil.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		peers, err := peersOf(s)
		if err != nil {
			return err
		}
		if slices.Contains(peers, c.addrs[3]) {
			return fmt.Errorf("%s still lists the decommissioned %s in system.peers: %v", c.addrs[0], c.addrs[3], peers)
		}
		return nil
	})
	checkRows(t, s, "lc.t", gocql.All, want)

	// Stop it (it may exit however it likes), then start it again on the
	// same data: it must refuse.
	c.procs[3].meantToExit.Store(true)
	_ = c.procs[3].cmd.Process.Signal(syscall.SIGTERM)
	if !c.procs[3].waitExit(30 * time.Second) {
		t.Fatalf("the decommissioned %s did not exit within 30s of SIGTERM", c.addrs[3])
	}
	t.Logf("the decommissioned node exited on SIGTERM: %v", c.procs[3].err)
	c.start(3, procOpts{}).expectRefusal(t, "decommissioned")
}

// watchPeers polls the system.peers and the admin status of each
// observer for addr, a node that must never join, until the returned
// function is called; that returns every sighting (none: nil).
func watchPeers(c *procCluster, observers []int, addr string) func() []string {
	sessions := make([]*gocql.Session, len(observers))
	for i, o := range observers {
		sessions[i] = coordinatorSession(c.t, c.p, c.addrs[o])
	}
	stop, out := make(chan struct{}), make(chan []string, 1)
	go func() {
		var seen []string
		for {
			for i, o := range observers {
				if peers, err := peersOf(sessions[i]); err == nil && slices.Contains(peers, addr) {
					seen = append(seen, fmt.Sprintf("in %s's system.peers %v", c.addrs[o], peers))
				}
				if st, err := clusterState(c.addrs[o], c.p); err == nil && st[addr] != "" {
					seen = append(seen, fmt.Sprintf("in %s's status as %s", c.addrs[o], st[addr]))
				}
			}
			select {
			case <-stop:
				out <- seen
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	var seen []string
	finish := func() []string {
		once.Do(func() {
			close(stop)
			seen = <-out
		})
		return seen
	}
	c.t.Cleanup(func() { finish() }) // before the sessions close: cleanups run last first
	return finish
}

// TestProcessClusterNameMismatch starts a node named for another cluster
// with this cluster's seeds. Cassandra refuses to gossip with a node whose
// cluster_name differs, and that node fails to start ("Unable to gossip
// with any peers" / a cluster-name mismatch); it never appears in the
// cluster's system.peers. Without the check two clusters pointed at each
// other by a configuration slip merge.
func TestProcessClusterNameMismatch(t *testing.T) {
	c := newProcCluster(t, 3)
	c.startInOrder(procOpts{clusterName: "lc-alpha"}, 0, 1)
	c.waitAllNormal(60*time.Second, 0, 1)

	sightings := watchPeers(c, []int{0, 1}, c.addrs[2])
	c.start(2, procOpts{clusterName: "lc-beta"}).expectRefusal(t, "cluster")
	if msg := c.procs[2].exitMessage(); c.procs[2].exited() && !strings.Contains(msg, "lc-alpha") && !strings.Contains(msg, "lc-beta") {
		t.Errorf("the refusal %q names neither cluster (lc-alpha, lc-beta)", msg)
	}
	<-time.After(2 * time.Second) // a watch window: what the others saw just after
	if s := sightings(); len(s) > 0 {
		t.Errorf("the node of cluster lc-beta appeared in cluster lc-alpha: %d times, first %s", len(s), s[0])
	}
}

// TestProcessUnreachableSeeds starts a brand-new node whose only seed is a
// port where nothing listens. Cassandra gives up after a bounded wait
// ("Unable to contact any seeds!") and exits; a node that waits forever
// looks started to its supervisor while it serves nothing.
func TestProcessUnreachableSeeds(t *testing.T) {
	c := newProcCluster(t, 2)
	dead := net.JoinHostPort(c.addrs[0], strconv.Itoa(freeOnAll(t, map[int]bool{c.p.cql: true, c.p.storage: true, c.p.gossip: true, c.p.admin: true}, c.addrs[0])))
	c.start(1, procOpts{seeds: []string{dead}}).expectRefusal(t, "seed")
}

// TestProcessRemovedNodeRefused removes a stopped node with removenode and
// then starts it again on its old data. The cluster has re-replicated its
// ranges and forgotten it; if it came back with its old tokens it would
// take ownership of data it no longer has (Cassandra quarantines a
// removed host id and the node cannot rejoin with it). It must exit
// non-zero, saying it was removed, and never reappear in system.peers.
func TestProcessRemovedNodeRefused(t *testing.T) {
	c := newProcCluster(t, 3)
	c.startInOrder(procOpts{}, 0, 1, 2)
	c.waitAllNormal(60*time.Second, 0, 1, 2)
	s := coordinatorSession(t, c.p, c.addrs[0])
	createTable(t, s, "lc", 2)
	want := map[int]string{}
	for k := range 200 {
		mustExec(t, s, "INSERT INTO lc.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k))
		want[k] = fmt.Sprint("v", k)
	}
	var st node.Status
	if err := adminGet(c.addrs[2], c.p.admin, "/status", &st); err != nil || st.HostID == "" {
		t.Fatalf("host id of %s: %v (%+v)", c.addrs[2], err, st)
	}

	c.procs[2].stop(t)
	c.waitSeen(30*time.Second, []int{0, 1}, 2, "DN")
	if err := adminPost(c.addrs[0], c.p.admin, "/cluster/removenode?host_id="+st.HostID, 2*time.Minute); err != nil {
		t.Fatalf("removenode: %v", err)
	}
	testutil.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		for _, o := range c.addrs[:2] {
			got, err := clusterState(o, c.p)
			if err != nil {
				return err
			}
			if got[c.addrs[2]] != "" {
				return fmt.Errorf("%s still lists the removed %s: %v", o, c.addrs[2], got)
			}
		}
		return nil
	})
	checkRows(t, s, "lc.t", gocql.All, want)

	sightings := watchPeers(c, []int{0, 1}, c.addrs[2])
	c.start(2, procOpts{}).expectRefusal(t, "removed")
	<-time.After(2 * time.Second) // a watch window: what the others saw just after
	if s := sightings(); len(s) > 0 {
		t.Errorf("the removed node reappeared in the cluster: %d times, first %s", len(s), s[0])
	}
}

// TestProcessSchemaEventFromOtherNode registers for SCHEMA_CHANGE on a raw
// connection to the first node and creates a keyspace and a table through
// the second. Every Cassandra node pushes the events of schema changes it
// learns from others, not only of those it coordinates: drivers refresh
// their metadata (and prepared statements) from them, and a driver's
// control connection is to one node while DDL may go through any.
func TestProcessSchemaEventFromOtherNode(t *testing.T) {
	c := newProcCluster(t, 2)
	c.startInOrder(procOpts{}, 0, 1)
	c.waitAllNormal(60*time.Second, 0, 1)

	listener, err := dialRawCQL(c.addrs[0], c.p.cql)
	if err != nil {
		t.Fatalf("raw CQL connection to %s: %v", c.addrs[0], err)
	}
	defer listener.close()
	if err := listener.roundTrip(&protocol.Register{EventTypes: []string{protocol.EventSchemaChange}}); err != nil {
		t.Fatalf("REGISTER: %v", err)
	}
	other := coordinatorSession(t, c.p, c.addrs[1])
	createTable(t, other, "lcev", 2)

	// Bounded wait for the table's event; the keyspace's comes first.
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		h, m, err := listener.recv(deadline)
		if err != nil {
			break // the deadline, or the connection lost: reported below
		}
		ev, ok := m.(*protocol.Event)
		if !ok || h.Stream != protocol.EventStream || ev.SchemaChange == nil {
			t.Errorf("unexpected %s frame on stream %d: %+v", h.Opcode, h.Stream, m)
			continue
		}
		sc := ev.SchemaChange
		got = append(got, fmt.Sprintf("%s %s %s.%s", sc.Change, sc.Target, sc.Keyspace, sc.Name))
		if sc.Change == "CREATED" && sc.Target == protocol.TargetTable && sc.Keyspace == "lcev" && sc.Name == "t" {
			t.Logf("%s pushed the events of DDL run through %s: %v", c.addrs[0], c.addrs[1], got)
			return
		}
	}
	// Tell "no event" apart from "the schema never arrived".
	var n int
	err = coordinatorSession(t, c.p, c.addrs[0]).Query(
		"SELECT count(*) FROM system_schema.tables WHERE keyspace_name = 'lcev' AND table_name = 't'").Consistency(gocql.One).Scan(&n)
	t.Errorf("a client registered on %s heard no CREATED TABLE lcev.t within 15s of its creation through %s (events heard: %v; the table in %s's system_schema.tables: %d rows, %v)",
		c.addrs[0], c.addrs[1], got, c.addrs[0], n, err)
}
