package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/node/messaging"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// openMembership binds the internode messaging port and gossip, restores
// the persisted peer table and builds the ring from it. Nothing runs yet:
// startMembership (from Serve) starts the loops and joins the seeds.
func (n *Node) openMembership(ctx context.Context) error {
	c := &cluster{n: n, log: n.log.With("component", "cluster"), queue: newEventQueue(),
		peers: make(map[ring.HostID]*peerState), fetching: make(map[ring.HostID]bool)}
	c.status.Store(uint32(ring.StatusNormal))
	c.view.Store(&clusterView{})
	n.cluster = c
	if err := c.checkDecommissioned(); err != nil {
		return err
	}
	c.adm = newAdmission(n.cfg.ClusterName, n.id.hostID, c.log.With("component", "admission"))
	c.adm.learnt = func(ids []ring.HostID) { c.queue.Push(gossipEvent{kind: evRetired, ids: ids}) }
	if n.engine != nil {
		if err := checkSavedClusterName(context.Background(), n.engine, n.cfg.ClusterName); err != nil {
			return err
		}
		if err := c.adm.load(n.engine); err != nil {
			return err
		}
	}
	// Messaging first: publish builds a remote replica for every persisted
	// peer, and each must hold the messenger it will send through.
	if err := c.openMessaging(); err != nil {
		return err
	}
	if err := c.loadPeers(); err != nil {
		return fmt.Errorf("cannot load the peer table: %w", err)
	}
	c.publish(true)
	if n.engine != nil {
		c.hints = &hintManager{c: c, engine: n.engine, window: n.cfg.HintWindow, throttle: n.cfg.HintThrottle, kick: make(chan struct{}, 1)}
	}
	c.schema = newSchemaSync(c)
	if n.cfg.GossipPort > 0 {
		c.gossipPort.Store(uint32(n.cfg.GossipPort))
	}
	d := &gossipDelegate{meta: c.selfMeta, queue: c.queue, adm: c.adm, log: c.log.With("component", "gossip")}
	key, err := gossipKey(n.cfg.ServerEncryption)
	if err != nil {
		return err
	}
	g, err := startGossip(n.id.hostID.String(), n.addr, max(n.cfg.GossipPort, 0), n.cfg.Seeds, n.cfg.Network, key, d, c.log.With("component", "memberlist"))
	if err != nil {
		return err
	}
	c.gossip = g
	c.gossipPort.Store(uint32(g.port()))
	c.registerClusterMetrics(n.metrics)
	return c.decideBootstrap(ctx)
}

// checkDecommissioned refuses to run a node that has left the ring.
func (c *cluster) checkDecommissioned() error {
	if c.n.engine == nil {
		return nil
	}
	_, gone, err := c.n.engine.GetLocal(metaDecommissioned)
	if err != nil {
		return fmt.Errorf("cannot read the node's state: %w", err)
	}
	if gone {
		return errDecommissioned
	}
	return nil
}

// decideBootstrap sets c.bootstrapping on a node's first start with seeds
// other than itself: it then starts joining (it takes writes for its
// future ranges but serves no reads until it has streamed them). A first
// node, or one that has bootstrapped before, starts normal.
func (c *cluster) decideBootstrap(ctx context.Context) error {
	if c.n.engine == nil {
		return nil
	}
	_, done, err := c.n.engine.GetLocal(metaBootstrapped)
	if err != nil {
		return fmt.Errorf("cannot read the node's state: %w", err)
	}
	if done {
		return nil
	}
	if len(c.gossip.seeds) == 0 || c.gossip.selfSeed || len(c.peers) > 0 {
		// The first node of a new cluster, a seed (which never
		// bootstraps, as in Cassandra), or a node that knew peers before
		// this feature recorded bootstraps: nothing to stream.
		if err := c.n.engine.SetLocal(context.Background(), metaBootstrapped, []byte{1}); err != nil {
			return fmt.Errorf("cannot record the node's state: %w", err)
		}
		return nil
	}
	c.bootstrapping = true
	c.status.Store(uint32(ring.StatusJoining))
	if err := c.allocateJoinTokens(ctx); err != nil {
		return err
	}
	c.publish(true)
	return nil
}

func (c *cluster) openMessaging() error {
	ln, err := c.n.listen(c.n.cfg.MessagingListener, max(c.n.cfg.StoragePort, 0), "internode messaging")
	if err != nil {
		return err
	}
	c.msgLn = ln
	c.msgPort = ln.Addr().(*net.TCPAddr).Port
	mc := messaging.Config{LocalID: c.n.id.hostID.String(), Logger: c.log.With("component", "messaging")}
	if mc.TLS, err = internodeTLSConfig(c.n.cfg.ServerEncryption, c.log.With("component", "messaging")); err != nil {
		_ = ln.Close()
		return err
	}
	if nw := c.n.cfg.Network; nw != nil {
		mc.Dial = nw.Dial
	}
	m, err := messaging.New(mc)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("cannot create internode messaging: %w", err)
	}
	c.msg = m
	c.registerVerbs()
	return nil
}

// hintStore is the coordinator's hint store, nil without one.
func (c *cluster) hintStore() hintStore {
	if c == nil || c.hints == nil {
		return nil
	}
	return c.hints
}

// startMembership serves messaging and starts the apply loop, the hint
// replay loop and the seed join, all under the node's task group.
func (n *Node) startMembership() error {
	c := n.cluster
	if err := c.msg.Serve(c.msgLn); err != nil {
		return fmt.Errorf("cannot serve internode messaging: %w", err)
	}
	c.msgLn = nil
	tasks := map[string]func(context.Context) error{
		"node.gossip: apply membership events":   c.run,
		"node.gossip: join seeds and lost peers": c.keepJoined,
		"node.schema: check agreement":           c.agreementLoop,
	}
	if c.hints != nil {
		tasks["node.hints: replay"] = c.hints.run
		tasks["node.cluster: clean up unowned ranges"] = c.cleanupLoop
	}
	if c.bootstrapping {
		tasks["node.cluster: bootstrap"] = c.bootstrap
	}
	for name, fn := range tasks {
		if err := n.startTask(name, fn); err != nil {
			return err
		}
	}
	c.announce()
	return nil
}

// agreementLoop heals schema disagreements every second.
func (c *cluster) agreementLoop(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			c.schema.checkAgreement()
		}
	}
}

// announce broadcasts this node's metadata (status, schema version).
func (c *cluster) announce() {
	if c.gossip != nil {
		c.gossip.announce()
	}
}

// beginShutdown tells peers this node is stopping, so they mark it down at
// once instead of waiting for the failure detector.
func (c *cluster) beginShutdown() {
	if c == nil || c.gossip == nil {
		return
	}
	c.stopping.Store(true)
	c.announce()
}

// crash stops gossip at once, without telling anyone, as a killed process
// would; peers' failure detectors notice.
func (c *cluster) crash() {
	if c == nil || c.gossip == nil {
		return
	}
	c.crashed.Store(true)
	if err := c.gossip.shutdown(); err != nil {
		c.log.Debug("cannot stop gossip", "err", err)
	}
}

// close stops gossip and messaging; the node's task group has stopped the
// loops already.
func (c *cluster) close() error {
	if c == nil {
		return nil
	}
	var errs []error
	if c.gossip != nil {
		if !c.left.Load() && !c.crashed.Load() {
			// A graceful leave lets peers see the node go at once and accept
			// it back at once, even on another port. Its metadata says
			// "stopping", not "left": peers keep it in the ring, down.
			if err := c.gossip.leave(time.Second); err != nil {
				c.log.Debug("cannot announce the shutdown to gossip", "err", err)
			}
		}
		errs = append(errs, c.gossip.shutdown())
	}
	if c.msgLn != nil {
		_ = c.msgLn.Close()
	}
	if c.msg != nil {
		if err := c.msg.Close(); err != nil && !errors.Is(err, messaging.ErrClosed) {
			errs = append(errs, fmt.Errorf("cannot close internode messaging: %w", err))
		}
	}
	return errors.Join(errs...)
}

// peerReplica is the coordinator's Peer function; nil-safe before the
// cluster is open.
func (n *Node) peerReplica(id ring.HostID) (replica, bool) {
	if n.cluster == nil {
		return nil, false
	}
	return n.cluster.peer(id)
}

// adminPort is the admin port actually bound, or 0 when disabled.
func (n *Node) adminPort() int {
	if n.adminLn == nil {
		return 0
	}
	if tcp, ok := n.adminLn.Addr().(*net.TCPAddr); ok {
		return tcp.Port
	}
	return 0
}

// lazyHints is the coordinator's hint store: the cluster's hint manager,
// which exists only once the cluster is open and only with storage (nil
// with the null backend, which keeps nothing to hint).
func (n *Node) lazyHints() hintStore {
	if n.cfg.Backend != BackendPebble {
		return nil
	}
	return nodeHints{n}
}

type nodeHints struct{ n *Node }

func (h nodeHints) Store(ctx context.Context, target ring.HostID, mut *schema.Partition) error {
	hs := h.n.cluster.hintStore()
	if hs == nil {
		return errHintsUnavailable
	}
	return hs.Store(ctx, target, mut)
}

// errHintsUnavailable is returned when a hint is stored before the
// cluster is open.
var errHintsUnavailable = errors.New("node: hinted handoff is not running")

// peers lists every other node for system.peers.
func (n *Node) peers() []exec.NodeInfo {
	if n.cluster == nil {
		return nil
	}
	return n.cluster.Peers()
}
