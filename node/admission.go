package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/memberlist"

	"github.com/sibyldb/sibyl/ring"
)

// Admission decides who may be a member of this node's cluster. Cassandra
// refuses, and so does Sibyl:
//
//   - a node configured with another cluster name: the name is saved in
//     the node's local metadata at first start and checked on every
//     start, and it travels in every node's gossip metadata, so a member
//     of another cluster is neither admitted (memberlist's alive and merge
//     delegates) nor able to join (its own merge delegate sees the seed's
//     name and the node stops with an error naming both clusters);
//   - a node whose identity was removed (removenode) or decommissioned:
//     every node keeps the set of retired host ids, persisted, and sends
//     it in memberlist's push-pull state, so a node that finds its own id
//     there stops with an error, and its peers refuse its alive messages.
//     The set spreads to nodes that were down when the removal happened.
//
// memberlist calls these delegates from its own goroutines: they read
// atomics and take admission's mutex, never the peer table's apply loop.

// Local metadata keys (storage's local space).
const (
	metaClusterName = "cluster_name" // the cluster name of the node's first start
	metaRetired     = "retired"      // host ids removed or decommissioned, 16 bytes each
)

// errRefused is wrapped by every reason this node may not run in its
// cluster; Serve returns it and `sibyl serve` exits non-zero.
var errRefused = errors.New("node: refused by the cluster")

type admission struct {
	cluster string      // this node's configured cluster name
	self    ring.HostID // this node
	log     *slog.Logger
	// retired is the set of removed and decommissioned host ids,
	// replaced whole (copy on write) so delegates read it without a lock.
	retired atomic.Pointer[map[ring.HostID]bool]
	// learnt receives retired ids heard from peers, for the apply loop.
	learnt func(ids []ring.HostID)

	// leaving is set while this node decommissions itself: peers then
	// retire its id, and it must not mistake that for a removal.
	leaving atomic.Bool

	mu       sync.Mutex
	refusal  error         // guarded by mu; set once
	refused  chan struct{} // closed when refusal is set
	foreign  string        // guarded by mu: the last member of another cluster seen
	contacts int           // guarded by mu: merges with members of our cluster
}

func newAdmission(cluster string, self ring.HostID, log *slog.Logger) *admission {
	a := &admission{cluster: cluster, self: self, log: log, refused: make(chan struct{})}
	a.retired.Store(&map[ring.HostID]bool{})
	return a
}

var (
	_ memberlist.AliveDelegate = (*admission)(nil)
	_ memberlist.MergeDelegate = (*admission)(nil)
)

// checkSavedClusterName compares the configured cluster name with the one
// saved at the node's first start, saving it on that first start.
func checkSavedClusterName(ctx context.Context, meta localMeta, configured string) error {
	saved, found, err := meta.GetLocal(metaClusterName)
	if err != nil {
		return fmt.Errorf("cannot read the saved cluster name: %w", err)
	}
	if !found {
		if err := meta.SetLocal(ctx, metaClusterName, []byte(configured)); err != nil {
			return fmt.Errorf("cannot save the cluster name: %w", err)
		}
		return nil
	}
	if string(saved) != configured {
		return fmt.Errorf("%w: this node's data belongs to cluster %q but cluster_name is %q; "+
			"fix cluster_name, or wipe the data directory to join %q as a new node", errRefused, saved, configured, configured)
	}
	return nil
}

// load restores the persisted retired set.
func (a *admission) load(meta localMeta) error {
	b, found, err := meta.GetLocal(metaRetired)
	if err != nil {
		return fmt.Errorf("cannot read the retired host ids: %w", err)
	}
	if !found {
		return nil
	}
	ids, err := decodeHostIDs(b)
	if err != nil {
		a.log.Warn("ignoring a corrupt retired host id set", "err", err)
		return nil
	}
	a.add(ids)
	return nil
}

// add records retired ids and reports whether any was new.
func (a *admission) add(ids []ring.HostID) bool {
	old := *a.retired.Load()
	var next map[ring.HostID]bool
	for _, id := range ids {
		if !old[id] && id != a.self {
			if next == nil {
				next = make(map[ring.HostID]bool, len(old)+len(ids))
				for k := range old {
					next[k] = true
				}
			}
			next[id] = true
		}
	}
	if next == nil {
		return false
	}
	a.retired.Store(&next)
	return true
}

func (a *admission) isRetired(id ring.HostID) bool { return (*a.retired.Load())[id] }

// encodeRetired is the persisted and gossiped form of the retired set.
func (a *admission) encodeRetired() []byte {
	m := *a.retired.Load()
	b := make([]byte, 0, 16*len(m))
	for id := range m {
		b = append(b, id[:]...)
	}
	return b
}

func decodeHostIDs(b []byte) ([]ring.HostID, error) {
	if len(b)%16 != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a list of host ids", errBadMeta, len(b))
	}
	out := make([]ring.HostID, len(b)/16)
	for i := range out {
		copy(out[i][:], b[16*i:])
	}
	return out, nil
}

// refuse records why this node must stop; the first reason wins.
func (a *admission) refuse(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refusal == nil {
		a.refusal = err
		close(a.refused)
		a.log.Error("this node may not run in its cluster", "err", err)
	}
}

// Refusal is the reason this node must stop, or nil.
func (a *admission) Refusal() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refusal
}

// admit reports why a member may not be in this cluster, or nil.
func (a *admission) admit(m nodeMeta) error {
	if m.HostID == a.self {
		return nil
	}
	if m.ClusterName != "" && m.ClusterName != a.cluster {
		return fmt.Errorf("node %s at %s belongs to cluster %q, this node to %q", m.HostID, m.Addr, m.ClusterName, a.cluster)
	}
	if a.isRetired(m.HostID) {
		return fmt.Errorf("node %s at %s was removed from the cluster", m.HostID, m.Addr)
	}
	return nil
}

// NotifyAlive is memberlist's check of every alive message, merged or
// gossiped: an error keeps the member out of this node's view.
func (a *admission) NotifyAlive(peer *memberlist.Node) error {
	m, err := decodeNodeMeta(peer.Meta)
	if err != nil {
		return fmt.Errorf("gossip member %s is not a Sibyl node: %w", peer.Name, err)
	}
	return a.admit(m)
}

// NotifyMerge is memberlist's check of a push-pull exchange (a join, or
// the periodic full sync): the exchange is cancelled if the other side
// has members of another cluster.
func (a *admission) NotifyMerge(peers []*memberlist.Node) error {
	ours := false
	for _, p := range peers {
		m, err := decodeNodeMeta(p.Meta)
		if err != nil {
			continue // NotifyAlive refuses it alone
		}
		if m.HostID != a.self && m.ClusterName != "" && m.ClusterName != a.cluster {
			a.mu.Lock()
			a.foreign = fmt.Sprintf("%s (cluster %q)", p.Address(), m.ClusterName)
			a.mu.Unlock()
			return fmt.Errorf("refusing to merge with members of cluster %q: this node is in %q", m.ClusterName, a.cluster)
		}
		ours = ours || m.HostID != a.self
	}
	if ours {
		a.mu.Lock()
		a.contacts++
		a.mu.Unlock()
	}
	return nil
}

// beginJoin clears what the previous join attempt saw and returns how
// many merges with this cluster's members happened so far.
func (a *admission) beginJoin() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.foreign = ""
	return a.contacts
}

// foreignOnly reports the member of another cluster seen since
// beginJoin, when no member of ours was merged with since.
func (a *admission) foreignOnly(contactsBefore int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.contacts != contactsBefore {
		return ""
	}
	return a.foreign
}

// pushPullState is admission's part of memberlist's push-pull state: the
// cluster name and the retired set.
func (a *admission) pushPullState() []byte {
	b := appendShortString([]byte{1}, a.cluster)
	return append(b, a.encodeRetired()...)
}

// mergePushPullState reads a peer's push-pull state: a node finding
// itself retired is refused; retired ids it did not know are learnt.
func (a *admission) mergePushPullState(buf []byte) {
	if len(buf) == 0 {
		return // a peer without the state (an older version)
	}
	r := &metaReader{b: buf}
	if v := r.byte("state version"); r.err != nil || v != 1 {
		return
	}
	name := r.shortString("cluster name")
	if r.err != nil || name != a.cluster {
		return // NotifyMerge decides about other clusters
	}
	ids, err := decodeHostIDs(r.b)
	if err != nil {
		a.log.Warn("ignoring a peer's unreadable retired set", "err", err)
		return
	}
	for _, id := range ids {
		if id == a.self && !a.leaving.Load() {
			a.refuse(fmt.Errorf("%w: this node (host id %s) was removed from cluster %q; "+
				"wipe its data directory to join again as a new node", errRefused, a.self, a.cluster))
			return
		}
	}
	if a.add(ids) && a.learnt != nil {
		a.learnt(ids)
	}
}
