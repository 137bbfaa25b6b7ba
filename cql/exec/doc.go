// Package exec analyses and executes CQL statements: the layer between the
// native-protocol server (cql/server) and whatever stores the data (node/,
// through the Coordinator interface in backend.go).
//
// # What it does
//
// An Executor takes statement text (QUERY), prepares it (PREPARE) or runs
// a prepared id (EXECUTE) or a BATCH, and returns a Result: rows, a
// keyspace change, a schema change or nothing. Every statement goes
// through the same steps:
//
//  1. parse (cql/parser) — syntax errors become SyntaxError with line:col;
//  2. analyse against the current catalog (analyzer.go and one file per
//     statement kind: dml.go, select.go, ddl*.go, describe.go, batch.go)
//     — unknown keyspaces, tables, columns and wrong types become Invalid;
//     bind markers get their ColumnSpecs; the result is a plan;
//  3. run the plan with the request's values: writes become
//     schema.Partition mutations for Coordinator.Mutate (write_*.go),
//     reads become schema.ReadCommands whose answers are reduced to live
//     rows (live.go), filtered, projected and paged (select_*.go), DDL goes
//     through SchemaStore.Update (ddl.go).
//
// The system tables that drivers read at connect (system.local, peers,
// peers_v2, system_schema.*, system_virtual_schema.*) are virtual: they are
// computed from the catalog and ClusterInfo on every read (systables*.go),
// so they always reflect the schema. DESCRIBE is answered on the server
// (describe.go) as Cassandra 4.1 does, for cqlsh.
//
// # Lightweight transactions
//
// INSERT ... IF NOT EXISTS, UPDATE and DELETE ... IF EXISTS or IF
// conditions, alone or in a BATCH (one partition of one table), run as
// one Coordinator.CAS (lwt*.go): the executor builds the read the
// conditions need and a Decide callback that tests them (Cassandra 4.1's
// ColumnCondition semantics: absent is null) and, when they hold, builds
// the statements' update at the ballot's timestamp. The answer is a ROWS
// result, [applied] first, then — when not applied — the rows read in
// Cassandra's shape. The serial consistency comes from the request
// (SERIAL when the options are nil); a SELECT at SERIAL or LOCAL_SERIAL
// reads one partition, through Coordinator.Read at that level.
//
// # Caller's duties
//
//   - Build one Executor per node with New; it is safe for concurrent use.
//   - Give each client connection its own Session (NewSession); a Session
//     holds the current keyspace and may be used by concurrent requests.
//     Call Session.SetLocalAddr with the server-side address of the
//     connection: system.local reports it as rpc_address when the node's
//     own RPC address is unspecified (0.0.0.0).
//   - Config.Token must be the cluster's partitioner (Cassandra Murmur3):
//     exec never assumes one. Config.Events, when set, receives every
//     SCHEMA_CHANGE event and must not block.
//   - Errors returned are *Error carrying the CQL error code; map them to
//     ERROR frames as they are. One built from another error's text keeps
//     that error as its Cause (errors.Is/As and logs reach it); the client
//     sees only the Message.
//   - With authentication on, use Executor.Authenticate as the server's
//     credentials check (it calls Session.SetUser after it succeeds), and
//     call EnsureDefaultSuperuser once the cluster answers QUORUM.
//
// # Invariants
//
//   - Server write timestamps are microseconds, strictly increasing across
//     every call on this Executor, even when the wall clock steps back
//     (clock.go); a client timestamp (QueryOptions.Timestamp, USING
//     TIMESTAMP) always wins over them, unless it is Long.MIN_VALUE or
//     more than Config.MaxTimestampAhead (default one hour) ahead of the
//     node's clock: such a write is refused with Invalid and counted in
//     Metrics (the clock guard, timestamps.go).
//   - Prepared ids are MD5(keyspace + query) as Cassandra computes them,
//     so every node and every re-prepare gives the same id. A prepared
//     statement is re-analysed when the catalog changes; if its bind or
//     result columns changed, EXECUTE answers Unprepared so the driver
//     prepares again and learns the new metadata.
//   - A paging state encodes the last consumed row (partition key,
//     clustering key) and the remaining limits, nothing tied to this
//     process, so a page can be fetched on any connection or node; a state
//     that does not parse is a ProtocolError, never a panic.
//   - Nothing in this package assumes a single node: every read and write
//     goes through Coordinator with the client's consistency level.
//   - No input panics: analysis checks everything it uses, decoders check
//     lengths, and a last-resort recover turns a bug into a ServerError.
//   - No error grows with the input: a message quotes at most 128 bytes of
//     any name or value (cut with "...") and is at most about 2 KiB, so it
//     always fits the [string] of an ERROR frame (errors_helpers.go). No
//     result or bind column is named with more than a [string] holds.
//
// # Imports
//
// exec imports cql/parser and schema only (internal/archtest), and
// golang.org/x/crypto/bcrypt for password hashes; the live-row
// rules come from schema.LiveRows, the key encodings from schema.Table.
package exec
