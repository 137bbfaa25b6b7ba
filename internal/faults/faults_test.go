package faults

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/sibyldb/sibyl/internal/testutil"
)

// recovery is how long the workload goes on after a schedule heals, so
// requests through the nodes that were cut off count again (Checker.Settle
// is 10 s) and a cluster that does not re-merge shows as failures.
const recovery = 15 * time.Second

// TestRandomSchedules runs random fault schedules against fresh clusters
// under a QUORUM workload and checks every history. Three schedules (one
// under the race detector); SIBYL_FAULTS_SEED replays one;
// SIBYL_SOAK_TIME (a Go duration) keeps drawing new ones until it is up.
func TestRandomSchedules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs in-process clusters under random faults; skipped with -short")
	}
	seed, forced, err := SeedFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var soak time.Duration
	if s := os.Getenv("SIBYL_SOAK_TIME"); s != "" {
		if soak, err = time.ParseDuration(s); err != nil {
			t.Fatalf("SIBYL_SOAK_TIME=%q: %v", s, err)
		}
	}
	count := 3
	switch {
	case forced:
		count = 1
	case raceEnabled:
		count = 1
	}
	soakEnd := time.Now().Add(soak)
	var failed []int64
	for i := 0; ; i++ {
		if (soak > 0 && i > 0 && time.Now().After(soakEnd)) || (soak == 0 && i >= count) {
			break
		}
		s := Generate(seed + int64(i))
		if !t.Run(fmt.Sprintf("seed=%d", s.Seed), func(t *testing.T) { runSchedule(t, s) }) {
			failed = append(failed, s.Seed)
		}
	}
	if len(failed) > 0 {
		t.Errorf("failing seeds: %v; replay one with SIBYL_FAULTS_SEED=<seed> go test ./internal/faults -run TestRandomSchedules -v", failed)
	}
}

// runSchedule is one Jepsen-style run: a fresh cluster, the workload, the
// schedule's faults, healing and recovery, then Verify.
func runSchedule(t *testing.T, s Schedule) {
	t.Logf("faults seed %d (rerun with SIBYL_FAULTS_SEED=%d)", s.Seed, s.Seed)
	t.Logf("schedule %s", s)
	watchdog := time.AfterFunc(10*time.Minute, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("faults: schedule seed %d still running after 10 minutes: a hang (rerun with SIBYL_FAULTS_SEED=%d)", s.Seed, s.Seed))
	})
	defer watchdog.Stop()

	c := Start(t, Options{Nodes: s.Nodes})
	c.CreateSchema()
	h := &History{}
	w := Workload{Seed: s.Seed}
	w.ensureDefaults()
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		w.Run(ctx, c, h)
	}()
	if err := s.Run(context.Background(), c); err != nil {
		t.Errorf("seed %d: %v", s.Seed, err)
	}
	if err := c.HealAll(); err != nil {
		t.Errorf("seed %d: cannot restart a node after the schedule: %v", s.Seed, err)
	}
	c.Logf("schedule over, network healed; the load goes on for %v", recovery)
	waitFor(recovery)
	stopLoad()
	<-loadDone
	expectNoAnomalies(t, c, s.Seed, Verify(c, h, w.Keys))
}

// expectNoAnomalies logs the report and fails t on every anomaly, naming
// the seed to replay.
func expectNoAnomalies(t *testing.T, c *Cluster, seed int64, rep Report) {
	t.Helper()
	t.Logf("seed %d: %s", seed, rep.Summary())
	for _, n := range rep.Notes {
		t.Logf("note: %s", n)
	}
	const show = 15
	for i, a := range rep.Anomalies {
		if i == show {
			t.Errorf("... and %d more anomalies", len(rep.Anomalies)-show)
			break
		}
		t.Errorf("%s", a)
	}
	if rep.Failed() {
		t.Errorf("seed %d: %d anomalies (%s); rerun with SIBYL_FAULTS_SEED=%d", seed, len(rep.Anomalies), rep.Summary(), seed)
	}
}

// mustDo runs op and fails t unless it is acknowledged.
func mustDo(t *testing.T, c *Cluster, h *History, op Op) Op {
	t.Helper()
	got := Do(c, op, gocql.Quorum, h)
	h.Add(got)
	if got.Outcome != OK {
		t.Fatalf("%s", got)
	}
	return got
}

// TestRestartedNodeCoordinatesQuorumAtOnce restarts a node on its data,
// once after a crash and once after a graceful stop, and makes it
// coordinate a QUORUM write and read as soon as it sees its peers up. A
// restarted node once panicked on its first remote request.
func TestRestartedNodeCoordinatesQuorumAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process cluster; skipped with -short")
	}
	c := Start(t, Options{})
	c.CreateSchema()
	h := &History{}
	for k := range 8 {
		mustDo(t, c, h, Op{Kind: Write, Key: k, Coord: 0})
	}
	for _, restart := range []struct {
		name string
		node *Node
		stop func(n *Node) error
	}{
		{"killed", c.Nodes[2], func(n *Node) error { n.Kill(); return nil }},
		{"stopped", c.Nodes[1], func(n *Node) error { return n.Stop() }},
	} {
		n := restart.node
		if err := restart.stop(n); err != nil {
			t.Fatalf("stopping %s: %v", n, err)
		}
		if err := waitSeenDown(c, n, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatalf("restarting %s: %v", n, err)
		}
		if err := c.WaitConverged(30 * time.Second); err != nil {
			t.Fatalf("%s restarted (%s) but the cluster did not converge: %v", n, restart.name, err)
		}
		if _, err := n.WaitSession(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		for k := range 8 {
			w := mustDo(t, c, h, Op{Kind: Write, Key: k, Coord: n.Index})
			r := mustDo(t, c, h, Op{Kind: Read, Key: k, Coord: n.Index})
			if !r.Found || r.Value != w.Value {
				t.Fatalf("%s restarted (%s): read back %s after writing v=%d", n, restart.name, r, w.Value)
			}
		}
		c.Logf("%s, restarted after being %s, coordinated 8 QUORUM writes and reads", n, restart.name)
	}
	ck := Checker{Since: c.Since}
	expectNoAnomalies(t, c, 0, ck.Check(h.Ops()))
}

// waitSeenDown waits until every other running node sees n down.
func waitSeenDown(c *Cluster, n *Node, timeout time.Duration) error {
	err := testutil.Poll(timeout, 100*time.Millisecond, func() error {
		for _, i := range c.Running() {
			if i == n.Index {
				continue
			}
			for _, e := range c.Nodes[i].Node().Ring() {
				if e.Address == n.Addr.String() && e.State[0] == 'U' {
					return fmt.Errorf("%s still sees %s %s", c.Nodes[i], n, e.State)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s went down unnoticed: %w", n, err)
	}
	return nil
}

// TestIsolatedNodeRejoinsAfterHeal isolates one node for 15 s, heals, and
// expects the cluster to re-merge within 30 s and QUORUM requests through
// the formerly isolated node to work again. Gossip that joins its seeds
// only at startup never re-merges a healed partition.
func TestIsolatedNodeRejoinsAfterHeal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process cluster; skipped with -short")
	}
	c := Start(t, Options{})
	c.CreateSchema()
	iso := c.Nodes[2]
	if _, err := iso.WaitSession(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	c.Net.Isolate(iso.Addr)
	isolated := time.Now()
	if err := waitSeenDown(c, iso, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(time.Until(isolated.Add(15 * time.Second)))
	c.Net.Heal()
	healed := time.Now()
	if err := c.WaitConverged(30 * time.Second); err != nil {
		t.Fatalf("%s was isolated for 15 s; 30 s after the heal the cluster has not re-merged (gossip must contact its seeds again after a partition): %v", iso, err)
	}
	c.Logf("re-merged %.1fs after the heal", time.Since(healed).Seconds())
	h := &History{}
	var last Op
	err := testutil.Poll(15*time.Second, 100*time.Millisecond, func() error {
		last = Do(c, Op{Kind: Write, Key: 1, Coord: iso.Index}, gocql.Quorum, h)
		h.Add(last)
		if last.Outcome != OK {
			return fmt.Errorf("%s", last)
		}
		last = Do(c, Op{Kind: Read, Key: 1, Coord: iso.Index}, gocql.Quorum, h)
		h.Add(last)
		if last.Outcome != OK {
			return fmt.Errorf("%s", last)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("QUORUM through %s still fails 15 s after the cluster re-merged: %v", iso, err)
	}
	ck := Checker{Since: c.Since}
	expectNoAnomalies(t, c, 0, ck.Check(h.Ops()))
}

// TestKillUnderQuorumLoad kills one of three nodes under QUORUM load and
// restarts it: no acknowledged write may be lost, no QUORUM request may
// fail on a coordinator that kept a quorum, and every write must be
// readable after the restart (Verify's final reads, hints and repair).
func TestKillUnderQuorumLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process cluster; skipped with -short")
	}
	c := Start(t, Options{})
	c.CreateSchema()
	h := &History{}
	w := Workload{Seed: 1}
	w.ensureDefaults()
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		w.Run(ctx, c, h)
	}()
	defer func() {
		stopLoad()
		<-loadDone
	}()
	if err := testutil.Poll(30*time.Second, 100*time.Millisecond, func() error {
		if n := len(h.Ops()); n < 200 {
			return fmt.Errorf("%d operations so far", n)
		}
		return nil
	}); err != nil {
		t.Fatalf("the load never got going: %v", err)
	}
	victim := c.Nodes[2]
	victim.Kill()
	waitFor(8 * time.Second)
	if err := victim.Start(); err != nil {
		t.Fatalf("restarting %s: %v", victim, err)
	}
	if err := c.WaitConverged(30 * time.Second); err != nil {
		t.Fatalf("%s restarted, the cluster did not converge: %v", victim, err)
	}
	waitFor(recovery)
	stopLoad()
	<-loadDone
	rep := Verify(c, h, w.Keys)
	if rep.Counts["live-write-ok"] == 0 {
		t.Errorf("no write was acknowledged: %s", rep.Summary())
	}
	expectNoAnomalies(t, c, 0, rep)
}
