package server

import (
	"bufio"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// budget accounts the bytes in flight across the server: each request
// from the moment the reader admits it until its answer is encoded, then
// its answer until the writer has handed it to the socket. Every byte
// counts against the global limit and the limit of the client's IP
// address, as Cassandra's native_transport_max_request_data_in_flight
// and its _per_ip variant do (ClientResourceLimits).
//
// Only a connection's reader ever waits on the budget, before it reads a
// request's body: that is the backpressure. Workers and the writer only
// add and release, and never wait, so answers always drain. A
// connection that holds nothing in flight is always admitted, so a
// request larger than the whole budget still runs, alone, and no
// connection waits forever on bytes that others hold.
type budget struct {
	limit, perIP int64 // immutable

	mu      sync.Mutex
	used    int64                     // guarded by mu
	ips     map[netip.Addr]*ipAccount // guarded by mu
	waiters []*waiter                 // guarded by mu, in arrival order
	paused  int64                     // guarded by mu: waits so far, for Metrics
}

// ipAccount is what the connections of one client address hold.
type ipAccount struct {
	used  int64 // guarded by budget.mu
	conns int   // guarded by budget.mu
}

// account is one connection's part of the budget. Its fields are
// guarded by budget.mu.
type account struct {
	b           *budget
	addr        netip.Addr
	ip          *ipAccount
	maxRequests int   // the connection's MaxInFlight
	used        int64 // bytes this connection holds
	requests    int   // requests admitted and not yet answered
	closed      bool
}

// waiter is a reader waiting for n bytes and a request slot.
type waiter struct {
	a     *account
	n     int64
	ready chan struct{} // closed once admitted
	done  bool          // admitted, guarded by budget.mu
}

// admission is the outcome of account.acquire.
type admission int

const (
	admitted     admission = iota
	tooManyReqs            // the connection has MaxInFlight requests running
	tooManyBytes           // the budget has no room
	stopped                // the wait was cancelled
)

func newBudget(limit, perIP int64) *budget {
	return &budget{limit: limit, perIP: perIP, ips: make(map[netip.Addr]*ipAccount)}
}

// open returns the account of a new connection from addr.
func (b *budget) open(addr net.Addr, maxRequests int) *account {
	var key netip.Addr
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		key = ap.Addr().Unmap()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ip := b.ips[key]
	if ip == nil {
		ip = &ipAccount{}
		b.ips[key] = ip
	}
	ip.conns++
	return &account{b: b, addr: key, ip: ip, maxRequests: maxRequests}
}

// inUse returns the bytes in flight across the server.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *budget) pauses() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.paused
}

// fitsLocked reports whether a may take n more bytes and a request slot
// now.
func (a *account) fitsLocked(n int64) bool {
	if a.requests >= a.maxRequests {
		return false
	}
	if a.used == 0 {
		return true
	}
	b := a.b
	return b.used+n <= b.limit && a.ip.used+n <= b.perIP
}

func (a *account) addLocked(n int64) {
	a.used += n
	a.ip.used += n
	a.b.used += n
}

// acquire reserves n bytes and a request slot for a request about to be
// read. When they are not available it waits until they are, or until
// one of cancel is closed (stopped); with wait false it returns at once
// with the limit that was reached instead.
func (a *account) acquire(n int64, wait bool, cancel1, cancel2 <-chan struct{}) admission {
	b := a.b
	b.mu.Lock()
	if a.fitsLocked(n) {
		a.requests++
		a.addLocked(n)
		b.mu.Unlock()
		return admitted
	}
	if !wait {
		reason := tooManyBytes
		if a.requests >= a.maxRequests {
			reason = tooManyReqs
		}
		b.mu.Unlock()
		return reason
	}
	w := &waiter{a: a, n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.paused++
	b.mu.Unlock()

	select {
	case <-w.ready:
		return admitted
	case <-cancel1:
	case <-cancel2:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.done {
		// Admitted as the wait was cancelled: give it back.
		a.requests--
		a.addLocked(-w.n)
		b.wakeLocked()
		return stopped
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	return stopped
}

// settle ends a request that reserved reserved bytes: its answer, of
// answer bytes (0 when there is none), now holds them until release.
// It never waits, so an answer can always be queued.
func (a *account) settle(reserved, answer int64) {
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.closed {
		return
	}
	a.requests--
	a.addLocked(answer - reserved)
	b.wakeLocked()
}

// grow adds n bytes to what the connection holds, without waiting: a
// request whose body was decompressed holds more than it reserved.
func (a *account) grow(n int64) {
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if !a.closed {
		a.addLocked(n)
	}
}

// cancel gives back the reservation of a request that was admitted but
// never ran (its body could not be decoded, or it came before the
// handshake).
func (a *account) cancel(reserved int64) { a.settle(reserved, 0) }

// release gives back n bytes of an answer the writer has written or
// dropped.
func (a *account) release(n int64) {
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.closed {
		return
	}
	a.addLocked(-n)
	b.wakeLocked()
}

// close gives back whatever the connection still holds; later releases
// are ignored.
func (a *account) close() {
	b := a.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.closed {
		return
	}
	a.addLocked(-a.used)
	a.requests = 0
	a.closed = true
	if a.ip.conns--; a.ip.conns == 0 {
		delete(b.ips, a.addr)
	}
	b.wakeLocked()
}

// wakeLocked admits, in arrival order, every waiter that now fits. A
// waiter that does not fit does not hold back smaller ones behind it;
// it is never stranded, because its own connection's answers drain
// until it holds nothing, and then it fits.
func (b *budget) wakeLocked() {
	if len(b.waiters) == 0 {
		return
	}
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if w.a.fitsLocked(w.n) {
			w.a.requests++
			w.a.addLocked(w.n)
			w.done = true
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiters[len(kept):])
	b.waiters = kept
}

// Budget defaults: see DefaultMaxRequestDataInFlight.
const (
	minDefaultDataInFlight = 16 << 20
	maxDefaultDataInFlight = 256 << 20
	// unknownMemoryDataInFlight is the default when the machine's memory
	// cannot be read (not Linux, and no GOMEMLIMIT).
	unknownMemoryDataInFlight = 128 << 20
)

// DefaultMaxRequestDataInFlight returns the default of
// Config.MaxRequestDataInFlight: 1/64 of the memory the process may use,
// between 16 MiB and 256 MiB. The memory is the smallest of the
// machine's (MemTotal in /proc/meminfo), the cgroup's (memory.max) and
// the Go runtime's limit (GOMEMLIMIT), so a node in a container or under
// a memory limit gets a budget to match.
//
// Cassandra allows a tenth of its heap (which is a quarter of the
// machine's memory, at most 8 GiB): about 1/40 of memory, up to 820 MB.
// Go needs a smaller share for the same safety: with the default GOGC
// the heap grows to twice what is live before a collection, and each
// answer briefly exists twice (the executor's rows, then the encoded
// frame). The 256 MiB cap is still about 200 ms of a 10 Gbit/s link in
// flight, more than any client needs to keep a node busy; a larger
// budget buys memory risk, not throughput.
func DefaultMaxRequestDataInFlight() int64 { return defaultDataInFlight() }

var defaultDataInFlight = sync.OnceValue(func() int64 {
	mem := processMemory()
	if mem <= 0 {
		return unknownMemoryDataInFlight
	}
	return min(max(mem/64, minDefaultDataInFlight), maxDefaultDataInFlight)
})

// processMemory returns the memory the process may use, or 0 if unknown.
func processMemory() int64 {
	var mem int64
	lower := func(n int64) {
		if n > 0 && (mem == 0 || n < mem) {
			mem = n
		}
	}
	lower(memTotal("/proc/meminfo"))
	lower(cgroupLimit("/sys/fs/cgroup/memory.max"))
	if l := debug.SetMemoryLimit(-1); l < 1<<62 {
		lower(l)
	}
	return mem
}

// memTotal returns MemTotal from a meminfo file, in bytes.
func memTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// cgroupLimit returns a cgroup v2 memory.max, or 0 for "max" or none.
func cgroupLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
