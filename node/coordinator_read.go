package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Read runs cmd at consistency cl.
func (c *Coordinator) Read(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	start := time.Now()
	parts, err := c.read(ctx, cl, cmd)
	c.cfg.Metrics.observeRead(start, cl, cmd, parts, err)
	return parts, err
}

func (c *Coordinator) read(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	if cl == exec.Serial || cl == exec.LocalSerial {
		return c.serialRead(ctx, cl, cmd)
	}
	pl, err := c.cfg.Placement(cmd.Table)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ReadTimeout)
	defer cancel()
	if pl.strategy == nil {
		if _, err := requirements(cl, map[string]int{"": 1}, c.cfg.LocalDC, false, nil); err != nil {
			return nil, err
		}
		return c.readLocal(ctx, cl, cmd)
	}
	if cmd.Key != nil {
		return c.readPartition(ctx, cl, pl.strategy, cmd)
	}
	return c.readRange(ctx, cl, pl.strategy, cmd)
}

func (c *Coordinator) readLocal(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	parts, err := c.cfg.Local.Read(ctx, cmd)
	if err != nil {
		return nil, readError(ctx, cl, 0, 1, err)
	}
	return parts, nil
}

// readReplicas returns the replicas a read of token tok asks, after
// checking availability.
func (c *Coordinator) readReplicas(snap *ring.Snapshot, cl exec.Consistency, st ring.Strategy, tok ring.Token) ([]need, []replicaInfo, error) {
	natural := c.describe(snap, snap.Replicas(tok, st))
	needs, err := requirements(cl, replicationFactors(st), c.cfg.LocalDC, false, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAvailable(cl, needs, natural, false); err != nil {
		return nil, nil, err
	}
	return needs, chooseReadReplicas(needs, natural, c.cfg.Self), nil
}

// readPartition reads one partition from enough replicas, reconciles their
// answers and repairs the replicas that were behind before answering.
func (c *Coordinator) readPartition(ctx context.Context, cl exec.Consistency, st ring.Strategy, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	needs, chosen, err := c.readReplicas(c.cfg.Ring(), cl, st, ring.Token(cmd.Token))
	if err != nil {
		return nil, err
	}
	if len(chosen) == 1 && chosen[0].id == c.cfg.Self {
		return c.readLocal(ctx, cl, cmd)
	}
	spares := c.spareReplicas(c.cfg.Ring(), st, cmd, chosen)
	exec.Tracef(ctx, "Reading partition from %d replicas at %s", len(chosen), clName(cl))
	answers, err := c.askReplicas(ctx, cl, needs, chosen, spares, cmd)
	if err != nil {
		return nil, err
	}
	merged := reconcile(answers, cmd.Reversed)
	if err := c.readRepair(ctx, cl, needs, merged, answers, spares); err != nil {
		return nil, err
	}
	if merged == nil {
		return nil, nil
	}
	return []*schema.Partition{merged}, nil
}

// spareReplicas returns the live natural replicas of cmd's partition that
// were not chosen for the read.
func (c *Coordinator) spareReplicas(snap *ring.Snapshot, st ring.Strategy, cmd *schema.ReadCommand, chosen []replicaInfo) []replicaInfo {
	var spares []replicaInfo
	for _, r := range c.describe(snap, snap.Replicas(ring.Token(cmd.Token), st)) {
		if r.alive && !slices.ContainsFunc(chosen, func(ch replicaInfo) bool { return ch.id == r.id }) {
			spares = append(spares, r)
		}
	}
	return spares
}

// answer is one replica's reply to a single-partition read.
type answer struct {
	from replicaInfo
	part *schema.Partition // nil when the replica holds nothing
}

// speculateAfter is how long a read waits for its chosen replicas before
// it also asks a spare one (Cassandra's speculative_retry, here a fixed
// delay, a small fraction of the read timeout). A replica that fails at
// once is replaced at once. A replica that is silent — cut off, paused,
// or hung, while gossip still sees it up — would otherwise cost the
// client the whole read timeout although other replicas could answer.
func (c *Coordinator) speculateAfter() time.Duration {
	return min(c.cfg.ReadTimeout/10, 100*time.Millisecond)
}

// askReplicas sends cmd to each chosen replica and collects answers until
// needs are met. Spares (live replicas not chosen) are asked one at a
// time: when a replica fails, and each time speculateAfter passes without
// the needs met. Fewer answers than needed is a ReadTimeout or
// ReadFailure. Requests still running when it returns end with ctx,
// which the caller cancels.
func (c *Coordinator) askReplicas(ctx context.Context, cl exec.Consistency, needs []need, chosen, spares []replicaInfo, cmd *schema.ReadCommand) ([]answer, error) {
	type reply struct {
		from  replicaInfo
		parts []*schema.Partition
		err   error
	}
	// Room for every replica that may be asked, so one that answers after
	// this returns never blocks its goroutine.
	replies := make(chan reply, len(chosen)+len(spares))
	ask := func(r replicaInfo) {
		go func() {
			parts, err := c.readFrom(ctx, r.id, cmd)
			replies <- reply{from: r, parts: parts, err: err}
		}()
	}
	for _, r := range chosen {
		ask(r)
	}
	pending := len(chosen)
	spare := func() bool {
		if len(spares) == 0 {
			return false
		}
		exec.Tracef(ctx, "Asking a spare replica (speculative retry)")
		ask(spares[0])
		spares, pending = spares[1:], pending+1
		return true
	}
	var answers []answer
	var acked []replicaInfo
	var failures []error
	speculate := time.NewTimer(c.speculateAfter())
	defer speculate.Stop()
	for pending > 0 && !satisfied(needs, acked) {
		select {
		case rp := <-replies:
			pending--
			if rp.err != nil {
				failures = append(failures, rp.err)
				spare()
				continue
			}
			a := answer{from: rp.from}
			if len(rp.parts) > 0 {
				a.part = rp.parts[0]
			}
			answers, acked = append(answers, a), append(acked, rp.from)
		case <-speculate.C:
			if spare() {
				speculate.Reset(c.speculateAfter())
			}
		case <-ctx.Done():
			return nil, readError(ctx, cl, len(answers), blockFor(needs), errors.Join(failures...))
		}
	}
	if !satisfied(needs, acked) {
		return nil, readError(ctx, cl, len(answers), blockFor(needs), errors.Join(failures...))
	}
	return answers, nil
}

func (c *Coordinator) readFrom(ctx context.Context, id ring.HostID, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	r, ok := c.replicaFor(id)
	if !ok {
		return nil, errReplicaDown
	}
	return r.Read(ctx, cmd)
}

func readError(ctx context.Context, cl exec.Consistency, received, block int, cause error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &exec.Error{Code: exec.CodeReadTimeout, Consistency: cl, Received: received, BlockFor: block,
			DataPresent: received > 0, Message: fmt.Sprintf("Operation timed out - received only %d responses.", received)}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("read abandoned: %w", ctx.Err())
	}
	return &exec.Error{Code: exec.CodeReadFailure, Consistency: cl, Received: received, BlockFor: block, NumFailures: 1,
		DataPresent: received > 0, Cause: cause, Message: fmt.Sprintf("Operation failed - received %d responses: %v", received, cause)}
}

// reconcile merges the replicas' answers by the reconciliation contract.
func reconcile(answers []answer, reversed bool) *schema.Partition {
	var merged *schema.Partition
	for _, a := range answers {
		switch {
		case a.part == nil:
		case merged == nil:
			merged = a.part
		default:
			merged = schema.MergeInOrder(merged, a.part, reversed)
		}
	}
	return merged
}

// readRepair writes to each replica what it lacked relative to merged and
// waits for those writes, so a later read at the same level never sees
// older data (Cassandra's blocking read repair). What the guarantee needs
// is merged on enough replicas to meet needs: a replica whose repair
// write fails (it died after answering) is made up for by writing all of
// merged to a replica that was not asked, as Cassandra's
// BlockingPartitionRepair sends its mutation to further replicas when the
// repaired ones are slow.
func (c *Coordinator) readRepair(ctx context.Context, cl exec.Consistency, needs []need, merged *schema.Partition, answers []answer, spares []replicaInfo) error {
	if merged == nil || len(answers) < 2 {
		return nil
	}
	perHost := make(map[ring.HostID][]*schema.Partition)
	var holding []replicaInfo // replicas known to hold all of merged
	for _, a := range answers {
		if d := schema.Diff(merged, a.part); d != nil {
			perHost[a.from.id] = append(perHost[a.from.id], d)
		} else {
			holding = append(holding, a.from)
		}
	}
	if len(perHost) == 0 {
		return nil
	}
	c.cfg.Metrics.readRepairs.Add(float64(len(perHost)))
	exec.Tracef(ctx, "Read repair: %d of %d replicas were behind; repairing them before answering", len(perHost), len(answers))
	results := c.fanOut(ctx, perHost, func(ctx context.Context, r replica, ms []*schema.Partition) error {
		return r.Apply(ctx, ms...)
	})
	var failures []error
	for _, a := range answers {
		err, repaired := results[a.from.id]
		switch {
		case !repaired:
		case err != nil:
			failures = append(failures, err)
		default:
			holding = append(holding, a.from)
		}
	}
	for _, r := range spares {
		if satisfied(needs, holding) {
			break
		}
		if slices.ContainsFunc(answers, func(a answer) bool { return a.from.id == r.id }) {
			continue
		}
		exec.Tracef(ctx, "Read repair: writing the result to a further replica")
		rep, ok := c.replicaFor(r.id)
		if !ok {
			failures = append(failures, errReplicaDown)
			continue
		}
		if err := rep.Apply(ctx, merged); err != nil {
			failures = append(failures, err)
			continue
		}
		holding = append(holding, r)
	}
	if !satisfied(needs, holding) {
		return readError(ctx, cl, len(answers), blockFor(needs), errors.Join(failures...))
	}
	return nil
}

// readRange serves a token-range read. Each ring range it crosses must be
// readable at cl; when this node alone can answer for all of them (always
// on a single node) it is one local scan, otherwise each range is read
// from its chosen replicas in token order and the answers reconciled.
func (c *Coordinator) readRange(ctx context.Context, cl exec.Consistency, st ring.Strategy, cmd *schema.ReadCommand) ([]*schema.Partition, error) {
	snap := c.cfg.Ring()
	rg := ring.Range{Start: ring.Token(cmd.StartToken), End: ring.Token(cmd.EndToken)}
	// A read resumed at its range's last token has start == end with
	// AfterKey: the rest of that one token's partitions (storage reads it
	// so), not the whole ring that start == end means without AfterKey.
	pieces := []ring.Range{rg}
	if cmd.AfterKey == nil || rg.Start != rg.End {
		pieces = splitByRing(snap, rg)
	}
	plans := make([]rangePlan, 0, len(pieces))
	localOnly := true
	for _, p := range pieces {
		// A piece crosses no ring token, so every token in it has the
		// replicas of its end (a range (t_i, t_i+1] belongs to t_i+1).
		needs, chosen, err := c.readReplicas(snap, cl, st, p.End)
		if err != nil {
			return nil, err
		}
		plans = append(plans, rangePlan{r: p, needs: needs, chosen: chosen})
		localOnly = localOnly && len(chosen) == 1 && chosen[0].id == c.cfg.Self
	}
	if localOnly {
		return c.readLocal(ctx, cl, cmd)
	}
	exec.Tracef(ctx, "Reading %d token ranges from their replicas at %s", len(plans), clName(cl))
	return c.readRangePieces(ctx, cl, cmd, plans)
}

// rangePlan is one piece of a range read and the replicas that serve it.
type rangePlan struct {
	r      ring.Range
	needs  []need
	chosen []replicaInfo
}

// readRangePieces reads each piece in token order, stopping once the
// command's limits are reached.
func (c *Coordinator) readRangePieces(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand, plans []rangePlan) ([]*schema.Partition, error) {
	var out []*schema.Partition
	rows := 0
	fp := c.newFilterProtection()
	for i, p := range plans {
		sub := *cmd
		sub.StartToken, sub.EndToken = int64(p.r.Start), int64(p.r.End)
		if i > 0 {
			// Where to resume lies in the first piece; later pieces
			// are read whole.
			sub.AfterKey, sub.AfterClustering = nil, nil
		}
		parts, err := c.readPiece(ctx, cl, &sub, p, fp)
		if err != nil {
			return nil, err
		}
		for _, part := range parts {
			out = append(out, part)
			_, live := schema.LiveRows(part, cmd.NowSeconds)
			rows += len(live)
			if limitReached(cmd, len(out), rows) {
				return out, nil
			}
		}
	}
	return out, nil
}

func limitReached(cmd *schema.ReadCommand, partitions, rows int) bool {
	return (cmd.PartitionLimit > 0 && partitions >= cmd.PartitionLimit) || (cmd.Limit > 0 && rows >= cmd.Limit)
}

// readPiece reads one ring piece from its replicas and merges their
// partitions key by key, in token order. An index read from several
// replicas is completed by replica filtering protection
// (coordinator_filter.go).
func (c *Coordinator) readPiece(ctx context.Context, cl exec.Consistency, cmd *schema.ReadCommand, p rangePlan, fp *filterProtection) ([]*schema.Partition, error) {
	var merged []*schema.Partition
	answers := make([][]*schema.Partition, 0, len(p.chosen))
	for _, r := range p.chosen {
		parts, err := c.readFrom(ctx, r.id, cmd)
		if err != nil {
			return nil, readError(ctx, cl, 0, blockFor(p.needs), err)
		}
		answers = append(answers, parts)
		merged = mergePartitionLists(merged, parts, cmd.Reversed)
	}
	if cmd.Index != nil && len(p.chosen) > 1 {
		return c.protectFiltering(ctx, cl, cmd, p, answers, merged, fp)
	}
	return merged, nil
}

// mergePartitionLists merges two token-ordered partition lists, reconciling
// partitions present in both.
func mergePartitionLists(a, b []*schema.Partition, reversed bool) []*schema.Partition {
	if len(a) == 0 {
		return b
	}
	out := make([]*schema.Partition, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch cmp := comparePartitions(a[i], b[j]); {
		case cmp < 0:
			out = append(out, a[i])
			i++
		case cmp > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, schema.MergeInOrder(a[i], b[j], reversed))
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func comparePartitions(a, b *schema.Partition) int {
	if a.Token != b.Token {
		if a.Token < b.Token {
			return -1
		}
		return 1
	}
	return compareBytes(a.Key, b.Key)
}

func compareBytes(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// splitByRing cuts r at every ring token, so each piece lies within one
// ring range and has one replica set; pieces come in token order. The
// whole ring is written (MinInt64, MinInt64].
func splitByRing(snap *ring.Snapshot, r ring.Range) []ring.Range {
	var pieces []ring.Range
	for _, u := range unwrapRange(r) {
		start := u.Start
		for _, t := range snap.Tokens() {
			if t > start && t < u.End {
				pieces = append(pieces, ring.Range{Start: start, End: t})
				start = t
			}
		}
		pieces = append(pieces, ring.Range{Start: start, End: u.End})
	}
	return pieces
}

// unwrapRange splits a possibly wrapping range (start, end] into ranges
// with start < end, in token order (so a wrapping range's low part comes
// first). MinInt64 is no key's token, which makes (MinInt64, MaxInt64]
// the whole ring, and a wrapping range that ends at MinInt64 just
// (start, MaxInt64].
func unwrapRange(r ring.Range) []ring.Range {
	minT, maxT := ring.Token(math.MinInt64), ring.Token(math.MaxInt64)
	switch {
	case r.Start == r.End:
		return []ring.Range{{Start: minT, End: maxT}}
	case r.Start < r.End:
		return []ring.Range{r}
	case r.End == minT:
		return []ring.Range{{Start: r.Start, End: maxT}}
	}
	return []ring.Range{{Start: minT, End: r.End}, {Start: r.Start, End: maxT}}
}
