package faults

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Client is the address the harness's clients dial from in the link
// table. It is never a node: Isolate and Partition leave it connected, so
// a client can still reach an isolated node, as Jepsen's control node can.
// Only Pause (or an explicit Cut) stops its traffic to a node.
var Client = netip.IPv4Unspecified()

// Net is the simulated network between in-process nodes, each on its own
// loopback address. Every node gets an Endpoint bound to its address and
// passes it as node.Config.Network; every stream it opens and every gossip
// datagram it sends then asks Net whether the link is up.
//
// A cut link is a blackhole, not a reset: a dial across it hangs until its
// context ends; on an established connection, bytes written across it
// stall until the link heals or the write deadline passes, and bytes (or a
// close) coming from the other side are held back likewise; datagrams are
// dropped. A delayed link adds its delay to each write and to each read's
// arrival. Everything else (sockets, kernels, the nodes) is real.
//
// Net keeps the history of its states, so a checker can ask what the
// network was at any moment of a run (Connected).
type Net struct {
	dialer net.Dialer

	mu        sync.Mutex
	state     netState                          // guarded by mu
	changed   chan struct{}                     // guarded by mu; closed and replaced on every change
	closed    bool                              // guarded by mu
	nodes     []netip.Addr                      // guarded by mu; endpoints registered as nodes
	conns     map[*conn]struct{}                // guarded by mu; open connections
	lingering map[*conn]struct{}                // guarded by mu; closed locally, FIN held back by a cut
	history   []NetChange                       // guarded by mu
	observers []func(at time.Time, what string) // guarded by mu
}

// link is one direction between two addresses.
type link struct{ from, to netip.Addr }

// netState is what the network does at one moment.
type netState struct {
	cut    map[link]bool
	delay  map[link]time.Duration
	paused map[netip.Addr]bool
}

func (s netState) clone() netState {
	return netState{cut: maps.Clone(s.cut), delay: maps.Clone(s.delay), paused: maps.Clone(s.paused)}
}

// passable reports whether traffic from -> to gets through.
func (s netState) passable(from, to netip.Addr) bool {
	return !s.paused[from] && !s.paused[to] && !s.cut[link{from, to}]
}

// NetChange is one entry of the network's history: the state that held
// from At until the next change.
type NetChange struct {
	At    time.Time
	What  string
	state netState
}

// NewNet returns a network where every link is up.
func NewNet() *Net {
	n := &Net{
		state:     netState{cut: map[link]bool{}, delay: map[link]time.Duration{}, paused: map[netip.Addr]bool{}},
		changed:   make(chan struct{}),
		conns:     map[*conn]struct{}{},
		lingering: map[*conn]struct{}{},
	}
	// The initial state holds from the beginning of time, so questions
	// about moments before the first change have an answer.
	n.history = []NetChange{{What: "all links up", state: n.state.clone()}}
	return n
}

// Endpoint returns addr's view of the network, registering addr as a
// node (Isolate, Partition and Heal act on nodes). Pass it as
// node.Config.Network of the node listening on addr.
func (n *Net) Endpoint(addr netip.Addr) *Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.nodes, addr) {
		n.nodes = append(n.nodes, addr)
	}
	return &Endpoint{n: n, self: addr}
}

// ClientEndpoint returns the clients' view of the network (address
// Client); it is not a node. Its DialContext makes it a gocql Dialer.
func (n *Net) ClientEndpoint() *Endpoint { return &Endpoint{n: n, self: Client} }

// OnChange registers fn to be called (outside Net's lock) after every
// change of the network, with its description: a log of the run.
func (n *Net) OnChange(fn func(at time.Time, what string)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.observers = append(n.observers, fn)
}

// update applies f to the state under the lock, records the new state,
// wakes every waiter, and closes the lingering connections whose FIN can
// now get through.
func (n *Net) update(what string, f func(s *netState)) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	f(&n.state)
	now := time.Now()
	n.history = append(n.history, NetChange{At: now, What: what, state: n.state.clone()})
	close(n.changed)
	n.changed = make(chan struct{})
	var release []*conn
	for c := range n.lingering {
		if n.state.passable(c.local, c.remote) {
			delete(n.lingering, c)
			release = append(release, c)
		}
	}
	obs := slices.Clone(n.observers)
	n.mu.Unlock()
	for _, c := range release {
		_ = c.Conn.Close()
	}
	for _, fn := range obs {
		fn(now, what)
	}
}

// Cut drops all traffic between a and b, both ways.
func (n *Net) Cut(a, b netip.Addr) {
	n.update(fmt.Sprintf("cut %s <-> %s", a, b), func(s *netState) {
		s.cut[link{a, b}], s.cut[link{b, a}] = true, true
	})
}

// CutOneWay drops traffic from -> to; to -> from still flows. Streams need
// both directions to connect (the TCP handshake), so new connections
// either way hang; established ones stall in one direction only.
func (n *Net) CutOneWay(from, to netip.Addr) {
	n.update(fmt.Sprintf("cut %s -> %s", from, to), func(s *netState) { s.cut[link{from, to}] = true })
}

// Isolate cuts a from every other node, both ways. Clients still reach it.
func (n *Net) Isolate(a netip.Addr) {
	n.update(fmt.Sprintf("isolate %s", a), func(s *netState) {
		for _, b := range n.nodes {
			if b != a {
				s.cut[link{a, b}], s.cut[link{b, a}] = true, true
			}
		}
	})
}

// Partition cuts every node of each group from every node of the other
// groups, both ways. Nodes in no group stay connected to everyone, so
// Partition(left, right) with a node in neither is a bridge.
func (n *Net) Partition(groups ...[]netip.Addr) {
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = addrList(g)
	}
	n.update("partition "+strings.Join(parts, " | "), func(s *netState) {
		for i, g := range groups {
			for j, h := range groups {
				if i == j {
					continue
				}
				for _, a := range g {
					for _, b := range h {
						s.cut[link{a, b}] = true
					}
				}
			}
		}
	})
}

// Bridge splits the nodes in two sides that cannot see each other except
// through mid, which sees both (Jepsen's bridge, A-B-C with A and C apart).
func (n *Net) Bridge(mid netip.Addr, left, right []netip.Addr) {
	n.update(fmt.Sprintf("bridge %s | %s | %s", addrList(left), mid, addrList(right)), func(s *netState) {
		for _, a := range left {
			for _, b := range right {
				s.cut[link{a, b}], s.cut[link{b, a}] = true, true
			}
		}
	})
}

// Delay adds d to traffic from -> to (0 removes it).
func (n *Net) Delay(from, to netip.Addr, d time.Duration) {
	n.update(fmt.Sprintf("delay %s -> %s by %v", from, to, d), func(s *netState) { setDelay(s, link{from, to}, d) })
}

// DelayNode adds d to every link between a and the other nodes, both ways.
func (n *Net) DelayNode(a netip.Addr, d time.Duration) {
	n.update(fmt.Sprintf("delay %s <-> all by %v", a, d), func(s *netState) {
		for _, b := range n.nodes {
			if b != a {
				setDelay(s, link{a, b}, d)
				setDelay(s, link{b, a}, d)
			}
		}
	})
}

func setDelay(s *netState, l link, d time.Duration) {
	if d <= 0 {
		delete(s.delay, l)
		return
	}
	s.delay[l] = d
}

// Pause stops all traffic in and out of a, clients' included, as SIGSTOP
// would seen from outside. The node's own goroutines keep running.
func (n *Net) Pause(a netip.Addr) {
	n.update(fmt.Sprintf("pause %s", a), func(s *netState) { s.paused[a] = true })
}

// Resume undoes Pause.
func (n *Net) Resume(a netip.Addr) {
	n.update(fmt.Sprintf("resume %s", a), func(s *netState) { delete(s.paused, a) })
}

// Heal restores every link: no cuts, no delays, no pauses.
func (n *Net) Heal() {
	n.update("heal", func(s *netState) {
		clear(s.cut)
		clear(s.delay)
		clear(s.paused)
	})
}

// Connected reports whether a and b could exchange traffic both ways (no
// cut either way, neither paused) at every moment of [t0, t1]. Delays do
// not count as disconnection.
func (n *Net) Connected(a, b netip.Addr, t0, t1 time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range statesDuring(n.history, t0, t1) {
		if !s.passable(a, b) || !s.passable(b, a) {
			return false
		}
	}
	return true
}

// LostAt returns when a and b last stopped being connected (both ways,
// neither paused) at or before t, and the change that did it; ok is false
// when they were connected at t.
func (n *Net) LostAt(a, b netip.Addr, t time.Time) (at time.Time, what string, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	connected := func(s netState) bool { return s.passable(a, b) && s.passable(b, a) }
	i := len(n.history) - 1
	for i > 0 && n.history[i].At.After(t) {
		i--
	}
	if connected(n.history[i].state) {
		return time.Time{}, "", false
	}
	for i > 0 && !connected(n.history[i-1].state) {
		i--
	}
	return n.history[i].At, n.history[i].What, true
}

// statesDuring returns the states in effect at some moment of [t0, t1]:
// the one in effect at t0 and every later one set up to t1.
func statesDuring(h []NetChange, t0, t1 time.Time) []netState {
	i := 0
	for j, c := range h {
		if !c.At.After(t0) {
			i = j
		}
	}
	var out []netState
	for _, c := range h[i:] {
		if c.At.After(t1) {
			break
		}
		out = append(out, c.state)
	}
	return out
}

// History returns the changes so far, oldest first.
func (n *Net) History() []NetChange {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.history)
}

// Close ends the simulation: waiters fail with net.ErrClosed, every
// connection opened through the network is closed, and later dials fail.
// Nodes should be stopped first.
func (n *Net) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	close(n.changed)
	var all []*conn
	for c := range n.conns {
		all = append(all, c)
	}
	for c := range n.lingering {
		all = append(all, c)
	}
	clear(n.conns)
	clear(n.lingering)
	n.mu.Unlock()
	for _, c := range all {
		c.closeOnce.Do(func() { close(c.closed) })
		_ = c.Conn.Close()
	}
	return nil
}

// OpenConns counts the connections opened through the network and not
// yet fully closed (lingering ones included), for leak checks.
func (n *Net) OpenConns() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.conns) + len(n.lingering)
}

// look reads the state under the lock: f gets the current state and the
// channel closed at the next change. It fails once the network is closed.
func (n *Net) look(f func(s *netState)) (<-chan struct{}, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	f(&n.state)
	return n.changed, nil
}

// Endpoint is one address's view of the network: it implements
// node.Network for a node and gocql.Dialer for clients.
type Endpoint struct {
	n    *Net
	self netip.Addr
}

// Addr is the endpoint's own address.
func (e *Endpoint) Addr() netip.Addr { return e.self }

// Dial connects to addr once the link is up both ways (the handshake needs
// both), after the links' delays; across a cut it hangs until ctx ends.
func (e *Endpoint) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	to, err := hostOf(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	if err := e.waitDialable(ctx, to); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: tcpAddr(addr), Err: err}
	}
	nc, err := e.n.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := newConn(e.n, nc, e.self, to)
	e.n.mu.Lock()
	if e.n.closed {
		e.n.mu.Unlock()
		_ = nc.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: tcpAddr(addr), Err: net.ErrClosed}
	}
	e.n.conns[c] = struct{}{}
	e.n.mu.Unlock()
	return c, nil
}

// DialContext is Dial under gocql.Dialer's name.
func (e *Endpoint) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return e.Dial(ctx, network, addr)
}

func (e *Endpoint) waitDialable(ctx context.Context, to netip.Addr) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var readyAt time.Time
	for {
		var ok bool
		var rtt time.Duration
		changed, err := e.n.look(func(s *netState) {
			ok = s.passable(e.self, to) && s.passable(to, e.self)
			rtt = s.delay[link{e.self, to}] + s.delay[link{to, e.self}]
		})
		if err != nil {
			return err
		}
		var wake <-chan time.Time
		if ok {
			if readyAt.IsZero() {
				readyAt = time.Now().Add(rtt)
			}
			left := time.Until(readyAt)
			if left <= 0 {
				return nil
			}
			timer = resetTimer(timer, left)
			wake = timer.C
		} else {
			readyAt = time.Time{}
		}
		select {
		case <-changed:
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Send decides a gossip datagram's fate: dropped across a cut or a pause,
// delivered after the link's delay otherwise. Addresses that are not in
// the simulation are delivered at once.
func (e *Endpoint) Send(addr string) (time.Duration, bool) {
	to, err := hostOf(addr)
	if err != nil {
		return 0, true
	}
	var ok bool
	var d time.Duration
	if _, err := e.n.look(func(s *netState) {
		ok = s.passable(e.self, to)
		d = s.delay[link{e.self, to}]
	}); err != nil {
		return 0, false
	}
	return d, ok
}

func hostOf(addr string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("address %q: %w", addr, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("address %q is not an IP address: %w", addr, err)
	}
	return a.Unmap(), nil
}

func tcpAddr(addr string) net.Addr {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil
	}
	return net.TCPAddrFromAddrPort(ap)
}

func addrList(as []netip.Addr) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}

// resetTimer returns t (or a new timer) set to fire after d.
func resetTimer(t *time.Timer, d time.Duration) *time.Timer {
	if t == nil {
		return time.NewTimer(d)
	}
	t.Reset(d)
	return t
}
