// Package faults is a fault-injection harness for Sibyl clusters, after
// Jepsen (a nemesis injects faults while clients record every operation,
// and a checker judges the history afterwards), Cassandra's in-JVM dtests
// and simulator (whole clusters in one process with a controllable
// network) and etcd-raft's interaction tests (small deterministic
// scenarios that pin down one behaviour each). Only tests import it.
//
// # What is real, what is simulated
//
// Real: every node is a node.Node started by node.New and Serve, on its
// own loopback address (127.0.0.10, .11, ...; SIBYL_FAULTS_IP moves the
// first), with its own Pebble directory in t.TempDir, its real gossip
// (memberlist over UDP and TCP), internode messaging, hints, repair and
// CQL server. Clients are the real gocql driver, one session per node
// pinned to it by a host filter, so the harness decides which node
// coordinates each request. Kill is node.Kill (a crash: no announcement,
// no flush, the WAL is what survives); Stop is the graceful node.Close;
// Start reopens the same directory on the same ports.
//
// Simulated: only the network between the nodes. Each node gets an
// Endpoint of Net as node.Config.Network, through which it dials every
// internode stream and sends every gossip datagram; the clients dial
// through an Endpoint of their own (address Client). A cut link is a
// blackhole, not a reset: dials hang until their context ends, bytes on
// established connections stall (writes block until the link heals or the
// write deadline passes; data and even the end of stream coming the other
// way are held back likewise), datagrams are dropped. Deadlines and Close
// behave as on a net.Conn. Net records every change, so the checker can
// ask what the network was at any moment.
//
// # Fault vocabulary
//
// Net offers Cut (both ways), CutOneWay, Isolate (a node from every other
// node; clients still reach it), Partition (groups), Bridge (two sides
// that meet only at one node), Delay and DelayNode (latency per link),
// Pause and Resume (no traffic in or out of a node, clients' included, as
// SIGSTOP looks from outside) and Heal. Schedules combine them with node
// faults into the kinds of AllFaults: isolate, halves (minority |
// majority), cut-link, one-way (a node's outbound or inbound traffic
// dropped), bridge, pause, kill (then restart), restart (graceful) and
// delay.
//
// # Runs and the checker
//
// A random run (TestRandomSchedules) draws a Schedule from a seed: 3
// nodes (5 one time in three), 30 to 40 s of faults one after the other.
// It starts a cluster, creates a keyspace with SimpleStrategy RF=3 and a
// table of small int keys, runs the Workload (four clients writing unique
// values, deleting and reading at QUORUM through random running
// coordinators, every operation recorded with its outcome: ok, failed, or
// unknown for writes that may have applied), injects the faults, heals
// everything, lets the load run 15 s more, then Verify: waits for every
// node to see every other up, reads every key at QUORUM, waits for hints
// to drain, runs repair on every node, and reads every key at ONE through
// each of its replicas.
//
// The Checker then holds the history to Cassandra's promises:
//
//   - a read returns the value of a write (or the absence left by a
//     delete, or the initial state) that began before the read ended and
//     was not superseded, before the read began, by an acknowledged write
//     or delete that started after it ended; unknown writes may apply at
//     any time. Broken, this is a stale read (live), a lost write (after
//     healing), a resurrection (a deleted value back) or a phantom (a
//     value never written, or from a write that definitely failed);
//   - a QUORUM request does not fail when, for its whole duration and the
//     10 s before it (Settle: time for gossip to mark a node up again and
//     for messaging to redial it), its coordinator ran and was reachable
//     from the client and a quorum of the key's replicas ran and was
//     connected to the coordinator both ways. Failures without such a
//     quorum are excused; each reported one says which replica was cut
//     off since when and by which change;
//   - after hints and repair, replicas agree;
//   - after healing, the cluster converges within 60 s, repair succeeds
//     and every final read eventually succeeds.
//
// Replicas that disagree before repair are reported as notes only: hints
// are best effort (a coordinator killed before storing a hint loses it).
//
// # Lightweight transactions
//
// TestLWTLinearizable (lwt.go) checks what QUORUM does not promise and
// Paxos does: linearizability. Four clients compare-and-set a register
// per key (three keys, v of the same table) from the last value they saw,
// and read it at SERIAL, through coordinators drawn at random, while a
// schedule cut from Generate(seed) to 20 s on three nodes (LWTSchedule)
// injects its faults. The clients call node.Coordinator in process, below
// CQL; the Paxos rounds cross the simulated network. Each operation is
// recorded with its outcome; a CAS whose outcome is unknown (a timeout,
// or a proposal beaten after a partial acceptance) never returns in the
// history, so porcupine may let it take effect at any point after it
// began or never; operations refused before any message (Unavailable, a
// coordinator that is down) and failed reads are left out. After healing
// and a final SERIAL read of every key, porcupine checks the history
// against a sequential register (CheckLinearizable) and, when it is not
// linearizable, writes an HTML visualization whose path the failure
// names. A run takes about 40 s; SIBYL_FAULTS_SEED and SIBYL_SOAK_TIME
// work as for TestRandomSchedules.
//
// # Replaying a seed
//
// Every run logs "faults seed N (rerun with SIBYL_FAULTS_SEED=N)" and its
// schedule; a failure repeats the seed. SIBYL_FAULTS_SEED=N replays that
// schedule (cluster size, faults and their times, the clients' choices):
//
//	SIBYL_FAULTS_SEED=N go test ./internal/faults -run TestRandomSchedules -v
//
// `make soak` draws new schedules for SOAK_TIME (SIBYL_SOAK_TIME for the
// test). SIBYL_FAULTS_LOG=1 copies every node's log and the driver's to
// stderr; otherwise the last lines of each are logged when a test fails.
//
// # Limits
//
//   - The seed fixes the schedule, not the interleaving: goroutine
//     scheduling, gossip timers and the machine's load differ between
//     runs, so a replay reproduces the situation, not always the failure.
//   - Pause stops traffic only: the paused node's own timers and
//     goroutines keep running (its failure detector marks everyone down
//     meanwhile), unlike a real SIGSTOP.
//   - Only the dialing side of a connection is wrapped, so what a node
//     receives is decided by the sender's Endpoint; traffic that does not
//     go through node.Config.Network (the admin HTTP API the harness uses
//     to read hint counts) is never cut.
//   - Delays apply per write call and per read, in order; there is no
//     bandwidth limit, reordering or loss on streams (a blackhole is the
//     only stream fault). Datagrams are dropped, never duplicated.
//   - Clocks are not skewed: every node shares the process's clock, and
//     the checker orders operations by it (values are ordered by the
//     client's timestamps, taken from the same clock).
//   - Replicas are computed once from the ring after startup; schedules
//     never change membership (no bootstrap, decommission or removenode
//     under faults).
//   - Linearizability is checked only for lightweight transactions (see
//     above): QUORUM without them does not promise it.
//   - The LWT clients go below CQL (the executor's conditions are not
//     exercised there), so a paused coordinator still receives their
//     requests; its rounds stall on the network instead.
package faults
