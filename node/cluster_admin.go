package node

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sibyldb/sibyl/ring"
)

// ClusterNode is one line of `sibyl status`: what nodetool status shows.
type ClusterNode struct {
	State     string  `json:"state"` // UN, DN, UJ, DJ, UL, DL
	Address   string  `json:"address"`
	LoadBytes int64   `json:"load_bytes"` // -1 when the node did not answer
	Tokens    int     `json:"tokens"`
	Owns      float64 `json:"owns"` // primary ownership, 0..1
	HostID    string  `json:"host_id"`
	DC        string  `json:"dc"`
	Rack      string  `json:"rack"`
	Schema    string  `json:"schema_version"`
}

// RingEntry is one token of `sibyl ring`.
type RingEntry struct {
	Token   string `json:"token"`
	HostID  string `json:"host_id"`
	Address string `json:"address"`
	State   string `json:"state"`
}

func (n *Node) registerClusterAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /cluster/status", n.handleClusterStatus)
	mux.HandleFunc("GET /cluster/ring", n.handleRing)
	mux.HandleFunc("GET /cluster/hints", n.handleHints)
	mux.HandleFunc("POST /cluster/decommission", n.handleDecommission)
	mux.HandleFunc("POST /cluster/removenode", n.handleRemoveNode)
	mux.HandleFunc("POST /cluster/repair", n.handleRepair)
	mux.HandleFunc("POST /node/drain", n.handleDrain)
}

// handleDrain runs Drain; the node keeps running, out of service.
func (n *Node) handleDrain(w http.ResponseWriter, r *http.Request) {
	if err := n.Drain(r.Context()); err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "drained"})
}

// handleRepair runs Repair for ?keyspace= (all when empty), primary
// ranges only with ?pr=true.
func (n *Node) handleRepair(w http.ResponseWriter, r *http.Request) {
	res, err := n.Repair(r.Context(), r.URL.Query().Get("keyspace"), r.URL.Query().Get("pr") == "true")
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "done": res})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleDecommission runs Decommission; the request lasts as long as the
// streaming does.
func (n *Node) handleDecommission(w http.ResponseWriter, r *http.Request) {
	if err := n.Decommission(r.Context()); err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "decommissioned"})
}

// handleRemoveNode runs RemoveNode for ?host_id=.
func (n *Node) handleRemoveNode(w http.ResponseWriter, r *http.Request) {
	id, err := ring.ParseHostID(r.URL.Query().Get("host_id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := n.RemoveNode(r.Context(), id); err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "removed", "host_id": id.String()})
}

// PendingHints counts the hints this node keeps for one target.
type PendingHints struct {
	HostID string `json:"host_id"`
	Count  int64  `json:"count"`
	Bytes  int64  `json:"bytes"`
}

func (n *Node) handleHints(w http.ResponseWriter, _ *http.Request) {
	out := []PendingHints{}
	if n.engine != nil {
		for _, st := range n.engine.AllHintStats() {
			if st.Count > 0 {
				out = append(out, PendingHints{HostID: st.Target.String(), Count: st.Count, Bytes: st.Bytes})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleClusterStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.ClusterStatus(r.Context()))
}

func (n *Node) handleRing(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.Ring())
}

// stateLetters is nodetool's two-letter state of a node.
func stateLetters(up bool, st ring.Status) string {
	s := "D"
	if up {
		s = "U"
	}
	switch st {
	case ring.StatusJoining:
		return s + "J"
	case ring.StatusLeaving:
		return s + "L"
	}
	return s + "N"
}

// ClusterStatus describes every node of the ring, this one included, in
// address order. Peers' loads are asked of their admin APIs, briefly.
func (n *Node) ClusterStatus(ctx context.Context) []ClusterNode {
	snap := n.ring.Load()
	owns := snap.Ownership()
	var out []ClusterNode
	self := n.Status()
	out = append(out, ClusterNode{
		State: stateLetters(true, ring.Status(n.cluster.status.Load())), Address: self.Address, LoadBytes: self.LoadBytes,
		Tokens: len(n.id.tokens), Owns: owns[n.id.hostID], HostID: self.HostID, DC: self.DataCenter, Rack: self.Rack,
		Schema: self.SchemaVersion,
	})
	view := n.cluster.view.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for id, p := range view.peers {
		if p.tokens == nil || p.retired {
			continue
		}
		cn := ClusterNode{State: stateLetters(p.up, p.meta.Status), Address: p.meta.Addr.String(), LoadBytes: -1,
			Tokens: len(p.tokens), Owns: owns[id], HostID: id.String(), DC: p.meta.DC, Rack: p.meta.Rack,
			Schema: uuidString(p.meta.Schema)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.up && p.meta.AdminPort != 0 {
				cn.LoadBytes = peerLoad(ctx, net.JoinHostPort(p.meta.Addr.String(), strconv.Itoa(int(p.meta.AdminPort))))
			}
			mu.Lock()
			out = append(out, cn)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b ClusterNode) int { return compareAddr(a.Address, b.Address) })
	return out
}

func compareAddr(a, b string) int {
	pa, ea := netip.ParseAddr(a)
	pb, eb := netip.ParseAddr(b)
	if ea == nil && eb == nil {
		return pa.Compare(pb)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// peerLoad asks a peer's admin API for its load; -1 when it does not answer
// within half a second.
func peerLoad(ctx context.Context, hostPort string) int64 {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostPort+"/status", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer func() { _ = resp.Body.Close() }()
	var st Status
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return -1
	}
	return st.LoadBytes
}

// Ring lists every token of the ring in order with its owner.
func (n *Node) Ring() []RingEntry {
	snap := n.ring.Load()
	view := n.cluster.view.Load()
	var out []RingEntry
	for _, t := range snap.Tokens() {
		id, _ := snap.Owner(t)
		node, _ := snap.Node(id)
		e := RingEntry{Token: t.String(), HostID: id.String(), State: stateLetters(true, node.Status)}
		if id == n.id.hostID {
			e.Address = n.addr.String()
		} else if p := view.peers[id]; p != nil {
			e.Address, e.State = p.meta.Addr.String(), stateLetters(p.up, node.Status)
		}
		out = append(out, e)
	}
	return out
}
