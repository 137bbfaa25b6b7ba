package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestEndToEnd runs write, read, scan, mixed and secondary index
// workloads against a live node and checks that every value read is the one written, and that
// validation does catch rows that were never written. The node is the one
// at SIBYL_BENCH_HOST (host or host:port), or else a `sibyl serve` the test
// starts on a private loopback address and stops ($SIBYL_BIN, default
// bin/sibyl at the module root). Without either it
// skips, saying why.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end bench test skipped in -short mode")
	}
	host, pid := os.Getenv("SIBYL_BENCH_HOST"), 0
	if host == "" {
		host, pid = startNode(t)
	} else if err := dialable(host); err != nil {
		t.Skipf("SIBYL_BENCH_HOST=%s is not reachable: %v", host, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := Config{
		Hosts:            []string{host},
		Keyspace:         fmt.Sprintf("bench_e2e_%d", time.Now().UnixNano()%1e9),
		Partitions:       200,
		RowsPerPartition: 5,
		ValueSize:        64,
		Concurrency:      16,
		Seed:             1,
	}
	t.Cleanup(func() { dropKeyspace(t, &base) })
	run := func(name string, mut func(*Config)) Report {
		cfg := base.Clone()
		mut(&cfg)
		rep, err := Run(ctx, cfg)
		if err != nil {
			t.Fatalf("%s run: %v", name, err)
		}
		t.Logf("%s: %d ops, %.0f ops/s, p99 %.2f ms, errors %v", name, rep.Ops, rep.OpsPerSec, rep.P99Ms, rep.ErrorsByKind)
		return rep
	}
	var pids []int
	if pid != 0 && (procFS{root: defaultProcRoot}).available() {
		pids = []int{pid}
	}
	w := run("write", func(c *Config) {
		c.Mode, c.Distribution, c.Ops, c.ServerPIDs = ModeWrite, DistSequential, 1000, pids
	})
	if w.Ops != 1000 || w.Errors != 0 {
		t.Fatalf("write: %d ops, errors %v", w.Ops, w.ErrorSamples)
	}
	checkServerCPU(ctx, t, base, w, pids)
	r := run("read", func(c *Config) { c.Mode, c.Ops, c.ValidateData = ModeRead, 2000, true })
	if r.Errors != 0 || r.RowsChecked != r.Ops || r.Ops != 2000 {
		t.Fatalf("read: %d ops, %d rows checked, errors %v", r.Ops, r.RowsChecked, r.ErrorSamples)
	}
	s := run("scan", func(c *Config) {
		c.Mode, c.Distribution, c.Ops, c.PageSize, c.ValidateData = ModeScan, DistSequential, 200, 2, true
	})
	if s.Errors != 0 || s.RowsChecked != 1000 {
		t.Fatalf("scan: %d rows checked of 1000, errors %v", s.RowsChecked, s.ErrorSamples)
	}
	m := run("mixed", func(c *Config) {
		c.Mode, c.Rate, c.Duration, c.ValidateData, c.Distribution = ModeMixed, 500, time.Second, true, DistZipf
	})
	if m.Errors != 0 || m.Ops < 400 {
		t.Fatalf("mixed: %d ops, errors %v", m.Ops, m.ErrorSamples)
	}
	cn := run("counter", func(c *Config) { c.Mode, c.Distribution, c.Ops = ModeCounter, DistSequential, 1500 })
	if cn.Ops != 1500 || cn.Errors != 0 {
		t.Fatalf("counter: %d ops, errors %v", cn.Ops, cn.ErrorSamples)
	}
	// 1,500 increments over 1,000 keys in order: 500 keys twice.
	if sum, twos := counterTotals(t, &base); sum != 1500 || twos != 500 {
		t.Fatalf("counter: the counters sum to %d with %d at 2, want 1500 and 500", sum, twos)
	}
	miss := run("read unwritten", func(c *Config) {
		c.Mode, c.Ops, c.ValidateData, c.PartitionOffset = ModeRead, 50, true, 1_000_000
	})
	if miss.ErrorsByKind["missing"] != 50 {
		t.Fatalf("reading 50 unwritten rows found %d missing", miss.ErrorsByKind["missing"])
	}
	testIndexWorkloads(ctx, t, base)
}

// checkServerCPU checks that a run given the node's pid reported its CPU
// time, and that a pid no process has fails a run before it starts.
func checkServerCPU(ctx context.Context, t *testing.T, base Config, w Report, pids []int) {
	t.Helper()
	if len(pids) == 0 {
		t.Log("server CPU not checked: the node is not this test's child, or there is no /proc")
		return
	}
	if w.ServerCPUS == nil || w.ServerCPUUsPerOp == nil || *w.ServerCPUS < 0 || len(w.Warnings) > 0 {
		t.Fatalf("write with the node's pid: server CPU %v, per op %v, warnings %q",
			deref(w.ServerCPUS), deref(w.ServerCPUUsPerOp), w.Warnings)
	}
	t.Logf("write: server CPU %.2fs, %.1f µs/op", *w.ServerCPUS, *w.ServerCPUUsPerOp)
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	none, err := strconv.Atoi(strings.TrimSpace(string(b))) // pids are below pid_max
	if err != nil {
		t.Fatal(err)
	}
	cfg := base.Clone()
	cfg.Ops, cfg.ServerPIDs = 10, []int{none}
	if _, err := Run(ctx, cfg); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("no process with pid %d", none)) {
		t.Fatalf("a run with pid %d, which no process has: %v", none, err)
	}
}

// counterTotals reads every counter of the counter workload's table: their
// sum and how many are 2.
func counterTotals(t *testing.T, cfg *Config) (sum, twos int64) {
	t.Helper()
	c := cfg.Clone()
	c.EnsureDefaults()
	cc, err := clusterConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatalf("cannot connect: %v", err)
	}
	defer s.Close()
	iter := s.Query(fmt.Sprintf("SELECT n FROM %s.%s_counters", c.Keyspace, c.Table)).Iter()
	var n int64
	for iter.Scan(&n) {
		sum += n
		if n == 2 {
			twos++
		}
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("reading the counters: %v", err)
	}
	return sum, twos
}

// dropKeyspace removes the test's keyspace, so a shared node is left as
// it was found.
func dropKeyspace(t *testing.T, cfg *Config) {
	c := cfg.Clone()
	c.EnsureDefaults()
	cc, err := clusterConfig(&c)
	if err != nil {
		t.Errorf("cannot configure the cleanup session: %v", err)
		return
	}
	s, err := cc.CreateSession()
	if err != nil {
		t.Logf("cannot connect to drop keyspace %s: %v", c.Keyspace, err)
		return
	}
	defer s.Close()
	if err := s.Query("DROP KEYSPACE IF EXISTS " + c.Keyspace).Exec(); err != nil {
		t.Errorf("cannot drop keyspace %s: %v", c.Keyspace, err)
	}
}

// startNode starts bin/sibyl serve on a free loopback address for the test
// and returns its CQL address and process id. Without a binary the test is skipped; when
// $SIBYL_BIN names one (as `make unit` does), a node that cannot start or
// does not come up fails the test: the binary under test is broken.
func startNode(t *testing.T) (addr string, pid int) {
	t.Helper()
	bin, err := sibylBinary()
	if err != nil {
		t.Skipf("no node to bench: set SIBYL_BENCH_HOST=host[:port] or build bin/sibyl (make build): %v", err)
	}
	cannot := t.Skipf
	if os.Getenv("SIBYL_BIN") != "" {
		cannot = t.Fatalf
	}
	ip := fmt.Sprintf("127.0.0.%d", 150+os.Getpid()%100)
	port, err := freePort(ip)
	if err != nil {
		t.Skipf("no free port on %s: %v", ip, err)
	}
	addr = net.JoinHostPort(ip, strconv.Itoa(port))
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "--listen-address", ip, "--cql-port", strconv.Itoa(port),
		"--admin-port", "-1", "--data-dir", t.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cannot("cannot start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopNode(t, cmd, exited) })
	if err := waitForPort(addr, exited, 30*time.Second); err != nil {
		cannot("%s serve is not accepting CQL connections on %s (%v); its log:\n%s", bin, addr, err, logs.String())
	}
	return addr, cmd.Process.Pid
}

// stopNode sends SIGTERM and waits for a clean exit, killing the process if
// it does not exit within 15 seconds.
func stopNode(t *testing.T, cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Errorf("node did not exit within 15s of SIGTERM; killing it")
		_ = cmd.Process.Kill()
		<-exited
	}
}

// sibylBinary returns $SIBYL_BIN, or else bin/sibyl at the module root.
func sibylBinary() (string, error) {
	if bin := os.Getenv("SIBYL_BIN"); bin != "" {
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			bin := filepath.Join(dir, "bin", "sibyl")
			if _, err := os.Stat(bin); err != nil {
				return "", fmt.Errorf("no %s", bin)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// dialable reports whether host (host or host:port, port 9042 by default)
// accepts TCP connections.
func dialable(host string) error {
	cfg := Config{Hosts: []string{host}, Port: 9042}
	c, err := net.DialTimeout("tcp", hostList(&cfg)[0], 3*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitForPort polls addr until it accepts a connection, the process exits,
// or the deadline passes.
func waitForPort(addr string, exited <-chan error, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("node exited: %w", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("node exited: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not listening after %v", within)
}

// syncBuffer is a bytes.Buffer safe for the process's two output streams.
type syncBuffer struct {
	mu struct {
		sync.Mutex
		b bytes.Buffer // guarded by mu
	}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.mu.b.String())
}
