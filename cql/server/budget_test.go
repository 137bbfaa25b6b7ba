package server

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sibyldb/sibyl/internal/testutil"
)

func tcpAddr(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000} }

// checkUsage checks the bytes held by the budget, the IP of a and a.
func checkUsage(t *testing.T, a *account, global, ip, conn int64) {
	t.Helper()
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used != global || a.ip.used != ip || a.used != conn {
		t.Fatalf("usage global %d, IP %d, connection %d; want %d, %d, %d", b.used, a.ip.used, a.used, global, ip, conn)
	}
}

// TestBudgetAccounting follows bytes through a request's life: reserved
// when admitted, turned into its answer's when settled, given back when
// written; and a connection's leftovers given back when it closes.
func TestBudgetAccounting(t *testing.T) {
	b := newBudget(1000, 600)
	a := b.open(tcpAddr("10.0.0.1"), 10)
	other := b.open(tcpAddr("10.0.0.1"), 10)
	if a.ip != other.ip {
		t.Fatal("two connections from one address have two IP accounts")
	}
	if got := a.acquire(100, true, nil, nil); got != admitted {
		t.Fatalf("acquire: %v", got)
	}
	checkUsage(t, a, 100, 100, 100)
	a.settle(100, 250) // a 250-byte answer
	checkUsage(t, a, 250, 250, 250)
	a.release(250) // written
	checkUsage(t, a, 0, 0, 0)

	a.acquire(50, true, nil, nil)
	a.grow(30)
	other.acquire(70, true, nil, nil)
	checkUsage(t, a, 150, 150, 80)
	a.close()
	checkUsage(t, a, 70, 70, 0)
	a.release(10) // a frame released after close: ignored
	checkUsage(t, other, 70, 70, 70)
	other.cancel(70)
	other.close()
	if len(b.ips) != 0 {
		t.Fatalf("IP accounts left: %v", b.ips)
	}
}

// TestBudgetLimits checks what acquire refuses or waits for: the global
// limit, the per-IP limit and the connection's request slots, except for
// a connection that holds nothing, which is always admitted.
func TestBudgetLimits(t *testing.T) {
	b := newBudget(1000, 600)
	a1 := b.open(tcpAddr("10.0.0.1"), 2)
	a2 := b.open(tcpAddr("10.0.0.1"), 2)
	c := b.open(tcpAddr("10.0.0.2"), 2)

	if got := a1.acquire(5000, false, nil, nil); got != admitted {
		t.Fatalf("a request larger than the budget, nothing in flight: %v", got)
	}
	if got := a1.acquire(1, false, nil, nil); got != tooManyBytes {
		t.Fatalf("over the budget: %v", got)
	}
	a1.settle(5000, 0)
	a1.acquire(500, false, nil, nil)
	if got := a2.acquire(200, false, nil, nil); got != admitted {
		t.Fatalf("a2 holds nothing: %v", got)
	}
	if got := a2.acquire(1, false, nil, nil); got != tooManyBytes {
		t.Fatalf("over the IP's limit: %v", got)
	}
	if got := c.acquire(200, false, nil, nil); got != admitted {
		t.Fatalf("c holds nothing: %v", got)
	}
	if got := c.acquire(200, false, nil, nil); got != tooManyBytes {
		t.Fatalf("over the global limit: %v", got)
	}
	a2.settle(200, 0)
	if got := c.acquire(100, false, nil, nil); got != admitted {
		t.Fatalf("room made: %v", got)
	}
	if got := c.acquire(1, false, nil, nil); got != tooManyReqs {
		t.Fatalf("third request with two slots: %v", got)
	}
}

// TestBudgetWaiters checks that a waiting acquire is admitted by the
// releases that make room, and that a cancelled one reserves nothing.
func TestBudgetWaiters(t *testing.T) {
	b := newBudget(1000, 1000)
	a := b.open(tcpAddr("10.0.0.1"), 1)
	other := b.open(tcpAddr("10.0.0.2"), 10)
	a.acquire(10, true, nil, nil)
	other.acquire(900, true, nil, nil)

	got := make(chan admission)
	go func() { got <- a.acquire(10, true, nil, nil) }() // waits for a's slot
	testutil.WaitFor(t, 5*time.Second, "the waiter", func() bool { return b.pauses() == 1 })
	a.settle(10, 50) // the slot is free, 50 bytes of answer held
	if r := <-got; r != admitted {
		t.Fatalf("after settle: %v", r)
	}

	go func() { got <- other.acquire(90, true, nil, nil) }() // waits for bytes
	testutil.WaitFor(t, 5*time.Second, "the second waiter", func() bool { return b.pauses() == 2 })
	select {
	case r := <-got:
		t.Fatalf("admitted without room: %v", r)
	case <-time.After(50 * time.Millisecond):
	}
	a.release(50)
	if r := <-got; r != admitted {
		t.Fatalf("after release: %v", r)
	}

	cancel := make(chan struct{})
	go func() { got <- other.acquire(500, true, cancel, nil) }()
	testutil.WaitFor(t, 5*time.Second, "the third waiter", func() bool { return b.pauses() == 3 })
	close(cancel)
	if r := <-got; r != stopped {
		t.Fatalf("cancelled: %v", r)
	}
	checkUsage(t, other, 1000, 990, 990)
	if len(b.waiters) != 0 {
		t.Fatalf("%d waiters left", len(b.waiters))
	}
}

func TestDefaultMaxRequestDataInFlight(t *testing.T) {
	if d := DefaultMaxRequestDataInFlight(); d < minDefaultDataInFlight || d > maxDefaultDataInFlight {
		t.Fatalf("default %d outside [%d, %d]", d, minDefaultDataInFlight, maxDefaultDataInFlight)
	}
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got := memTotal(write("meminfo", "MemTotal:       24641536 kB\nMemFree:         1000 kB\n")); got != 24641536<<10 {
		t.Errorf("MemTotal %d", got)
	}
	if got := memTotal(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("missing meminfo: %d", got)
	}
	if got := cgroupLimit(write("max", "max\n")); got != 0 {
		t.Errorf("memory.max \"max\": %d", got)
	}
	if got := cgroupLimit(write("limit", "2147483648\n")); got != 2<<30 {
		t.Errorf("memory.max 2 GiB: %d", got)
	}
}
