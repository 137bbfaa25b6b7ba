// Package shell is `sibyl shell`: a cqlsh-style shell over a gocql
// connection to any node.
//
// The core is a Shell driven by lines from a LineReader and writing to
// io.Writers, so it runs the same under a test, a pipe, a script (-e, -f)
// and a terminal; only RunInteractive touches the terminal, through
// chzyer/readline (line editing, history in ~/.sibyl_history, Tab
// completion of keywords, keyspaces, tables and columns read from
// system_schema).
//
// # What it does with a line
//
// Lines gather until they hold whole statements: a shell command ends at
// the end of its line, CQL at a semicolon outside strings, comments and
// BEGIN BATCH ... APPLY BATCH. cql/parser.SplitStatements cuts the text,
// and each statement is either a shell command (CONSISTENCY, SERIAL
// CONSISTENCY, EXPAND, PAGING, SHOW VERSION|HOST, SOURCE, COPY, CLEAR,
// HELP, EXIT, TRACING, which prints each statement's trace from
// system_traces as cqlsh does), USE (gocql
// refuses USE on a pooled session, so the shell checks the keyspace and
// reconnects with it), DESCRIBE (sent to the server, which answers with
// rows, printed as cqlsh prints server-side DESCRIBE), or CQL sent as is.
//
// # Output
//
// Results print as cqlsh prints them: a header, a rule, right-justified
// values, "(N rows)"; EXPAND ON prints a block per row. Values are
// formatted from their wire bytes (rawValue receives them from gocql):
// text unquoted, blobs 0x..., timestamps 2026-11-23 22:51:44.000000+0000
// in UTC, booleans True/False, floats with cqlsh's precision, collections
// as CQL literals with quoted strings, null as null. A value that does not
// decode prints as hex: output never fails on what a server sends.
// Errors print as cqlsh prints them (InvalidRequest: Error from server:
// code=2200 [Invalid query] message="...") and the shell goes on.
//
// # COPY
//
// COPY ks.t [(cols)] TO 'f.csv' writes rows with the same value format
// (CSV through encoding/csv). COPY ks.t [(cols)] FROM 'f.csv' reads that
// format back (parseValue is formatValue's inverse, guided by the types
// gocql reports for the prepared INSERT) and runs the INSERTs on a bounded
// number of workers (MAXREQUESTS, default 16). Both report counts; a bad
// row is reported with its line and skipped.
//
// Both show progress as cqlsh does, "Processed: N rows; Rate: R rows/s;
// Avg. rate: A rows/s" (copy_progress.go). The goroutines doing the work
// add to atomic counters, never a lock per row; one reporter goroutine,
// started and stopped by the COPY (interrupted or not), reads them every
// 250 ms and draws a progressbar bar when Out was a terminal at Dial (of
// the file's bytes for COPY FROM from a regular file, a spinner counting
// rows otherwise), or else prints a line when 2 s or 100,000 rows passed
// since the last; the final line is always printed, before the summary.
// Its clock, ticker and row step are fields a test replaces.
//
// # Caller's duties
//
// Dial, then RunScript, RunReader, Run or RunInteractive from one
// goroutine, then Close. Interrupt may be called from any goroutine: it
// cancels the statement in progress (RunInteractive wires it to Ctrl-C)
// and the shell goes on with the next line. Every request carries the
// context given to Run, narrowed per statement; COPY FROM's workers end
// before the statement returns. Only Run pauses at ---MORE---: scripts
// and pipes print every page.
//
// # Known limits
//
// gocql v1.7 scans a tuple column element by element, so a tuple whose
// elements are all null prints as null; and it cannot bind a tuple in a
// prepared statement, so COPY FROM writes tuple values as literals it
// rendered itself (after parsing them), one prepared text per distinct
// tuple. Widths count runes, not terminal cells.
package shell
