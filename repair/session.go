package repair

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Phase is where a Session is in its life.
type Phase uint8

// Session phases, in order.
const (
	// PhaseValidating: waiting for every replica's Merkle tree.
	PhaseValidating Phase = iota + 1
	// PhaseSyncing: trees compared; waiting for the streams to finish.
	PhaseSyncing
	// PhaseDone: every stream finished (Err() says whether all succeeded).
	PhaseDone
)

func (p Phase) String() string {
	switch p {
	case PhaseValidating:
		return "validating"
	case PhaseSyncing:
		return "syncing"
	case PhaseDone:
		return "done"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// Errors a Session reports.
var (
	// ErrNotReplica: an input names a host that is not in the session.
	ErrNotReplica = errors.New("repair: host is not a replica of the session")
	// ErrValidationFailed: a replica could not build its tree; the
	// session ends without streaming (as Cassandra aborts the repair).
	ErrValidationFailed = errors.New("repair: validation failed")
	// ErrStreamFailed: at least one stream failed; the others completed.
	ErrStreamFailed = errors.New("repair: stream failed")
	// ErrBadSession: invalid session parameters.
	ErrBadSession = errors.New("repair: invalid session")
)

// SessionConfig describes one repair session: one table, one token range,
// the replicas that hold it.
type SessionConfig struct {
	Table    schema.TableID
	Range    ring.Range
	Depth    int           // Merkle tree depth, 0..MaxDepth
	Replicas []ring.HostID // at least two, distinct
}

// TreeRequest asks the caller to have Host build its tree for the
// session's table, range and depth, and report it with TreeReceived (or
// TreeFailed).
type TreeRequest struct {
	Host  ring.HostID
	Table schema.TableID
	Range ring.Range
	Depth int
}

// StreamTask asks the caller to send From's data for Ranges of Table to
// To (To merges it by the reconciliation rules), and report the outcome
// with StreamDone(ID, err).
type StreamTask struct {
	ID       int
	From, To ring.HostID
	Table    schema.TableID
	Ranges   []ring.Range
}

// Output is what the caller must do after feeding the Session an input.
type Output struct {
	Trees   []TreeRequest
	Streams []StreamTask
	// Done is true once, when the session reaches PhaseDone.
	Done bool
}

// Session is the state machine of one repair session, Cassandra's
// RepairSession reduced to its decisions. It is pure: it does no I/O and
// reads no clock; inputs are trees, failures and stream acknowledgements,
// outputs are the trees to build and the streams to run. It is not safe
// for concurrent use: one goroutine (see Run) feeds it.
//
// The plan: every replica builds its tree; every pair of replicas whose
// trees differ exchanges the differing ranges in both directions, each
// side sending only the differing leaves where it holds data; since
// applying data is a merge, after all streams every replica holds the
// union of what any held, reconciled.
type Session struct {
	cfg     SessionConfig
	phase   Phase
	trees   map[ring.HostID]*Tree
	streams []StreamTask
	pending map[int]bool // stream id -> still running
	errs    []error
}

// NewSession checks cfg and returns a session in PhaseValidating. Call
// Start to get the first output.
func NewSession(cfg SessionConfig) (*Session, error) {
	if len(cfg.Replicas) < 2 {
		return nil, fmt.Errorf("session with %d replicas: %w", len(cfg.Replicas), ErrBadSession)
	}
	seen := make(map[ring.HostID]bool)
	for _, h := range cfg.Replicas {
		if seen[h] {
			return nil, fmt.Errorf("replica %s listed twice: %w", h, ErrBadSession)
		}
		seen[h] = true
	}
	if cfg.Depth < 0 || cfg.Depth > MaxDepth {
		return nil, fmt.Errorf("session depth %d: %w", cfg.Depth, ErrBadDepth)
	}
	cfg.Replicas = slices.Clone(cfg.Replicas)
	return &Session{cfg: cfg, phase: PhaseValidating, trees: make(map[ring.HostID]*Tree), pending: make(map[int]bool)}, nil
}

// Phase returns the session's phase.
func (s *Session) Phase() Phase { return s.phase }

// Err returns nil while running or after a clean finish, else the reasons
// the session failed (wrapping ErrValidationFailed or ErrStreamFailed).
func (s *Session) Err() error { return errors.Join(s.errs...) }

// Streams returns the streams planned so far.
func (s *Session) Streams() []StreamTask { return slices.Clip(s.streams) }

// Mismatched returns the normalized union of every range that differed
// between any two replicas.
func (s *Session) Mismatched() []ring.Range {
	var all []ring.Range
	for _, st := range s.streams {
		all = append(all, st.Ranges...)
	}
	if len(all) == 0 {
		return nil
	}
	return ring.Normalize(all)
}

// Start returns the tree requests for every replica.
func (s *Session) Start() Output {
	var out Output
	for _, h := range s.cfg.Replicas {
		out.Trees = append(out.Trees, TreeRequest{Host: h, Table: s.cfg.Table, Range: s.cfg.Range, Depth: s.cfg.Depth})
	}
	return out
}

// TreeReceived records host's tree. Once every replica's tree is in, it
// returns the streams to run (or Done when the replicas agree). A tree
// for another table, range or depth fails the validation.
func (s *Session) TreeReceived(host ring.HostID, t *Tree) (Output, error) {
	if err := s.checkValidating(host); err != nil {
		return Output{}, err
	}
	if t == nil || t.table != s.cfg.Table || t.rng != s.cfg.Range || t.depth != s.cfg.Depth {
		return s.TreeFailed(host, errors.New("tree does not match the session's table, range and depth"))
	}
	s.trees[host] = t
	if len(s.trees) < len(s.cfg.Replicas) {
		return Output{}, nil
	}
	s.plan()
	if len(s.streams) == 0 {
		s.phase = PhaseDone
		return Output{Done: true}, nil
	}
	s.phase = PhaseSyncing
	return Output{Streams: slices.Clone(s.streams)}, nil
}

// TreeFailed records that host could not build its tree: the session ends
// at once with ErrValidationFailed.
func (s *Session) TreeFailed(host ring.HostID, cause error) (Output, error) {
	if err := s.checkValidating(host); err != nil {
		return Output{}, err
	}
	s.errs = append(s.errs, fmt.Errorf("tree of %s: %w: %w", host, ErrValidationFailed, cause))
	s.phase = PhaseDone
	return Output{Done: true}, nil
}

// checkValidating refuses inputs that do not fit the validating phase.
func (s *Session) checkValidating(host ring.HostID) error {
	if !slices.Contains(s.cfg.Replicas, host) {
		return fmt.Errorf("tree from %s: %w", host, ErrNotReplica)
	}
	if s.phase != PhaseValidating {
		return fmt.Errorf("tree from %s in phase %s: %w", host, s.phase, ErrBadSession)
	}
	if _, dup := s.trees[host]; dup {
		return fmt.Errorf("second tree from %s: %w", host, ErrBadSession)
	}
	return nil
}

// StreamDone records the outcome of stream id (err nil on success). The
// session is Done when every stream has reported.
func (s *Session) StreamDone(id int, err error) (Output, error) {
	if s.phase != PhaseSyncing || !s.pending[id] {
		return Output{}, fmt.Errorf("unexpected completion of stream %d in phase %s: %w", id, s.phase, ErrBadSession)
	}
	delete(s.pending, id)
	if err != nil {
		st := s.streams[id]
		s.errs = append(s.errs, fmt.Errorf("stream %d from %s to %s: %w: %w", id, st.From, st.To, ErrStreamFailed, err))
	}
	if len(s.pending) > 0 {
		return Output{}, nil
	}
	s.phase = PhaseDone
	return Output{Done: true}, nil
}

// plan compares every pair of trees and lays out the streams: for a pair
// (a, b) differing in leaves L, a sends b the leaves of L where a holds
// partitions, and b sends a those where b does. Stream ids are indices
// into s.streams; the order is deterministic (replica order).
func (s *Session) plan() {
	reps := s.cfg.Replicas
	for i := range reps {
		for j := i + 1; j < len(reps); j++ {
			a, b := s.trees[reps[i]], s.trees[reps[j]]
			leaves := diffLeaves(a, b, nil)
			s.addStream(reps[i], reps[j], a, leaves)
			s.addStream(reps[j], reps[i], b, leaves)
		}
	}
}

// addStream plans from -> to for the leaves where from's tree has data.
func (s *Session) addStream(from, to ring.HostID, t *Tree, leaves []int) {
	var have []int
	for _, l := range leaves {
		if t.count[l] > 0 {
			have = append(have, l)
		}
	}
	ranges := leafRuns(t, have, nil)
	if len(ranges) == 0 {
		return
	}
	id := len(s.streams)
	s.streams = append(s.streams, StreamTask{ID: id, From: from, To: to, Table: s.cfg.Table, Ranges: ranges})
	s.pending[id] = true
}
