package node

import "testing"

// BenchmarkPlacementOf is every coordinated request's first step, from
// many goroutines at once: it must not serialize them (it used to take a
// mutex, which a descheduled holder turned into a stall for all).
func BenchmarkPlacementOf(b *testing.B) {
	s, err := newSchemaStore(nil, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	tbl := createTable(b, s, "ks", "t")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.placementOf(tbl.TableID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
