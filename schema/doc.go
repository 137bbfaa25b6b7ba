// Package schema is Sibyl's catalog and CQL type system: pure data and
// pure functions, importing nothing of ours, so that storage, the
// executor, repair and the node can all share it.
//
// # What is here
//
//   - The data model every layer exchanges (partition.go: Partition, Row,
//     Cell, tombstones, ReadCommand), with its reconciliation (reconcile.go)
//     and binary codec (partition_codec.go), which storage maintains.
//   - Counters (counter.go): a counter cell holds a context of per-leader
//     shards (counter id, clock, count, timestamp) that merge per id by
//     keeping the later shard, and ApplyCounterDeltas, the leader's step that
//     turns an increment into its own next shard.
//   - CQL types (Type, Kind numbered as native-protocol option ids),
//     ParseType for CQL type syntax and Type.String for the form Cassandra
//     writes in system_schema.columns.type.
//   - Values in their native-protocol (v3+) serialization: Validate,
//     Compare (CQL order), Normalize (sorted sets and maps),
//     Marshal/Unmarshal to a documented Go mapping (nil is null, Empty{}
//     the zero-byte "empty value"), FormatValue (CQL literals).
//   - The order-preserving key encoding (AppendOrdered, DecodeOrdered) and
//     the key helpers on *Table (EncodeClustering, DecodeClustering,
//     RoutingKey, SplitPartitionKey).
//   - The catalog: Keyspace, Table, Column, UserType, TableOptions, and the
//     immutable Catalog with copy-on-write changes, its Version digest,
//     MarshalCatalog/UnmarshalCatalog, the system keyspaces and DESCRIBE
//     text.
//
// # Caller's duties
//
//  1. Treat everything reached through a *Catalog as read-only. A change
//     (CreateTable, AddColumns, ...) returns a new *Catalog; publish it
//     (for example with an atomic.Pointer) and let readers load it.
//  2. Validate values that come from outside (Validate, or Unmarshal)
//     before Compare or AppendOrdered; those two assume valid input and
//     only guarantee not to panic otherwise. Normalize values that contain
//     sets or maps (clients may send them unsorted or with duplicates)
//     before storing them or using them in keys.
//  3. Check partition keys with Table.CheckPartitionKey before
//     Table.RoutingKey.
//  4. Map the catalog's typed errors (errors.go) to CQL error codes with
//     errors.As.
//
// # Invariants
//
//   - For valid values a, b of a key type t and either direction,
//     sign(bytes.Compare(AppendOrdered(a), AppendOrdered(b))) equals
//     sign(Compare(t, a, b)) (negated for DESC), and encodings are
//     prefix-free, so multi-component keys order component by component.
//   - The encoding of a clustering prefix is a byte prefix of the full
//     key's; BeforePrefix (0x20) and AfterPrefix (0x60) appended to a
//     prefix bound every key that extends it.
//   - Column ids start at 1 and are never reused within a table; TableIDs
//     are at least FirstTableID, derived deterministically from the table's
//     UUID and stored with the table.
//   - Catalog.Version is a digest of the whole content and of the
//     generation (the number of changes applied since NewCatalog): the same
//     changes applied in the same order give the same version on every
//     node, and a table dropped and created again gets a new id.
//
// Nothing in this package starts goroutines, reads clocks or does I/O.
package schema
