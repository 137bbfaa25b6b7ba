package storage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sibyldb/sibyl/schema"
)

// This file is a replica's half of Paxos (lightweight transactions): the
// acceptor state of each partition that ever ran one, kept in the key
// space 0x04 (FORMAT.md, "Paxos state"), and the three operations a
// coordinator calls. Each operation is a read-modify-write of one record
// under a per-partition mutex, synced before it answers, so a replica
// never forgets a promise or an acceptance it gave, even across a crash.
// The coordinator's half, and why this is enough for linearizability, is
// in node/paxos.go.

// Ballot orders Paxos rounds: by Micros (a hybrid clock's microseconds,
// also the write timestamp of the round's update), then by Node (the
// coordinator's host id), so two coordinators never make the same ballot.
// The zero Ballot is "none" and sorts before every other.
type Ballot struct {
	Micros int64
	Node   [16]byte
}

// Compare orders ballots: -1, 0 or +1.
func (b Ballot) Compare(o Ballot) int {
	if c := cmp.Compare(b.Micros, o.Micros); c != 0 {
		return c
	}
	return bytes.Compare(b.Node[:], o.Node[:])
}

// IsZero reports whether b is the "none" ballot.
func (b Ballot) IsZero() bool { return b == Ballot{} }

// MaxBallot returns the larger of a and b.
func MaxBallot(a, b Ballot) Ballot {
	if a.Compare(b) >= 0 {
		return a
	}
	return b
}

const ballotLen = 8 + 16

// AppendBallot appends b's fixed 24-byte encoding (big-endian micros as
// two's complement, then the node id).
func AppendBallot(dst []byte, b Ballot) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.Micros))
	return append(dst, b.Node[:]...)
}

// DecodeBallot decodes a ballot at the start of src and returns the rest.
func DecodeBallot(src []byte) (Ballot, []byte, error) {
	if len(src) < ballotLen {
		return Ballot{}, nil, fmt.Errorf("%w: short ballot (%d bytes)", ErrCorruptPaxos, len(src))
	}
	var b Ballot
	b.Micros = int64(binary.BigEndian.Uint64(src))
	copy(b.Node[:], src[8:ballotLen])
	return b, src[ballotLen:], nil
}

// ErrCorruptPaxos is wrapped by every error decoding a Paxos record or
// ballot.
var ErrCorruptPaxos = errors.New("storage: malformed paxos state")

// PaxosState is one partition's acceptor state.
type PaxosState struct {
	// Promised is the highest ballot this replica promised (prepare) or
	// accepted (propose): it refuses every lower one.
	Promised Ballot
	// Accepted is the ballot of the last proposal accepted, and Proposal
	// that proposal (an empty partition for a round that only reads).
	// A proposal whose ballot is not after Committed is settled.
	Accepted Ballot
	Proposal *schema.Partition
	// Committed is the ballot of the most recent commit this replica
	// applied, and Commit its update (kept to repair replicas that
	// missed it).
	Committed Ballot
	Commit    *schema.Partition
}

// InProgress reports whether s holds an accepted proposal newer than its
// latest commit, which a later round must finish before deciding anew.
func (s *PaxosState) InProgress() bool {
	return s.Proposal != nil && s.Accepted.Compare(s.Committed) > 0
}

// Highest is the highest ballot s has seen.
func (s *PaxosState) Highest() Ballot {
	return MaxBallot(s.Promised, MaxBallot(s.Accepted, s.Committed))
}

// PaxosPromise is a replica's answer to a prepare.
type PaxosPromise struct {
	// Promised reports whether the replica promised the ballot; when it
	// did not, State.Highest() says what beat it and nothing else is set.
	Promised bool
	// State is the replica's state after the prepare.
	State PaxosState
	// Read is the replica's answer to the prepare's read command (nil when
	// it holds nothing the command selects), read after the promise was
	// recorded. Set only when Promised.
	Read *schema.Partition
}

// paxosStateVersion is the first byte of every record in the Paxos space.
const paxosStateVersion byte = 1

// AppendPaxosState appends the encoding of s: a version byte, then the
// promised, accepted and committed ballots, each of the two last followed
// by its partition (uvarint length+1 and schema.AppendPartition; 0 for
// none).
func AppendPaxosState(dst []byte, s *PaxosState) []byte {
	dst = append(dst, paxosStateVersion)
	dst = AppendBallot(dst, s.Promised)
	dst = AppendBallot(dst, s.Accepted)
	dst = appendOptPartition(dst, s.Proposal)
	dst = AppendBallot(dst, s.Committed)
	return appendOptPartition(dst, s.Commit)
}

func appendOptPartition(dst []byte, p *schema.Partition) []byte {
	if p == nil {
		return append(dst, 0)
	}
	enc := schema.AppendPartition(nil, p)
	dst = binary.AppendUvarint(dst, uint64(len(enc))+1)
	return append(dst, enc...)
}

// DecodePaxosState decodes what AppendPaxosState wrote.
func DecodePaxosState(src []byte) (PaxosState, error) {
	var s PaxosState
	if len(src) == 0 || src[0] != paxosStateVersion {
		return s, fmt.Errorf("%w: unknown version", ErrCorruptPaxos)
	}
	src = src[1:]
	var err error
	if s.Promised, src, err = DecodeBallot(src); err != nil {
		return s, err
	}
	if s.Accepted, src, err = DecodeBallot(src); err != nil {
		return s, err
	}
	if s.Proposal, src, err = decodeOptPartition(src); err != nil {
		return s, fmt.Errorf("proposal: %w", err)
	}
	if s.Committed, src, err = DecodeBallot(src); err != nil {
		return s, err
	}
	if s.Commit, src, err = decodeOptPartition(src); err != nil {
		return s, fmt.Errorf("commit: %w", err)
	}
	if len(src) != 0 {
		return s, fmt.Errorf("%w: %d trailing bytes", ErrCorruptPaxos, len(src))
	}
	return s, nil
}

func decodeOptPartition(src []byte) (*schema.Partition, []byte, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(len(src)-k)+1 {
		return nil, nil, fmt.Errorf("%w: bad partition length", ErrCorruptPaxos)
	}
	src = src[k:]
	if n == 0 {
		return nil, src, nil
	}
	p, err := schema.DecodePartition(src[:n-1])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrCorruptPaxos, err)
	}
	return p, src[n-1:], nil
}

// paxosLocks serialize the read-modify-write of one partition's record.
// Striped like the data latches: two partitions may share a stripe, which
// only costs them some waiting.
type paxosLocks struct {
	seed  maphash.Seed
	locks [numLatches]sync.Mutex
}

func (l *paxosLocks) lock(key []byte) func() {
	m := &l.locks[maphash.Bytes(l.seed, key)%numLatches]
	m.Lock()
	return m.Unlock
}

// paxosKey is the record key of partition (t, token, key): the table data
// prefix of the partition with its first byte replaced by spacePaxos.
func paxosKey(t schema.TableID, token int64, key []byte) []byte {
	k := appendPartitionPrefix(nil, t, token, key)
	k[0] = spacePaxos
	return k
}

// paxosTableSpan returns the key span of every Paxos record of table t.
func paxosTableSpan(t schema.TableID) (start, end []byte) {
	start, end = tableSpan(t)
	start[0] = spacePaxos
	if len(end) == 1 { // t is the last table id: [spaceEnd]
		return start, []byte{spacePaxos + 1}
	}
	end[0] = spacePaxos
	return start, end
}

func (e *Engine) loadPaxos(key []byte) (PaxosState, error) {
	v, ok, err := e.get(key, "paxos state")
	if err != nil || !ok {
		return PaxosState{}, err
	}
	s, err := DecodePaxosState(v)
	if err != nil {
		return PaxosState{}, fmt.Errorf("cannot read paxos state: %w", err)
	}
	return s, nil
}

func (e *Engine) storePaxos(ctx context.Context, key []byte, s *PaxosState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.db.Set(key, AppendPaxosState(nil, s), e.writeOpts); err != nil {
		return fmt.Errorf("cannot store paxos state: %w", err)
	}
	return nil
}

// PaxosPrepare asks the replica to promise ballot for the partition cmd
// reads (cmd must be a single-partition command). It promises when
// ballot is above every ballot it promised and, so that the round's
// writes sort after every committed one, when ballot's microseconds are
// above those of its accepted and committed ballots. Once promised, it
// reads cmd and answers with its state and the read.
func (e *Engine) PaxosPrepare(ctx context.Context, ballot Ballot, cmd *schema.ReadCommand) (PaxosPromise, error) {
	if cmd == nil || len(cmd.Key) == 0 {
		return PaxosPromise{}, fmt.Errorf("%w: paxos prepare needs a single-partition read", ErrInvalidMutation)
	}
	key := paxosKey(cmd.Table, cmd.Token, cmd.Key)
	defer e.paxos.lock(key)()
	s, err := e.loadPaxos(key)
	if err != nil {
		return PaxosPromise{}, err
	}
	if ballot.Compare(s.Promised) <= 0 || ballot.Micros <= s.Accepted.Micros || ballot.Micros <= s.Committed.Micros {
		return PaxosPromise{State: PaxosState{Promised: s.Highest()}}, nil
	}
	s.Promised = ballot
	if err := e.storePaxos(ctx, key, &s); err != nil {
		return PaxosPromise{}, err
	}
	parts, err := e.Read(ctx, cmd)
	if err != nil {
		return PaxosPromise{}, fmt.Errorf("cannot read for paxos prepare: %w", err)
	}
	p := PaxosPromise{Promised: true, State: s}
	if len(parts) > 0 {
		p.Read = parts[0]
	}
	return p, nil
}

// PaxosPropose asks the replica to accept proposal at ballot. It accepts
// unless it promised a higher ballot or committed one at least as high;
// either way it answers the highest ballot it has seen.
func (e *Engine) PaxosPropose(ctx context.Context, ballot Ballot, proposal *schema.Partition) (accepted bool, highest Ballot, err error) {
	if err := validateMutation(proposal); err != nil {
		return false, Ballot{}, err
	}
	key := paxosKey(proposal.Table, proposal.Token, proposal.Key)
	defer e.paxos.lock(key)()
	s, err := e.loadPaxos(key)
	if err != nil {
		return false, Ballot{}, err
	}
	if ballot.Compare(s.Promised) < 0 || ballot.Compare(s.Committed) <= 0 {
		return false, s.Highest(), nil
	}
	s.Promised, s.Accepted, s.Proposal = ballot, ballot, proposal
	if err := e.storePaxos(ctx, key, &s); err != nil {
		return false, Ballot{}, err
	}
	return true, ballot, nil
}

// PaxosCommit applies update (the proposal accepted by a quorum at
// ballot) to the table data and records the commit, in one batch: a
// crash leaves both or neither. Applying is idempotent, so a commit that
// arrives twice, or after a newer one, changes nothing wrongly; the
// record keeps the newest commit and clears an accepted proposal it
// settles.
func (e *Engine) PaxosCommit(ctx context.Context, ballot Ballot, update *schema.Partition) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateMutation(update); err != nil {
		return err
	}
	key := paxosKey(update.Table, update.Token, update.Key)
	defer e.paxos.lock(key)()
	s, err := e.loadPaxos(key)
	if err != nil {
		return err
	}
	if ballot.Compare(s.Committed) > 0 {
		s.Committed, s.Commit = ballot, update
	}
	if s.Accepted.Compare(s.Committed) <= 0 {
		s.Accepted, s.Proposal = Ballot{}, nil
	}
	return e.commitPaxos(key, &s, update)
}

func (e *Engine) commitPaxos(key []byte, s *PaxosState, update *schema.Partition) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	ws := writeScratchPool.Get().(*writeScratch)
	defer writeScratchPool.Put(ws)
	b := e.db.NewBatch()
	defer b.Close()
	if err := e.encodeMutation(b, ws, update); err != nil {
		return err
	}
	if err := b.Set(key, AppendPaxosState(nil, s), nil); err != nil {
		return fmt.Errorf("cannot add paxos commit to batch: %w", err)
	}
	ws.latches = append(ws.latches[:0], e.latchIndex(update.Table, update.Key))
	e.rlockLatches(ws)
	err := b.Commit(e.writeOpts)
	e.runlockLatches(ws)
	if err != nil {
		return fmt.Errorf("cannot commit paxos batch: %w", err)
	}
	e.m.applies.Add(1)
	e.m.applyPartitions.Add(1)
	e.m.applyBytes.Add(int64(b.Len()))
	return nil
}

// PaxosStateOf returns the stored state of one partition (zero when it
// has none), for tests and tools.
func (e *Engine) PaxosStateOf(t schema.TableID, token int64, key []byte) (PaxosState, error) {
	return e.loadPaxos(paxosKey(t, token, key))
}

// purgePaxos deletes the Paxos records whose every ballot is older than
// their table's gc horizon, except a record holding an accepted proposal
// newer than its commit: that one is still to be finished by the next
// round on its partition, and deleting it could lose an update a client
// was told may have been applied.
func (e *Engine) purgePaxos(ctx context.Context) error {
	var keys [][]byte
	err := func() error {
		if err := e.enter(); err != nil {
			return err
		}
		defer e.exit()
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{spacePaxos}, UpperBound: []byte{spacePaxos + 1}})
		if err != nil {
			return fmt.Errorf("cannot start paxos purge: %w", err)
		}
		defer func() { _ = it.Close() }()
		for it.First(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if purge, err := e.paxosPurgeable(it.Key(), it.Value()); err != nil {
				return err
			} else if purge {
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
		}
		return it.Error()
	}()
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := e.purgePaxosKey(k); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) paxosPurgeable(key, value []byte) (bool, error) {
	if len(key) < tablePrefixLen {
		return false, fmt.Errorf("cannot purge paxos state: %w: short key", errBadKey)
	}
	s, err := DecodePaxosState(value)
	if err != nil {
		return false, fmt.Errorf("cannot purge paxos state: %w", err)
	}
	if s.InProgress() {
		return false, nil
	}
	t := schema.TableID(binary.BigEndian.Uint32(key[1:tablePrefixLen]))
	return s.Highest().Micros < e.horizon(t)*1_000_000, nil
}

// purgePaxosKey re-checks one record under its lock (a round may have
// touched it since the scan) and deletes it.
func (e *Engine) purgePaxosKey(key []byte) error {
	defer e.paxos.lock(key)()
	v, ok, err := e.get(key, "paxos state")
	if err != nil || !ok {
		return err
	}
	if purge, err := e.paxosPurgeable(key, v); err != nil || !purge {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.db.Delete(key, e.writeOpts); err != nil {
		return fmt.Errorf("cannot purge paxos state: %w", err)
	}
	e.m.purgedKeys.Add(1)
	return nil
}
