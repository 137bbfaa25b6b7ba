package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/ring"
)

// cluster is a node's view of the other nodes and its means of reaching
// them: gossip (membership and liveness), messaging (the verbs of
// remote.go), hinted handoff and schema propagation. One goroutine, the
// apply loop, owns the peer table; everyone else reads the immutable
// clusterView it publishes.
type cluster struct {
	n        *Node // the composition root; cluster is one of its parts
	log      *slog.Logger
	queue    *eventQueue
	gossip   *gossiper
	msg      *messaging.Messenger
	msgLn    net.Listener // owned by msg once Serve is called
	msgPort  int
	view     atomic.Pointer[clusterView]
	status   atomic.Uint32 // this node's ring.Status
	stopping atomic.Bool
	left     atomic.Bool // decommissioned
	crashed  atomic.Bool // Kill: stopped without a word to anyone
	// gossipPort is the gossip port bound (known once memberlist is
	// created when the configured port is ephemeral).
	gossipPort atomic.Uint32
	// allocating is set while a new node chooses its tokens.
	allocating atomic.Bool
	hints      *hintManager // nil with the null backend
	adm        *admission   // who may be a member (admission.go)
	// bootstrapping is set by New when the node must stream its ranges
	// before it turns normal.
	bootstrapping bool
	schema        *schemaSync

	// Owned by the apply loop.
	peers    map[ring.HostID]*peerState
	fetching map[ring.HostID]bool // token fetches in flight
	cameUp   bool                 // a peer came up in the current batch
	// dying holds peers gossip reported dead, from when: they are marked
	// down only if no sign of life follows within deathGrace.
	dying map[ring.HostID]time.Time
}

// peerState is the apply loop's record of one other node.
type peerState struct {
	meta      nodeMeta
	tokens    []ring.Token // nil until fetched
	up        bool
	downSince time.Time
	inRing    bool // announced to clients (NEW_NODE): in the ring and not joining
	retired   bool // decommissioned: out of the ring, reachable until gone
}

// clusterView is an immutable snapshot of the peer table.
type clusterView struct {
	peers map[ring.HostID]*peerView
}

// peerView is one peer as readers see it; never modified once published.
type peerView struct {
	meta      nodeMeta
	tokens    []ring.Token
	up        bool
	downSince time.Time
	retired   bool // out of the ring; reachable for requests in flight
	remote    *remoteReplica
}

// peer returns the replica of node id and whether it is up; it is the
// coordinator's Peer function.
func (c *cluster) peer(id ring.HostID) (replica, bool) {
	p := c.view.Load().peers[id]
	if p == nil || !p.up || p.remote == nil {
		return nil, false
	}
	return p.remote, true
}

// selfMeta is this node's current gossip metadata.
func (c *cluster) selfMeta() nodeMeta {
	n := c.n
	return nodeMeta{
		HostID: n.id.hostID, Status: ring.Status(c.status.Load()), Stopping: c.stopping.Load(), Left: c.left.Load(), Allocating: c.allocating.Load(),
		Schema: n.schema.Catalog().Version(), Addr: n.addr,
		MsgPort: uint16(c.msgPort), CQLPort: uint16(n.cqlInfo.local.RPCPort), AdminPort: uint16(n.adminPort()),
		NumTokens: uint16(len(n.id.tokens)), DC: n.cfg.DataCenter, Rack: n.cfg.Rack,
		GossipPort: uint16(c.gossipPort.Load()), ClusterName: n.cfg.ClusterName,
	}
}

// run is the apply loop: it drains gossip events, updates the peer table,
// republishes the view and the ring, and retries token fetches.
func (c *cluster) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var grace <-chan time.Time
		if len(c.dying) > 0 {
			grace = time.After(deathGrace / 4)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.queue.Ready():
		case <-tick.C:
		case <-grace:
		}
		ringChanged := false
		for _, ev := range c.queue.Drain() {
			ringChanged = c.apply(ctx, ev) || ringChanged
		}
		c.buryDying()
		c.fetchMissingTokens(ctx)
		c.publish(ringChanged)
		if c.cameUp && c.hints != nil {
			c.hints.peerUp() // replay at once, now that the view says so
		}
		c.cameUp = false
	}
}

// apply records one event; it reports whether the ring must be rebuilt.
func (c *cluster) apply(ctx context.Context, ev gossipEvent) bool {
	if ev.id == c.n.id.hostID {
		return ev.kind == evRefresh
	}
	p := c.peers[ev.id]
	switch ev.kind {
	case evAlive:
		if ev.meta.Left {
			return c.retire(ev.id)
		}
		if c.adm.isRetired(ev.id) {
			return false // removed for good; admission refuses it too
		}
		if p == nil {
			p = &peerState{}
			c.peers[ev.id] = p
		}
		return c.applyAlive(ctx, p, ev.meta)
	case evDead:
		if p == nil {
			return false
		}
		if p.retired {
			c.markDown(p)
			return c.remove(ev.id)
		}
		if p.up {
			if c.dying == nil {
				c.dying = make(map[ring.HostID]time.Time)
			}
			if _, ok := c.dying[ev.id]; !ok {
				c.dying[ev.id] = time.Now()
			}
		}
	case evLeft:
		c.retireID(ev.id)
		if p == nil {
			return false
		}
		c.markDown(p)
		return c.remove(ev.id)
	case evTokens:
		// The fetch is over, whether it worked or not: a failed one (nil
		// tokens) is retried on the next tick.
		delete(c.fetching, ev.id)
		if p != nil && p.tokens == nil && ev.tokens != nil && !p.meta.Allocating {
			p.tokens = ev.tokens
			return true
		}
	case evSchema:
		if p != nil {
			p.meta.Schema = ev.schema
		}
	case evRemoved:
		c.retireID(ev.id)
		return c.remove(ev.id)
	case evRetired:
		c.saveRetired()
		changed := false
		for _, id := range ev.ids {
			if p := c.peers[id]; p != nil && p.up {
				changed = c.retire(id) || changed
			} else {
				changed = c.remove(id) || changed
			}
		}
		return changed
	case evRefresh:
		return true
	}
	return false
}

// deathGrace is how long a peer gossip reports dead stays up in this
// node's view unless it shows a sign of life. memberlist spreads death
// verdicts: a node just back from a partition tells its peers that the
// nodes it could not reach are dead, and those refute it within a gossip
// round or two. Without the grace a coordinator that never lost sight of
// them would mark them down for that moment and answer Unavailable.
// A real failure is routed around deathGrace later.
const deathGrace = 500 * time.Millisecond

// buryDying marks down the peers reported dead more than deathGrace ago
// that showed no sign of life since.
func (c *cluster) buryDying() {
	for id, since := range c.dying {
		if time.Since(since) < deathGrace {
			continue
		}
		delete(c.dying, id)
		if p := c.peers[id]; p != nil {
			c.markDown(p)
		}
	}
}

func (c *cluster) applyAlive(ctx context.Context, p *peerState, m nodeMeta) bool {
	delete(c.dying, m.HostID) // alive after all
	ringChanged := p.meta.Status != m.Status || p.meta.DC != m.DC || p.meta.Rack != m.Rack
	addrChanged := p.meta.msgAddr() != m.msgAddr()
	if m.Allocating {
		// A joining peer is choosing its tokens: whatever was fetched
		// before is about to be replaced, so fetch again once it is done.
		p.tokens = nil
	}
	p.meta = m
	switch {
	case m.Stopping:
		c.markDown(p)
	case !p.up:
		p.up, p.downSince = true, time.Time{}
		c.msg.Disconnect(m.msgAddr()) // a restarted peer: forget the dead connection and its backoff
		if p.inRing {
			c.n.publish(exec.Event{Type: exec.EventStatusChange, Change: "UP", Addr: m.rpcAddr()})
		}
		c.log.Info("peer is up", "host_id", m.HostID, "addr", m.Addr)
		c.cameUp = true
	}
	if addrChanged {
		ringChanged = true
	}
	if c.schema != nil && m.Schema != c.n.schema.Catalog().Version() {
		c.schema.pullFrom(ctx, m.HostID, m.msgAddr(), m.Schema)
	}
	return ringChanged
}

func (c *cluster) markDown(p *peerState) {
	if !p.up {
		return
	}
	p.up, p.downSince = false, c.n.cfg.Now()
	c.log.Info("peer is down", "host_id", p.meta.HostID, "addr", p.meta.Addr)
	if p.inRing {
		c.n.publish(exec.Event{Type: exec.EventStatusChange, Change: "DOWN", Addr: p.meta.rpcAddr()})
	}
}

// retire takes a decommissioned node out of the ring and out of what
// clients see, but keeps it reachable while it is up: writes computed on
// the previous ring may still be on their way to it. It is forgotten once
// gossip says it is gone.
func (c *cluster) retire(id ring.HostID) bool {
	p := c.peers[id]
	if p == nil || p.retired {
		return false
	}
	p.retired = true
	c.retireID(id)
	if p.inRing {
		c.n.publish(exec.Event{Type: exec.EventTopologyChange, Change: "REMOVED_NODE", Addr: p.meta.rpcAddr()})
		p.inRing = false
	}
	c.log.Info("peer left the ring", "host_id", id)
	return true
}

// retireID records that id left the cluster for good (decommissioned or
// removed): it may never rejoin under that identity.
func (c *cluster) retireID(id ring.HostID) {
	if c.adm.add([]ring.HostID{id}) {
		c.saveRetired()
	}
}

// saveRetired persists admission's retired set.
func (c *cluster) saveRetired() {
	if c.n.engine == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.n.engine.SetLocal(ctx, metaRetired, c.adm.encodeRetired()); err != nil {
		c.log.Warn("cannot persist the retired host ids", "err", err)
	}
}

// remove forgets a node for good (it left, or an operator removed it).
func (c *cluster) remove(id ring.HostID) bool {
	p := c.peers[id]
	if p == nil {
		return false
	}
	delete(c.peers, id)
	if p.inRing {
		c.n.publish(exec.Event{Type: exec.EventTopologyChange, Change: "REMOVED_NODE", Addr: p.meta.rpcAddr()})
	}
	c.log.Info("peer removed from the ring", "host_id", id)
	return true
}

func (m nodeMeta) rpcAddr() netip.AddrPort { return netip.AddrPortFrom(m.Addr, m.CQLPort) }

// fetchMissingTokens asks every up peer whose tokens are unknown for them;
// answers come back as evTokens.
func (c *cluster) fetchMissingTokens(ctx context.Context) {
	for id, p := range c.peers {
		if p.tokens != nil || !p.up || p.retired || p.meta.Allocating || c.fetching[id] {
			continue
		}
		c.fetching[id] = true
		addr := p.meta.msgAddr()
		err := c.n.group.Go("node.gossip: fetch tokens", func(ctx context.Context) error {
			c.fetchTokens(ctx, id, addr)
			return nil
		})
		if err != nil {
			return // shutting down
		}
	}
}

func (c *cluster) fetchTokens(ctx context.Context, id ring.HostID, addr string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.msg.Request(ctx, addr, verbTokens, nil)
	var tokens []ring.Token
	if err == nil {
		tokens, err = decodeTokens(resp)
	}
	if err != nil {
		c.log.Debug("cannot fetch a peer's tokens; will retry", "host_id", id, "err", err)
		c.queue.Push(gossipEvent{kind: evTokens, id: id}) // clears the in-flight mark
		return
	}
	c.queue.Push(gossipEvent{kind: evTokens, id: id, tokens: tokens})
}

// publish rebuilds the ring when needed and publishes a new view.
func (c *cluster) publish(ringChanged bool) {
	for id := range c.fetching {
		if p := c.peers[id]; p == nil || p.tokens != nil {
			delete(c.fetching, id)
		}
	}
	if ringChanged {
		c.rebuildRing()
	}
	v := &clusterView{peers: make(map[ring.HostID]*peerView, len(c.peers))}
	old := c.view.Load()
	for id, p := range c.peers {
		pv := &peerView{meta: p.meta, tokens: p.tokens, up: p.up, downSince: p.downSince, retired: p.retired}
		if prev := old.peers[id]; prev != nil && prev.remote != nil && prev.remote.msg == c.msg && prev.remote.addr == p.meta.msgAddr() {
			pv.remote = prev.remote
		} else {
			pv.remote = &remoteReplica{msg: c.msg, addr: p.meta.msgAddr()}
		}
		v.peers[id] = pv
	}
	c.view.Store(v)
	if ringChanged {
		c.savePeers()
	}
}

// rebuildRing builds a ring snapshot of this node and every peer whose
// tokens are known, and stores it in the node's atomic pointer.
func (c *cluster) rebuildRing() {
	prev := c.n.ring.Load()
	b := ring.NewBuilder(nil).SetVersion(prev.Version() + 1)
	b.Upsert(ring.Node{ID: c.n.id.hostID, Addr: net.JoinHostPort(c.n.addr.String(), strconv.Itoa(c.msgPort)),
		DC: c.n.cfg.DataCenter, Rack: c.n.cfg.Rack, Status: ring.Status(c.status.Load()), Tokens: c.n.id.tokens})
	owner := make(map[ring.Token]ring.HostID)
	for _, t := range c.n.id.tokens {
		owner[t] = c.n.id.hostID
	}
	for _, id := range c.sortedPeerIDs() {
		p := c.peers[id]
		if p.tokens == nil || p.retired || c.collides(owner, id, p.tokens) {
			continue
		}
		b.Upsert(ring.Node{ID: id, Addr: p.meta.msgAddr(), DC: p.meta.DC, Rack: p.meta.Rack, Status: p.meta.Status, Tokens: p.tokens})
	}
	snap, err := b.Build()
	if err != nil {
		c.log.Error("cannot rebuild the ring; keeping the previous one", "err", err)
		return
	}
	c.n.ring.Store(snap)
	for _, p := range c.peers {
		// Drivers learn of a node once it serves reads (system.peers hides
		// joining nodes), so NEW_NODE waits for that too.
		if p.tokens != nil && p.meta.Status != ring.StatusJoining && !p.inRing && !p.retired {
			p.inRing = true
			c.n.publish(exec.Event{Type: exec.EventTopologyChange, Change: "NEW_NODE", Addr: p.meta.rpcAddr()})
			c.log.Info("peer joined the ring", "host_id", p.meta.HostID, "addr", p.meta.Addr, "status", p.meta.Status)
		}
	}
}

func (c *cluster) sortedPeerIDs() []ring.HostID {
	ids := make([]ring.HostID, 0, len(c.peers))
	for id := range c.peers {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ring.HostID) int { return a.Compare(b) })
	return ids
}

// collides reports whether tokens clash with those already placed in
// owner (this node's, then peers' in host id order, so every node makes
// the same choice), and records them otherwise. A node whose tokens clash
// stays out of the ring: a ring cannot give one token two owners, and the
// rest of the cluster must keep working. Allocation makes this rare.
func (c *cluster) collides(owner map[ring.Token]ring.HostID, id ring.HostID, tokens []ring.Token) bool {
	for _, t := range tokens {
		if other, taken := owner[t]; taken && other != id {
			c.log.Error("node left out of the ring: it claims a token another node owns; wipe and restart it",
				"host_id", id, "token", t, "owner", other)
			return true
		}
	}
	for _, t := range tokens {
		owner[t] = id
	}
	return false
}

// Peers describes every other node for system.peers and peers_v2.
func (c *cluster) Peers() []exec.NodeInfo {
	v := c.view.Load()
	out := make([]exec.NodeInfo, 0, len(v.peers))
	for id, p := range v.peers {
		if p.tokens == nil || p.meta.Status == ring.StatusJoining || p.retired {
			continue // not serving reads (yet, or any more): drivers would route to it
		}
		toks := make([]int64, len(p.tokens))
		for i, t := range p.tokens {
			toks[i] = int64(t)
		}
		out = append(out, exec.NodeInfo{
			HostID: id, Address: p.meta.Addr, RPCAddress: p.meta.Addr, RPCPort: int(p.meta.CQLPort),
			DataCenter: p.meta.DC, Rack: p.meta.Rack, Tokens: toks, SchemaVersion: p.meta.Schema,
			ReleaseVersion: ReleaseVersion, Up: p.up,
		})
	}
	slices.SortFunc(out, func(a, b exec.NodeInfo) int { return a.Address.Compare(b.Address) })
	return out
}

// The peer table survives restarts in storage's local metadata space, so
// a node that restarts while its peers are down still knows the ring (and
// never believes it owns every token alone).
const metaPeers = "peers"

// savePeers persists the peers whose tokens are known.
func (c *cluster) savePeers() {
	if c.n.engine == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.n.engine.SetLocal(ctx, metaPeers, encodePeerTable(c.peers)); err != nil {
		c.log.Warn("cannot persist the peer table", "err", err)
	}
}

// loadPeers restores the persisted peer table, every peer down until
// gossip says otherwise.
func (c *cluster) loadPeers() error {
	if c.n.engine == nil {
		return nil
	}
	b, found, err := c.n.engine.GetLocal(metaPeers)
	if err != nil || !found {
		return err
	}
	peers, err := decodePeerTable(b)
	if err != nil {
		c.log.Warn("ignoring a corrupt persisted peer table", "err", err)
		return nil
	}
	now := c.n.cfg.Now()
	for id, p := range peers {
		if id != c.n.id.hostID {
			p.downSince = now
			c.peers[id] = p
		}
	}
	return nil
}

// errBadPeerTable is wrapped by decodePeerTable's errors.
var errBadPeerTable = errors.New("node: malformed peer table")

func encodePeerTable(peers map[ring.HostID]*peerState) []byte {
	var b []byte
	for _, p := range peers {
		if p.tokens == nil || p.retired {
			continue
		}
		m := p.meta.append(nil)
		b = binary.AppendUvarint(b, uint64(len(m)))
		b = append(b, m...)
		t := encodeTokens(p.tokens)
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	return b
}

func decodePeerTable(b []byte) (map[ring.HostID]*peerState, error) {
	out := make(map[ring.HostID]*peerState)
	for len(b) > 0 {
		mb, rest, err := takeChunk(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadPeerTable, err)
		}
		tb, rest, err := takeChunk(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadPeerTable, err)
		}
		b = rest
		m, err := decodeNodeMeta(mb)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadPeerTable, err)
		}
		toks, err := decodeTokens(tb)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errBadPeerTable, err)
		}
		m.Stopping = false
		out[m.HostID] = &peerState{meta: m, tokens: toks}
	}
	return out, nil
}

// takeChunk splits a uvarint-length-prefixed chunk off b.
func takeChunk(b []byte) (chunk, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, errors.New("bad length prefix")
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
