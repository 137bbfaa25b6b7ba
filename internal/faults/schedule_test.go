package faults

import (
	"slices"
	"testing"
)

func TestGenerateIsDeterministicAndWellFormed(t *testing.T) {
	kinds := map[FaultKind]bool{}
	sizes := map[int]bool{}
	for seed := range int64(200) {
		s := Generate(seed)
		if again := Generate(seed); again.String() != s.String() {
			t.Fatalf("seed %d gave two schedules:\n%s\n%s", seed, s, again)
		}
		sizes[s.Nodes] = true
		end := s.Faults[0].At
		for _, f := range s.Faults {
			kinds[f.Kind] = true
			if f.At < end {
				t.Fatalf("seed %d: %s overlaps the fault before it", seed, f)
			}
			end = f.At + f.For
			if end > s.Length {
				t.Fatalf("seed %d: %s ends after the schedule's %v", seed, f, s.Length)
			}
			checkFaultNodes(t, s, f)
		}
	}
	for _, k := range AllFaults {
		if !kinds[k] {
			t.Errorf("200 schedules never drew %s", k)
		}
	}
	if !sizes[3] || !sizes[5] {
		t.Errorf("cluster sizes drawn: %v, want 3 and 5", sizes)
	}
}

func checkFaultNodes(t *testing.T, s Schedule, f Fault) {
	t.Helper()
	valid := func(i int) bool { return i >= 0 && i < s.Nodes }
	if !valid(f.Node) {
		t.Fatalf("seed %d: %s names a node outside the cluster", s.Seed, f)
	}
	switch f.Kind {
	case FaultCutLink:
		if !valid(f.Peer) || f.Peer == f.Node {
			t.Fatalf("seed %d: %s", s.Seed, f)
		}
	case FaultHalves, FaultBridge:
		all := slices.Concat(f.Groups...)
		if f.Kind == FaultBridge {
			all = append(all, f.Node)
		}
		slices.Sort(all)
		want := make([]int, s.Nodes)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(all, want) {
			t.Fatalf("seed %d: %s does not split the %d nodes", s.Seed, f, s.Nodes)
		}
		if f.Kind == FaultHalves && 2*len(f.Groups[0]) >= s.Nodes {
			t.Fatalf("seed %d: %s: the first side is not a minority", s.Seed, f)
		}
		if f.Kind == FaultBridge && (len(f.Groups[0]) == 0 || len(f.Groups[1]) == 0) {
			t.Fatalf("seed %d: %s: an empty side", s.Seed, f)
		}
	}
}
