package faults

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gocql/gocql"
)

// Anomaly kinds: each is a broken promise, never a consequence of the
// faults themselves.
const (
	// AnomalyStale: a live QUORUM read missed a write acknowledged before
	// it began (R + W > N promises it).
	AnomalyStale = "stale read"
	// AnomalyLost: after healing, an acknowledged write is not there.
	AnomalyLost = "lost write"
	// AnomalyResurrected: a value deleted by an acknowledged delete came
	// back.
	AnomalyResurrected = "resurrected"
	// AnomalyPhantom: a read returned a value that was never written to
	// its key, was written by a write that definitely failed, or was
	// written only after the read ended.
	AnomalyPhantom = "phantom read"
	// AnomalyUnavailable: a QUORUM request failed while its coordinator
	// could reach a quorum of healthy replicas for its whole duration.
	AnomalyUnavailable = "failed with a quorum reachable"
	// AnomalyDisagree: after hints and repair, replicas hold different
	// values.
	AnomalyDisagree = "replicas disagree after repair"
	// AnomalyFinal: a read after healing kept failing.
	AnomalyFinal = "read failed after healing"
	// AnomalyConverge: after healing, nodes kept seeing others down.
	AnomalyConverge = "no convergence after healing"
	// AnomalyRepair: repair failed on a healed cluster.
	AnomalyRepair = "repair failed"
	// AnomalyHarness: the harness could not do its part (restart a node).
	AnomalyHarness = "harness"
)

// Anomaly is one violation found in a run.
type Anomaly struct {
	Kind   string
	Op     *Op // the operation that shows it, if any
	Detail string
}

func (a Anomaly) String() string {
	if a.Op == nil {
		return a.Kind + ": " + a.Detail
	}
	return fmt.Sprintf("%s: %s: %s", a.Kind, a.Op, a.Detail)
}

// Report is the verdict on a run.
type Report struct {
	// Counts counts operations by "phase kind outcome".
	Counts map[string]int
	// Excused counts live failures whose coordinator could not reach a
	// quorum: the faults explain them.
	Excused   int
	Anomalies []Anomaly
	// Notes are findings that break no promise (replicas that disagreed
	// before repair, hints that did not drain in time).
	Notes []string
}

func (r *Report) anomaly(kind string, op *Op, format string, args ...any) {
	r.Anomalies = append(r.Anomalies, Anomaly{Kind: kind, Op: op, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Failed reports whether the run broke any promise.
func (r *Report) Failed() bool { return len(r.Anomalies) > 0 }

// ByKind counts the anomalies of each kind.
func (r *Report) ByKind() map[string]int {
	m := map[string]int{}
	for _, a := range r.Anomalies {
		m[a.Kind]++
	}
	return m
}

// Summary is one paragraph: operation counts, then anomalies by kind.
func (r *Report) Summary() string {
	var b strings.Builder
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.Counts {
			if !yield(k) {
				return
			}
		}
	})
	b.WriteString("operations:")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, r.Counts[k])
	}
	fmt.Fprintf(&b, "; live failures without a reachable quorum (excused): %d", r.Excused)
	if len(r.Anomalies) == 0 {
		b.WriteString("; no anomalies")
	} else {
		kinds := r.ByKind()
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range kinds {
				if !yield(k) {
					return
				}
			}
		}) {
			fmt.Fprintf(&b, "; %s: %d", k, kinds[k])
		}
	}
	return b.String()
}

// Checker judges a history of operations on the workload's table.
//
// Values: every write is unique and nodes resolve conflicts by the
// client's timestamp, taken between an operation's start and end. So a
// read may return the value of a write or delete O (a delete, or the
// initial state, reads as no row) unless O started after the read ended,
// or O failed, or O was superseded before the read began: some
// acknowledged write or delete A started after O ended and ended before
// the read started. An operation with an unknown outcome has no end: it
// may apply at any time and is never superseded.
//
// Availability: a QUORUM request must not fail when, for its whole
// duration and Settle before it, its coordinator ran, was reachable from
// the client, and reached a quorum of the key's replicas (itself
// included) that ran and were connected to it both ways.
type Checker struct {
	// Settle is how long a node must have been up and connected before a
	// request for it to count towards a quorum: gossip must have marked
	// it up again and messaging redialed it (its backoff reaches 5 s).
	// Default 10 s.
	Settle time.Duration
	// QuorumReachable is Cluster.QuorumReachable; nil skips availability.
	QuorumReachable func(coord, key int, t0, t1 time.Time) bool
	// Explain is Cluster.Explain, for messages; optional.
	Explain func(coord, key int, t0, t1 time.Time) string
	// Since formats times for messages; default RFC 3339.
	Since func(time.Time) string
}

// Check judges ops and returns the anomalies found.
func (ck Checker) Check(ops []Op) Report {
	if ck.Settle == 0 {
		ck.Settle = 10 * time.Second
	}
	if ck.Since == nil {
		ck.Since = func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	}
	rep := Report{Counts: map[string]int{}}
	muts := map[int][]Op{}
	for _, op := range ops {
		rep.Counts[fmt.Sprintf("%s-%s-%s", op.Phase, op.Kind, op.Outcome)]++
		if op.Kind != Read {
			muts[op.Key] = append(muts[op.Key], op)
		}
	}
	for _, op := range ops {
		switch {
		case op.Kind == Read && op.Outcome == OK:
			ck.checkRead(&rep, op, muts[op.Key])
		case op.Phase == Live && op.Outcome != OK:
			if ck.QuorumReachable != nil && ck.QuorumReachable(op.Coord, op.Key, op.Start.Add(-ck.Settle), op.End) {
				why := ""
				if ck.Explain != nil {
					why = "; " + ck.Explain(op.Coord, op.Key, op.Start.Add(-ck.Settle), op.End)
				}
				rep.anomaly(AnomalyUnavailable, &op, "%s..%s, with a quorum of replicas running and connected to the coordinator from %v before%s",
					ck.Since(op.Start), ck.Since(op.End), ck.Settle, why)
			} else {
				rep.Excused++
			}
		case op.Outcome != OK:
			rep.anomaly(AnomalyFinal, &op, "at %s", ck.Since(op.Start))
		}
	}
	ck.checkAgreement(&rep, ops)
	return rep
}

// checkRead judges the value read by r against the mutations of its key.
func (ck Checker) checkRead(rep *Report, r Op, muts []Op) {
	// supersededBy returns the latest acknowledged mutation that started
	// after end and ended before r started, or nil.
	supersededBy := func(end time.Time) *Op {
		var by *Op
		for i := range muts {
			a := &muts[i]
			if a.Outcome == OK && a.End.Before(r.Start) && a.Start.After(end) && (by == nil || a.End.After(by.End)) {
				by = a
			}
		}
		return by
	}
	endOf := func(o *Op) time.Time {
		if o.Outcome == Unknown {
			return time.Time{}.AddDate(9999, 0, 0) // never ends: never superseded
		}
		return o.End
	}
	missing := AnomalyLost
	if r.Phase == Live {
		missing = AnomalyStale
	}
	if !r.Found {
		if supersededBy(time.Time{}) == nil {
			return // the initial state
		}
		for i := range muts {
			d := &muts[i]
			if d.Kind == Delete && d.Outcome != Failed && d.Start.Before(r.End) && supersededBy(endOf(d)) == nil {
				return
			}
		}
		rep.anomaly(missing, &r, "found no row; it could have returned %s", ck.candidates(r, muts, supersededBy, endOf))
		return
	}
	var w *Op
	for i := range muts {
		if muts[i].Kind == Write && muts[i].Value == r.Value {
			w = &muts[i]
		}
	}
	switch {
	case w == nil:
		rep.anomaly(AnomalyPhantom, &r, "v=%d was never written to k=%d", r.Value, r.Key)
	case w.Outcome == Failed:
		rep.anomaly(AnomalyPhantom, &r, "v=%d was written by a write that failed (%s)", r.Value, w.Err)
	case w.Start.After(r.End):
		rep.anomaly(AnomalyPhantom, &r, "v=%d was written at %s, after the read ended", r.Value, ck.Since(w.Start))
	default:
		by := supersededBy(endOf(w))
		switch {
		case by == nil:
		case by.Kind == Delete:
			rep.anomaly(AnomalyResurrected, &r, "v=%d (written %s..%s) was deleted by %s (acknowledged at %s) before the read began at %s",
				r.Value, ck.Since(w.Start), ck.Since(w.End), by, ck.Since(by.End), ck.Since(r.Start))
		default:
			rep.anomaly(missing, &r, "v=%d (written %s..%s) was superseded by %s (acknowledged at %s) before the read began at %s",
				r.Value, ck.Since(w.Start), ck.Since(w.End), by, ck.Since(by.End), ck.Since(r.Start))
		}
	}
}

// candidates describes what r could have returned, for messages.
func (ck Checker) candidates(r Op, muts []Op, supersededBy func(time.Time) *Op, endOf func(*Op) time.Time) string {
	var out []string
	for i := range muts {
		o := &muts[i]
		if o.Outcome == Failed || !o.Start.Before(r.End) || supersededBy(endOf(o)) != nil {
			continue
		}
		what := "no row (delete)"
		if o.Kind == Write {
			what = fmt.Sprintf("v=%d", o.Value)
		}
		out = append(out, fmt.Sprintf("%s (%s, %s..%s)", what, o.Outcome, ck.Since(o.Start), ck.Since(o.End)))
	}
	if len(out) > 6 {
		out = append(out[len(out)-6:], fmt.Sprintf("and %d older", len(out)-6))
	}
	if len(out) == 0 {
		return "nothing (no mutation of the key qualifies)"
	}
	return strings.Join(out, ", ")
}

// checkAgreement compares the replica reads of each key.
func (ck Checker) checkAgreement(rep *Report, ops []Op) {
	byKey := map[int][]Op{}
	for _, op := range ops {
		if op.Phase == Replica && op.Outcome == OK {
			byKey[op.Key] = append(byKey[op.Key], op)
		}
	}
	for _, k := range slices.Sorted(func(yield func(int) bool) {
		for k := range byKey {
			if !yield(k) {
				return
			}
		}
	}) {
		if d := disagreement(byKey[k]); d != "" {
			first := byKey[k][0]
			rep.anomaly(AnomalyDisagree, &first, "replicas hold %s", d)
		}
	}
}

// disagreement describes what each replica read, or "" when they agree.
func disagreement(reads []Op) string {
	show := func(o Op) string {
		if !o.Found {
			return "no row"
		}
		return fmt.Sprintf("v=%d", o.Value)
	}
	agree := true
	for _, o := range reads[1:] {
		if o.Found != reads[0].Found || (o.Found && o.Value != reads[0].Value) {
			agree = false
		}
	}
	if agree {
		return ""
	}
	parts := make([]string, len(reads))
	for i, o := range reads {
		parts[i] = fmt.Sprintf("n%d: %s", o.Coord, show(o))
	}
	return strings.Join(parts, ", ")
}

// Verify heals the cluster (network healed, every node started), waits
// for it to converge, reads every key at QUORUM, lets hints drain, runs
// repair, reads every key at ONE through each of its replicas, and checks
// the whole history. Keys is the workload's key count.
func Verify(c *Cluster, h *History, keys int) Report {
	var rep Report
	if err := c.HealAll(); err != nil {
		rep.anomaly(AnomalyHarness, nil, "cannot restart a node: %v", err)
	}
	healed := time.Now()
	if err := c.WaitConverged(60 * time.Second); err != nil {
		rep.anomaly(AnomalyConverge, nil, "healed at %s, not converged 60 s later: %v", c.Since(healed), err)
	} else {
		c.Logf("converged %.1fs after healing", time.Since(healed).Seconds())
	}
	deadline := time.Now().Add(45 * time.Second) // for all the final reads together
	for k := range keys {
		h.Add(readUntilOK(c, h, Op{Phase: Final, Kind: Read, Key: k, Coord: k % len(c.Nodes)}, gocql.Quorum, deadline, true))
	}
	before := replicaReads(c, h, keys, false)
	if err := c.WaitHintsDrained(30 * time.Second); err != nil {
		rep.note("hints not drained 30 s after the final reads: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err := c.Repair(ctx)
	cancel()
	if err != nil {
		rep.anomaly(AnomalyRepair, nil, "%v", err)
	}
	for _, k := range slices.Sorted(func(yield func(int) bool) {
		for k := range before {
			if !yield(k) {
				return
			}
		}
	}) {
		if d := disagreement(before[k]); d != "" {
			rep.note("before repair, k=%d: %s", k, d)
		}
	}
	replicaReads(c, h, keys, true)
	ck := Checker{QuorumReachable: c.QuorumReachable, Explain: c.Explain, Since: c.Since}
	got := ck.Check(h.Ops())
	got.Anomalies = append(rep.Anomalies, got.Anomalies...)
	got.Notes = append(rep.Notes, got.Notes...)
	return got
}

// replicaReads reads every key at ONE through each of its replicas (a
// replica coordinating at ONE reads its own data). Recorded (record) they
// are judged; otherwise they are returned for notes only.
func replicaReads(c *Cluster, h *History, keys int, record bool) map[int][]Op {
	out := map[int][]Op{}
	deadline := time.Now().Add(45 * time.Second)
	for k := range keys {
		for _, r := range c.Replicas(k) {
			op := readUntilOK(c, h, Op{Phase: Replica, Kind: Read, Key: k, Coord: r}, gocql.One, deadline, record)
			if record {
				h.Add(op)
			}
			if op.Outcome == OK {
				out[k] = append(out[k], op)
			}
		}
	}
	return out
}

// readUntilOK retries a read after healing until deadline, logging the
// failures; it returns the first success or the last failure.
func readUntilOK(c *Cluster, h *History, op Op, cl gocql.Consistency, deadline time.Time, log bool) Op {
	for {
		got := Do(c, op, cl, h)
		if got.Outcome == OK || time.Now().After(deadline) {
			return got
		}
		if log {
			c.Logf("after healing: %s", got)
		}
		waitFor(200 * time.Millisecond)
	}
}
