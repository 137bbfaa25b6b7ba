package ring

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sibyldb/sibyl/internal/uuidtext"
)

// HostID identifies a node for its whole life, across restarts and address
// changes: a random (version 4) UUID chosen when the node first starts,
// reported as host_id in system.local and system.peers.
type HostID [16]byte

// String formats the id as a UUID (8-4-4-4-12 lowercase hex).
func (h HostID) String() string { return uuidtext.Format(h) }

// IsZero reports whether h is the zero id, which never names a node.
func (h HostID) IsZero() bool { return h == HostID{} }

// Compare orders host ids bytewise; it gives replica lists and node lists
// a deterministic order where the ring itself does not.
func (h HostID) Compare(o HostID) int { return slices.Compare(h[:], o[:]) }

// ErrBadHostID is returned by ParseHostID for text that is not a UUID.
var ErrBadHostID = errors.New("ring: malformed host id")

// ParseHostID parses a UUID in the 8-4-4-4-12 hex form.
func ParseHostID(s string) (HostID, error) {
	u, err := uuidtext.Parse(s)
	if err != nil {
		return HostID{}, fmt.Errorf("cannot parse host id %q: %w", s, ErrBadHostID)
	}
	return u, nil
}

// Status is a node's place in the ring's life cycle, as gossip reports it.
// Only explicit operations change it; a failure detector's "down" is not a
// status (a down node keeps its ranges; coordinators route around it and
// store hints).
type Status uint8

// Node statuses. The numbering is stable: it travels in gossip.
const (
	// StatusNormal: the node owns its tokens and serves reads and writes.
	StatusNormal Status = iota + 1
	// StatusJoining: the node has announced its tokens and is streaming the
	// data of the ranges it will take over. It receives writes for those
	// ranges (it is a pending replica) but is not yet read from.
	StatusJoining
	// StatusLeaving: the node is being decommissioned and streams its
	// ranges to their future owners. It still owns them, and is still read
	// from, until it has left; the future owners are pending replicas.
	StatusLeaving
)

// String returns the status in the word gossip and nodetool use.
func (s Status) String() string {
	switch s {
	case StatusNormal:
		return "NORMAL"
	case StatusJoining:
		return "JOINING"
	case StatusLeaving:
		return "LEAVING"
	default:
		return fmt.Sprintf("Status(%d)", uint8(s))
	}
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s >= StatusNormal && s <= StatusLeaving }

// Node is one member of the ring as the ring needs to know it. A Node
// obtained from a Snapshot must not be modified (its Tokens are shared).
type Node struct {
	ID     HostID
	Addr   string // internode address, host:port; informational to the ring
	DC     string // data center name, as NetworkTopologyStrategy options spell it
	Rack   string
	Status Status
	Tokens []Token // sorted ascending, unique
}

// owning reports whether the node's tokens are part of the current ring
// (normal and leaving nodes are; joining nodes are not yet).
func (n *Node) owning() bool { return n.Status == StatusNormal || n.Status == StatusLeaving }

// future reports whether the node's tokens will be part of the ring once
// every pending movement completes (normal and joining nodes).
func (n *Node) future() bool { return n.Status == StatusNormal || n.Status == StatusJoining }
