// Package node is the composition root of a Sibyl node: it is the only
// package that knows every part, wires them together, and owns every
// long-lived goroutine (through an internal/stop task group).
//
// # Parts, from the wire down
//
//   - cql/server accepts client connections on ListenAddress:CQLPort and
//     hands each request to the executor.
//   - cql/exec parses, analyses and executes statements. It reaches the
//     data only through three interfaces node implements: exec.SchemaStore
//     (schemaStore: the catalog, persisted in storage's catalog space and
//     published through an atomic pointer), exec.ClusterInfo (clusterInfo:
//     what system.local and system.peers show) and exec.Coordinator
//     (Coordinator: consistency levels and replicas).
//   - The Coordinator computes each partition's replicas from the ring
//     snapshot and the keyspace's replication strategy, checks that the
//     consistency level can be met (Unavailable with required and alive
//     counts, as Cassandra answers), and sends the mutation or read to each
//     replica. The local replica goes straight to storage; remote replicas
//     go through node/messaging behind the same replica interface
//     (remote.go, peers.go). A write's remote requests answer into one
//     channel the coordinator waits on (messaging.Start), so a write
//     starts no goroutine per replica; its deadline times out the silent
//     ones. PERF.md measures a replica write's cost.
//   - In a cluster, gossip.go and membership.go (hashicorp/memberlist)
//     maintain the ring snapshot, published through an atomic pointer;
//     hints.go stores writes for down replicas and replays them;
//     schemasync.go pushes and pulls the catalog so every node reports one
//     schema_version. A lone node runs the same code with itself as the
//     only member.
//   - storage.Engine keeps cells in Pebble under DataDir. Its local
//     metadata space holds the node's identity: host id and tokens, chosen
//     at first start and reused on every restart, so drivers' token maps
//     and prepared-statement routing stay valid.
//   - Lightweight transactions (Coordinator.CAS, and reads at SERIAL or
//     LOCAL_SERIAL) run Paxos over the partition's replicas: paxos.go
//     explains the protocol, its timestamps, how it mixes with plain
//     writes and how its state meets gc_grace and repair; the verbs are in
//     paxos_remote.go, the replica's durable half in storage/paxos.go.
//   - With Backend "null", a nullStore replaces the engine: writes are
//     dropped and reads answer with a synthetic row of the requested shape.
//     Everything above it is unchanged, which makes it the protocol
//     ceiling benchmarks compare against.
//   - The admin HTTP server on ListenAddress:AdminPort serves JSON status
//     (/status), Prometheus metrics (/metrics) and, opt-in, /debug/pprof,
//     the cluster operations of cluster_admin.go and the nodetool-like
//     verbs of admin_ops*.go: flush, compact, cleanup, snapshots and
//     their restore (admin_ops_snapshot.go), table and node statistics,
//     log levels (logging.go's LogHandler) and GET /operations, where
//     every long operation (repair, bootstrap, decommission, cleanup,
//     restore, and a peer's part in them) reports its progress, which it
//     also logs (admin_ops_progress.go).
//   - Query tracing (tracing*.go) is cql/server's Tracer: sessions and
//     events become rows of system_traces (replicated, one-day TTL),
//     queued without blocking and written through the Coordinator at ANY
//     by one goroutine; the session row last, with its duration. The
//     storage replica and remote replicas record their steps on the
//     request's trace, and replicas get the session id with traced verbs
//     (verbTracedApply, verbTracedRead) so their events join the
//     coordinator's session.
//
// # The cluster
//
// Each node runs memberlist gossip on ListenAddress:GossipPort (gossip.go,
// the only memberlist importer) and internode messaging on
// ListenAddress:StoragePort (node/messaging, with the verbs of remote.go
// and streaming.go). Gossip metadata is small: host id, status (normal,
// joining, leaving), data center, rack, schema version, ports and flags
// (stopping, left, allocating); tokens are fetched over messaging.
// memberlist's callbacks only enqueue; one goroutine, the apply loop of
// peers.go, owns the peer table, publishes an immutable clusterView and
// rebuilds the ring snapshot in the node's atomic pointer. Down means
// "route around and hint", never a change of ownership; the peer table is
// persisted so a node restarting alone still knows the ring.
//
//   - Writes to a replica that is down or fails to answer are stored as
//     hints (hints.go) within the hint window, replayed throttled once the
//     replica is up, deleted once acknowledged; ANY counts a stored hint.
//   - Secondary indexes (index.go): every catalog the schema store
//     publishes goes to storage before the next write, and a task builds
//     new indexes' entries for existing rows and forgets dropped ones;
//     index queries reach replicas as range reads carrying an IndexRead;
//     read from several replicas, they are completed by replica filtering
//     protection (coordinator_filter.go).
//   - A counter write (counter.go) goes to one leader per partition: this
//     node when it is a replica, else a live replica of the local data
//     center first (verb COUNTER_MUTATION). The leader turns each delta
//     into its own next shard under a per-partition lock, then replicates
//     the shard like a normal write, hints included; shards merge
//     idempotently, so replays never count twice.
//   - Schema changes are pushed to every up peer before the DDL returns,
//     and a node that sees another schema version pulls it; the catalog
//     with the higher generation (then the larger version) wins
//     (schemasync.go), so every node converges on one schema_version.
//   - memberlist never contacts a member it declared dead, so rejoin.go
//     re-joins seeds and lost peers every 2 s: partitions heal by
//     themselves. admission.go keeps members of another cluster and
//     removed or decommissioned identities out, and stops a node that is
//     one of them.
//   - A new node allocates its tokens against the ring it learns from the
//     seeds (tokens_join.go), announces itself joining, streams its future
//     ranges from every current replica, then turns normal; decommission,
//     removenode and automatic cleanup of unowned ranges are in
//     streaming.go. The admin API's /cluster/* endpoints serve `sibyl
//     status`, `ring`, `decommission` and `removenode` (cluster_admin.go).
//
// # Lifecycle and the caller's duties
//
//  1. New(cfg) clones cfg, applies EnsureDefaults and Validate, opens
//     storage, loads the identity and catalog, and binds every port, so a
//     bad configuration or a busy port fails before anything runs.
//  2. Serve(ctx) starts the servers under the node's task group and
//     returns when ctx is cancelled or a part fails.
//  3. Close() drains the node (drain.go: announce the shutdown through
//     gossip and to clients, keep answering briefly, stop accepting
//     connections, finish those in flight for up to ShutdownTimeout,
//     flush), stops every task, and closes storage last, so every
//     acknowledged write is in Pebble's synced WAL before the process
//     exits. Run(ctx, cfg) is NewContext, Serve and Close in one call.
//     Kill() stops the node as a crash would, for fault-injection tests.
//
// # Invariants
//
//   - A write is acknowledged only after storage has synced it to its WAL;
//     a node killed at any moment restarts with every acknowledged write.
//   - Host id and tokens never change once chosen: they are read from
//     storage before anything is served.
//   - The catalog is persisted before a schema change is acknowledged and
//     before its event is published.
//   - No goroutine outlives Close.
package node
