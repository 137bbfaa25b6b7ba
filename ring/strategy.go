package ring

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Strategy decides which nodes replicate each range of the ring: a
// keyspace's replication strategy. The implementations are SimpleStrategy
// and NetworkTopologyStrategy; the set is closed.
type Strategy interface {
	// Class returns the strategy's Cassandra class name, as stored in
	// system_schema.keyspaces.replication.
	Class() string
	// Options returns the replication map without "class" (for example
	// {"replication_factor": "3"} or {"dc1": "3", "dc2": "2"}).
	Options() map[string]string
	// String returns a canonical description, equal for equal strategies.
	String() string
	// Factors returns the replication factor per data center, as asked
	// (before capping by the nodes present): NetworkTopologyStrategy's
	// map, or SimpleStrategy's single factor under the key "". The map is
	// a copy. Consistency-level arithmetic (QUORUM, LOCAL_QUORUM,
	// EACH_QUORUM) starts from it.
	Factors() map[string]int

	// placer prepares a placement over view v of s and returns a function
	// that appends to dst the replicas of the range ending at ring position
	// i, in ring-walk order.
	placer(s *Snapshot, v *view) func(i int, dst []HostID) []HostID
}

// ErrBadReplication is returned by ParseStrategy for an unusable
// replication map.
var ErrBadReplication = errors.New("ring: invalid replication options")

// SimpleStrategy places RF replicas on the first RF distinct nodes met
// walking the ring clockwise from a token, ignoring data centers and racks.
type SimpleStrategy struct {
	RF int
}

// Class implements Strategy.
func (SimpleStrategy) Class() string { return "org.apache.cassandra.locator.SimpleStrategy" }

// Options implements Strategy.
func (s SimpleStrategy) Options() map[string]string {
	return map[string]string{"replication_factor": strconv.Itoa(s.RF)}
}

// Factors implements Strategy.
func (s SimpleStrategy) Factors() map[string]int { return map[string]int{"": s.RF} }

// String implements Strategy.
func (s SimpleStrategy) String() string { return fmt.Sprintf("SimpleStrategy{rf=%d}", s.RF) }

func (s SimpleStrategy) placer(snap *Snapshot, v *view) func(int, []HostID) []HostID {
	return func(i int, dst []HostID) []HostID { return s.replicas(snap, v, i, dst) }
}

func (s SimpleStrategy) replicas(snap *Snapshot, v *view, i int, dst []HostID) []HostID {
	start := len(dst)
	for k := 0; k < len(v.tokens) && len(dst)-start < s.RF; k++ {
		id := snap.nodes[v.owners[(i+k)%len(v.tokens)]].ID
		if !slices.Contains(dst[start:], id) {
			dst = append(dst, id)
		}
	}
	return dst
}

// NetworkTopologyStrategy places, in each data center, RF[dc] replicas on
// the nodes met walking the ring clockwise, preferring nodes on racks not
// yet used in that data center: a node on an already-used rack is taken
// only while there are more replicas left to place than racks left unused
// (Cassandra 4's DatacenterEndpoints rule), so replicas spread over as
// many racks as possible and the result does not depend on rack names.
// A data center with fewer nodes than its RF gets every node it has.
type NetworkTopologyStrategy struct {
	RF map[string]int // data center -> replication factor
}

// Class implements Strategy.
func (NetworkTopologyStrategy) Class() string {
	return "org.apache.cassandra.locator.NetworkTopologyStrategy"
}

// Options implements Strategy.
func (s NetworkTopologyStrategy) Options() map[string]string {
	out := make(map[string]string, len(s.RF))
	for dc, rf := range s.RF {
		out[dc] = strconv.Itoa(rf)
	}
	return out
}

// Factors implements Strategy.
func (s NetworkTopologyStrategy) Factors() map[string]int { return maps.Clone(s.RF) }

// String implements Strategy.
func (s NetworkTopologyStrategy) String() string {
	var b strings.Builder
	b.WriteString("NetworkTopologyStrategy{")
	for i, dc := range slices.Sorted(maps.Keys(s.RF)) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%d", dc, s.RF[dc])
	}
	b.WriteString("}")
	return b.String()
}

// dcState tracks the placement in one data center during a ring walk.
type dcState struct {
	left        int // replicas still to place
	rackRepeats int // replicas that may still go to an already-used rack
	racksUsed   map[string]bool
	nodesInDC   int
	racksInDC   int
}

func (s NetworkTopologyStrategy) placer(snap *Snapshot, v *view) func(int, []HostID) []HostID {
	proto := s.dcStates(snap, v)
	return func(i int, dst []HostID) []HostID {
		dcs := make(map[string]*dcState, len(proto))
		for dc, st := range proto {
			c := *st
			c.racksUsed = make(map[string]bool, st.racksInDC)
			dcs[dc] = &c
		}
		return s.replicas(snap, v, i, dcs, dst)
	}
}

func (s NetworkTopologyStrategy) replicas(snap *Snapshot, v *view, i int, dcs map[string]*dcState, dst []HostID) []HostID {
	pending := 0
	for _, st := range dcs {
		pending += st.left
	}
	start := len(dst)
	for k := 0; k < len(v.tokens) && pending > 0; k++ {
		n := &snap.nodes[v.owners[(i+k)%len(v.tokens)]]
		st := dcs[n.DC]
		if st == nil || st.left == 0 || slices.Contains(dst[start:], n.ID) {
			continue
		}
		if !st.racksUsed[n.Rack] {
			st.racksUsed[n.Rack] = true
		} else if st.rackRepeats > 0 {
			st.rackRepeats--
		} else {
			continue
		}
		st.left--
		pending--
		dst = append(dst, n.ID)
	}
	return dst
}

// dcStates counts, for each data center of the strategy, the nodes and
// racks present in view v and derives how many replicas to place there.
func (s NetworkTopologyStrategy) dcStates(snap *Snapshot, v *view) map[string]*dcState {
	dcs := make(map[string]*dcState, len(s.RF))
	racks := make(map[[2]string]bool)
	seen := make(map[int32]bool)
	for _, o := range v.owners {
		if seen[o] {
			continue
		}
		seen[o] = true
		n := &snap.nodes[o]
		if _, ok := s.RF[n.DC]; !ok {
			continue
		}
		st := dcs[n.DC]
		if st == nil {
			st = &dcState{racksUsed: make(map[string]bool)}
			dcs[n.DC] = st
		}
		st.nodesInDC++
		if !racks[[2]string{n.DC, n.Rack}] {
			racks[[2]string{n.DC, n.Rack}] = true
			st.racksInDC++
		}
	}
	for dc, st := range dcs {
		st.left = max(0, min(s.RF[dc], st.nodesInDC)) // a negative RF places nothing
		st.rackRepeats = st.left - st.racksInDC
	}
	return dcs
}

// ParseStrategy builds a Strategy from a CQL replication map, as given in
// CREATE KEYSPACE ... WITH replication = {...}. The class may be the short
// name or the fully qualified one. SimpleStrategy needs a
// "replication_factor"; NetworkTopologyStrategy takes one data center name
// per key (a "replication_factor" key there is refused: Cassandra expands
// it to every known data center, which needs the catalog's view of the
// cluster, so the caller expands it before calling). RFs are 0 to 1000.
func ParseStrategy(opts map[string]string) (Strategy, error) {
	class := opts["class"]
	switch strings.TrimPrefix(class, "org.apache.cassandra.locator.") {
	case "SimpleStrategy":
		return parseSimple(opts)
	case "NetworkTopologyStrategy":
		return parseNTS(opts)
	case "":
		return nil, fmt.Errorf("missing replication class: %w", ErrBadReplication)
	default:
		return nil, fmt.Errorf("unknown replication class %q: %w", class, ErrBadReplication)
	}
}

func parseSimple(opts map[string]string) (Strategy, error) {
	var errs []error
	rf, err := parseRF("replication_factor", opts["replication_factor"])
	if err != nil {
		errs = append(errs, err)
	}
	for k := range opts {
		if k != "class" && k != "replication_factor" {
			errs = append(errs, fmt.Errorf("unexpected option %q for SimpleStrategy: %w", k, ErrBadReplication))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return SimpleStrategy{RF: rf}, nil
}

func parseNTS(opts map[string]string) (Strategy, error) {
	s := NetworkTopologyStrategy{RF: make(map[string]int)}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if k == "class" {
			continue
		}
		if k == "replication_factor" {
			errs = append(errs, fmt.Errorf("NetworkTopologyStrategy needs one factor per data center, not replication_factor: %w", ErrBadReplication))
			continue
		}
		rf, err := parseRF(k, opts[k])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.RF[k] = rf
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func parseRF(key, v string) (int, error) {
	rf, err := strconv.Atoi(v)
	if err != nil || rf < 0 || rf > 1000 {
		return 0, fmt.Errorf("replication factor %s=%q is not an integer from 0 to 1000: %w", key, v, ErrBadReplication)
	}
	return rf, nil
}
