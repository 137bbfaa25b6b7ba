package node

import (
	"fmt"
	"sort"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/ring"
)

// This file is the pure arithmetic of consistency levels: how many replicas
// a level needs, where, and whether the live ones suffice. It follows
// Cassandra's ConsistencyLevel.blockFor and assureSufficientLiveReplicas.

// need is one requirement of a consistency level: count acknowledgements
// from replicas in data center dc ("" = any data center).
type need struct {
	dc    string
	count int
}

// replicaInfo is a replica as the arithmetic sees it.
type replicaInfo struct {
	id    ring.HostID
	dc    string
	alive bool
}

// clName returns Cassandra's name of a consistency level.
func clName(cl exec.Consistency) string {
	switch cl {
	case exec.Any:
		return "ANY"
	case exec.One:
		return "ONE"
	case exec.Two:
		return "TWO"
	case exec.Three:
		return "THREE"
	case exec.Quorum:
		return "QUORUM"
	case exec.All:
		return "ALL"
	case exec.LocalQuorum:
		return "LOCAL_QUORUM"
	case exec.EachQuorum:
		return "EACH_QUORUM"
	case exec.Serial:
		return "SERIAL"
	case exec.LocalSerial:
		return "LOCAL_SERIAL"
	case exec.LocalOne:
		return "LOCAL_ONE"
	}
	return fmt.Sprintf("UNKNOWN(0x%04x)", uint16(cl))
}

// replicationFactors returns the strategy's replication factor per data
// center; SimpleStrategy's single factor is reported under "".
func replicationFactors(st ring.Strategy) map[string]int {
	switch s := st.(type) {
	case ring.SimpleStrategy:
		return map[string]int{"": s.RF}
	case *ring.SimpleStrategy:
		return map[string]int{"": s.RF}
	case ring.NetworkTopologyStrategy:
		return s.RF
	case *ring.NetworkTopologyStrategy:
		return s.RF
	}
	return map[string]int{"": 1}
}

func totalRF(rfs map[string]int) int {
	n := 0
	for _, rf := range rfs {
		n += rf
	}
	return n
}

// localRF is the replication factor in the coordinator's data center; for
// SimpleStrategy, which ignores data centers, the whole factor.
func localRF(rfs map[string]int, localDC string) int {
	if rf, ok := rfs[""]; ok {
		return rf
	}
	return rfs[localDC]
}

// requirements returns what cl needs for a keyspace replicated by rfs. For
// writes, pending replicas (pendingByDC) raise the counts as Cassandra
// does, so a node joining cannot miss an acknowledged write. Levels that a
// read or a write does not support are an Invalid error, with Cassandra's
// message.
func requirements(cl exec.Consistency, rfs map[string]int, localDC string, write bool, pendingByDC map[string]int) ([]need, error) {
	pendAll, pendLocal := 0, pendingByDC[localDC]
	for _, n := range pendingByDC {
		pendAll += n
	}
	if _, simple := rfs[""]; simple {
		pendLocal = pendAll
	}
	switch cl {
	case exec.Any:
		if !write {
			return nil, exec.Errorf(exec.CodeInvalid, "ANY ConsistencyLevel is only supported for writes")
		}
		return []need{{count: 1}}, nil
	case exec.One, exec.Two, exec.Three:
		return []need{{count: int(cl) + pendAll}}, nil
	case exec.Quorum:
		return []need{{count: totalRF(rfs)/2 + 1 + pendAll}}, nil
	case exec.All:
		return []need{{count: totalRF(rfs) + pendAll}}, nil
	case exec.LocalOne:
		return []need{{dc: localDC, count: 1 + pendLocal}}, nil
	case exec.LocalQuorum:
		return []need{{dc: localDC, count: localRF(rfs, localDC)/2 + 1 + pendLocal}}, nil
	case exec.EachQuorum:
		return eachQuorum(rfs, localDC, write, pendingByDC, pendAll)
	case exec.Serial, exec.LocalSerial:
		// Serial levels run Paxos (paxos.go), which computes its own
		// quorums; a plain write or range read cannot use them.
		if write {
			return nil, exec.Errorf(exec.CodeInvalid, "You must use conditional updates for serializable writes")
		}
		return nil, exec.Errorf(exec.CodeInvalid, "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time")
	}
	return nil, exec.Errorf(exec.CodeProtocolError, "unknown consistency level 0x%04x", uint16(cl))
}

func eachQuorum(rfs map[string]int, localDC string, write bool, pendingByDC map[string]int, pendAll int) ([]need, error) {
	if !write {
		return nil, exec.Errorf(exec.CodeInvalid, "EACH_QUORUM ConsistencyLevel is only supported for writes")
	}
	if _, simple := rfs[""]; simple {
		// Cassandra treats EACH_QUORUM on a strategy without data centers as
		// QUORUM.
		return []need{{count: totalRF(rfs)/2 + 1 + pendAll}}, nil
	}
	dcs := make([]string, 0, len(rfs))
	for dc := range rfs {
		dcs = append(dcs, dc)
	}
	sort.Strings(dcs)
	needs := make([]need, 0, len(dcs))
	for _, dc := range dcs {
		needs = append(needs, need{dc: dc, count: rfs[dc]/2 + 1 + pendingByDC[dc]})
	}
	return needs, nil
}

// checkAvailable returns an Unavailable error, with Cassandra's required and
// alive counts, when the live replicas cannot satisfy needs.
func checkAvailable(cl exec.Consistency, needs []need, replicas []replicaInfo, hintsAllowed bool) error {
	for _, nd := range needs {
		alive := 0
		for _, r := range replicas {
			if r.alive && (nd.dc == "" || r.dc == nd.dc) {
				alive++
			}
		}
		if cl == exec.Any && hintsAllowed {
			continue // a stored hint acknowledges an ANY write
		}
		if alive < nd.count {
			return &exec.Error{
				Code:        exec.CodeUnavailable,
				Message:     "Cannot achieve consistency level " + clName(cl),
				Consistency: cl,
				Required:    nd.count,
				Alive:       alive,
			}
		}
	}
	return nil
}

// satisfied reports whether acks (the replicas that answered) meet needs.
func satisfied(needs []need, acked []replicaInfo) bool {
	for _, nd := range needs {
		n := 0
		for _, r := range acked {
			if nd.dc == "" || r.dc == nd.dc {
				n++
			}
		}
		if n < nd.count {
			return false
		}
	}
	return true
}

// blockFor is the total number of acknowledgements needs ask for.
func blockFor(needs []need) int {
	n := 0
	for _, nd := range needs {
		n += nd.count
	}
	return n
}

// chooseReadReplicas picks the live replicas a read asks: enough for needs,
// the local node first (it answers without a network hop), then the others
// in ring order.
func chooseReadReplicas(needs []need, replicas []replicaInfo, self ring.HostID) []replicaInfo {
	ordered := make([]replicaInfo, 0, len(replicas))
	for _, r := range replicas {
		if r.alive && r.id == self {
			ordered = append(ordered, r)
		}
	}
	for _, r := range replicas {
		if r.alive && r.id != self {
			ordered = append(ordered, r)
		}
	}
	var chosen []replicaInfo
	for _, r := range ordered {
		if satisfied(needs, chosen) {
			break
		}
		if usefulFor(needs, chosen, r) {
			chosen = append(chosen, r)
		}
	}
	return chosen
}

// usefulFor reports whether adding r brings chosen closer to needs.
func usefulFor(needs []need, chosen []replicaInfo, r replicaInfo) bool {
	for _, nd := range needs {
		if nd.dc != "" && nd.dc != r.dc {
			continue
		}
		n := 0
		for _, c := range chosen {
			if nd.dc == "" || c.dc == nd.dc {
				n++
			}
		}
		if n < nd.count {
			return true
		}
	}
	return false
}
