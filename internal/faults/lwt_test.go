package faults

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// lwtAt builds a recorded operation over [from, to] seconds.
func lwtAt(op LWTOp, from, to float64) LWTOp {
	base := time.Unix(1000, 0)
	op.Start = base.Add(time.Duration(from * float64(time.Second)))
	op.End = base.Add(time.Duration(to * float64(time.Second)))
	return op
}

// The model accepts linearizable histories, refuses a stale read and two
// CAS applied from the same value, and lets an unknown CAS take effect
// late or never.
func TestLWTCheckerModel(t *testing.T) {
	cas := func(exp, nw int64, applied bool, saw int64) LWTOp {
		return LWTOp{CAS: true, Expected: exp, New: nw, Applied: applied, Value: saw}
	}
	read := func(v int64) LWTOp { return LWTOp{Value: v} }
	unknown := func(exp, nw int64) LWTOp { return LWTOp{CAS: true, Expected: exp, New: nw, Unknown: true} }
	for _, c := range []struct {
		name string
		ops  []LWTOp
		want porcupine.CheckResult
	}{
		{"sequential", []LWTOp{lwtAt(cas(0, 1, true, 0), 0, 1), lwtAt(read(1), 2, 3), lwtAt(cas(0, 2, false, 1), 4, 5)}, porcupine.Ok},
		{"stale read", []LWTOp{lwtAt(cas(0, 1, true, 0), 0, 1), lwtAt(read(0), 2, 3)}, porcupine.Illegal},
		{"double apply", []LWTOp{lwtAt(cas(0, 1, true, 0), 0, 1), lwtAt(cas(0, 2, true, 0), 2, 3)}, porcupine.Illegal},
		{"concurrent", []LWTOp{lwtAt(cas(0, 1, true, 0), 0, 3), lwtAt(read(1), 1, 2), lwtAt(cas(0, 2, false, 1), 1, 4)}, porcupine.Ok},
		{"unknown applied late", []LWTOp{lwtAt(unknown(0, 1), 0, 1), lwtAt(read(0), 2, 3), lwtAt(read(1), 4, 5)}, porcupine.Ok},
		{"unknown never applied", []LWTOp{lwtAt(unknown(0, 1), 0, 1), lwtAt(read(0), 2, 3), lwtAt(cas(0, 2, true, 0), 4, 5)}, porcupine.Ok},
		{"not applied but saw expected", []LWTOp{lwtAt(cas(0, 1, false, 0), 0, 1)}, porcupine.Illegal},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, _, err := CheckLinearizable(c.ops, 10*time.Second, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if res != c.want {
				t.Fatalf("porcupine says %v, want %v", res, c.want)
			}
		})
	}
}

// lwtLength is how long a linearizability run injects faults; with the
// cluster's start, the recovery and the check, a run stays under a
// minute.
const lwtLength = 20 * time.Second

// TestLWTLinearizable runs CAS and SERIAL reads on a few registers from
// several clients through every node while a random schedule partitions,
// pauses, kills and restarts nodes, then checks the history with
// porcupine. SIBYL_FAULTS_SEED replays a seed; SIBYL_SOAK_TIME keeps
// drawing new ones until it is up.
func TestLWTLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an in-process cluster under random faults; skipped with -short")
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
	soakEnd := time.Now().Add(soak)
	var failed []int64
	for i := 0; i == 0 || (!forced && soak > 0 && time.Now().Before(soakEnd)); i++ {
		s := LWTSchedule(seed+int64(i), lwtLength)
		if !t.Run(fmt.Sprintf("seed=%d", s.Seed), func(t *testing.T) { runLWTSchedule(t, s) }) {
			failed = append(failed, s.Seed)
		}
	}
	if len(failed) > 0 {
		t.Errorf("failing seeds: %v; replay one with SIBYL_FAULTS_SEED=<seed> go test ./internal/faults -run TestLWTLinearizable -v", failed)
	}
}

func runLWTSchedule(t *testing.T, s Schedule) {
	t.Logf("faults seed %d (rerun with SIBYL_FAULTS_SEED=%d)", s.Seed, s.Seed)
	t.Logf("schedule %s", s)
	watchdog := time.AfterFunc(5*time.Minute, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("faults: LWT schedule seed %d still running after 5 minutes: a hang (rerun with SIBYL_FAULTS_SEED=%d)", s.Seed, s.Seed))
	})
	defer watchdog.Stop()

	c := Start(t, Options{Nodes: s.Nodes})
	c.CreateSchema()
	h := &LWTHistory{}
	w := LWTWorkload{Seed: s.Seed}
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
	if err := c.WaitConverged(30 * time.Second); err != nil {
		t.Errorf("seed %d: the cluster did not converge after healing: %v", s.Seed, err)
	}
	c.Logf("schedule over, network healed; the load goes on for 5 s")
	waitFor(5 * time.Second)
	stopLoad()
	<-loadDone
	// A final SERIAL read of every key once healed must succeed.
	w.ensureDefaults()
	for k := range w.Keys {
		op, ok := DoLWT(c, LWTOp{Client: w.Clients, Key: k, Coord: 0})
		if !ok {
			t.Errorf("seed %d: final SERIAL read of key %d failed: %s", s.Seed, k, op.Err)
			continue
		}
		h.Add(op)
	}
	ops := h.Ops()
	counts := map[string]int{}
	for _, op := range ops {
		switch {
		case !op.CAS:
			counts["read"]++
		case op.Unknown:
			counts["cas unknown"]++
		case op.Applied:
			counts["cas applied"]++
		default:
			counts["cas not applied"]++
		}
	}
	t.Logf("seed %d: %d operations %v", s.Seed, len(ops), counts)
	if counts["cas applied"] == 0 {
		t.Errorf("seed %d: no CAS applied: the run tested nothing", s.Seed)
	}
	res, path, err := CheckLinearizable(ops, 60*time.Second, t.TempDir())
	switch {
	case err != nil:
		t.Errorf("seed %d: %v", s.Seed, err)
	case res == porcupine.Illegal:
		data, _ := os.ReadFile(path)
		out := fmt.Sprintf("%s/lwt-seed-%d.html", os.TempDir(), s.Seed)
		_ = os.WriteFile(out, data, 0o644)
		t.Errorf("seed %d: the history is not linearizable; visualization in %s; rerun with SIBYL_FAULTS_SEED=%d", s.Seed, out, s.Seed)
	case res == porcupine.Unknown:
		t.Logf("seed %d: porcupine could not decide within its time limit", s.Seed)
	}
}
