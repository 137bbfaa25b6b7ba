package node

import (
	"errors"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
)

func replicasIn(dcAlive ...any) []replicaInfo {
	var out []replicaInfo
	for i := 0; i+1 < len(dcAlive); i += 2 {
		out = append(out, replicaInfo{id: ring.HostID{byte(i + 1)}, dc: dcAlive[i].(string), alive: dcAlive[i+1].(bool)})
	}
	return out
}

func TestUnavailableMatchesCassandra(t *testing.T) {
	simple3 := map[string]int{"": 3}
	oneLive := replicasIn("dc1", true)
	cases := []struct {
		name            string
		cl              exec.Consistency
		rfs             map[string]int
		replicas        []replicaInfo
		required, alive int // 0, 0: available
	}{
		{"ONE on RF=3 with one node", exec.One, simple3, oneLive, 0, 0},
		{"LOCAL_ONE on RF=3 with one node", exec.LocalOne, simple3, oneLive, 0, 0},
		{"ANY on RF=3 with one node", exec.Any, simple3, oneLive, 0, 0},
		{"QUORUM on RF=3 with one node", exec.Quorum, simple3, oneLive, 2, 1},
		{"ALL on RF=3 with one node", exec.All, simple3, oneLive, 3, 1},
		{"TWO on RF=3 with one node", exec.Two, simple3, oneLive, 2, 1},
		{"QUORUM on RF=3, one of three down", exec.Quorum, simple3, replicasIn("dc1", true, "dc1", false, "dc1", true), 0, 0},
		{"ALL on RF=3, one of three down", exec.All, simple3, replicasIn("dc1", true, "dc1", false, "dc1", true), 3, 2},
		{"LOCAL_QUORUM counts the local DC only", exec.LocalQuorum, map[string]int{"dc1": 3, "dc2": 3},
			replicasIn("dc1", true, "dc2", true, "dc2", true, "dc1", false, "dc1", false, "dc2", true), 2, 1},
		{"EACH_QUORUM needs a quorum in every DC", exec.EachQuorum, map[string]int{"dc1": 1, "dc2": 3},
			replicasIn("dc1", true, "dc2", true, "dc2", false, "dc2", false), 2, 1},
		{"LOCAL_ONE with no replica in the local DC", exec.LocalOne, map[string]int{"dc2": 1},
			replicasIn("dc2", true), 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			needs, err := requirements(c.cl, c.rfs, "dc1", true, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = checkAvailable(c.cl, needs, c.replicas, false)
			if c.required == 0 {
				if err != nil && c.cl != exec.Any {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *exec.Error
			if !errors.As(err, &e) || e.Code != exec.CodeUnavailable {
				t.Fatalf("got %v, want Unavailable", err)
			}
			if e.Required != c.required || e.Alive != c.alive || e.Consistency != c.cl {
				t.Fatalf("Unavailable{required %d, alive %d, cl %v}, want {%d, %d, %v}",
					e.Required, e.Alive, e.Consistency, c.required, c.alive, c.cl)
			}
		})
	}
}

func TestLevelsRefusedLikeCassandra(t *testing.T) {
	for _, c := range []struct {
		cl    exec.Consistency
		write bool
	}{
		{exec.Any, false}, {exec.EachQuorum, false}, {exec.Serial, true}, {exec.LocalSerial, false},
	} {
		_, err := requirements(c.cl, map[string]int{"dc1": 3}, "dc1", c.write, nil)
		var e *exec.Error
		if !errors.As(err, &e) || e.Code != exec.CodeInvalid {
			t.Errorf("%s (write=%v): got %v, want Invalid", clName(c.cl), c.write, err)
		}
	}
	if _, err := requirements(exec.Consistency(0x99), map[string]int{"": 1}, "dc1", true, nil); err == nil {
		t.Error("an unknown level was accepted")
	}
}

func TestPendingReplicasRaiseBlockFor(t *testing.T) {
	needs, err := requirements(exec.Quorum, map[string]int{"": 3}, "dc1", true, map[string]int{"dc1": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := blockFor(needs); got != 3 {
		t.Fatalf("QUORUM of RF 3 with one pending replica blocks for %d, want 3", got)
	}
}

func TestChooseReadReplicasPrefersLocal(t *testing.T) {
	self := ring.HostID{2}
	rs := replicasIn("dc1", true, "dc1", true, "dc1", true) // ids 1, 3, 5 (index-based)
	rs[1].id = self
	needs, _ := requirements(exec.Quorum, map[string]int{"": 3}, "dc1", false, nil)
	chosen := chooseReadReplicas(needs, rs, self)
	if len(chosen) != 2 || chosen[0].id != self {
		t.Fatalf("chosen = %v, want two replicas with the local one first", chosen)
	}
	one, _ := requirements(exec.One, map[string]int{"": 3}, "dc1", false, nil)
	if chosen := chooseReadReplicas(one, rs, self); len(chosen) != 1 || chosen[0].id != self {
		t.Fatalf("ONE chose %v, want only the local replica", chosen)
	}
}
