// Package cql groups the four packages that turn bytes from a CQL driver
// into operations on the cluster, and results back into bytes:
//
//	cql/server    connections: one reader and one writer goroutine per
//	              connection, stream multiplexing, the STARTUP/AUTH
//	              handshake, in-flight limits, events, and the one place
//	              where errors become ERROR frames.
//	cql/protocol  native protocol v3/v4: frame headers, every message, type
//	              options, lz4/snappy; bytes <-> messages and nothing else.
//	cql/parser    CQL text <-> AST: a hand-written recursive-descent parser
//	              whose errors carry line:column, and an AST that prints
//	              back to CQL.
//	cql/exec      statement analysis and execution: DDL against a
//	              SchemaStore, DML and SELECT against a Coordinator, the
//	              virtual system tables, server-side DESCRIBE, prepared
//	              statements and paging.
//
// Imports point one way: server -> protocol and exec; exec -> parser and
// schema. protocol and parser import nothing of ours. exec defines the
// interfaces it runs against (Coordinator, SchemaStore, ClusterInfo in
// cql/exec/backend.go and api.go) and node implements them, so nothing in
// cql/ knows whether it runs on one node or a cluster.
//
// Following one request: server reads a frame, protocol decodes a QUERY,
// exec parses and plans it, builds schema.Partition mutations or a
// schema.ReadCommand, and hands them to the Coordinator (node/), which
// sends them to the replicas' storage engines (storage/) where they become
// Pebble merges under keys ordered by table, token, partition key and
// clustering key.
package cql
