// Package ring is Sibyl's token ring: Cassandra's Murmur3 partitioner,
// immutable snapshots of the ring's membership, vnode token allocation,
// and the replication strategies that map a token to its replicas.
//
// The package is pure: no network, no clock, no goroutines, and it imports
// nothing else of Sibyl's. Every function is deterministic given its
// arguments (AllocateTokens takes its randomness as an argument).
//
// # Tokens and the partitioner
//
// A partition key, serialized as drivers serialize routing keys
// (RoutingKey), hashes to a Token with Murmur3Token, bit-for-bit the token
// Cassandra's Murmur3Partitioner computes, so token-aware drivers send each
// request to one of our replicas. testdata/murmur3_tokens.txt pins it.
//
// A node owns the ranges (previous token, its token], wrapping around the
// ring; Range is such a range, and Range.Contains, Unwrap and Normalize do
// the arithmetic.
//
// # Snapshots
//
// A Snapshot is an immutable ring: every node (host id, address, data
// center, rack, status, tokens). The caller's duties:
//
//  1. Build snapshots with a Builder, from the previous snapshot and the
//     membership change (Upsert, Remove, SetStatus), then Build, which
//     validates (no token owned twice, no node without tokens).
//  2. Publish the result with an atomic.Pointer[ring.Snapshot]; one
//     goroutine (gossip's) builds, any number read without locking.
//  3. Never modify slices a Snapshot returns.
//  4. Publish an empty snapshot (NewBuilder(nil).Build()) before the first
//     reader can Load: methods are not defined on a nil *Snapshot.
//
// # Placement
//
// Strategy is a keyspace's replication: SimpleStrategy or
// NetworkTopologyStrategy (rack-aware as Cassandra 4 is); ParseStrategy
// reads a CQL replication map. For a token and a strategy:
//
//   - Replicas: the natural replicas, over the current ring (normal and
//     leaving nodes; a leaving node keeps serving its ranges until it has
//     gone). Reads go here.
//   - PendingReplicas: nodes that will replicate the token once joining
//     nodes have joined and leaving nodes have left. Writes go to natural
//     and pending replicas, so nothing acknowledged is missing afterwards.
//   - Ranges / FutureRanges / PrimaryRanges: what a node replicates now,
//     later, and as primary; Ownership and EffectiveOwnership: shares.
//
// The placement of every range for a strategy is computed on first use and
// memoized inside the snapshot. On hot paths resolve it once with
// Snapshot.Placement(strategy) (per snapshot and keyspace): its Replicas
// is then a binary search, tens of nanoseconds. Strategy.Factors gives
// the per-data-center factors consistency levels count with;
// Range.Split cuts ranges for subrange repair.
//
// # Invariants
//
//   - Down is not a status: a failure detector never changes ownership;
//     only joining, leaving and removal (explicit operations) do.
//   - No two nodes share a token, whatever their status.
//   - Replicas lists distinct nodes, the primary owner first, at most RF
//     (per data center for NTS), fewer only when there are fewer nodes.
//
// # Token allocation
//
// AllocateTokens picks a new node's vnode tokens greedily so ownership
// stays balanced, replication taken into account; README.md gives the
// spread it reaches and what it costs (go test -run
// 'TestAllocationSpread|TestAllocationJoinBalance' -v prints the spread).
// AllocateTokensContext is the same allocation, stopped when its context
// is done: the one to use at node startup.
package ring
