package repair

import (
	"slices"
	"testing"

	"github.com/sibyldb/sibyl/ring"
)

func TestPlanCoversEachRangeOnceWithPrimaryOnly(t *testing.T) {
	b := ring.NewBuilder(nil)
	for i := byte(1); i <= 4; i++ {
		b.Upsert(ring.Node{ID: host(i), DC: "dc1", Rack: "r1", Status: ring.StatusNormal,
			Tokens: []ring.Token{ring.Token(int64(i) * 1000), ring.Token(-int64(i) * 1000)}})
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	st := ring.SimpleStrategy{RF: 3}
	var all []ring.Range
	for i := byte(1); i <= 4; i++ {
		for _, cfg := range Plan(s, st, host(i), testTable, 10, true) {
			if len(cfg.Replicas) != 3 || cfg.Replicas[0] != host(i) {
				t.Fatalf("primary session of host %d: replicas %v", i, cfg.Replicas)
			}
			all = append(all, cfg.Range)
		}
	}
	if got := ring.Normalize(all); !slices.Equal(got, []ring.Range{ring.FullRing}) || len(all) != len(s.Tokens()) {
		t.Fatalf("primary plans cover %v in %d sessions, want the ring in %d", got, len(all), len(s.Tokens()))
	}
	full := Plan(s, st, host(1), testTable, 10, false)
	if len(full) != len(s.Ranges(host(1), st)) {
		t.Fatalf("full plan has %d sessions for %d ranges", len(full), len(s.Ranges(host(1), st)))
	}
	for _, cfg := range full {
		if !slices.Contains(cfg.Replicas, host(1)) {
			t.Fatalf("session %v does not include the repairing host", cfg)
		}
		if _, err := NewSession(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if got := Plan(s, ring.SimpleStrategy{RF: 1}, host(1), testTable, 10, false); len(got) != 0 {
		t.Fatalf("RF 1 needs no repair, planned %v", got)
	}
}
