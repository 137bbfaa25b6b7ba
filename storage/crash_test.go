package storage

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/schema"
)

// The crash test runs writers in a child process (this test binary,
// re-executed into TestCrashChild), which prints "ack <key>" after each
// Apply returns. The parent SIGKILLs the child at a random point, reopens
// the store and checks that every acknowledged write is there.

const (
	crashDirEnv    = "SIBYL_STORAGE_CRASH_DIR"
	crashPrefixEnv = "SIBYL_STORAGE_CRASH_PREFIX"
)

func crashKey(prefix string, writer, i int) string { return fmt.Sprintf("%s-%d-%d", prefix, writer, i) }

func crashToken(key string) int64 {
	var h int64 = 1469598103934665603
	for i := 0; i < len(key); i++ {
		h = (h ^ int64(key[i])) * 1099511628211
	}
	return h
}

func crashMutation(key string) *schema.Partition {
	return part(9, crashToken(key), key, row(ck(1), marker(1), liveCell(1, 1, "v:"+key)))
}

// TestCrashChild is the child side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the crash test's child process")
	}
	prefix := os.Getenv(crashPrefixEnv)
	e, err := Open(Options{Dir: dir, PurgeInterval: -1, CacheSize: 8 << 20, MemTableSize: 1 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i += 2 {
				// Two partitions per batch: both are acknowledged together.
				k1, k2 := crashKey(prefix, w, i), crashKey(prefix, w, i+1)
				if err := e.Apply(context.Background(), crashMutation(k1), crashMutation(k2)); err != nil {
					fmt.Fprintln(os.Stderr, "apply:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %s\nack %s\n", k1, k2)
				_ = out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	var acked []string
	const cycles = 20
	deadline := time.Now().Add(40 * time.Second)
	for cycle := range cycles {
		if time.Now().After(deadline) {
			t.Fatalf("crash test took over 40s after %d cycles", cycle)
		}
		acked = append(acked, runCrashChild(t, dir, fmt.Sprintf("c%d", cycle), 1+r.IntN(300))...)
		e, err := Open(Options{Dir: dir, PurgeInterval: -1, CacheSize: 8 << 20})
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		for _, k := range acked {
			ps := mustRead(t, e, &schema.ReadCommand{Table: 9, Key: []byte(k), Token: crashToken(k)})
			if len(ps) != 1 || len(ps[0].Rows) != 1 || string(ps[0].Rows[0].Cells[0].Value) != "v:"+k {
				_ = e.Close()
				t.Fatalf("cycle %d: acknowledged write %s lost (read %s)", cycle, k, dump(ps))
			}
		}
		if err := e.Close(); err != nil {
			t.Fatalf("cycle %d: close: %v", cycle, err)
		}
	}
	t.Logf("%d acknowledged writes survived %d SIGKILLs", len(acked), cycles)
}

// runCrashChild starts a writer child, kills it after it has acknowledged
// killAfter writes, and returns every write it acknowledged.
func runCrashChild(t *testing.T, dir, prefix string, killAfter int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashPrefixEnv+"="+prefix)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(stdout)
	killed := false
	timer := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	for sc.Scan() {
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "ack "); ok {
			acked = append(acked, k)
		}
		if !killed && len(acked) >= killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("writer child exited before it was killed: %v\n%s", err, stderr.String())
	}
	if len(acked) == 0 {
		t.Fatalf("writer child acknowledged nothing: %s", stderr.String())
	}
	return acked
}
