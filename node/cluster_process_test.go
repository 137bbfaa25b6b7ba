package node_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
	"github.com/sibyldb/sibyl/node"
)

// clusterPorts are the port numbers every node of the process test uses,
// each on its own loopback address.
type clusterPorts struct{ cql, storage, gossip, admin int }

var processAddrs = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}

// freeOnAll returns a port free on every address of addrs (TCP and UDP);
// no addrs means processAddrs.
func freeOnAll(t *testing.T, taken map[int]bool, addrs ...string) int {
	t.Helper()
	if len(addrs) == 0 {
		addrs = processAddrs
	}
	for range 50 {
		p := testutil.FreePort(t)
		if taken[p] {
			continue
		}
		ok := true
		for _, a := range addrs {
			ln, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			_ = ln.Close()
			pc, err := net.ListenPacket("udp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			_ = pc.Close()
		}
		if ok {
			taken[p] = true
			return p
		}
	}
	t.Skipf("cannot find a port free on %v", addrs)
	return 0
}

// startClusterProcess runs `sibyl serve` for addr; cleanup kills it.
func startClusterProcess(t *testing.T, bin, dir, addr string, p clusterPorts) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen-address", addr,
		"--cql-port", strconv.Itoa(p.cql), "--storage-port", strconv.Itoa(p.storage),
		"--gossip-port", strconv.Itoa(p.gossip), "--admin-port", strconv.Itoa(p.admin),
		"--seeds", processAddrs[0], "--num-tokens", "8", "--log-level", "info")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("sibyl %s output:\n%s", addr, logs.String())
		}
	})
	return cmd
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func adminGet(addr string, port int, path string, out any) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(addr, strconv.Itoa(port)) + path)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	return json.NewDecoder(resp.Body).Decode(out)
}

// clusterState returns what addr's admin API says of every node.
func clusterState(addr string, p clusterPorts) (map[string]string, error) {
	var nodes []node.ClusterNode
	if err := adminGet(addr, p.admin, "/cluster/status", &nodes); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range nodes {
		out[n.Address] = n.State
	}
	return out, nil
}

func processSession(t *testing.T, p clusterPorts, hosts ...string) *gocql.Session {
	t.Helper()
	var s *gocql.Session
	testutil.Eventually(t, 60*time.Second, 200*time.Millisecond, func() error {
		c := gocql.NewCluster(hosts...)
		c.Port = p.cql
		c.Consistency = gocql.Quorum
		c.Timeout = 10 * time.Second
		c.ConnectTimeout = 2 * time.Second
		c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 5}
		c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
		if len(hosts) == 1 {
			c.HostFilter = gocql.WhiteListHostFilter(hosts...)
		}
		var err error
		s, err = c.CreateSession()
		return err
	})
	t.Cleanup(s.Close)
	return s
}

// TestProcessClusterKillAndHints is issue 4's process-level test: three
// `sibyl serve` processes on 127.0.0.1-3, gocql writing at QUORUM, one node
// SIGKILLed: QUORUM writes go on without an error and ALL fails with
// Unavailable; the node restarts, hints replay, and then that node alone
// returns every acknowledged row at ONE.
func TestProcessClusterKillAndHints(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three child processes; skipped with -short")
	}
	bin := buildSibyl(t)
	taken := map[int]bool{}
	p := clusterPorts{cql: freeOnAll(t, taken), storage: freeOnAll(t, taken), gossip: freeOnAll(t, taken), admin: freeOnAll(t, taken)}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	procs := make([]*exec.Cmd, 3)
	for i, a := range processAddrs {
		procs[i] = startClusterProcess(t, bin, dirs[i], a, p)
	}
	waitStates(t, processAddrs[0], p, map[string]string{"127.0.0.1": "UN", "127.0.0.2": "UN", "127.0.0.3": "UN"})
	s := processSession(t, p, processAddrs[0])
	mustExec(t, s, "CREATE KEYSPACE proc WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	mustExec(t, s, "CREATE TABLE proc.t (k int PRIMARY KEY, v text)")

	w := startWriters(s, 4)
	w.waitAcked(t, 200) // load before the kill
	if err := procs[2].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = procs[2].Wait()
	waitStates(t, processAddrs[0], p, map[string]string{"127.0.0.3": "DN"})
	expectUnavailableAtAll(t, s)
	w.waitAcked(t, w.ackedCount()+200) // load with the node down
	acked, failed := w.stop()
	if len(failed) > 0 {
		t.Fatalf("%d QUORUM writes failed with one node down, first: %v", len(failed), failed[0])
	}
	t.Logf("%d writes acknowledged", len(acked))

	procs[2] = startClusterProcess(t, bin, dirs[2], processAddrs[2], p)
	waitStates(t, processAddrs[0], p, map[string]string{"127.0.0.3": "UN"})
	waitHintsDrained(t, p, processAddrs[:2])
	for _, proc := range procs[:2] {
		stopGracefully(t, proc)
	}
	alone := processSession(t, p, processAddrs[2])
	verifyAtOne(t, alone, acked)
}

// writers insert increasing keys at QUORUM from several goroutines.
type writers struct {
	stopped atomic.Bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	acked   []int   // guarded by mu
	failed  []error // guarded by mu
	next    atomic.Int64
}

func startWriters(s *gocql.Session, n int) *writers {
	w := &writers{}
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for !w.stopped.Load() {
				k := int(w.next.Add(1))
				err := s.Query("INSERT INTO proc.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).
					Consistency(gocql.Quorum).Idempotent(true).Exec()
				w.mu.Lock()
				if err != nil {
					w.failed = append(w.failed, fmt.Errorf("key %d: %w", k, err))
				} else {
					w.acked = append(w.acked, k)
				}
				w.mu.Unlock()
			}
		}()
	}
	return w
}

func (w *writers) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// waitAcked waits until n writes are acknowledged.
func (w *writers) waitAcked(t *testing.T, n int) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if got := w.ackedCount(); got < n {
			return fmt.Errorf("%d of %d writes acknowledged", got, n)
		}
		return nil
	})
}

func (w *writers) stop() ([]int, []error) {
	w.stopped.Store(true)
	w.wg.Wait()
	return w.acked, w.failed
}

func waitStates(t *testing.T, from string, p clusterPorts, want map[string]string) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, 100*time.Millisecond, func() error {
		got, err := clusterState(from, p)
		if err != nil {
			return err
		}
		for a, st := range want {
			if got[a] != st {
				return fmt.Errorf("%s sees %s as %q, want %q (all: %v)", from, a, got[a], st, got)
			}
		}
		return nil
	})
}

func expectUnavailableAtAll(t *testing.T, s *gocql.Session) {
	t.Helper()
	err := s.Query("INSERT INTO proc.t (k, v) VALUES (-1, 'all')").Consistency(gocql.All).Exec()
	var ue *gocql.RequestErrUnavailable
	if !errors.As(err, &ue) || ue.Required != 3 || ue.Alive != 2 {
		t.Fatalf("ALL write with a node down: got %v, want Unavailable (required 3, alive 2)", err)
	}
}

func waitHintsDrained(t *testing.T, p clusterPorts, addrs []string) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, 200*time.Millisecond, func() error {
		for _, a := range addrs {
			var pending []node.PendingHints
			if err := adminGet(a, p.admin, "/cluster/hints", &pending); err != nil {
				return err
			}
			if len(pending) > 0 {
				return fmt.Errorf("%s still holds hints: %+v", a, pending)
			}
		}
		return nil
	})
}

func verifyAtOne(t *testing.T, s *gocql.Session, acked []int) {
	t.Helper()
	have := map[int]bool{}
	iter := s.Query("SELECT k FROM proc.t").Consistency(gocql.One).PageSize(5000).Iter()
	var k int
	for iter.Scan(&k) {
		have[k] = true
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("reading from the restarted node alone: %v", err)
	}
	missing := 0
	for _, k := range acked {
		if !have[k] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("the restarted node alone lacks %d of %d acknowledged rows", missing, len(acked))
	}
}
