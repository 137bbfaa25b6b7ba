package node_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// TestKillUnderWriteLoad builds the real binary, runs `sibyl serve` as a
// child process, writes to it with gocql from many goroutines, SIGKILLs it
// mid-load, restarts it on the same data directory, and reads back every
// write that was acknowledged before the kill. Two kill cycles.
func TestKillUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a child process; skipped with -short")
	}
	bin := buildSibyl(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	acked := &ackSet{m: make(map[int]string)}
	next := 0
	for cycle := range 2 {
		proc := startSibyl(t, bin, dir, port)
		s := connectRetrying(t, port)
		if cycle == 0 {
			mustExec(t, s, "CREATE KEYSPACE IF NOT EXISTS kill WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
			mustExec(t, s, "CREATE TABLE IF NOT EXISTS kill.t (k int PRIMARY KEY, v text)")
		}
		verifyAcked(t, s, acked)
		next = writeUntilKilled(t, s, proc, acked, next, cycle)
		s.Close()
	}
	proc := startSibyl(t, bin, dir, port)
	s := connectRetrying(t, port)
	verifyAcked(t, s, acked)
	s.Close()
	stopGracefully(t, proc)
}

// ackSet records acknowledged writes.
type ackSet struct {
	mu sync.Mutex
	m  map[int]string // guarded by mu
}

func (a *ackSet) add(k int, v string) {
	a.mu.Lock()
	a.m[k] = v
	a.mu.Unlock()
}

func (a *ackSet) snapshot() map[int]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[int]string, len(a.m))
	for k, v := range a.m {
		out[k] = v
	}
	return out
}

// writeUntilKilled runs 16 writers on fresh keys from first, SIGKILLs the
// process once 1000 writes of this cycle are acknowledged, and returns the
// next unused key.
func writeUntilKilled(t *testing.T, s *gocql.Session, proc *exec.Cmd, acked *ackSet, first, cycle int) int {
	t.Helper()
	var counter atomic.Int64
	counter.Store(int64(first))
	var done atomic.Int64
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(counter.Add(1))
				v := fmt.Sprintf("cycle%d-%d", cycle, k)
				if err := s.Query("INSERT INTO kill.t (k, v) VALUES (?, ?)", k, v).Exec(); err != nil {
					return // the node is gone: unacknowledged, may or may not be there
				}
				acked.add(k, v)
				if done.Add(1) == 1000 {
					close(killed)
				}
			}
		}()
	}
	select {
	case <-killed:
	case <-time.After(60 * time.Second):
		t.Fatal("1000 writes were not acknowledged within 60s")
	}
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	wg.Wait()
	return int(counter.Load()) + 1
}

func verifyAcked(t *testing.T, s *gocql.Session, acked *ackSet) {
	t.Helper()
	want := acked.snapshot()
	got := make(map[int]string, len(want))
	iter := s.Query("SELECT k, v FROM kill.t").PageSize(5000).Iter()
	var k int
	var v string
	for iter.Scan(&k, &v) {
		got[k] = v
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for k, v := range want {
		if got[k] != v {
			if lost < 5 {
				t.Errorf("acknowledged write k=%d v=%q lost after SIGKILL (read %q)", k, v, got[k])
			}
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(want))
	}
	t.Logf("all %d acknowledged writes survived (%d rows present)", len(want), len(got))
}

// buildSibyl compiles cmd/sibyl into the test's temporary directory.
func buildSibyl(t *testing.T) string {
	t.Helper()
	if raceEnabled {
		t.Skip("process tests run in the plain test run; the race detector cannot see into the child process")
	}
	bin := filepath.Join(t.TempDir(), "sibyl")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sibyl")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot build sibyl: %v\n%s", err, out)
	}
	return bin
}

// startSibyl runs `sibyl serve` on 127.0.0.1:port with data in dir. The
// test's cleanup kills it if it is still running.
func startSibyl(t *testing.T, bin, dir string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen-address", "127.0.0.1",
		"--cql-port", strconv.Itoa(port), "--admin-port", "-1", "--num-tokens", "8", "--log-level", "warn",
		"--storage-port", strconv.Itoa(testutil.FreePort(t)), "--gossip-port", strconv.Itoa(testutil.FreePort(t)))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("sibyl output:\n%s", logs.String())
		}
	})
	return cmd
}

// connectRetrying connects gocql once the child accepts connections.
func connectRetrying(t *testing.T, port int) *gocql.Session {
	t.Helper()
	var s *gocql.Session
	testutil.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		c := gocql.NewCluster("127.0.0.1")
		c.Port = port
		c.Consistency = gocql.One
		c.Timeout = 10 * time.Second
		c.ConnectTimeout = 2 * time.Second
		c.DisableInitialHostLookup = false
		var err error
		s, err = c.CreateSession()
		return err
	})
	return s
}

// stopGracefully sends SIGTERM and expects a clean exit.
func stopGracefully(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sibyl did not exit cleanly on SIGINT: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("sibyl did not exit within 30s of SIGINT")
	}
}
