package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Lightweight transactions (CAS and SERIAL reads) run single-decree Paxos
// per partition, modelled on Cassandra 4.1's Paxos v2 (CEP-14) where it
// saves work, on the classic protocol where that is simpler. The
// acceptor's half, durable per-partition state, is storage/paxos.go.
//
// # One transaction
//
//  1. Prepare. The coordinator takes a ballot from its hybrid clock
//     (ballotClock: max(now µs, last seen + 1), node id as tie-break) and
//     sends it, with the transaction's read command, to every live
//     participant: the partition's natural and pending replicas (SERIAL),
//     or those of the local data center (LOCAL_SERIAL). A replica promises
//     a ballot above every one it promised, and, so that the round's
//     writes sort after every committed one, whose microseconds pass those
//     of its accepted and committed ballots; it answers with its state
//     and its read of the partition, taken after the promise (Paxos v2's
//     combined prepare and read: no separate quorum read). A quorum of
//     promises (QUORUM of natural replicas plus the pending ones, or
//     LOCAL_QUORUM) is needed.
//  2. Settle the past. If a promise shows an accepted proposal newer than
//     the latest commit any responder knows, some earlier round may have
//     had it accepted by a quorum: the coordinator re-proposes it at its
//     own ballot, commits it, and starts over. If a responder missed the
//     latest commit, the coordinator commits it there and starts over.
//     So when a round proceeds, every responder has applied the latest
//     commit (the commit writes data and record in one batch), and by
//     induction every earlier one is held by at least one responder of
//     any quorum: the responders' reads, reconciled, are the partition as
//     every committed transaction left it.
//  3. Decide. exec's Decide gets that partition and the ballot's
//     microseconds as the write timestamp, and returns the update or nil.
//  4. Propose. The update (or, when the conditions fail or for a SERIAL
//     read, an empty update: CASSANDRA-12126, so that no older proposal
//     still in flight can complete after this read) is proposed at the
//     ballot. A replica accepts unless it promised a higher ballot.
//  5. Commit. With a quorum of acceptances the update is sent to every
//     live natural and pending replica (all data centers), which applies
//     it with its commit record; the client waits for the statement's own
//     consistency (ANY: for none). An empty update is not committed: an
//     accepted empty proposal changes nothing, and the next round skips
//     it.
//
// A round that loses to a higher ballot (a refused promise, a refused
// proposal nobody accepted) backs off for a random, growing time and
// retries with a higher ballot until the write timeout (Cassandra's
// cas_contention_timeout). A proposal refused by a quorum but accepted by
// some replica, or whose answers did not all arrive, may still be
// completed by a later round: the client gets WriteTimeout with write
// type CAS (outcome unknown) rather than a retry that could report the
// update as not applied after it was.
//
// # Timestamps and plain writes
//
// The update's cells carry the ballot's microseconds, so transactions on
// a partition are ordered by their ballots, and the replicas' promise
// rule makes each new ballot's microseconds larger than every committed
// one's. Linearizability holds among lightweight transactions and SERIAL
// reads only: a plain write (no IF) bypasses Paxos and reconciles by
// timestamp, so a plain write with a later timestamp wins over an LWT
// write and one with an earlier timestamp loses to it, whatever the order
// in which they ran — as in Cassandra. Do not mix them on the same data.
//
// # Paxos state, gc_grace and repair
//
// Each partition's acceptor record lives until every ballot in it is
// older than the table's gc_grace_seconds, when the storage purger drops
// it, unless it holds an accepted proposal newer than its commit: that
// one waits for the next transaction on the partition, which finishes it
// (step 2), whether the replica that accepted it was repaired or not.
// Repair streams table data only; a replica that missed commits learns
// them from repair or from the next transaction's step 2. As with
// tombstones, a replica down for longer than gc_grace must be repaired
// before it rejoins, since the records that would have fixed it may be
// gone.

// ballotClock makes ballots: strictly increasing on this node, and never
// below a ballot a replica reported, so a coordinator that lost a round
// outbids the winner on its next try.
type ballotClock struct {
	node ring.HostID
	now  func() time.Time
	last atomic.Int64 // microseconds of the highest ballot made or seen
}

func newBallotClock(node ring.HostID, now func() time.Time) *ballotClock {
	return &ballotClock{node: node, now: now}
}

// next returns a ballot above every one made or observed.
func (c *ballotClock) next() storage.Ballot {
	for {
		last := c.last.Load()
		m := max(c.now().UnixMicro(), last+1)
		if c.last.CompareAndSwap(last, m) {
			return storage.Ballot{Micros: m, Node: c.node}
		}
	}
}

// observe advances the clock past b.
func (c *ballotClock) observe(b storage.Ballot) {
	for {
		last := c.last.Load()
		if b.Micros <= last || c.last.CompareAndSwap(last, b.Micros) {
			return
		}
	}
}

// paxosPlan is where one transaction's rounds go.
type paxosPlan struct {
	serial exec.Consistency
	// participants are the live replicas of prepare and propose, needs
	// the quorum of them a round must hear from.
	participants []replicaInfo
	needs        []need
	// everyone are the live natural and pending replicas in every data
	// center: a commit goes to all of them.
	everyone []replicaInfo
	// quorumNeeds is what finishing another round's proposal waits for;
	// commitNeeds what the transaction's own commit waits for (nil: ANY).
	quorumNeeds, commitNeeds []need
}

// CAS runs one lightweight transaction (exec.Coordinator).
func (c *Coordinator) CAS(ctx context.Context, req *exec.CASRequest) (exec.CASResult, error) {
	start := time.Now()
	res, err := c.cas(ctx, req)
	c.cfg.Metrics.observeCAS(start, err)
	return res, err
}

func (c *Coordinator) cas(ctx context.Context, req *exec.CASRequest) (exec.CASResult, error) {
	if req == nil || req.Read == nil || req.Read.Key == nil || req.Decide == nil {
		return exec.CASResult{}, exec.Errorf(exec.CodeInvalid, "a lightweight transaction needs a single-partition read and a decision")
	}
	if req.Serial != exec.Serial && req.Serial != exec.LocalSerial {
		return exec.CASResult{}, exec.Errorf(exec.CodeInvalid, "Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL")
	}
	if req.Commit == exec.Serial || req.Commit == exec.LocalSerial {
		return exec.CASResult{}, exec.Errorf(exec.CodeInvalid, "%s is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads\"", clName(req.Commit))
	}
	plan, err := c.paxosPlan(req.Read, req.Serial, req.Commit)
	if err != nil {
		return exec.CASResult{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
	defer cancel()
	for attempt := 0; ; {
		res, next, err := c.paxosRound(rctx, ctx, plan, req)
		switch {
		case err != nil:
			return exec.CASResult{}, err
		case next == roundDone:
			return res, nil
		case next == roundContended:
			c.cfg.Metrics.cas.retries.WithLabelValues("contention").Inc()
			attempt++
			if err := backoff(rctx, attempt); err != nil {
				return exec.CASResult{}, casTimeout(rctx, plan, 0)
			}
		case next == roundFinishedOther:
			c.cfg.Metrics.cas.retries.WithLabelValues("in_progress").Inc()
		case next == roundRepairedCommit:
			c.cfg.Metrics.cas.retries.WithLabelValues("missed_commit").Inc()
		}
	}
}

// What a round asks of the next.
const (
	roundDone           = iota // the transaction has its outcome
	roundContended             // a higher ballot won: back off and retry
	roundFinishedOther         // the round completed an earlier proposal: start over
	roundRepairedCommit        // the round sent the latest commit to responders that missed it: start over
)

// paxosPlan finds the participants of a transaction on cmd's partition
// and checks that enough are alive for the Paxos rounds and the commit.
func (c *Coordinator) paxosPlan(cmd *schema.ReadCommand, serial, commit exec.Consistency) (paxosPlan, error) {
	pl, err := c.cfg.Placement(cmd.Table)
	if err != nil {
		return paxosPlan{}, err
	}
	if pl.strategy == nil {
		self := []replicaInfo{{id: c.cfg.Self, dc: c.cfg.LocalDC, alive: true}}
		one := []need{{count: 1}}
		var commitNeeds []need
		if commit != exec.Any {
			commitNeeds = one
		}
		return paxosPlan{serial: serial, participants: self, needs: one, everyone: self, quorumNeeds: one, commitNeeds: commitNeeds}, nil
	}
	snap := c.cfg.Ring()
	rp := pl.over(snap)
	tok := ring.Token(cmd.Token)
	all := append(c.describe(snap, rp.Replicas(tok)), c.describe(snap, rp.PendingReplicas(tok))...)
	pendingByDC := make(map[string]int)
	for _, p := range c.describe(snap, rp.PendingReplicas(tok)) {
		pendingByDC[p.dc]++
	}
	rfs := replicationFactors(pl.strategy)
	quorum := exec.Quorum
	if serial == exec.LocalSerial {
		quorum = exec.LocalQuorum
	}
	needs, err := requirements(quorum, rfs, c.cfg.LocalDC, true, pendingByDC)
	if err != nil {
		return paxosPlan{}, err
	}
	participants := all
	if serial == exec.LocalSerial {
		if _, simple := rfs[""]; !simple {
			participants = slices.DeleteFunc(slices.Clone(all), func(r replicaInfo) bool { return r.dc != c.cfg.LocalDC })
		}
	}
	if err := checkAvailable(serial, needs, participants, false); err != nil {
		return paxosPlan{}, err
	}
	var commitNeeds []need
	if commit != exec.Any {
		if commitNeeds, err = requirements(commit, rfs, c.cfg.LocalDC, true, pendingByDC); err != nil {
			return paxosPlan{}, err
		}
		if err := checkAvailable(commit, commitNeeds, all, false); err != nil {
			return paxosPlan{}, err
		}
	}
	return paxosPlan{serial: serial, participants: aliveOnly(participants), needs: needs, everyone: aliveOnly(all),
		quorumNeeds: needs, commitNeeds: commitNeeds}, nil
}

// paxosRound runs one prepare and what follows it. rctx bounds the
// rounds; ctx is the client's, which the commit's wait is bounded by.
func (c *Coordinator) paxosRound(rctx, ctx context.Context, plan paxosPlan, req *exec.CASRequest) (exec.CASResult, int, error) {
	ballot := c.ballots.next()
	promises, ok, err := c.paxosPrepare(rctx, plan, ballot, req.Read)
	if err != nil {
		return exec.CASResult{}, 0, err
	}
	if !ok {
		return exec.CASResult{}, roundContended, nil
	}
	latest := latestCommit(promises)
	if prop := inProgress(promises, latest); prop != nil {
		// The proposal keeps its own cells' timestamps; only the ballot
		// is ours.
		return c.finishProposal(rctx, plan, ballot, prop)
	}
	if missed := missedCommit(promises, latest); len(missed) > 0 {
		return c.repairCommit(rctx, plan, latest, missed)
	}
	answers := make([]answer, len(promises))
	for i, p := range promises {
		answers[i] = answer{from: p.from, part: p.v.Read}
	}
	current := reconcile(answers, req.Read.Reversed)
	update, err := req.Decide(current, ballot.Micros)
	if err != nil {
		return exec.CASResult{}, 0, err
	}
	if update == nil {
		// Conditions false (or a SERIAL read): an empty proposal at our
		// ballot makes sure no older proposal completes after our read.
		empty := &schema.Partition{Table: req.Read.Table, Token: req.Read.Token, Key: req.Read.Key, Deletion: schema.LiveDeletion}
		accepted, _, err := c.paxosPropose(rctx, plan, ballot, empty)
		if err != nil {
			return exec.CASResult{}, 0, err
		}
		if !accepted {
			return exec.CASResult{}, roundContended, nil
		}
		return exec.CASResult{Current: current}, roundDone, nil
	}
	if update.Table != req.Read.Table || update.Token != req.Read.Token || string(update.Key) != string(req.Read.Key) {
		return exec.CASResult{}, 0, exec.Errorf(exec.CodeInvalid, "a lightweight transaction's update must be on the partition it read")
	}
	accepted, maybe, err := c.paxosPropose(rctx, plan, ballot, update)
	if err != nil {
		return exec.CASResult{}, 0, err
	}
	if !accepted {
		if maybe {
			c.cfg.Metrics.cas.unknown.Inc()
			return exec.CASResult{}, 0, casUnknown(plan, "the proposal was accepted by some replicas but beaten by a higher ballot")
		}
		return exec.CASResult{}, roundContended, nil
	}
	if err := c.paxosCommit(ctx, plan, ballot, update, req.Commit, plan.commitNeeds); err != nil {
		return exec.CASResult{}, 0, err
	}
	return exec.CASResult{Current: current, Applied: true}, roundDone, nil
}

// paxosReply is one replica's answer in a Paxos phase.
type paxosReply[T any] struct {
	from replicaInfo
	v    T
	err  error
}

// paxosAsk sends op to each replica concurrently; answers arrive on the
// returned channel, buffered for all of them, so the goroutines (which
// Wait accounts for) end by ctx's deadline whether or not anyone reads.
func paxosAsk[T any](c *Coordinator, ctx context.Context, to []replicaInfo, op func(context.Context, replica) (T, error)) <-chan paxosReply[T] {
	out := make(chan paxosReply[T], len(to))
	for _, r := range to {
		c.goBehind(func() {
			var v T
			err := errReplicaDown
			if rep, ok := c.replicaFor(r.id); ok {
				v, err = op(ctx, rep)
			}
			out <- paxosReply[T]{from: r, v: v, err: err}
		})
	}
	return out
}

// paxosPrepare gathers promises for ballot. ok is false when the replicas
// refused enough that a quorum cannot promise; err is a WriteTimeout when
// the deadline passes first.
func (c *Coordinator) paxosPrepare(ctx context.Context, plan paxosPlan, ballot storage.Ballot, cmd *schema.ReadCommand) ([]paxosReply[storage.PaxosPromise], bool, error) {
	replies := paxosAsk(c, ctx, plan.participants, func(ctx context.Context, r replica) (storage.PaxosPromise, error) {
		return r.PaxosPrepare(ctx, ballot, cmd)
	})
	var promised []paxosReply[storage.PaxosPromise]
	var yes []replicaInfo
	pending := slices.Clone(plan.participants)
	for !satisfied(plan.needs, yes) {
		if !satisfied(plan.needs, append(slices.Clone(yes), pending...)) {
			return nil, false, nil
		}
		select {
		case rp := <-replies:
			pending = slices.DeleteFunc(pending, func(r replicaInfo) bool { return r.id == rp.from.id })
			if rp.err != nil {
				continue
			}
			c.ballots.observe(rp.v.State.Highest())
			if rp.v.Promised {
				promised, yes = append(promised, rp), append(yes, rp.from)
			}
		case <-ctx.Done():
			return nil, false, casTimeout(ctx, plan, len(yes))
		}
	}
	return promised, true, nil
}

// paxosPropose asks the participants to accept proposal at ballot.
// accepted reports a quorum of acceptances; when there is none, maybe
// reports whether the proposal may still take effect (some replica
// accepted it, or failed to answer): a later round could then complete
// it. Once a quorum is out of reach and nobody accepted, it still waits
// for the replicas yet to answer, since only their refusals prove the
// proposal dead (a retry is then safe, an unknown outcome is not).
func (c *Coordinator) paxosPropose(ctx context.Context, plan paxosPlan, ballot storage.Ballot, proposal *schema.Partition) (accepted, maybe bool, err error) {
	type acceptance struct {
		ok      bool
		highest storage.Ballot
	}
	replies := paxosAsk(c, ctx, plan.participants, func(ctx context.Context, r replica) (acceptance, error) {
		ok, hi, err := r.PaxosPropose(ctx, ballot, proposal)
		return acceptance{ok, hi}, err
	})
	var yes []replicaInfo
	pending := slices.Clone(plan.participants)
	failed := false
	for !satisfied(plan.needs, yes) {
		if !satisfied(plan.needs, append(slices.Clone(yes), pending...)) && (len(yes) > 0 || failed || len(pending) == 0) {
			return false, len(yes) > 0 || failed, nil
		}
		select {
		case rp := <-replies:
			pending = slices.DeleteFunc(pending, func(r replicaInfo) bool { return r.id == rp.from.id })
			if rp.err != nil {
				failed = true // it may have accepted before the answer was lost
				continue
			}
			c.ballots.observe(rp.v.highest)
			if rp.v.ok {
				yes = append(yes, rp.from)
			}
		case <-ctx.Done():
			return false, true, casTimeout(ctx, plan, len(yes))
		}
	}
	return true, false, nil
}

// paxosCommit sends update to every live replica and waits until needs
// are met (nil: not at all, for ANY); the replicas still to answer
// finish behind the client's answer. A commit that misses its level is a
// WriteTimeout of write type SIMPLE: the update is applied (a quorum
// accepted it) and the replicas that missed it learn it from the next
// round.
func (c *Coordinator) paxosCommit(ctx context.Context, plan paxosPlan, ballot storage.Ballot, update *schema.Partition, cl exec.Consistency, needs []need) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.WriteTimeout)
	replies := paxosAsk(c, cctx, plan.everyone, func(ctx context.Context, r replica) (struct{}, error) {
		return struct{}{}, r.PaxosCommit(ctx, ballot, update)
	})
	left := len(plan.everyone)
	defer func() {
		// Release the commit's deadline once every replica answered.
		c.goBehind(func() {
			defer cancel()
			for ; left > 0; left-- {
				<-replies
			}
		})
	}()
	var acked []replicaInfo
	var failures []error
	for needs != nil && !satisfied(needs, acked) && left > 0 {
		select {
		case rp := <-replies:
			left--
			if rp.err != nil {
				failures = append(failures, rp.err)
				continue
			}
			acked = append(acked, rp.from)
		case <-ctx.Done():
			return writeError(ctx, cl, exec.WriteSimple, len(acked), blockFor(needs), failures)
		case <-cctx.Done():
			return writeError(cctx, cl, exec.WriteSimple, len(acked), blockFor(needs), failures)
		}
	}
	if needs != nil && !satisfied(needs, acked) {
		return &exec.Error{Code: exec.CodeWriteTimeout, WriteType: exec.WriteSimple, Consistency: cl, Received: len(acked), BlockFor: blockFor(needs),
			Message: fmt.Sprintf("Operation timed out - received only %d responses: %v", len(acked), errors.Join(failures...))}
	}
	return nil
}

// finishProposal re-proposes an earlier round's accepted proposal at
// ballot and commits it at a quorum, so that whatever that round's client
// was told stays true; the caller starts over.
func (c *Coordinator) finishProposal(ctx context.Context, plan paxosPlan, ballot storage.Ballot, prop *schema.Partition) (exec.CASResult, int, error) {
	accepted, _, err := c.paxosPropose(ctx, plan, ballot, prop)
	if err != nil {
		return exec.CASResult{}, 0, err
	}
	if !accepted {
		return exec.CASResult{}, roundContended, nil
	}
	if err := c.paxosCommit(ctx, plan, ballot, prop, plan.serial, plan.quorumNeeds); err != nil {
		return exec.CASResult{}, roundContended, nil // the next round sees it again
	}
	return exec.CASResult{}, roundFinishedOther, nil
}

// repairCommit sends the latest commit to the responders that missed it
// and waits for them; the caller starts over, so that its reads include
// the commit.
func (c *Coordinator) repairCommit(ctx context.Context, plan paxosPlan, latest storage.PaxosState, missed []replicaInfo) (exec.CASResult, int, error) {
	replies := paxosAsk(c, ctx, missed, func(ctx context.Context, r replica) (struct{}, error) {
		return struct{}{}, r.PaxosCommit(ctx, latest.Committed, latest.Commit)
	})
	for range missed {
		select {
		case rp := <-replies:
			if rp.err != nil {
				return exec.CASResult{}, roundContended, nil
			}
		case <-ctx.Done():
			return exec.CASResult{}, 0, casTimeout(ctx, plan, 0)
		}
	}
	return exec.CASResult{}, roundRepairedCommit, nil
}

// latestCommit returns the state of the responder that knows the most
// recent commit (its Committed and Commit); zero when none does.
func latestCommit(promises []paxosReply[storage.PaxosPromise]) storage.PaxosState {
	var latest storage.PaxosState
	for _, p := range promises {
		if p.v.State.Commit != nil && p.v.State.Committed.Compare(latest.Committed) > 0 {
			latest = p.v.State
		}
	}
	return latest
}

// inProgress returns the most recent accepted proposal among the promises
// when it is newer than the latest commit and not empty (an empty
// proposal changes nothing: nothing to finish).
func inProgress(promises []paxosReply[storage.PaxosPromise], latest storage.PaxosState) *schema.Partition {
	var best storage.PaxosState
	for _, p := range promises {
		if p.v.State.Proposal != nil && p.v.State.Accepted.Compare(best.Accepted) > 0 {
			best = p.v.State
		}
	}
	if best.Proposal == nil || best.Accepted.Compare(latest.Committed) <= 0 || emptyUpdate(best.Proposal) {
		return nil
	}
	return best.Proposal
}

func emptyUpdate(p *schema.Partition) bool {
	return p.Deletion.Live() && len(p.RangeTombstones) == 0 && p.Static == nil && len(p.Rows) == 0
}

// missedCommit returns the responders whose latest commit is older than
// latest's.
func missedCommit(promises []paxosReply[storage.PaxosPromise], latest storage.PaxosState) []replicaInfo {
	if latest.Commit == nil {
		return nil
	}
	var out []replicaInfo
	for _, p := range promises {
		if p.v.State.Committed.Compare(latest.Committed) < 0 {
			out = append(out, p.from)
		}
	}
	return out
}

// backoff waits a random time that grows with the attempt (up to 100 ms,
// as Cassandra's contention back-off), or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond)
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// casTimeout is the error of a Paxos round that ran out of time: a
// WriteTimeout of write type CAS, whose outcome the client cannot know.
func casTimeout(ctx context.Context, plan paxosPlan, received int) error {
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("lightweight transaction abandoned: %w", ctx.Err())
	}
	return &exec.Error{Code: exec.CodeWriteTimeout, WriteType: exec.WriteCAS, Consistency: plan.serial,
		Received: received, BlockFor: blockFor(plan.needs),
		Message: fmt.Sprintf("Operation timed out - received only %d responses.", received)}
}

// casUnknown is the error of a proposal that lost to a higher ballot
// after some replica accepted it: a later round may complete it.
func casUnknown(plan paxosPlan, why string) error {
	return &exec.Error{Code: exec.CodeWriteTimeout, WriteType: exec.WriteCAS, Consistency: plan.serial,
		Received: 0, BlockFor: blockFor(plan.needs), Message: "CAS operation result is unknown - " + why}
}

// serialRead reads one partition at SERIAL or LOCAL_SERIAL: a transaction
// whose conditions never hold, so it completes any transaction in
// progress and proposes an empty update before it answers. A timeout is
// a ReadTimeout at the serial level, as Cassandra reports it.
func (c *Coordinator) serialRead(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	if cmd.Key == nil {
		return nil, exec.Errorf(exec.CodeInvalid, "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time")
	}
	res, err := c.cas(ctx, &exec.CASRequest{Read: cmd, Serial: cl, Commit: exec.Any,
		Decide: func(*schema.Partition, int64) (*schema.Partition, error) { return nil, nil }})
	var e *exec.Error
	if errors.As(err, &e) && e.Code == exec.CodeWriteTimeout {
		return nil, &exec.Error{Code: exec.CodeReadTimeout, Consistency: cl, Received: e.Received, BlockFor: e.BlockFor, Message: e.Message}
	}
	if err != nil {
		return nil, err
	}
	if res.Current == nil {
		return nil, nil
	}
	return []*schema.Partition{res.Current}, nil
}

// Coordinator returns the node's coordinator, for in-process harnesses
// (internal/faults' linearizability test) that drive lightweight
// transactions below CQL.
func (n *Node) Coordinator() exec.Coordinator { return n.coord }

// TableSchema returns a table of the node's current catalog, or nil.
func (n *Node) TableSchema(keyspace, table string) *schema.Table {
	return n.schema.Catalog().Table(keyspace, table)
}
