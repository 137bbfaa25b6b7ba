// Package repair is anti-entropy repair: Merkle trees over a table's
// token range, the ranges where two replicas' trees differ, and the
// repair-session state machine that turns trees into streams.
//
// It imports ring (tokens, ranges, host ids) and schema (the partition
// model and its canonical encoding) and nothing else of Sibyl's; it reads
// data through RangeReader and moves it through Streamer, interfaces that
// node/ implements over storage and messaging.
//
// # Merkle trees
//
// Build(ctx, reader, table, range, depth) reads the range's partitions in
// token order and hashes each one's canonical encoding
// (schema.AppendPartition: every row, cell, timestamp, TTL and tombstone,
// so replicas agree only if they hold exactly the same data). The 2^depth
// leaves split the range into equal token sub-ranges; a leaf's hash is
// SHA-256 over its partitions' digests in token order, and an empty leaf
// hashes to zero. Diff(a, b) walks two trees from the root, descending
// only where hashes differ, and returns the differing leaves' token
// ranges, adjacent ones merged. Trees travel between nodes with
// AppendBinary / DecodeTree.
//
// Consequence to know: data that is logically equal but stored
// differently (an expired cell already turned into a tombstone on one
// replica, a tombstone purged after gc_grace on one and not yet on the
// other) hashes differently and is streamed; the merge on arrival makes
// that harmless, only wasteful, as in Cassandra.
//
// # Sessions
//
// A Session repairs one table's range among its replicas. It is a pure
// state machine in the style of etcd's raft RawNode: the caller does the
// I/O.
//
//  1. NewSession, then Start: it returns a TreeRequest per replica.
//  2. Build or fetch each tree and report it with TreeReceived (or
//     TreeFailed, which ends the session with ErrValidationFailed).
//  3. With every tree in, the session compares each pair and returns
//     StreamTasks: "send From's data for these ranges to To", in both
//     directions, each side sending only leaves where it has data. Run
//     them and report each with StreamDone.
//  4. When the Output says Done, Err tells whether everything succeeded,
//     and Mismatched which ranges differed.
//
// Run does all of this with a TreeSource and a Streamer, concurrently up
// to a limit, reporting progress; its goroutines end before it returns.
//
// # Invariants
//
//   - Build is deterministic: the same partitions give the same tree,
//     whatever the reader's batching; a reader that returns partitions out
//     of token order or outside the range is an error (ErrOutOfOrder).
//   - A Diff range always covers whole leaves, so streaming it carries
//     every partition that could explain the difference.
//   - After every stream of a session succeeds, each replica holds (at
//     least) the merge of what every replica held when its tree was built.
package repair
