// Package bench is Sibyl's load generator: the library behind `sibyl bench`.
//
// It drives a cluster the way an application would, and only that way:
// through gocql, with prepared statements and gocql's token-aware host
// policy, so every figure it reports includes the protocol, the coordinator
// and (at RF > 1) replication. It imports nothing of Sibyl's, so it measures
// Cassandra or ScyllaDB just as well, which is how its figures are
// cross-checked.
//
// # Usage
//
//	rep, err := bench.Run(ctx, bench.Config{Hosts: []string{"127.0.0.1"}, Mode: bench.ModeWrite})
//
// Run clones the Config, fills defaults (Config.EnsureDefaults, each default
// with its reason), validates it (Config.Validate reports every problem at
// once), creates the keyspace and table when missing, runs the load and
// returns a Report. Cancelling ctx stops the run early; every goroutine Run
// starts is owned by ctx and has returned when Run returns. Report.WriteJSON
// and ReadReport round-trip the report; Compare prints several reports side
// by side with ratios against the first. RunTarget runs the same load loop
// against any other Target (bench/cmd/pebblebench measures raw Pebble with
// it), so baselines share the schedule, the key choice and the histograms.
//
// # Workload
//
// One table, created when missing (SimpleStrategy, ReplicationFactor):
//
//	CREATE TABLE <keyspace>.<table> (pk bigint, ck bigint, v blob, PRIMARY KEY (pk, ck))
//
// write is a prepared INSERT of one row; read a prepared SELECT of one row
// by its full primary key; mixed either, ReadRatio of them reads; scan a
// SELECT of a whole partition, paged by the driver PageSize rows at a time;
// counter an UPDATE ... SET n = n + 1 of the same key in a second table,
// <table>_counters (pk bigint, ck bigint, n counter), created in that mode
// only, never retried by the driver (an increment is not idempotent); cas a
// prepared INSERT ... IF NOT EXISTS of one row (a lightweight transaction
// at SERIAL, committed at the run's consistency: on a fresh key space it
// applies, over rows a write run left it is a Paxos round that writes
// nothing, so compare it with write on the same flags).
// Every statement carries the partition key, so gocql's token-aware policy
// sends it to a replica.
//
// Secondary indexes (index.go): with IndexColumns (implied by Indexes > 0
// and the index modes) the table also has u bigint and g bigint, which
// writes fill from the row's number n = pk*RowsPerPartition + ck: u = n,
// unique, and g = n mod IndexCardinality. Indexes creates 0 to 3 indexes
// (on u, then g, then v) when missing, so writes to tables that differ only
// in their indexes measure what an index costs a write. index-point reads
// one row by u (SELECT ... WHERE u = ?), index-group one page of the rows
// of one g (WHERE g = ? LIMIT PageSize); both carry no partition key, so
// the coordinator asks every token range, and with ValidateData both check
// which rows came back as well as their values.
//
// # Key space and values
//
// A run addresses Partitions partitions of RowsPerPartition rows each,
// starting at partition PartitionOffset. A key is a pair (pk, ck) of bigints.
// The value of a row is derived deterministically from its key (Value), so a
// `read` run with the same key-space flags as an earlier `write` run reads
// exactly the rows that run wrote, and with ValidateData set it checks every
// value it reads against the derivation. Mixed runs overwrite rows with the
// same value, so validation stays meaningful during them.
//
// # Load models
//
// Closed loop (Rate == 0): Concurrency workers each issue their next
// operation as soon as the previous one returns. This finds the maximum
// throughput, but its latencies hide stalls: while the server stalls, no
// requests are sent, so nobody measures the wait.
//
// Open loop (Rate > 0): operations follow a fixed schedule, operation i
// being intended to start at start + i/Rate. Each operation's latency is
// measured from its intended start, not from when a worker got around to
// sending it, so time spent queued behind a stall is counted (the
// coordinated-omission correction of Gil Tene and of YCSB's
// measurement.interval=intended). The schedule is fixed in advance: after a
// stall the backlog is sent as fast as Concurrency allows, but each late
// operation is charged for its lateness, and the rate is never raised above
// the schedule to "catch up" a mean rate (the scylla-bench -max-rate mistake).
// A run with a Duration stops sending when its time is up; operations still
// due then are reported as Report.Unsent, a sign the rate was not sustained.
// The Report carries both the response time (from intended start) and the
// service time (from actual send); in a closed loop they are equal.
//
// # Server CPU and machine load
//
// With ServerPIDs (`sibyl bench --server-pid`: the nodes, when they run on
// the same Linux machine) the Report has ServerCPUS, the user and system
// CPU time those processes spent during the measured window (from
// /proc/PID/stat, in CLK_TCK ticks), and ServerCPUUsPerOp, that summed over
// the processes and divided by the measured operations. Every run also
// records the machine (procfs.go, usage.go): the 1-minute load average at
// the window's start and end (/proc/loadavg) and MachineBusy, the share of
// all CPUs' time that was not idle or waiting for I/O over the window
// (/proc/stat). Snapshots are taken when the first measured operation is
// about to be sent (the warmup's CPU is not counted) and when the last has
// returned. A figure /proc cannot give is absent from the report, never
// zero: on a machine without /proc there are no machine figures, and a pid
// that does not exist fails the run before it starts; a server that exits
// or whose pid is reused during the window leaves a warning instead.
//
// Server CPU per operation is the figure to compare on a shared machine:
// a neighbour's load lowers throughput and raises latency, but barely
// changes the CPU a server spends on each operation it serves. Compare
// prints it ("srv µs/op", and "x srv" against the first row) beside the
// load average at the start ("load") and the busy share ("busy"), "n/a"
// for reports that lack them. Note that the busy share counts the client
// too, and in a container /proc/stat and /proc/loadavg describe the host.
//
// # Invariants
//
//   - Latencies are recorded in HDR histograms (microseconds, 3 significant
//     digits, up to one hour); percentiles are exact to within 0.1 %.
//   - Operations whose intended start lies within the warmup are executed
//     but not recorded; throughput is measured over the recorded window only.
//   - Latency includes the client's own delays. A target whose workers are
//     CPU-bound (an in-process baseline at 128 workers on 2 cores) sees the
//     Go scheduler leave a preempted worker waiting for up to a second,
//     which shows in its max; workers that block on network replies are
//     far less exposed.
//   - Errors are counted by kind (timeout, unavailable, overloaded, missing,
//     corrupt, ...) and never retried: a retry would hide the failure and
//     distort the latency it belongs to.
package bench
