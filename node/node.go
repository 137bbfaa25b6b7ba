package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/server"
	"github.com/sibyldb/sibyl/internal/stop"
	"github.com/sibyldb/sibyl/ring"
	"github.com/sibyldb/sibyl/schema"
	"github.com/sibyldb/sibyl/storage"
)

// Node is one running Sibyl node. New opens its storage and binds its
// ports; Serve runs it until its context ends; Close shuts it down.
type Node struct {
	cfg     *Config // immutable after New
	log     *slog.Logger
	started time.Time
	addr    netip.Addr // the address every port binds and is advertised

	group *stop.Group // owns every goroutine the node starts

	engine *storage.Engine // nil with the null backend
	local  replica         // engine or nullStore
	store  replica         // local behind tracing: storageReplica
	id     identity
	schema *schemaStore
	ring   atomic.Pointer[ring.Snapshot]
	coord  *Coordinator
	exec   *exec.Executor
	// tracing starts tracing sessions and writes their rows (tracing.go).
	tracing *tracing
	// cqlInfo is what system.local shows; its port is known once bound.
	cqlInfo *clusterInfo

	cqlLn net.Listener
	cql   *server.Server

	metrics *prometheus.Registry
	adminLn net.Listener
	admin   *adminServer

	cluster *cluster // gossip, messaging, hints, schema sync (membership.go)

	// indexes keeps storage's index entries in step with the schema
	// (index.go); nil with the null backend.
	indexes *indexMaintainer
	ops     operations // long operations' progress (admin_ops_progress.go)

	drainOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// Run starts a node from cfg, serves until ctx is cancelled (SIGINT or
// SIGTERM in `sibyl serve`) or a part of the node fails, then shuts down
// gracefully. It returns the first failure, or nil after a clean stop.
func Run(ctx context.Context, cfg Config) error {
	n, err := NewContext(ctx, cfg)
	if err != nil {
		return err
	}
	serveErr := n.Serve(ctx)
	closeErr := n.Close()
	return errors.Join(serveErr, closeErr)
}

// New validates cfg, opens the node's storage, loads or creates its
// identity and catalog, and binds its ports, so that configuration, disk
// and port errors surface before anything runs. The caller must Close the
// node.
func New(cfg Config) (*Node, error) { return NewContext(context.Background(), cfg) }

// NewContext is New with a context for its long steps (a new node joins
// its seeds and allocates its tokens before it returns): cancelling ctx,
// as SIGTERM does in `sibyl serve`, abandons the start.
func NewContext(ctx context.Context, cfg Config) (n *Node, err error) {
	c := cfg.Clone()
	c.EnsureDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid node configuration: %w", err)
	}
	n = &Node{cfg: c, log: c.Logger, started: c.Now(), group: stop.New(context.Background())}
	n.ops.log = n.log.With("component", "operations")
	n.addr, _ = netip.ParseAddr(c.ListenAddress) // checked by Validate
	defer func() {
		if err != nil {
			err = errors.Join(err, n.Close())
			n = nil
		}
	}()
	if err := n.open(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// open builds every part of the node in dependency order: storage, then
// what is stored in it (identity, catalog), then the ring, coordinator and
// executor over them, then the servers.
func (n *Node) open(ctx context.Context) error {
	n.metrics = newRegistry()
	if err := n.openStorage(); err != nil {
		return err
	}
	if err := n.openCluster(); err != nil {
		return err
	}
	if err := n.openExecutor(); err != nil {
		return err
	}
	if err := n.openCQL(); err != nil {
		return err
	}
	if err := n.listenAdmin(); err != nil {
		return err
	}
	if n.adminLn != nil {
		n.admin = n.newAdminServer(n.metrics)
	}
	if err := n.openMembership(ctx); err != nil {
		return err
	}
	n.registerMetrics()
	n.tracing.registerMetrics(n.metrics)
	return nil
}

// openStorage opens Pebble (or the null store), then the identity and the
// catalog kept in it.
func (n *Node) openStorage() error {
	ctx := context.Background()
	var meta localMeta = &memMeta{}
	var catalog []byte
	var found bool
	var save func(context.Context, []byte) error
	if n.cfg.Backend == BackendPebble {
		eng, err := storage.Open(storage.Options{
			Dir:       n.cfg.DataDir,
			Logger:    n.log.With("component", "storage"),
			GCGrace:   n.gcGrace,
			CacheSize: n.cfg.StorageCacheSize,
			Now:       n.cfg.Now,

			UnsafePeriodicSync: n.cfg.unsafeStorageSync,
		})
		if err != nil {
			return storageOpenError(n.cfg.DataDir, err) // node_errors.go
		}
		n.engine, n.local, meta, save = eng, eng, eng, eng.SaveCatalog
		if catalog, found, err = eng.LoadCatalog(); err != nil {
			return fmt.Errorf("cannot load the schema: %w", err)
		}
	}
	id, err := loadIdentity(ctx, meta, n.cfg.NumTokens, n.log)
	if err != nil {
		return err
	}
	n.id = id
	if n.schema, err = newSchemaStore(catalog, found, save); err != nil {
		return err
	}
	if n.engine != nil {
		// Before any write: entries of existing indexes (node/index.go).
		n.indexes = newIndexMaintainer(n.engine, n.schema.Catalog, &n.ops, n.log.With("component", "index"))
		n.schema.onChange = n.indexes.schemaChanged
	}
	if n.engine == nil {
		n.local = newNullStore(n.schema.table, n.cfg.Now)
		n.log.Warn("running with the null backend: writes are dropped and reads are synthetic (benchmark ceiling only)")
	}
	return nil
}

// gcGrace is storage's view of tables' gc_grace_seconds. Storage may call
// it before the catalog is loaded; the default applies until then.
func (n *Node) gcGrace(id schema.TableID) (int64, bool) {
	if n.schema == nil {
		return 0, false
	}
	return n.schema.gcGrace(id)
}

// openCluster builds the ring (this node alone until the cluster issue's
// gossip adds peers) and the coordinator over it.
func (n *Node) openCluster() error {
	snap, err := ring.NewBuilder(nil).Upsert(ring.Node{
		ID: n.id.hostID, Addr: n.cfg.ListenAddress, DC: n.cfg.DataCenter, Rack: n.cfg.Rack,
		Status: ring.StatusNormal, Tokens: n.id.tokens,
	}).Build()
	if err != nil {
		return fmt.Errorf("cannot build the ring: %w", err)
	}
	n.ring.Store(snap)
	n.store = tracedReplica{replica: n.local, table: n.schema.table, now: n.cfg.Now}
	n.coord = newCoordinator(coordinatorConfig{
		Self: n.id.hostID, LocalDC: n.cfg.DataCenter,
		Ring:         n.ring.Load,
		Placement:    n.schema.placementOf,
		Local:        n.storageReplica(),
		Peer:         n.peerReplica,
		Hints:        n.lazyHints(),
		WriteTimeout: n.cfg.WriteTimeout, ReadTimeout: n.cfg.ReadTimeout,
		Now:     n.cfg.Now,
		Metrics: newCoordinatorMetrics(n.metrics),
		Logger:  n.log.With("component", "coordinator"),
	})
	n.coord.cfg.Metrics.requests.names = n.tableName
	return nil
}

func (n *Node) openExecutor() error {
	info := &clusterInfo{name: n.cfg.ClusterName, schemaV: func() [16]byte { return n.schema.Catalog().Version() }, peers: n.peers,
		ranges: n.keyspaceRanges, sizes: n.sizeEstimates}
	ex, err := exec.New(exec.Config{
		Coordinator: n.coord,
		Schema:      replicatedSchema{n},
		Cluster:     info,
		Token:       func(key []byte) int64 { return int64(ring.Murmur3Token(key)) },
		Now:         n.cfg.Now,
		Logger:      n.log.With("component", "exec"),
		Events:      n.publish,
		IndexBuilt:  n.indexBuilt,
		// The clock guard: write timestamps too far in the future.
		MaxTimestampAhead: n.cfg.MaxTimestampAhead,
		// Who may connect and what they may do (config_auth.go).
		Authenticator:     n.cfg.Auth.passwords(),
		Authorizer:        n.cfg.Auth.permissions(),
		AuthCacheValidity: n.cfg.Auth.CredentialsValidity,
		BcryptCost:        n.cfg.Auth.BcryptRounds,
	})
	if err != nil {
		return fmt.Errorf("cannot create the executor: %w", err)
	}
	n.exec = ex
	n.cqlInfo = info
	n.tracing = newTracing(n.addr, n.messagingPort, n.cfg.Now, n.schema.Catalog,
		func(ctx context.Context, muts []*schema.Partition) error {
			// ANY, as Cassandra writes trace rows: a replica that is
			// down gets a hint instead of failing the trace.
			return n.coord.Mutate(ctx, exec.Any, exec.WriteSimple, muts)
		}, n.log.With("component", "tracing"))
	return nil
}

// storageReplica is this node's storage as a replica that records what
// it does on a traced request's trace. It is built once, by openCluster:
// the internode handlers take it on every request.
func (n *Node) storageReplica() replica { return n.store }

// messagingPort is the internode port actually bound (the port trace
// rows name their source by), or 0 without one.
func (n *Node) messagingPort() int {
	if n.cluster == nil {
		return 0
	}
	return n.cluster.msgPort
}

// publish forwards schema-change events to registered client connections.
func (n *Node) publish(ev exec.Event) {
	if n.cql != nil {
		n.cql.Publish(ev)
	}
}

// openCQL binds the CQL port and creates the server; the advertised rpc
// port is the one actually bound.
func (n *Node) openCQL() error {
	ln, err := n.listen(n.cfg.CQLListener, n.cfg.CQLPort, "CQL clients")
	if err != nil {
		return err
	}
	tlsCfg, err := clientTLSConfig(n.cfg.ClientEncryption, n.log.With("component", "cql"))
	if err != nil {
		_ = ln.Close()
		return err
	}
	ln = newTLSListener(ln, tlsCfg, n.cfg.ClientEncryption.Optional)
	n.cqlLn = ln
	port := n.cfg.CQLPort
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		port = tcp.Port
	}
	n.cqlInfo.local = localNodeInfo(n.id.hostID, n.id.tokens, n.addr, port, n.cfg.DataCenter, n.cfg.Rack)
	srv, err := server.New(server.Config{
		Address:      ln.Addr().String(),
		MaxFrameSize: n.cfg.MaxFrameSize,
		MaxInFlight:  n.cfg.MaxInFlight,
		// Backpressure: the bytes in flight node-wide and per client.
		MaxRequestDataInFlight:      n.cfg.MaxRequestDataInFlight,
		MaxRequestDataInFlightPerIP: n.cfg.MaxRequestDataInFlightPerIP,
		FrameTimeout:                n.cfg.FrameTimeout,
		Logger:                      n.log.With("component", "cql"),
		Credentials:                 n.credentials(),
		Tracer:                      n.tracing,
		SlowQueryThreshold:          n.cfg.SlowQueryLogTimeout,
	}, n.exec)
	if err != nil {
		return fmt.Errorf("cannot create the CQL server: %w", err)
	}
	n.cql = srv
	return nil
}

// listen returns ln when it is set, or a listener on the node's address.
func (n *Node) listen(ln net.Listener, port int, what string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	addr := net.JoinHostPort(n.cfg.ListenAddress, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for %s on %s: %w", what, addr, err)
	}
	return l, nil
}

// Serve runs the node's servers until ctx is cancelled or one of them
// fails. It does not close the node: call Close afterwards.
func (n *Node) Serve(ctx context.Context) error {
	if err := n.startServers(); err != nil {
		return err
	}
	n.log.Info("node started", n.startupAttrs()...)
	select {
	case <-ctx.Done():
		n.log.Info("shutting down", "reason", context.Cause(ctx))
		return nil
	case <-n.group.Done():
		err := n.group.Cause()
		n.log.Error("node failed", "err", err)
		return err
	}
}

func (n *Node) startServers() error {
	ln := n.cqlLn
	err := n.startTask("node.cql: serve clients", func(ctx context.Context) error {
		if err := n.cql.Serve(ctx, ln); err != nil && !errors.Is(err, server.ErrServerClosed) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	n.cqlLn = nil // owned by the server from now on
	if err := n.startTask("node.tracing: write trace rows", n.tracing.run); err != nil {
		return err
	}
	if err := n.startMembership(); err != nil {
		return err
	}
	if n.admin != nil {
		if err := n.startTask("node.admin: serve http", n.admin.serve); err != nil {
			return err
		}
	}
	if n.indexes != nil {
		if err := n.startTask("node.index: build and drop secondary indexes", n.indexes.run); err != nil {
			return err
		}
	}
	if n.cfg.Auth.passwords() {
		if err := n.startTask("node.auth: default superuser", n.ensureSuperuser); err != nil {
			return err
		}
	}
	return nil
}

// startTask starts one of the node's tasks. A group that is already
// stopping refuses it; the error is then why the group stops (a task that
// failed first, such as the cluster refusing this node during start), not
// the refusal to start one more task, which would hide it.
func (n *Node) startTask(name string, fn func(context.Context) error) error {
	err := n.group.Go(name, fn)
	if errors.Is(err, stop.ErrStopped) {
		if cause := context.Cause(n.group.Context()); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
	}
	return err
}

func (n *Node) startupAttrs() []any {
	attrs := []any{"cql", n.CQLAddr().String(), "host_id", n.id.hostID.String(), "cluster", n.cfg.ClusterName,
		"dc", n.cfg.DataCenter, "rack", n.cfg.Rack, "tokens", len(n.id.tokens), "backend", string(n.cfg.Backend)}
	if n.engine != nil {
		attrs = append(attrs, "data_dir", n.cfg.DataDir)
	}
	if n.adminLn != nil {
		attrs = append(attrs, "admin", n.adminLn.Addr().String())
	}
	return append(attrs, encryptionAttrs(n.cfg)...)
}

// CQLAddr is the address the CQL server listens on.
func (n *Node) CQLAddr() net.Addr {
	return &net.TCPAddr{IP: n.addr.AsSlice(), Port: n.cqlInfo.local.RPCPort}
}

// AdminAddr is the address the admin HTTP server listens on, or nil when it
// is disabled.
func (n *Node) AdminAddr() net.Addr {
	if n.adminLn == nil {
		return nil
	}
	return n.adminLn.Addr()
}

// HostID is the node's permanent identity.
func (n *Node) HostID() ring.HostID { return n.id.hostID }

// Close stops the node: it stops accepting connections, drains the ones in
// flight for up to Config.ShutdownTimeout, stops every task and closes
// storage last. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown() })
	return n.closeErr
}

// Kill stops the node as a crash would, for fault-injection tests: no
// announcement to gossip or clients, no drain (requests in flight are cut
// and their clients get no answer), peers find out through their failure
// detectors. Storage is closed without a flush; what it had acknowledged
// is in its synced WAL, as after a real crash. The node cannot be used
// again; start a new one on the same data directory.
func (n *Node) Kill() {
	n.closeOnce.Do(func() { n.closeErr = n.stop(false) })
}

func (n *Node) shutdown() error { return n.stop(true) }

// stop shuts the node down, gracefully (announce, drain, leave gossip)
// or, for Kill, abruptly.
func (n *Node) stop(graceful bool) error {
	timeout := n.cfg.ShutdownTimeout
	if !graceful {
		timeout = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if graceful {
		errs = append(errs, n.Drain(ctx))
	} else {
		n.cluster.crash()
	}
	if n.cql != nil {
		// After a drain this returns at once; after Kill it cuts every
		// connection (ctx has already expired).
		if err := n.cql.Shutdown(ctx); err != nil && graceful {
			errs = append(errs, fmt.Errorf("cannot drain CQL connections: %w", err))
		}
	}
	for _, ln := range []net.Listener{n.cqlLn} {
		if ln != nil {
			_ = ln.Close() // never served: New failed or Serve was not called
		}
	}
	if n.admin != nil {
		errs = append(errs, n.admin.shutdown(ctx))
	} else if n.adminLn != nil {
		_ = n.adminLn.Close()
	}
	errs = append(errs, n.group.Stop())
	if graceful && n.coord != nil {
		n.coord.Wait() // writes behind their answers, and their hints
	}
	errs = append(errs, n.cluster.close())
	if n.engine != nil {
		if err := n.engine.Close(); err != nil {
			errs = append(errs, fmt.Errorf("cannot close storage: %w", err))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		n.log.Error("node stopped with errors", "err", err)
	} else {
		n.log.Info("node stopped")
	}
	return err
}
