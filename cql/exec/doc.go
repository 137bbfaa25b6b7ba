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
// JSON (json*.go) rides on the same steps: SELECT JSON runs the SELECT
// and turns each row into one [json] text column; INSERT JSON becomes an
// INSERT of every column from the document (a literal decoded at
// PREPARE, a bound one once per execution); toJson() is a selector and
// fromJson() a term of its receiver's type. Encodings and messages are
// Cassandra 4.1's toJSONString/fromJSONObject, value by value
// (json_encode.go, json_values.go).
//
// Counter tables (counter.go) follow Cassandra 4.1: written only by UPDATE
// c = c +/- n (deltas, Mutated with WriteCounter so that a leader replica
// applies them) and DELETE, in COUNTER (or unlogged) batches of counters
// only, never with USING TTL or TIMESTAMP, never at ANY; they read as
// bigints, the sum of each counter's shards.
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
// # Secondary indexes
//
// CREATE INDEX, CREATE CUSTOM INDEX ... USING 'sai' and DROP INDEX
// (index_ddl.go) change the catalog like other DDL (the index belongs to
// its table; SCHEMA_CHANGE is UPDATED TABLE, as Cassandra sends), and
// system_schema.indexes and DESCRIBE show them, system."IndexInfo" those
// built on this node (Config.IndexBuilt) (index_describe.go). An
// index changes which SELECTs run without ALLOW FILTERING, by Cassandra's
// rules (index_select.go): one restriction on a column with a legacy
// index, or any number of SAI-covered restrictions, SAI ranges on
// numeric, temporal, uuid and inet columns.
//
// Cost model: such a SELECT is a range read over every token range (the
// coordinator asks each range's replicas at the requested consistency, as
// for ALLOW FILTERING), but each range read carries an IndexRead for one
// chosen restriction (an equality before an SAI range): a replica whose
// entries for the index are built finds the candidate rows in its index
// key space and reads only those (storage/index_read.go), so a replica's
// work is O(matching entries in its ranges), not O(rows). Every node is
// asked even when few rows match (RF=1: all of them). Every returned row
// is re-checked against all restrictions, so stale entries and a replica
// still building (which scans) cost time, never correctness. Pages resume
// after the last row like any range scan; LIMIT stops the scan early.
// Writes pay one extra merge operand per indexed cell, in the same batch.
// Indexes on key columns have no entries: their queries scan. An SAI
// option such as case_sensitive is stored and shown but not applied:
// comparisons are byte-exact. At a consistency level that reads several
// replicas, a replica whose newer copy of a row does not match has no
// entry for it and returns nothing; the coordinator's replica filtering
// protection (node/coordinator_filter.go, Cassandra 3.0.21+'s) re-reads
// such rows from the silent replicas before the re-check, so a stale
// copy on one replica is not returned; it costs one point read per
// disagreeing row and replica, and fails the read (Overloaded) past
// 32000 re-read rows.
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
//   - A traced request carries an exec.Trace in its context (WithTrace);
//     the executor records its steps on it (tracing.go) and never starts
//     one.
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
