package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/sibyldb/sibyl/ring"
)

// This file is the only importer of hashicorp/memberlist. memberlist
// decides which nodes are alive; its callbacks only decode the node
// metadata and enqueue a gossipEvent. One goroutine (peers.go, the peer
// table's apply loop) drains the queue, so ring snapshots are built by a
// single writer and the callbacks never block on node state.

// gossipConfig returns memberlist's LAN profile with the overrides Sibyl
// needs, each with its reason.
func gossipConfig(name, bindAddr string, port int, d *gossipDelegate, logger *slog.Logger) *memberlist.Config {
	c := memberlist.DefaultLANConfig()
	// The node's permanent host id names it: a restarted node rejoins under
	// the same name (memberlist then refutes its old death), and two nodes
	// can never collide, as hostnames would on one machine.
	c.Name = name
	// Every port of a node binds its listen address, so several nodes can
	// share port numbers on 127.0.0.1, 127.0.0.2, ...
	c.BindAddr, c.AdvertiseAddr = bindAddr, bindAddr
	c.BindPort, c.AdvertisePort = port, port
	// Probe every 500 ms with a 250 ms timeout and suspect for 3 intervals
	// (scaled by log n): memberlist declares a killed node dead in about 2 s on a
	// LAN (peers.go adds a 0.5 s grace before routing around it),
	// so coordinators stop waiting on it and store hints instead. The
	// defaults (1 s, 500 ms, x4) take about 5 s.
	c.ProbeInterval = 500 * time.Millisecond
	c.ProbeTimeout = 250 * time.Millisecond
	c.SuspicionMult = 3
	// Lifeguard's suspicion starts at SuspicionMaxTimeoutMult times the
	// minimum and shrinks as other members confirm; in a small cluster
	// there are few to confirm, so the default (6, i.e. 9 s here) was
	// what an isolated node's peers waited. Twice the minimum keeps
	// detection within about 3 s.
	c.SuspicionMaxTimeoutMult = 2
	// Push-pull and join streams: a partitioned peer's dial hangs until
	// this timeout, and the re-join loop tries every lost peer in turn.
	c.TCPTimeout = 2 * time.Second
	// Gossip metadata changes (status, schema version) every 100 ms, so
	// drivers' schema-agreement checks after DDL see every node converge
	// well under a second.
	c.GossipInterval = 100 * time.Millisecond
	// Full-state sync every 10 s instead of 30 s: cheap for the tens of
	// nodes Sibyl targets, and it heals missed broadcasts sooner.
	c.PushPullInterval = 10 * time.Second
	// Dead nodes keep their ring position (Cassandra semantics: down means
	// route around and hint). Reclaiming a dead node's name at once lets a
	// restarted node come back even if its address changed.
	c.DeadNodeReclaimTime = time.Nanosecond
	c.Delegate = d
	c.Events = d
	c.Alive = d.adm
	c.Merge = d.adm
	c.Logger = log.New(&slogWriter{log: logger}, "", 0)
	return c
}

// slogWriter routes memberlist's "[LEVEL] memberlist: message" log lines
// into slog at the matching level.
type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for prefix, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo,
		"[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError} {
		if strings.HasPrefix(line, prefix) {
			level, line = l, strings.TrimSpace(strings.TrimPrefix(line, prefix))
			break
		}
	}
	w.log.Log(context.Background(), level, line)
	return len(p), nil
}

// gossipEventKind says what happened to a member.
type gossipEventKind uint8

const (
	evAlive   gossipEventKind = iota + 1 // joined, came back, or changed its metadata
	evDead                               // failed (memberlist declared it dead)
	evLeft                               // left the cluster on purpose
	evTokens                             // its tokens arrived over messaging
	evSchema                             // it acknowledged a schema version
	evRemoved                            // an operator removed it (removenode)
	evRefresh                            // self changed: republish the view
	evRetired                            // peers told us of removed or decommissioned ids
)

// gossipEvent is one change for the peer table's apply loop.
type gossipEvent struct {
	kind   gossipEventKind
	meta   nodeMeta // evAlive: the member's decoded metadata
	id     ring.HostID
	tokens []ring.Token  // evTokens
	schema [16]byte      // evSchema
	ids    []ring.HostID // evRetired
}

// eventQueue is an unbounded FIFO: producers (memberlist callbacks) never
// block, and the single consumer waits on Ready.
type eventQueue struct {
	mu    sync.Mutex
	items []gossipEvent // guarded by mu
	ready chan struct{} // capacity 1: "items may be non-empty"
}

func newEventQueue() *eventQueue { return &eventQueue{ready: make(chan struct{}, 1)} }

// Push appends ev; it never blocks.
func (q *eventQueue) Push(ev gossipEvent) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled after Push.
func (q *eventQueue) Ready() <-chan struct{} { return q.ready }

// Drain returns every queued event and empties the queue.
func (q *eventQueue) Drain() []gossipEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = nil
	return out
}

// gossipDelegate adapts memberlist's Delegate and EventDelegate. memberlist
// may call these from many goroutines; each only reads atomics or pushes
// to the queue, and none blocks.
type gossipDelegate struct {
	meta  func() nodeMeta // this node's current metadata
	queue *eventQueue
	adm   *admission // who may be a member; its state rides on push-pull
	log   *slog.Logger

	// members is memberlist's live membership as its events report it:
	// name to gossip address and metadata. memberlist's own Members()
	// hands out nodes it keeps updating under its lock, so reading their
	// fields races; the events are delivered under that lock instead.
	mu      sync.Mutex
	members map[string]liveMember // guarded by mu
}

// liveMember is one alive (or suspect) member as its last event said.
type liveMember struct {
	addr string // gossip host:port
	meta []byte
}

// record notes a member's latest address and metadata, or (n nil) its
// departure.
func (d *gossipDelegate) record(name string, n *memberlist.Node) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members == nil {
		d.members = make(map[string]liveMember)
	}
	if n == nil {
		delete(d.members, name)
		return
	}
	d.members[name] = liveMember{addr: n.Address(), meta: append([]byte(nil), n.Meta...)}
}

// live returns a copy of the live membership.
func (d *gossipDelegate) live() []liveMember {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]liveMember, 0, len(d.members))
	for _, m := range d.members {
		out = append(out, m)
	}
	return out
}

var (
	_ memberlist.Delegate      = (*gossipDelegate)(nil)
	_ memberlist.EventDelegate = (*gossipDelegate)(nil)
)

// NodeMeta returns this node's encoded metadata.
func (d *gossipDelegate) NodeMeta(limit int) []byte {
	b := d.meta().append(nil)
	if len(b) > limit {
		d.log.Error("gossip metadata exceeds memberlist's limit; shorten dc or rack", "size", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg and GetBroadcasts are unused: tokens and schemas travel over
// messaging, which has deadlines and no size limit.
func (d *gossipDelegate) NotifyMsg([]byte)                           {}
func (d *gossipDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

// LocalState and MergeRemoteState carry admission's state (cluster name,
// retired host ids) in every push-pull exchange, joins included.
func (d *gossipDelegate) LocalState(join bool) []byte { return d.adm.pushPullState() }
func (d *gossipDelegate) MergeRemoteState(buf []byte, join bool) {
	d.adm.mergePushPullState(buf)
}

func (d *gossipDelegate) NotifyJoin(n *memberlist.Node)   { d.alive(n) }
func (d *gossipDelegate) NotifyUpdate(n *memberlist.Node) { d.alive(n) }

func (d *gossipDelegate) NotifyLeave(n *memberlist.Node) {
	d.record(n.Name, nil)
	id, err := ring.ParseHostID(n.Name)
	if err != nil {
		d.log.Warn("ignoring a gossip member that is not a Sibyl node", "name", n.Name)
		return
	}
	// memberlist does not fill n.State here; a node that leaves says so
	// in its metadata first.
	kind := evDead
	if m, err := decodeNodeMeta(n.Meta); err == nil && m.Left {
		kind = evLeft
	}
	d.queue.Push(gossipEvent{kind: kind, id: id})
}

func (d *gossipDelegate) alive(n *memberlist.Node) {
	d.record(n.Name, n)
	m, err := decodeNodeMeta(n.Meta)
	if err != nil {
		d.log.Warn("ignoring gossip member with unreadable metadata", "name", n.Name, "err", err)
		return
	}
	d.queue.Push(gossipEvent{kind: evAlive, id: m.HostID, meta: m})
}

// nodeMeta is what every node gossips about itself. It must stay well
// under memberlist's 512-byte limit; tokens are fetched over messaging.
type nodeMeta struct {
	HostID   ring.HostID
	Status   ring.Status
	Stopping bool // shutting down: peers mark it down at once
	Left     bool // decommissioned: peers remove it from the ring
	// Allocating: choosing its tokens (tokens_join.go); other new nodes
	// order their allocations after it by host id.
	Allocating bool
	Schema     [16]byte
	Addr       netip.Addr
	MsgPort    uint16
	CQLPort    uint16
	AdminPort  uint16
	NumTokens  uint16
	DC, Rack   string
	// Since version 2: the gossip port, so peers can re-join a node they
	// lost (even from a persisted peer table), and the cluster name, so
	// no node ever admits a member of another cluster.
	GossipPort  uint16
	ClusterName string
}

// nodeMetaVersion is written; version 1 (without gossip port and cluster
// name) is still read, from persisted peer tables and older peers.
const nodeMetaVersion = 2

// errBadMeta is returned (wrapped) for undecodable gossip metadata.
var errBadMeta = errors.New("node: malformed gossip metadata")

func (m nodeMeta) append(b []byte) []byte {
	b = append(b, nodeMetaVersion)
	b = append(b, m.HostID[:]...)
	flags := byte(0)
	if m.Stopping {
		flags |= 1
	}
	if m.Left {
		flags |= 2
	}
	if m.Allocating {
		flags |= 4
	}
	b = append(b, byte(m.Status), flags)
	b = append(b, m.Schema[:]...)
	addr := m.Addr.AsSlice()
	b = append(b, byte(len(addr)))
	b = append(b, addr...)
	for _, p := range []uint16{m.MsgPort, m.CQLPort, m.AdminPort, m.NumTokens} {
		b = binary.BigEndian.AppendUint16(b, p)
	}
	b = appendShortString(b, m.DC)
	b = appendShortString(b, m.Rack)
	b = binary.BigEndian.AppendUint16(b, m.GossipPort)
	return appendShortString(b, m.ClusterName)
}

func appendShortString(b []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// metaReader decodes with bounds checks; the first failure sticks.
type metaReader struct {
	b   []byte
	err error
}

func (r *metaReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated %s", errBadMeta, what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *metaReader) byte(what string) byte {
	if b := r.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (r *metaReader) uint16(what string) uint16 {
	if b := r.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *metaReader) shortString(what string) string {
	n := int(r.byte(what))
	return string(r.take(n, what))
}

// decodeNodeMeta decodes gossip metadata received from a peer.
func decodeNodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	r := &metaReader{b: b}
	v := r.byte("version")
	if r.err == nil && v != 1 && v != nodeMetaVersion {
		return m, fmt.Errorf("%w: version %d", errBadMeta, v)
	}
	copy(m.HostID[:], r.take(16, "host id"))
	m.Status = ring.Status(r.byte("status"))
	flags := r.byte("flags")
	m.Stopping, m.Left, m.Allocating = flags&1 != 0, flags&2 != 0, flags&4 != 0
	copy(m.Schema[:], r.take(16, "schema version"))
	addr, ok := netip.AddrFromSlice(r.take(int(r.byte("address length")), "address"))
	m.Addr = addr
	m.MsgPort, m.CQLPort = r.uint16("messaging port"), r.uint16("cql port")
	m.AdminPort, m.NumTokens = r.uint16("admin port"), r.uint16("token count")
	m.DC, m.Rack = r.shortString("dc"), r.shortString("rack")
	if v >= 2 {
		m.GossipPort, m.ClusterName = r.uint16("gossip port"), r.shortString("cluster name")
	}
	switch {
	case r.err != nil:
		return nodeMeta{}, r.err
	case len(r.b) != 0:
		return nodeMeta{}, fmt.Errorf("%w: %d trailing bytes", errBadMeta, len(r.b))
	case !ok:
		return nodeMeta{}, fmt.Errorf("%w: bad address", errBadMeta)
	case m.HostID.IsZero() || !m.Status.Valid():
		return nodeMeta{}, fmt.Errorf("%w: zero host id or unknown status %d", errBadMeta, m.Status)
	}
	return m, nil
}

// gossipAddr is the member's gossip address, "" when unknown (version 1
// metadata, or an ephemeral port not yet bound).
func (m nodeMeta) gossipAddr() string {
	if m.GossipPort == 0 || !m.Addr.IsValid() {
		return ""
	}
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.GossipPort)))
}

// msgAddr is the member's internode messaging address.
func (m nodeMeta) msgAddr() string {
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.MsgPort)))
}

// gossiper owns the memberlist instance.
type gossiper struct {
	ml    *memberlist.Memberlist
	d     *gossipDelegate // its events' view of the live members
	bound int             // the gossip port actually bound; immutable
	seeds []string        // host:port, never this node itself
	// selfSeed is set when this node is one of its own seeds: as in
	// Cassandra, a seed starts a cluster on its own rather than wait for
	// another seed, and never bootstraps. In Kubernetes every pod of a
	// StatefulSet lists the same seeds by DNS name, pod 0 among them.
	selfSeed bool
	log      *slog.Logger
}

// startGossip binds memberlist on addr:port (0 picks a free port) and
// returns it not yet joined; join runs in the node's task group.
func startGossip(name string, addr netip.Addr, port int, seeds []string, nw Network, key []byte, d *gossipDelegate, logger *slog.Logger) (*gossiper, error) {
	cfg := gossipConfig(name, addr.String(), port, d, logger)
	// With a key, memberlist encrypts and authenticates every datagram
	// and stream (AES-GCM) and drops what it cannot decrypt, so a node
	// without the key cannot join (server_encryption_options).
	cfg.SecretKey = key
	if nw != nil {
		t, err := newFaultTransport(addr.String(), port, nw, cfg)
		if err != nil {
			return nil, err
		}
		cfg.Transport = t
	}
	ml, err := memberlist.Create(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot start gossip on %s:%d: %w", addr, port, err)
	}
	// LocalNode points into memberlist's state, which its goroutines update
	// under their lock: read the port once, before anything gossips.
	bound := int(ml.LocalNode().Port)
	self := net.JoinHostPort(addr.String(), strconv.Itoa(bound))
	g := &gossiper{ml: ml, d: d, bound: bound, log: logger}
	for _, s := range seeds {
		hp := seedAddr(s, port)
		if hp == self || (nw == nil && resolvesTo(hp, addr, bound)) {
			g.selfSeed = true
			continue
		}
		g.seeds = append(g.seeds, hp)
	}
	return g, nil
}

// seedLookupTimeout bounds the DNS lookup of one seed's name at start.
const seedLookupTimeout = 2 * time.Second

// resolvesTo reports whether the seed host:port, given by name, names this
// node: the name resolves to addr and the port is the one bound. A name
// that does not resolve (yet) is not this node; memberlist resolves it
// again on every join.
func resolvesTo(hostPort string, addr netip.Addr, port int) bool {
	host, p, err := net.SplitHostPort(hostPort)
	if err != nil || p != strconv.Itoa(port) {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return false // an address, already compared as text
	}
	ctx, cancel := context.WithTimeout(context.Background(), seedLookupTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if ip.Unmap() == addr.Unmap() {
			return true
		}
	}
	return false
}

// seedAddr adds the default gossip port to a seed given as a bare host.
func seedAddr(seed string, port int) string {
	seed = strings.TrimSpace(seed)
	if _, _, err := net.SplitHostPort(seed); err == nil {
		return seed
	}
	if port == 0 {
		port = DefaultGossipPort
	}
	return net.JoinHostPort(seed, strconv.Itoa(port))
}

// port is the gossip port actually bound.
func (g *gossiper) port() int { return g.bound }

// aliveAddrs is the set of gossip addresses memberlist sees alive or
// suspect (not dead, not left), this node included.
func (g *gossiper) aliveAddrs() map[string]bool {
	out := make(map[string]bool)
	for _, m := range g.d.live() {
		out[m.addr] = true
	}
	return out
}

// announce broadcasts this node's changed metadata.
func (g *gossiper) announce() {
	if err := g.ml.UpdateNode(time.Second); err != nil {
		g.log.Debug("gossip metadata broadcast still queued", "err", err) // it goes out with the next gossip round
	}
}

// leave tells the cluster this node is gone for good (decommission).
func (g *gossiper) leave(timeout time.Duration) error {
	if err := g.ml.Leave(timeout); err != nil {
		return fmt.Errorf("cannot leave the gossip cluster: %w", err)
	}
	return nil
}

// shutdown stops memberlist's goroutines and sockets.
func (g *gossiper) shutdown() error {
	if err := g.ml.Shutdown(); err != nil {
		return fmt.Errorf("cannot stop gossip: %w", err)
	}
	return nil
}
