// Package parser turns CQL text into an abstract syntax tree and back.
//
// It is a hand-written recursive-descent parser over a hand-written lexer,
// following Cassandra's grammar (apache/cassandra src/antlr/Parser.g and
// Lexer.g) for the statements Sibyl executes: keyspace, table and type DDL,
// USE, TRUNCATE, SELECT, INSERT, UPDATE, DELETE, BATCH and the server-side
// DESCRIBE forms cqlsh sends. Each parseXxx function carries the production
// it implements in its doc comment. The package imports nothing of Sibyl's.
//
// # Usage
//
//	stmt, err := parser.Parse("SELECT * FROM ks.t WHERE k = ?")
//	if err != nil {
//		var perr *parser.Error // line:column, found, expected
//		...
//	}
//	markers := stmt.BindMarkers() // in order; resolve each to its receiver
//
// ParseAll parses a script of statements separated by semicolons (cqlsh's
// SOURCE). SplitStatements only cuts a script into statement texts, for a
// shell that handles some commands itself. Inspect walks a tree in source
// order. QuoteIdent and QuoteString write names and strings as CQL.
//
// # Errors
//
// Every error is a *Error with the position, the offending input and what
// was expected, printed the way Cassandra prints syntax errors:
// "line 1:10 mismatched input 'FORM' expecting FROM". Statements that are
// well formed but not implemented (CREATE MATERIALIZED VIEW, CREATE FUNCTION, ...)
// fail with Unsupported set, so the executor can answer Invalid rather
// than SyntaxError; so do names longer than MaxNameLength (65535 bytes, the
// most a protocol [string] can carry back to a client). A message quotes at
// most 128 bytes of the input, cut with "...", so it stays small whatever
// the client sent.
//
// # Caller's duties
//
// The parser checks syntax only. Whether a table or column exists, whether
// a restriction is allowed, and what type a bind marker has are decided by
// the caller (cql/exec), which walks the tree. Errors the caller reports
// about a node should carry the node's Position.
//
// # Invariants
//
//   - Parse never panics, whatever the input; nesting depth is bounded
//     (maxDepth) so crafted input cannot exhaust the stack.
//   - Tokens are pulled on demand through a window of a few tokens: a
//     statement fails at its first error without lexing the rest, and
//     memory beyond the tree itself does not grow with the input. The
//     lexer copies nothing except strings and names that hold escapes.
//   - Every node carries the position (1-based line and column) of its
//     first token.
//   - Printing round-trips: Parse(s.String()) is equal to s except for
//     positions. Keywords print in upper case; names are quoted only when
//     needed (upper case, reserved words, and the few unreserved words
//     that read as keywords in some position: as, json, distinct, cast).
//   - Unquoted identifiers are folded to lower case; quoted identifiers keep
//     their case; keywords are case-insensitive; unreserved keywords are
//     valid identifiers, as in Cassandra.
//   - Bind markers are numbered 0, 1, ... in order of appearance across the
//     whole statement (a batch numbers across its statements).
//   - The tree is not shared: callers may keep or modify it.
package parser
