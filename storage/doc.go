// Package storage is Sibyl's local storage engine: one node's partitions,
// schema catalog, node-local metadata and hints, kept in one Pebble
// instance. It knows nothing of CQL text, types or the network: keys
// arrive encoded in the shared data model of package schema
// (schema.Partition, schema.ReadCommand), and the engine stores and returns
// fragments of partitions reconciled by the rules of schema/reconcile.go.
//
// # What it offers
//
//   - Apply(ctx, muts...) writes mutations atomically and durably: it
//     returns once the batch is synced to the write-ahead log, and
//     concurrent Applies share WAL syncs (group commit). A write never
//     reads: every entry is a Pebble merge operand, and the engine's merger
//     keeps the winner under the reconciliation rules, so applying the same
//     mutations on several replicas, in any order, any number of times,
//     gives the same state. A row is one operand, a packed row (packed.go:
//     header, collection deletions and cells in one value); stores
//     written before packed rows keep a key per cell, and every reader
//     and the purger handle both forms, even for one row (FORMAT.md,
//     "Packed rows"). Open records the data format version and refuses a
//     newer one (meta.go). Options.UnsafePeriodicSync trades that
//     durability for latency and is never the default.
//   - Read(ctx, cmd) serves single-partition reads (clustering slices with
//     inclusive or exclusive bounds, forward or reversed, limits that count
//     live rows, per-partition limit, static row, a subset of columns,
//     AfterClustering to resume a page) and token-range reads in ring order
//     from StartToken (StartToken < token <= EndToken; the whole ring when
//     both are math.MinInt64, wrapping when StartToken > EndToken, or when
//     they are equal without AfterKey; AfterKey resumes after that
//     partition of token StartToken, and with AfterClustering inside it;
//     PartitionLimit counts partitions with a live row). Results carry the tombstones that concern the slice
//     (partition deletion, range tombstones, row and collection deletions,
//     cell tombstones, expired cells) and the live data they do not shadow,
//     so a coordinator can schema.Merge several replicas' answers and
//     schema.Diff them for read repair; the executor shows
//     schema.LiveRows of the result.
//   - Counter cells are stored as their contexts of shards and merged
//     shard by shard by the same rule (schema.ReconcileCells); Apply
//     refuses a counter delta. LeadCounterWrite is a counter leader's
//     local step: under a per-partition lock, read this replica's shard,
//     write the next one, return it for replication.
//   - ScanRange(ctx, table, start, end, fn) streams every partition of a
//     token range, complete, in token order: the input of Merkle hashing
//     and of streaming (the partitions can be Applied elsewhere);
//     ScanRangeAfter resumes such a stream after a given partition.
//   - Secondary indexes (index*.go, FORMAT.md "Index entries"): given the
//     catalog (SetCatalog), Apply writes an entry for every indexed cell
//     in the same batch; BuildIndex covers the rows stored before the
//     index; a range read with cmd.Index reads only the rows the entries
//     point to (candidates, which the caller re-checks), and marks the
//     entries it finds stale. Truncate and DropTable remove entries with
//     the data; ForgetIndex removes one index's.
//   - Checkpoint writes a snapshot of some tables (a Pebble checkpoint of
//     hard links); OpenCheckpoint reads one back read-only, and
//     RekeyPartition maps its partitions onto a table created again.
//   - Truncate, DropTable and Cleanup remove whole key spans with Pebble
//     range deletions and compact them, reclaiming the space.
//   - Purge (and a background purger every Options.PurgeInterval) removes
//     tombstones and expired data past gc_grace_seconds with everything
//     they shadow, and dead index entries; the merger purges nothing at
//     compaction (Pebble cannot drop a merge over a key's SET base; see
//     merger.go).
//   - PaxosPrepare, PaxosPropose and PaxosCommit are a replica's half of
//     lightweight transactions (paxos.go): durable per-partition acceptor
//     state in key space 0x04, each operation a read-modify-write synced
//     before it answers; a prepare answers with the partition's read, and a
//     commit applies the update and records it in one batch.
//   - SaveCatalog/LoadCatalog, SetLocal/GetLocal and the hint store
//     (StoreHint, Hints, DeleteHint, DropHints, HintStatsFor,
//     AllHintStats) live in reserved key spaces of the same Pebble.
//   - Flush, Compact, TableSize, Metrics, Close.
//
// FORMAT.md beside this file describes the key layout, the value
// encodings, tombstones, TTL and purge; BENCHMARKS.md the cost of the
// layer over raw Pebble.
//
// # The caller's duties
//
//   - Partition.Key is the serialized partition key and Partition.Token its
//     Murmur3 token; the engine trusts the token (it orders by it) and
//     never recomputes it. Row.Clustering, Bound.Prefix and Cell.Path are
//     order-preserving encodings (schema.Table.EncodeClustering); the
//     engine compares them bytewise.
//   - The executor applies a table's default_time_to_live when it builds
//     mutations; the engine stores each cell's TTL and expiry as given.
//   - Options.GCGrace tells the engine each table's gc_grace_seconds; a
//     tombstone is purged only after it, so a replica that missed a delete
//     must be repaired within that time (Cassandra's rule).
//   - Timestamps are microseconds; LocalDeletionTime and ExpiresAt are
//     seconds. Zero-valued Deletion and Liveness fields of a mutation are
//     read as "none". Every tombstone must carry the server time it was
//     made as LocalDeletionTime: gc_grace counts from it, so a zero there
//     makes the tombstone purgeable at once.
//   - A table id must not be reused after DropTable.
//
// # Invariants
//
//   - Table data keys start with 0x10, reserved spaces with 0x01..0x04, so
//     they never collide; every key of a partition starts with the
//     partition's prefix, and a token range of a table is one contiguous
//     key span.
//   - Every table data value is a merge operand whose merge is
//     commutative, associative and idempotent.
//   - A purge deletes only data that a tombstone past the gc horizon
//     shadows, or that expired or was deleted before it; the purger holds
//     the partition's latch, which writers take shared, so a concurrent
//     write is never deleted with what it replaces.
//   - Close waits for the operations in flight and the background tasks;
//     every goroutine the engine starts is stopped by Close.
//   - A write is never acknowledged unless its WAL sync succeeded. Pebble
//     treats a failed WAL write or sync as fatal (its commit pipeline
//     cannot continue) and calls Logger.Fatalf, which the engine turns into
//     a panic in the committing goroutine: the process must restart and
//     recover from the WAL, as databases have since "fsyncgate". This is
//     the one panic the package can raise, and only on a disk failure.
//
// Import rules: storage imports schema, ring (only for ring.HostID, the
// key of hints, which ring owns and imports nothing of sibyl's but
// internal/uuidtext) and Pebble; it must not import node, cql/...,
// repair, memberlist or net. Token ranges are plain int64 pairs
// (TokenRange), not ring types, so the engine stays usable by tests and
// tools without a ring.
package storage
