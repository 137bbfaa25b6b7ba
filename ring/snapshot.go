package ring

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Errors returned by Builder.Build.
var (
	// ErrDuplicateToken: two nodes claim the same token.
	ErrDuplicateToken = errors.New("ring: token owned by two nodes")
	// ErrInvalidNode: a node has a zero host id, an unknown status or no tokens.
	ErrInvalidNode = errors.New("ring: invalid node")
)

// Snapshot is an immutable view of the ring: every known node with its
// tokens, data center, rack and status. It is safe for concurrent use.
// Build a new one with a Builder when membership changes and publish it
// with an atomic.Pointer[Snapshot]; readers Load it and never lock.
//
// A Snapshot answers two questions about placement: the natural replicas
// of a token (over the current ring of normal and leaving nodes), and the
// pending replicas (nodes that will become replicas once joining nodes
// finish joining and leaving nodes have left). Writes go to both; reads
// only to natural replicas.
type Snapshot struct {
	version uint64
	nodes   []Node         // sorted by ID
	byID    map[HostID]int // index into nodes
	current view           // normal + leaving
	future  view           // normal + joining

	placements sync.Map // placementKey -> *placement; a memo, filled on demand
}

// view is a token ring over a subset of the nodes: tokens sorted
// ascending, owners[i] the index in Snapshot.nodes of the node owning
// tokens[i].
type view struct {
	tokens []Token
	owners []int32
}

// Version returns the version given to the builder; callers use it to tell
// snapshots apart (for example the gossip generation that produced it).
func (s *Snapshot) Version() uint64 { return s.version }

// Nodes returns every node, sorted by host id. The slice is shared: do not
// modify it.
func (s *Snapshot) Nodes() []Node { return slices.Clip(s.nodes) }

// Node returns the node with the given id.
func (s *Snapshot) Node(id HostID) (Node, bool) {
	i, ok := s.byID[id]
	if !ok {
		return Node{}, false
	}
	return s.nodes[i], true
}

// Tokens returns the tokens of the current ring (normal and leaving
// nodes), sorted ascending. The slice is shared: do not modify it.
func (s *Snapshot) Tokens() []Token { return slices.Clip(s.current.tokens) }

// Owner returns the primary owner of t on the current ring: the node of
// the first token >= t, wrapping around. ok is false on an empty ring.
func (s *Snapshot) Owner(t Token) (HostID, bool) {
	if len(s.current.tokens) == 0 {
		return HostID{}, false
	}
	return s.nodes[s.current.owners[s.current.index(t)]].ID, true
}

// index returns the position of the range containing t: the first token
// >= t, or 0 when t is past the last token. The ring must not be empty.
func (v *view) index(t Token) int {
	i := sort.Search(len(v.tokens), func(i int) bool { return v.tokens[i] >= t })
	if i == len(v.tokens) {
		return 0
	}
	return i
}

// rangeAt returns the range (previous token, tokens[i]] that ring position
// i ends.
func (v *view) rangeAt(i int) Range {
	prev := v.tokens[(i+len(v.tokens)-1)%len(v.tokens)]
	return Range{Start: prev, End: v.tokens[i]}
}

// Builder accumulates nodes for a new Snapshot. It is not safe for
// concurrent use. The zero Builder builds an empty ring.
type Builder struct {
	version uint64
	nodes   map[HostID]Node
}

// NewBuilder returns a builder that starts from the nodes of prev (nil for
// an empty ring).
func NewBuilder(prev *Snapshot) *Builder {
	b := &Builder{nodes: make(map[HostID]Node)}
	if prev != nil {
		b.version = prev.version
		for _, n := range prev.nodes {
			b.nodes[n.ID] = n
		}
	}
	return b
}

// SetVersion sets the version the built snapshot reports.
func (b *Builder) SetVersion(v uint64) *Builder { b.version = v; return b }

// Upsert adds n, or replaces the node with the same id. Its tokens are
// copied, sorted and deduplicated; validation happens in Build.
func (b *Builder) Upsert(n Node) *Builder {
	if b.nodes == nil {
		b.nodes = make(map[HostID]Node)
	}
	n.Tokens = slices.Compact(slices.Sorted(slices.Values(n.Tokens)))
	b.nodes[n.ID] = n
	return b
}

// Remove drops the node with the given id, if present.
func (b *Builder) Remove(id HostID) *Builder {
	delete(b.nodes, id)
	return b
}

// SetStatus changes the status of a known node; it reports whether the
// node was found.
func (b *Builder) SetStatus(id HostID, st Status) bool {
	n, ok := b.nodes[id]
	if ok {
		n.Status = st
		b.nodes[id] = n
	}
	return ok
}

// Build validates the nodes and returns the snapshot. Every node needs a
// non-zero id, a valid status and at least one token; no token may belong
// to two nodes (whatever their status, so a joining node can never take a
// normal node's token). All problems are reported together.
func (b *Builder) Build() (*Snapshot, error) {
	s := &Snapshot{version: b.version, byID: make(map[HostID]int, len(b.nodes))}
	for _, n := range b.nodes {
		s.nodes = append(s.nodes, n)
	}
	slices.SortFunc(s.nodes, func(x, y Node) int { return x.ID.Compare(y.ID) })
	var errs []error
	seen := make(map[Token]HostID)
	for i, n := range s.nodes {
		s.byID[n.ID] = i
		if n.ID.IsZero() || !n.Status.Valid() || len(n.Tokens) == 0 {
			errs = append(errs, fmt.Errorf("node %s (status %s, %d tokens): %w", n.ID, n.Status, len(n.Tokens), ErrInvalidNode))
		}
		for _, t := range n.Tokens {
			if other, dup := seen[t]; dup {
				errs = append(errs, fmt.Errorf("token %s of %s and %s: %w", t, other, n.ID, ErrDuplicateToken))
			}
			seen[t] = n.ID
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cannot build ring snapshot: %w", errors.Join(errs...))
	}
	s.current = s.buildView((*Node).owning)
	s.future = s.buildView((*Node).future)
	return s, nil
}

func (s *Snapshot) buildView(include func(*Node) bool) view {
	var v view
	for i := range s.nodes {
		if !include(&s.nodes[i]) {
			continue
		}
		for _, t := range s.nodes[i].Tokens {
			v.tokens = append(v.tokens, t)
			v.owners = append(v.owners, int32(i))
		}
	}
	sort.Sort(byToken(v))
	return v
}

type byToken view

func (v byToken) Len() int           { return len(v.tokens) }
func (v byToken) Less(i, j int) bool { return v.tokens[i] < v.tokens[j] }
func (v byToken) Swap(i, j int) {
	v.tokens[i], v.tokens[j] = v.tokens[j], v.tokens[i]
	v.owners[i], v.owners[j] = v.owners[j], v.owners[i]
}
