package repair

import (
	"slices"

	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
)

// Plan lays out the sessions that repair host's data of table: one per
// range host replicates under strategy st on snapshot s, with that
// range's natural replicas. With primaryOnly, only the ranges host owns
// as primary (nodetool repair -pr): running it on every node repairs each
// range exactly once. Ranges with fewer than two replicas need no repair
// and are left out. The result is in ring order.
func Plan(s *ring.Snapshot, st ring.Strategy, host ring.HostID, table schema.TableID, depth int, primaryOnly bool) []SessionConfig {
	ranges := s.Ranges(host, st)
	if primaryOnly {
		ranges = s.PrimaryRanges(host)
	}
	var out []SessionConfig
	for _, r := range ranges {
		reps := s.Replicas(r.End, st)
		if len(reps) < 2 || !slices.Contains(reps, host) {
			continue
		}
		out = append(out, SessionConfig{Table: table, Range: r, Depth: depth, Replicas: slices.Clone(reps)})
	}
	return out
}
