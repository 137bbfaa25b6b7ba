package ring

import (
	"slices"
)

// placement is the replica list of every range of one view under one
// strategy: replicas[i] replicates the range ending at view token i.
// Computed once per (snapshot, view, strategy) and then only read.
type placement struct {
	replicas [][]HostID
}

type placementKey struct {
	future   bool
	strategy string
}

// placementFor returns the memoized placement of strategy st over the
// current (future == false) or future view.
func (s *Snapshot) placementFor(st Strategy, future bool) *placement {
	key := placementKey{future: future, strategy: st.String()}
	if p, ok := s.placements.Load(key); ok {
		return p.(*placement)
	}
	v := &s.current
	if future {
		v = &s.future
	}
	place := st.placer(s, v)
	p := &placement{replicas: make([][]HostID, len(v.tokens))}
	for i := range v.tokens {
		p.replicas[i] = slices.Clip(place(i, nil))
	}
	actual, _ := s.placements.LoadOrStore(key, p)
	return actual.(*placement)
}

// Placement is the placement of one strategy over one snapshot, resolved
// once: callers on a hot path (the coordinator, per keyspace) keep it
// beside the snapshot it came from and skip the memo lookup that
// Snapshot.Replicas does on every call.
type Placement struct {
	s       *Snapshot
	st      Strategy
	natural *placement // nil on an empty current ring
	future  *placement // nil when nothing is moving
}

// Placement resolves st's placement over s.
func (s *Snapshot) Placement(st Strategy) *Placement {
	p := &Placement{s: s, st: st}
	if len(s.current.tokens) > 0 {
		p.natural = s.placementFor(st, false)
	}
	if s.moving() && len(s.future.tokens) > 0 {
		p.future = s.placementFor(st, true)
	}
	return p
}

// Snapshot returns the snapshot p was resolved over.
func (p *Placement) Snapshot() *Snapshot { return p.s }

// Replicas is Snapshot.Replicas for p's strategy.
func (p *Placement) Replicas(t Token) []HostID {
	if p.natural == nil {
		return nil
	}
	return p.natural.replicas[p.s.current.index(t)]
}

// PendingReplicas is Snapshot.PendingReplicas for p's strategy.
func (p *Placement) PendingReplicas(t Token) []HostID {
	if p.future == nil {
		return nil
	}
	natural := p.Replicas(t)
	var pending []HostID
	for _, id := range p.future.replicas[p.s.future.index(t)] {
		if !slices.Contains(natural, id) {
			pending = append(pending, id)
		}
	}
	return pending
}

// Replicas returns the natural replicas of token t under strategy st: the
// nodes that own t's range on the current ring (normal and leaving nodes),
// in ring-walk order, the primary owner first. Reads go to these; writes
// go to these and to PendingReplicas. The result is shared and must not be
// modified (appending to it is safe: it has no spare capacity). The
// placement for each strategy is computed on first use and memoized in the
// snapshot, so later calls are a binary search.
func (s *Snapshot) Replicas(t Token, st Strategy) []HostID {
	if len(s.current.tokens) == 0 {
		return nil
	}
	return s.placementFor(st, false).replicas[s.current.index(t)]
}

// PendingReplicas returns the nodes that are not natural replicas of t but
// will be once every joining node has joined and every leaving node has
// left: they must receive t's writes now so that no acknowledged write is
// missing when the movement completes. Nil when nothing is moving.
func (s *Snapshot) PendingReplicas(t Token, st Strategy) []HostID {
	return s.Placement(st).PendingReplicas(t)
}

// moving reports whether any node is joining or leaving.
func (s *Snapshot) moving() bool {
	for i := range s.nodes {
		if s.nodes[i].Status != StatusNormal {
			return true
		}
	}
	return false
}

// PrimaryRanges returns the ranges host owns as primary on the current
// ring: (previous token, token] for each of its tokens, in token order.
func (s *Snapshot) PrimaryRanges(host HostID) []Range {
	var out []Range
	for i, o := range s.current.owners {
		if s.nodes[o].ID == host {
			out = append(out, s.current.rangeAt(i))
		}
	}
	return out
}

// Ranges returns every range host replicates under st on the current ring
// (primary and replica ranges), ordered by their end token.
func (s *Snapshot) Ranges(host HostID, st Strategy) []Range {
	return s.rangesOf(host, st, &s.current, false)
}

// FutureRanges returns the ranges host will replicate under st once every
// movement completes. A joining node streams FutureRanges; a node that
// stops replicating a range (it is in Ranges but not FutureRanges) may
// drop its data after the movement completes.
func (s *Snapshot) FutureRanges(host HostID, st Strategy) []Range {
	return s.rangesOf(host, st, &s.future, true)
}

func (s *Snapshot) rangesOf(host HostID, st Strategy, v *view, future bool) []Range {
	if len(v.tokens) == 0 {
		return nil
	}
	p := s.placementFor(st, future)
	var out []Range
	for i := range v.tokens {
		if slices.Contains(p.replicas[i], host) {
			out = append(out, v.rangeAt(i))
		}
	}
	return out
}

// Ownership returns the share of the current ring each node owns as
// primary (the sum of its primary ranges), without replication. Shares
// sum to 1 on a non-empty ring; nodes owning nothing are absent.
func (s *Snapshot) Ownership() map[HostID]float64 {
	out := make(map[HostID]float64)
	v := &s.current
	for i, o := range v.owners {
		out[s.nodes[o].ID] += v.rangeAt(i).Fraction()
	}
	return out
}

// EffectiveOwnership returns the share of the ring's data each node holds
// under strategy st (nodetool status's "Owns (effective)"): the sum of the
// ranges it replicates. Shares sum to the total number of replicas.
func (s *Snapshot) EffectiveOwnership(st Strategy) map[HostID]float64 {
	out := make(map[HostID]float64)
	v := &s.current
	if len(v.tokens) == 0 {
		return out
	}
	p := s.placementFor(st, false)
	for i := range v.tokens {
		f := v.rangeAt(i).Fraction()
		for _, id := range p.replicas[i] {
			out[id] += f
		}
	}
	return out
}
